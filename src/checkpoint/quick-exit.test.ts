// End to end: a restored process that finishes at once is a successful restore followed by an
// exited job with its exit code, never a failed restore. (a) it exits before CRIU's restore
// RPC has answered (a post-resume hook makes it exit and waits until it is gone); (b) it simply
// reaches its last count right after the restore; (c) a host-PID job with its exit signal already
// pending when CRIU resumes it (sent at pre-resume).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';

let d: TestDaemon;

test('a restored process that exits at once: restore succeeds, the job records its exit code', async (t) => {
  d = await startDaemon();
  t.after(() => d.stop());
  const api = apiClient(d.socket);
  const counter = await buildWorkload('counter');

  // (a) gone before the restore RPC returns: post-resume runs before CRIU answers.
  assert.equal((await d.cli(['run', '--name', 'early', '--', counter, '--interval-ms', '100', '--exit-code', '7'])).code, 0);
  await waitForOutput(api, 'early', '\n2\n');
  assert.equal((await d.cli(['dump', 'early'])).code, 0);
  const hook = 'kill -USR1 "$CRYO_PID"; i=0; while [ $i -lt 500 ] && kill -0 "$CRYO_PID" 2>/dev/null && ! grep -q "^[0-9]* ([^)]*) Z" /proc/$CRYO_PID/stat 2>/dev/null; do sleep 0.01; i=$((i+1)); done';
  const r = await d.cli(['restore', 'early', '--hook', `post-resume=${hook}`, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const w = await d.cli(['wait', 'early']);
  assert.equal(w.code, 7, `cryo wait reports the exit code: ${w.stderr}`);
  const j = await getJob(api, 'early');
  assert.equal(j.state, JobState.EXITED);
  assert.equal(j.exitCode, 7);

  // (b) its last count comes right after the restore.
  assert.equal((await d.cli(['run', '--name', 'last', '--', counter, '--interval-ms', '1000', '--exit-after', '3', '--exit-code', '5'])).code, 0);
  await waitForOutput(api, 'last', '\n2\n');
  assert.equal((await d.cli(['dump', 'last'])).code, 0);
  const r2 = await d.cli(['restore', 'last', '--json']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal((await d.cli(['wait', 'last'])).code, 5);
  assert.equal((await getJob(api, 'last')).exitCode, 5);

  // (c) host PIDs, the signal pending before the tasks resume.
  assert.equal((await d.cli(['run', '--no-pidns', '--name', 'pending', '--', counter, '--interval-ms', '100', '--exit-code', '9'])).code, 0);
  await waitForOutput(api, 'pending', '\n2\n');
  assert.equal((await d.cli(['dump', 'pending'])).code, 0);
  const r3 = await d.cli(['restore', 'pending', '--hook', 'pre-resume=kill -USR1 "$CRYO_PID"', '--json']);
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal((await d.cli(['wait', 'pending'])).code, 9);
  assert.deepEqual(zombieChildren(d.proc.pid as number), []);
});
