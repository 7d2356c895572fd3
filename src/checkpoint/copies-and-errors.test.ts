// End to end: two copies of one checkpoint side by side, five dumps at once, checkpoint listing
// and removal (refused while pinned), and the errors for unknown jobs and missing checkpoints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { CheckpointStore } from '../store/index.js';
import { parseJson as json } from '../testing/cli.js';

interface ErrJson { error: { code: string; message: string } }
interface CpJson { id: string; job: string; dir: string; sizeBytes: number; state: string }

let d: TestDaemon;

test('copies, concurrent dumps, listing, removal and errors', async (t) => {
  d = await startDaemon();
  t.after(() => d.stop());
  const api = apiClient(d.socket);
  const counter = await buildWorkload('counter');
  const numbers = async (job: string): Promise<number[]> => (await d.cli(['logs', job])).stdout.trim().split('\n').filter(Boolean).map(Number);

  await t.test('two copies restored from one checkpoint run side by side, each from the checkpoint on', async () => {
    assert.equal((await d.cli(['run', '--name', 'orig', '--', counter, '--interval-ms', '40'])).code, 0);
    await waitForOutput(api, 'orig', '\n5\n');
    assert.equal((await d.cli(['dump', 'orig'])).code, 0);
    const atDump = (await numbers('orig')).at(-1) ?? 0;
    const r = await d.cli(['restore', 'orig', '--copies', '2', '--name', 'twin', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const jobs = json<{ jobs: { name: string; rootPid: number; state: string }[] }>(r.stdout).jobs;
    assert.deepEqual(jobs.map((j) => j.name), ['twin-1', 'twin-2']);
    assert.notEqual(jobs[0]?.rootPid, jobs[1]?.rootPid);
    for (const j of jobs) {
      await waitForOutput(api, j.name, `\n${atDump + 6}\n`);
      const n = await numbers(j.name);
      assert.equal(n[0], atDump + 1, `${j.name} continues from the checkpoint`);
      n.forEach((v, i) => assert.equal(v, atDump + 1 + i));
    }
    assert.equal((await getJob(api, 'orig')).rootPid, 0, 'the original stays checkpointed');
    for (const j of jobs) assert.equal((await d.cli(['kill', j.name, '--signal', 'KILL'])).code, 0);
  });

  await t.test('five jobs dumped concurrently', async () => {
    const names = [0, 1, 2, 3, 4].map((i) => `five-${i}`);
    for (const n of names) assert.equal((await d.cli(['run', '--name', n, '--', counter, '--interval-ms', '40'])).code, 0);
    for (const n of names) await waitForOutput(api, n, '\n3\n');
    const results = await Promise.all(names.map((n) => d.cli(['dump', n, '--json'])));
    results.forEach((r, i) => assert.equal(r.code, 0, `${names[i]}: ${r.stderr}`));
    const ids = new Set(results.map((r) => json<{ checkpoint: { id: string } }>(r.stdout).checkpoint.id));
    assert.equal(ids.size, 5);
    const list = json<CpJson[]>((await d.cli(['checkpoints', '--json'])).stdout);
    for (const n of names) {
      const c = list.filter((x) => x.job === n);
      assert.equal(c.length, 1, `one checkpoint of ${n}`);
      assert.equal(c[0]?.state, 'complete');
      assert.ok((c[0]?.sizeBytes ?? 0) > 0);
      assert.equal((await getJob(api, n)).rootPid, 0, `${n} is stopped`);
    }
    // Restore them all back at once too.
    const back = await Promise.all(names.map((n) => d.cli(['restore', n])));
    back.forEach((r, i) => assert.equal(r.code, 0, `${names[i]}: ${r.stderr}`));
    for (const n of names) assert.equal((await d.cli(['kill', n, '--signal', 'KILL'])).code, 0);
  });

  await t.test('cryo rm CHECKPOINT removes it, and refuses while it is pinned', async () => {
    const list = json<CpJson[]>((await d.cli(['checkpoints', 'five-0', '--json'])).stdout);
    const cp = list[0];
    assert.ok(cp);
    const store = await CheckpointStore.open({ root: join(d.dataDir, 'checkpoints') });
    const pin = await store.pin(cp.id, 'test holds it');
    const refused = await d.cli(['rm', cp.id, '--json']);
    assert.equal(json<ErrJson>(refused.stderr).error.code, 'CRYO_CHECKPOINT_PINNED');
    await pin.release();
    const rm = await d.cli(['rm', cp.id]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(json<CpJson[]>((await d.cli(['checkpoints', 'five-0', '--json'])).stdout).length, 0);
    const human = await d.cli(['checkpoints']);
    assert.match(human.stdout, /CHECKPOINT\s+JOB\s+CREATED\s+SIZE\s+STATE/);
  });

  await t.test('clear errors: unknown job, missing checkpoint, nothing to restore', async () => {
    const e1 = await d.cli(['dump', 'no-such-job', '--json']);
    assert.equal(e1.code, 1);
    assert.equal(json<ErrJson>(e1.stderr).error.code, 'CRYO_JOB_NOT_FOUND');
    const e2 = await d.cli(['restore', 'no-such-checkpoint', '--json']);
    assert.equal(json<ErrJson>(e2.stderr).error.code, 'CRYO_CHECKPOINT_NOT_FOUND');
    const e3 = await d.cli(['restore', '/nonexistent/checkpoint', '--json']);
    assert.equal(json<ErrJson>(e3.stderr).error.code, 'CRYO_CHECKPOINT_NOT_FOUND');
    assert.equal((await d.cli(['run', '--name', 'never', '--', counter])).code, 0);
    const e4 = await d.cli(['restore', 'never', '--json']);
    assert.equal(json<ErrJson>(e4.stderr).error.code, 'CRYO_CHECKPOINT_NOT_FOUND');
    assert.match(json<ErrJson>(e4.stderr).error.message, /job never has no checkpoint/);
    const human = await d.cli(['dump', 'no-such-job']);
    assert.match(human.stderr, /error CRYO_JOB_NOT_FOUND/);
    const e5 = await d.cli(['restore', 'five-1', '--copies', '0', '--json']);
    assert.equal(json<ErrJson>(e5.stderr).error.code, 'CRYO_INVALID_OPTION');
    assert.equal((await d.cli(['kill', 'never', '--signal', 'KILL'])).code, 0);
  });

  await t.test('no zombies left behind', async () => {
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(zombieChildren(d.proc.pid as number), []);
  });
});
