// End to end through a real cryod, real CRIU and real processes, driven by the CLI: dump and
// restore in each I/O mode (attachable, --log file, --no-daemon), exit codes after a restore,
// attach after restore (backlog printed while detached, stdin reaching the process).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { parseJson as json, runCli } from '../testing/cli.js';
import { buildWorkload } from '../testing/workloads.js';

/**
 * Prints "tick N" every 50 ms (a background subshell); the foreground reads stdin lines, prints
 * "got:LINE" and exits 42 on "quit". Reading without a timeout: a `read -t` cut by the checkpoint
 * may drop the partial line it had. The pause before each line: input waiting at restore time
 * would otherwise end processes before CRIU detached from them, and CRIU then fails the restore
 * ("Unable to detach N: No such process").
 */
export const TICKER = ['bash', '-c', 'i=0; (while :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done) & while read l; do sleep 0.2; echo "got:$l"; if [ "$l" = quit ]; then kill $!; exit 42; fi; done'];

/** The tick numbers in text, asserted consecutive from 1 (a restore neither repeats nor loses output). */
export function ticks(text: string, re = /^tick (\d+)$/): number[] {
  const n = text.split('\n').map((l) => re.exec(l)?.[1]).filter((x): x is string => x !== undefined).map(Number);
  n.forEach((v, i) => assert.equal(v, i + 1, `output is not consecutive at line ${i + 1}: ${n.slice(Math.max(0, i - 3), i + 3).join(',')}`));
  return n;
}

interface DumpJson { checkpoint: { id: string; dir: string }; job: { state: string; rootPid: number }; chosen: string[] }
interface RestoreJson { checkpoint: string; jobs: { id: string; name: string; state: string; rootPid: number; io: string; logFile: string }[] }

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

let d: TestDaemon;

test('checkpoint and restore in every I/O mode', async (t) => {
  d = await startDaemon();
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-io-'));
  t.after(async () => {
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const api = apiClient(d.socket);

  await t.test('attachable: dump stops it, restore continues it, attach sees backlog and sends stdin, wait gives 42', async () => {
    const run = await d.cli(['run', '--name', 'att', '--json', '--', ...TICKER]);
    assert.equal(run.code, 0, run.stderr);
    const before = json<{ rootPid: number }>(run.stdout).rootPid;
    await waitForOutput(api, 'att', 'tick 5\n');
    const dump = await d.cli(['dump', 'att', '--json']);
    assert.equal(dump.code, 0, dump.stderr);
    const dj = json<DumpJson>(dump.stdout);
    assert.equal(dj.job.state, 'checkpointed');
    assert.ok(await gone(before), 'the dumped process is gone');
    assert.ok(existsSync(join(dj.checkpoint.dir, 'manifest.json')) && existsSync(join(dj.checkpoint.dir, 'criu-dump.log')));
    const ps = await d.cli(['ps', '--json']);
    assert.match(ps.stdout, /"state": "checkpointed"/);
    const atDump = ticks((await d.cli(['logs', 'att'])).stdout).at(-1) ?? 0;
    assert.ok(atDump >= 5);

    const restore = await d.cli(['restore', 'att', '--json']);
    assert.equal(restore.code, 0, restore.stderr);
    const rj = json<RestoreJson>(restore.stdout);
    assert.equal(rj.checkpoint, dj.checkpoint.id);
    assert.equal(rj.jobs.length, 1);
    assert.equal(rj.jobs[0]?.name, 'att');
    assert.equal(rj.jobs[0]?.state, 'running');
    assert.notEqual(rj.jobs[0]?.rootPid, before);
    assert.ok(existsSync(join(dj.checkpoint.dir, 'criu-restore.1.log')), 'the restore log is kept beside the checkpoint');
    // Printed while nobody is attached:
    await waitForOutput(api, 'att', `tick ${atDump + 5}\n`);
    const attach = await d.cli(['attach', 'att'], { input: 'hello\nquit\n' });
    assert.equal(attach.code, 42, attach.stderr);
    assert.match(attach.stdout, new RegExp(`^tick ${atDump + 3}$`, 'm'), 'backlog from before the attach');
    assert.match(attach.stdout, /^got:hello$/m, 'stdin reached the restored process');
    const wait = await d.cli(['wait', 'att']);
    assert.equal(wait.code, 42, wait.stderr);
    const all = ticks((await d.cli(['logs', 'att'])).stdout);
    assert.ok((all.at(-1) ?? 0) > atDump + 5);
    // The checkpoint still verifies after being restored (restore logs are side files).
    const { verifyCheckpoint } = await import('../store/index.js');
    assert.equal((await verifyCheckpoint(dj.checkpoint.dir)).ok, true);
  });

  await t.test('file output: the restored job keeps appending to its log file; exit code 42 via wait', async () => {
    const counter = await buildWorkload('counter');
    const log = join(tmp, 'counter.log');
    const run = await d.cli(['run', '--name', 'file', '--log', log, '--', counter, '--interval-ms', '40', '--exit-after', '60', '--exit-code', '42']);
    assert.equal(run.code, 0, run.stderr);
    for (let i = 0; i < 200 && ticks(readFileSync(log, 'utf8'), /^(\d+)$/).length < 5; i++) await new Promise((r) => setTimeout(r, 20));
    const dump = await d.cli(['dump', 'file']);
    assert.equal(dump.code, 0, dump.stderr);
    const atDump = ticks(readFileSync(log, 'utf8'), /^(\d+)$/).at(-1) ?? 0;
    assert.ok(atDump >= 5 && atDump < 60);
    const restore = await d.cli(['restore', 'file', '--json']);
    assert.equal(restore.code, 0, restore.stderr);
    const rj = json<RestoreJson>(restore.stdout);
    assert.equal(rj.jobs[0]?.io, 'file');
    assert.equal(rj.jobs[0]?.logFile, log);
    const wait = await d.cli(['wait', 'file']);
    assert.equal(wait.code, 42, wait.stderr);
    assert.equal(ticks(readFileSync(log, 'utf8'), /^(\d+)$/).at(-1), 60);
  });

  await t.test('a file-output job restored attachable with -a: the CLI attaches and gets its exit code', async () => {
    const counter = await buildWorkload('counter');
    const log = join(tmp, 'switch.log');
    const lines = (): number[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number) : []);
    assert.equal((await d.cli(['run', '--name', 'switch', '--log', log, '--', counter, '--interval-ms', '30', '--exit-after', '150', '--exit-code', '42'])).code, 0);
    for (let i = 0; i < 200 && lines().length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await d.cli(['dump', 'switch'])).code, 0);
    const atDump = lines().at(-1) ?? 0;
    const r = await d.cli(['restore', 'switch', '-a'], { timeoutMs: 60_000 });
    assert.equal(r.code, 42, r.stderr);
    assert.match(r.stdout, new RegExp(`^${atDump + 1}$`, 'm'));
    assert.match(r.stdout, /^150$/m);
    assert.equal(lines().at(-1), atDump, 'nothing more went to the old log file');
    assert.equal((await getJob(api, 'switch')).io, 1 /* IO_MODE_ATTACHABLE */);
  });

  await t.test('restore into a new log file (--log) as a new job (--name)', async () => {
    const counter = await buildWorkload('counter');
    const run = await d.cli(['run', '--name', 'tofile', '--', counter, '--interval-ms', '40']);
    assert.equal(run.code, 0, run.stderr);
    await waitForOutput(api, 'tofile', '\n3\n');
    const dump = await d.cli(['dump', 'tofile', '--leave-running', '--json']);
    assert.equal(dump.code, 0, dump.stderr);
    assert.equal(json<DumpJson>(dump.stdout).job.state, 'running', '--leave-running keeps it running');
    const out = join(tmp, 'tofile.log');
    const restore = await d.cli(['restore', 'tofile', '--name', 'tofile-copy', '--log', out, '--json']);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(json<RestoreJson>(restore.stdout).jobs[0]?.io, 'file');
    const read = (): string => (existsSync(out) ? readFileSync(out, 'utf8') : '');
    for (let i = 0; i < 200 && read().split('\n').length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    const first = Number(read().split('\n')[0]);
    assert.ok(first >= 3, `the copy continues from the checkpoint (first line ${first})`);
    assert.equal((await getJob(api, 'tofile')).rootPid > 0, true, 'the original keeps running');
    for (const j of ['tofile', 'tofile-copy']) assert.equal((await d.cli(['kill', j, '--signal', 'KILL'])).code, 0);
  });

  await t.test('--no-daemon: restored in the CLI process, wired to its stdio, exit code passed through', async () => {
    const counter = await buildWorkload('counter');
    const run = await d.cli(['run', '--name', 'fg', '--', counter, '--interval-ms', '30', '--exit-after', '200', '--exit-code', '42']);
    assert.equal(run.code, 0, run.stderr);
    await waitForOutput(api, 'fg', '\n4\n');
    const dump = await d.cli(['dump', 'fg', '--json']);
    assert.equal(dump.code, 0, dump.stderr);
    const id = json<DumpJson>(dump.stdout).checkpoint.id;
    const atDump = ticks((await d.cli(['logs', 'fg'])).stdout, /^(\d+)$/).at(-1) ?? 0;
    const r = await runCli(['restore', id, '--no-daemon', '--data-dir', d.dataDir], { timeoutMs: 30_000 });
    assert.equal(r.code, 42, r.stderr);
    const after = r.stdout.trim().split('\n').map(Number);
    assert.equal(after[0], atDump + 1, 'continues where the checkpoint was, on our stdout');
    assert.equal(after.at(-1), 200);
    // stdin: a job restored by name (its latest checkpoint), reading the CLI's stdin.
    assert.equal((await d.cli(['run', '--name', 'reader', '--', ...TICKER])).code, 0);
    await waitForOutput(api, 'reader', 'tick 2\n');
    assert.equal((await d.cli(['dump', 'reader'])).code, 0);
    const again = await runCli(['restore', 'reader', '--no-daemon', '--data-dir', d.dataDir], { input: 'hello\nquit\n', timeoutMs: 30_000 });
    assert.equal(again.code, 42, again.stderr);
    assert.match(again.stdout, /^got:hello$/m);
  });

  await t.test('no zombies left behind', async () => {
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(zombieChildren(d.proc.pid as number), []);
  });
});
