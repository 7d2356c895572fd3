// End to end: user hooks at CRIU's notification points through a real cryod (configured in the
// config file and per call), their order and environment, and failing hooks that abort cleanly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { verifyCheckpoint } from '../store/index.js';
import { parseJson as json } from '../testing/cli.js';

interface ErrJson { error: { code: string; message: string } }

let d: TestDaemon;

test('hooks run in order at CRIU notifications; failing hooks abort and change nothing', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-hooks-'));
  const rec = join(tmp, 'hooks.log');
  const cfg = join(tmp, 'config.json');
  // A hook that records its event and environment, one line per run.
  const line = (tag: string): string => `echo "${tag} $CRYO_EVENT $CRYO_JOB_NAME pid=$CRYO_PID cp=$CRYO_CHECKPOINT dir=$CRYO_IMAGES_DIR" >> ${rec}`;
  writeFileSync(cfg, JSON.stringify({ hooks: { 'post-restore': [line('config')] } }));
  d = await startDaemon({ env: { CRYO_CONFIG: cfg } });
  t.after(async () => {
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const api = apiClient(d.socket);
  const counter = await buildWorkload('counter');
  const records = (): string[][] => (existsSync(rec) ? readFileSync(rec, 'utf8').trim().split('\n').map((l) => l.split(' ')) : []);

  await t.test('dump and restore hooks run in CRIU order with CRYO_* variables', async () => {
    assert.equal((await d.cli(['run', '--name', 'hk', '--', counter, '--interval-ms', '50'])).code, 0);
    await waitForOutput(api, 'hk', '\n3\n');
    const dump = await d.cli(['dump', 'hk', '--json', '--hook', `pre-dump=${line('call')}`, '--hook', `post-dump=${line('call')}`]);
    assert.equal(dump.code, 0, dump.stderr);
    const id = json<{ checkpoint: { id: string } }>(dump.stdout).checkpoint.id;
    assert.deepEqual(records().map((r) => r[1]), ['pre-dump', 'post-dump']);
    assert.equal(records()[0]?.[2], 'hk');
    const restore = await d.cli(['restore', 'hk', '--json',
      ...['pre-restore', 'post-restore', 'pre-resume', 'post-resume'].flatMap((e) => ['--hook', `${e}=${line('call')}`])]);
    assert.equal(restore.code, 0, restore.stderr);
    const pid = (await getJob(api, 'hk')).rootPid;
    const r = records().slice(2);
    // Configured hooks first, then per-call ones, at each notification in CRIU's order.
    assert.deepEqual(r.map((x) => `${x[0]}:${x[1]}`), ['call:pre-restore', 'config:post-restore', 'call:post-restore', 'call:pre-resume', 'call:post-resume']);
    assert.equal(r[2]?.[3], `pid=${pid}`, 'CRYO_PID is the restored root from post-restore on');
    assert.equal(r[2]?.[4], `cp=${id}`);
    assert.ok(existsSync((r[2]?.[5] ?? '').slice(4)), 'CRYO_IMAGES_DIR is the checkpoint directory');
  });

  await t.test('a failing pre-restore hook aborts: no job created, checkpoint intact', async () => {
    const before = json<unknown[]>((await d.cli(['ps', '--json'])).stdout).length;
    const r = await d.cli(['restore', 'hk', '--name', 'hk-fail', '--json', '--hook', 'pre-restore=echo boom >&2; exit 3']);
    assert.equal(r.code, 1);
    const err = json<ErrJson>(r.stderr).error;
    assert.equal(err.code, 'CRYO_HOOK_FAILED');
    assert.match(err.message, /pre-restore hook .*exited with code 3.*boom/);
    assert.equal(json<unknown[]>((await d.cli(['ps', '--json'])).stdout).length, before, 'no job was created');
    const cps = json<{ dir: string }[]>((await d.cli(['checkpoints', 'hk', '--json'])).stdout);
    assert.equal((await verifyCheckpoint(cps[0]?.dir ?? '')).ok, true, 'the checkpoint still verifies');
    // A restore without the failing hook still works afterwards.
    const ok = await d.cli(['restore', 'hk', '--name', 'hk-ok']);
    assert.equal(ok.code, 0, ok.stderr);
    for (const j of ['hk', 'hk-ok']) assert.equal((await d.cli(['kill', j, '--signal', 'KILL'])).code, 0);
  });

  await t.test('a hook failing after CRIU created the processes (pre-resume) aborts too: no job, no process, log kept', async () => {
    const before = json<unknown[]>((await d.cli(['ps', '--json'])).stdout).length;
    const r = await d.cli(['restore', 'hk', '--name', 'hk-late', '--json', '--hook', 'pre-resume=exit 4']);
    assert.equal(r.code, 1);
    const err = json<{ error: { code: string; message: string; logPath?: string } }>(r.stderr).error;
    assert.equal(err.code, 'CRYO_HOOK_FAILED');
    assert.match(err.logPath ?? '', /criu-restore\.\d+\.log$/, 'the error names the CRIU log of the attempt');
    assert.ok(existsSync(err.logPath ?? ''));
    assert.equal(json<unknown[]>((await d.cli(['ps', '--json'])).stdout).length, before, 'no job was created');
    const cps = json<{ dir: string }[]>((await d.cli(['checkpoints', 'hk', '--json'])).stdout);
    assert.equal((await verifyCheckpoint(cps[0]?.dir ?? '')).ok, true, 'the checkpoint still verifies');
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual(zombieChildren(d.proc.pid as number), [], 'the half-restored processes were reaped');
  });

  await t.test('a failing or hanging pre-dump hook aborts the dump; the job keeps running', async () => {
    assert.equal((await d.cli(['run', '--name', 'hk2', '--', counter, '--interval-ms', '50'])).code, 0);
    await waitForOutput(api, 'hk2', '\n2\n');
    const pid = (await getJob(api, 'hk2')).rootPid;
    const r = await d.cli(['dump', 'hk2', '--json', '--hook', 'pre-dump=echo not-now >&2; exit 5']);
    assert.equal(r.code, 1);
    const err = json<ErrJson>(r.stderr).error;
    assert.equal(err.code, 'CRYO_HOOK_FAILED');
    assert.match(err.message, /pre-dump hook .*exited with code 5.*not-now.*still running/);
    const slow = await d.cli(['dump', 'hk2', '--json', '--hook', 'pre-dump=sleep 5', '--hook-timeout', '300']);
    assert.equal(json<ErrJson>(slow.stderr).error.code, 'CRYO_HOOK_FAILED');
    assert.match(json<ErrJson>(slow.stderr).error.message, /did not finish within 300 ms/);
    const j = await getJob(api, 'hk2');
    assert.equal(j.rootPid, pid);
    assert.ok(existsSync(`/proc/${pid}`));
    assert.equal(json<unknown[]>((await d.cli(['checkpoints', 'hk2', '--json'])).stdout).length, 0, 'no checkpoint registered');
    await waitForOutput(api, 'hk2', '\n8\n');
    assert.equal((await d.cli(['kill', 'hk2', '--signal', 'KILL'])).code, 0);
  });

  await t.test('bad hook flags are refused before anything happens', async () => {
    const r = await d.cli(['dump', 'hk2', '--json', '--hook', 'before-dump=true']);
    assert.equal(json<ErrJson>(r.stderr).error.code, 'CRYO_INVALID_OPTION');
  });

  await t.test('no zombies left behind', async () => {
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(zombieChildren(d.proc.pid as number), []);
  });
});
