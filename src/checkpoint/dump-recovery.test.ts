// End to end: when saving a checkpoint fails after CRIU stopped the job (here an injected commit
// failure, CRYO_FAULT_INJECT=dump-commit), the job is restored from the images just written and
// keeps counting: the process is never lost, and no checkpoint is registered.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';

let d: TestDaemon;

test('a failed commit after the dump restores the job from the images', async (t) => {
  d = await startDaemon({ env: { CRYO_FAULT_INJECT: 'dump-commit' } });
  t.after(() => d.stop());
  const api = apiClient(d.socket);
  const counter = await buildWorkload('counter');
  assert.equal((await d.cli(['run', '--name', 'keep', '--', counter, '--interval-ms', '40'])).code, 0);
  await waitForOutput(api, 'keep', '\n4\n');
  const pid = (await getJob(api, 'keep')).rootPid;
  const r = await d.cli(['dump', 'keep', '--json']);
  assert.equal(r.code, 1);
  const err = (JSON.parse(r.stderr) as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'CRYO_DISK_FULL');
  assert.match(err.message, /restored from the images just written and keeps running \(pid \d+\)/);
  const j = await getJob(api, 'keep');
  assert.notEqual(j.rootPid, pid, 'a new (restored) process');
  const atFail = (await d.cli(['logs', 'keep'])).stdout.trim().split('\n').filter((l) => /^\d+$/.test(l)).length;
  await waitForOutput(api, 'keep', `\n${atFail + 5}\n`);
  // (the counter's "ready" line comes first when no readiness FIFO is given)
  const n = (await d.cli(['logs', 'keep'])).stdout.trim().split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  n.forEach((v, i) => assert.equal(v, i + 1, `the count went on without a gap or a restart: ${n.slice(0, 12).join(',')}`));
  assert.equal((JSON.parse((await d.cli(['checkpoints', '--json'])).stdout) as unknown[]).length, 0, 'no checkpoint registered');
  assert.deepEqual(readdirSync(join(d.dataDir, 'checkpoints', 'ingest')), [], 'the ingest directory was cleaned');
  assert.equal((await d.cli(['kill', 'keep', '--signal', 'KILL'])).code, 0);
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(zombieChildren(d.proc.pid as number), []);
});
