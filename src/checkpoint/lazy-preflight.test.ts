// End to end through cryod: a restore runs its pre-flight while its criu swrk (and, lazy, the
// lazy-pages server) starts (restore-flow.ts). A refusal must leave nothing behind: no server process, no socket or transfer
// marker, no pin, no new job, the checkpointed job as it was. A passing pre-flight restores.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient, processTree } from '../criu/index.js';
import { CheckpointStore } from '../store/index.js';
import { startDaemon, zombieChildren } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';
import { countsOn } from './_test-progress.js';

interface ErrJson { error: { code: string; message: string; logPath?: string } }

const skip = (await new CriuClient().featureCheck()).lazyPages ? false : 'this kernel lacks userfaultfd (criu check --feature uffd-noncoop)';

/** Live `criu lazy-pages` processes working for this data dir. */
function lazyServersOf(dataDir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv.includes('lazy-pages') && argv.some((a) => a.startsWith(dataDir))) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

/** `criu swrk` processes (or their exit-status monitors) below cryod. */
function swrkUnder(pid: number): number[] {
  return processTree(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes('swrk');
    } catch {
      return false;
    }
  });
}

/** Socket, owner and transfer-marker files left in any job's lazy work dir. */
function lazyLeftovers(dataDir: string): string[] {
  const jobs = join(dataDir, 'jobs');
  const left: string[] = [];
  for (const j of existsSync(jobs) ? readdirSync(jobs) : []) {
    const wd = join(jobs, j, 'lazy-restore');
    for (const f of ['lazy-pages.socket', 'lazy-pages.pid', 'lazy-transfer.json']) if (existsSync(join(wd, f))) left.push(join(wd, f));
  }
  return left;
}

test('cryo restore --lazy: a refusing pre-flight (run while the server starts) leaves no server, pin, socket or job; a passing one restores', { skip }, async (t) => {
  const d = await startDaemon();
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-lazypf-'));
  t.after(async () => {
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const api = apiClient(d.socket);
  const lock = join(tmp, 'held.lock');
  assert.equal((await d.cli(['run', '--name', 'w', '--', await buildWorkload('counter'), '--interval-ms', '50', '--lock', lock])).code, 0);
  await waitForOutput(api, 'w', '\n2\n');
  const dump = await d.cli(['dump', 'w', '--json']);
  assert.equal(dump.code, 0, dump.stderr);
  const cpId = (JSON.parse(dump.stdout) as { checkpoint: { id: string } }).checkpoint.id;

  // A file the job needs is gone: the pre-flight refuses, as a copy and as the job itself.
  rmSync(lock);
  // The eager restore pre-starts its criu swrk too: it must not outlive the refusal either.
  for (const args of [['--name', 'c1', '--lazy'], ['--lazy'], ['--name', 'c0']]) {
    const r = await d.cli(['restore', 'w', ...args, '--json']);
    assert.equal(r.code, 1, r.stdout);
    const e = (JSON.parse(r.stderr) as ErrJson).error;
    assert.equal(e.code, 'CRYO_FILE_MISSING', e.message);
    assert.match(e.message, /^pre-flight check of .* found 1 problem/);
    assert.match(e.message, /held\.lock/);
  }
  assert.equal((await getJob(api, 'w')).state, JobState.CHECKPOINTED);
  await assert.rejects(getJob(api, 'c1'), 'the copy made for the refused restore was dropped');
  await assert.rejects(getJob(api, 'c0'), 'the copy made for the refused restore was dropped');
  assert.deepEqual(lazyServersOf(d.dataDir), [], 'no lazy-pages server outlives a refused restore');
  assert.deepEqual(swrkUnder(d.proc.pid as number), [], 'no pre-started criu swrk outlives a refused restore');
  assert.deepEqual(lazyLeftovers(d.dataDir), []);
  const store = await CheckpointStore.open({ root: join(d.dataDir, 'checkpoints') });
  assert.deepEqual(await store.pins(cpId), [], 'no pin outlives a refused restore');

  // The file is back: the same restore passes its pre-flight and the copy counts on.
  writeFileSync(lock, '');
  const ok = await d.cli(['restore', 'w', '--name', 'c2', '--lazy', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const notes = (JSON.parse(ok.stdout) as { notes: string[] }).notes;
  assert.ok(notes.some((n) => /pre-flight \d+ ms \(.*files.*\) while criu swrk and the lazy-pages server started/.test(n)), notes.join('\n'));
  await countsOn(api, 'c2');
  for await (const e of api.events.events({ job: 'c2', replay: true, sinceSeq: 0n })) {
    if (e.type !== 'restore.transfer-done') continue;
    assert.equal((JSON.parse(e.dataJson) as { ok: boolean }).ok, true, e.message);
    break;
  }
  assert.equal((await d.cli(['rm', '--force', 'c2'])).code, 0);
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(lazyServersOf(d.dataDir), []);
  assert.deepEqual(zombieChildren(d.proc.pid as number), []);
});
