// End to end: the dump chooses the CRIU options a job needs and says why (file locks here), and a
// restore whose pre-flight finds a problem (a file the job had open is gone) is refused with a
// clear error before CRIU runs, leaving the checkpoint and the job as they were.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';

let d: TestDaemon;

test('options chosen at dump; pre-flight refuses a restore that cannot work', async (t) => {
  d = await startDaemon();
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-opts-'));
  t.after(async () => {
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const api = apiClient(d.socket);
  const counter = await buildWorkload('counter');
  const lock = join(tmp, 'held.lock');
  assert.equal((await d.cli(['run', '--name', 'locker', '--', counter, '--interval-ms', '50', '--lock', lock])).code, 0);
  await waitForOutput(api, 'locker', '\n2\n');

  const dump = await d.cli(['dump', 'locker', '--json']);
  assert.equal(dump.code, 0, dump.stderr);
  const dj = JSON.parse(dump.stdout) as { chosen: string[]; checkpoint: { options: string[] } };
  assert.ok(dj.chosen.includes('file-locks (the job holds file locks)'), dj.chosen.join(', '));
  const human = await d.cli(['checkpoints', 'locker', '--json']);
  assert.match(human.stdout, /file-locks/);

  rmSync(lock);
  const r = await d.cli(['restore', 'locker', '--json']);
  assert.equal(r.code, 1);
  const err = (JSON.parse(r.stderr) as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'CRYO_FILE_MISSING', err.message);
  assert.match(err.message, /held\.lock/);
  assert.equal((await getJob(api, 'locker')).state, JobState.CHECKPOINTED, 'the job is still checkpointed');

  writeFileSync(lock, '');
  const ok = await d.cli(['restore', 'locker', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  await waitForOutput(api, 'locker', '\n8\n');
  assert.equal((await d.cli(['kill', 'locker', '--signal', 'KILL'])).code, 0);
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(zombieChildren(d.proc.pid as number), []);
});
