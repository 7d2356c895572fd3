// End to end: a job restored through cryod, then cryod restarts while it runs, then the job exits
// with a known code. The restored root was the old cryod's child (CRIU's rst_sibling) and has no
// exit-status monitor (see JobManager.adoptRestoredRoot for why), so the new cryod can only see
// it end: the honest record is `lost` with a note saying why, and `cryo wait` says the exit code
// is unknown (CRYO_EXIT_CODE_UNKNOWN) instead of inventing one. The job itself is unharmed by the
// restart and is still re-adopted (signals, output, end). When restored jobs get a monitor, this
// test's expectations flip to `exited` with code 7.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, zombieChildren } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';

test('a restored job across a cryod restart: re-adopted, its end recorded honestly', async (t) => {
  const d1 = await startDaemon();
  let current = d1;
  t.after(() => current.stop());
  let api = apiClient(d1.socket);
  const counter = await buildWorkload('counter');
  assert.equal((await d1.cli(['run', '--name', 'r', '--', counter, '--interval-ms', '100', '--exit-code', '7'])).code, 0);
  await waitForOutput(api, 'r', '\n2\n');
  assert.equal((await d1.cli(['dump', 'r'])).code, 0);
  const rr = await d1.cli(['restore', 'r']);
  assert.equal(rr.code, 0, rr.stderr);
  const pid = (await getJob(api, 'r')).rootPid;

  await d1.stopDaemonOnly();
  assert.ok(process.kill(pid, 0), 'the restored job survived cryod stopping');
  const d2 = await d1.restart();
  current = d2;
  api = apiClient(d2.socket);
  const j = await getJob(api, 'r');
  assert.equal(j.state, JobState.RUNNING);
  assert.equal(j.rootPid, pid);
  assert.match(j.note, /restored by a cryod that has since restarted/);
  const seen = await waitForOutput(api, 'r', '\n');
  const n = Number(/(\d+)\n$/.exec(seen)?.[1]);
  await waitForOutput(api, 'r', `\n${n + 2}\n`); // output still flows to the new cryod

  // tini forwards SIGUSR1; the counter exits 7.
  process.kill(pid, 'SIGUSR1');
  const w = await d2.cli(['wait', 'r', '--json']);
  assert.equal(w.code, 1, w.stdout);
  assert.match(w.stderr, /CRYO_EXIT_CODE_UNKNOWN/);
  const end = await getJob(api, 'r');
  assert.equal(end.state, JobState.LOST);
  assert.match(end.note, /it ended after cryod restarted: it was restored by a cryod/);
  assert.deepEqual(zombieChildren(d2.proc.pid as number), []);
});
