// End to end: a job restored through cryod, then cryod restarts while it runs, then the job exits
// with a known code. The restore ran criu under the job's exit-status monitor (src/jobs
// restore-monitor.ts), so the restored root is the monitor's child, not cryod's: the new cryod
// re-adopts the job (output, signals) and `cryo wait` reports the real exit code, as for a job
// started by `cryo run`. Skipped without perl (the monitor's language), saying so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restoreMonitorArgv } from '../jobs/index.js';
import { procStat, STAT } from '../util/proc-stat.js';
import { startDaemon, zombieChildren } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';

const noPerl = restoreMonitorArgv('/dev/null') === undefined ? 'perl is not installed: restored jobs have no exit-status monitor here' : false;

test('a restored job across a cryod restart: re-adopted, its exit code recorded', { skip: noPerl }, async (t) => {
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
  const restored = await getJob(api, 'r');
  const pid = restored.rootPid;
  const parent = Number(procStat(pid)?.[STAT.ppid]);
  assert.notEqual(parent, d1.proc.pid, 'the restored root is not cryod\'s child');
  assert.equal(Number(procStat(parent)?.[STAT.ppid]), d1.proc.pid, 'its parent, the monitor, is');

  await d1.stopDaemonOnly();
  assert.ok(process.kill(pid, 0), 'the restored job survived cryod stopping');
  const d2 = await d1.restart();
  current = d2;
  api = apiClient(d2.socket);
  const j = await getJob(api, 'r');
  assert.equal(j.state, JobState.RUNNING);
  assert.equal(j.rootPid, pid);
  const seen = await waitForOutput(api, 'r', '\n');
  const n = Number(/(\d+)\n$/.exec(seen)?.[1]);
  await waitForOutput(api, 'r', `\n${n + 2}\n`); // output still flows to the new cryod

  // tini forwards SIGUSR1; the counter exits 7.
  process.kill(pid, 'SIGUSR1');
  const w = await d2.cli(['wait', 'r']);
  assert.equal(w.code, 7, w.stderr);
  const end = await getJob(api, 'r');
  assert.equal(end.state, JobState.EXITED);
  assert.equal(end.exitCode, 7);
  assert.deepEqual(zombieChildren(d2.proc.pid as number), []);
});
