import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyRetention, CheckpointStore } from './index.js';
import { tempDir } from './_real-checkpoint.js';
import { runCli } from '../testing/cli.js';

/** A store with checkpoints of jobs a (4), b (2) and one without a job, oldest first. */
async function seeded(t: { after: (fn: () => void) => void }) {
  const tmp = tempDir('gc');
  t.after(tmp.cleanup);
  const store = await CheckpointStore.open({ root: join(tmp.dir, 'store') });
  const ids: Record<string, string[]> = { a: [], b: [], '': [] };
  let clock = Date.parse('2026-01-01T00:00:00Z');
  for (const job of ['a', 'b', 'a', 'a', '', 'b', 'a']) {
    const ing = await store.beginIngest({ now: new Date((clock += 60_000)) });
    writeFileSync(join(ing.dir, 'pages-1.img'), Buffer.alloc(1000, 1));
    await store.commit(ing, job ? { job } : {});
    ids[job]?.push(ing.id);
  }
  return { store, ids };
}

test('retention keeps the newest N per job, never the newest of a job, never a pinned one', async (t) => {
  const { store, ids } = await seeded(t);
  const a = ids['a'] ?? [];
  const b = ids['b'] ?? [];
  // Dry run: plans, deletes nothing.
  const dry = await applyRetention(store, { keepPerJob: 2, dryRun: true });
  assert.deepEqual(dry.removed.map((r) => r.id), [a[0], a[1]]);
  assert.equal((await store.list()).length, 7);
  // A pinned old checkpoint survives.
  const pin = await store.pin(a[0] ?? '', 'restore in progress');
  const plan = await applyRetention(store, { keepPerJob: 2 });
  assert.deepEqual(plan.removed.map((r) => r.id), [a[1]]);
  assert.deepEqual(plan.skipped.map((s) => s.id), [a[0]]);
  assert.match(plan.skipped[0]?.reason ?? '', /restore in progress/);
  assert.ok(plan.freedBytes > 1000);
  await store.unpin(pin);
  // keepGlobal 1: only the newest overall would stay, but the newest of each job is protected.
  const g = await applyRetention(store, { keepGlobal: 1 });
  const left = (await store.list()).map((c) => c.id).sort();
  assert.deepEqual(left, [a[3], b[1], ids['']?.[0]].sort());
  assert.equal(g.kept, 3);
});

test('cryo gc removes and reports what it freed (--dry-run, --json)', async (t) => {
  const { store, ids } = await seeded(t);
  const dry = await runCli(['gc', '--store', store.root, '--keep', '1', '--dry-run', '--json']);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { removed: { id: string }[]; dryRun: boolean; freedBytes: number };
  assert.equal(plan.dryRun, true);
  assert.deepEqual(plan.removed.map((r) => r.id).sort(), [...(ids['a'] ?? []).slice(0, 3), (ids['b'] ?? [])[0]].sort());
  assert.equal((await store.list()).length, 7);
  const real = await runCli(['gc', '--store', store.root, '--keep', '1']);
  assert.equal(real.code, 0, real.stderr);
  assert.match(real.stdout, /removed 4 checkpoint\(s\)/);
  assert.equal((await store.list()).length, 3);
  const bad = await runCli(['gc', '--store', store.root, '--keep', '0']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /CRYO_INVALID_OPTION/);
});
