import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { CheckpointStore, verifyCheckpoint, assertVerified, isCheckpointId } from './index.js';
import { dumpRealProcess, tempDir, waitForOutput } from './_real-checkpoint.js';
import { isCryoError } from '../errors/index.js';
import { runCli } from '../testing/cli.js';

const indexUrl = new URL('./index.js', import.meta.url).href;


/** A store holding one real checkpoint (a python process dumped with raw criu). */
async function realCheckpoint(t: { after: (fn: () => void) => void }) {
  const tmp = tempDir('real');
  t.after(tmp.cleanup);
  const store = await CheckpointStore.open({ root: join(tmp.dir, 'store') });
  const ingest = await store.beginIngest();
  await dumpRealProcess(ingest.dir, join(tmp.dir, 'workload.log'));
  const info = await store.commit(ingest, { job: 'counter', command: ['python3', '-c', '...'], options: { shellJob: true } });
  return { tmp, store, info };
}

test('commit makes a complete checkpoint: manifest of every file, cryo.json, cpuinfo, versions; verify passes', async (t) => {
  const { store, info } = await realCheckpoint(t);
  assert.ok(isCheckpointId(info.id));
  const m = info.manifest;
  assert.ok(m);
  const names = m.files.map((f) => f.path);
  for (const n of ['cryo.json', 'criu-dump.log', 'inventory.img', 'pstree.img', 'cpuinfo.img']) assert.ok(names.includes(n), `manifest lists ${n}`);
  assert.ok(names.some((n) => n.startsWith('pages-')));
  assert.equal(m.cpu.image, 'cpuinfo.img');
  assert.match(m.versions.criu ?? '', /^4\./);
  assert.equal(m.job, 'counter');
  assert.deepEqual(m.options, { shellJob: true });
  assert.equal(m.totals.files, m.files.length);
  const meta = JSON.parse(readFileSync(join(info.dir, 'cryo.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(meta['id'], info.id);
  assert.equal(meta['job'], 'counter');
  assert.deepEqual(readdirSync(store.ingestRoot), []);
  assert.deepEqual((await store.list()).map((c) => c.id), [info.id]);
  assert.equal((await store.get(info.id)).dir, info.dir);
  const report = await verifyCheckpoint(info.dir);
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(report.checkedFiles, m.files.length);
});

test('verify detects a flipped byte, a truncated file, a missing file, an extra file, a missing manifest', async (t) => {
  const { tmp, info } = await realCheckpoint(t);
  const m = info.manifest;
  assert.ok(m);
  const pages = m.files.find((f) => f.path.startsWith('pages-'));
  assert.ok(pages && pages.size > 100);
  const copy = (tag: string): string => {
    const d = join(tmp.dir, tag);
    cpSync(info.dir, d, { recursive: true });
    return d;
  };
  const flipped = copy('flip');
  const buf = readFileSync(join(flipped, pages.path));
  buf[Math.floor(buf.length / 2)] = (buf[Math.floor(buf.length / 2)] ?? 0) ^ 0x01;
  writeFileSync(join(flipped, pages.path), buf);
  let r = await verifyCheckpoint(flipped);
  assert.equal(r.ok, false);
  assert.deepEqual(r.changed.map((c) => c.path), [pages.path]);
  assert.equal(r.changed[0]?.actual.size, pages.size);
  assert.throws(() => assertVerified(r), (e) => isCryoError(e, 'CRYO_CHECKPOINT_CORRUPT'));

  const truncated = copy('trunc');
  truncateSync(join(truncated, 'pstree.img'), 3);
  r = await verifyCheckpoint(truncated);
  assert.deepEqual(r.changed.map((c) => [c.path, c.actual.size]), [['pstree.img', 3]]);

  const missing = copy('missing');
  rmSync(join(missing, 'inventory.img'));
  r = await verifyCheckpoint(missing);
  assert.deepEqual(r.missing, ['inventory.img']);
  assert.equal(r.ok, false);

  const extra = copy('extra');
  writeFileSync(join(extra, 'core-99999.img'), 'x');
  writeFileSync(join(extra, 'criu-restore.log'), 'a restore log is allowed');
  r = await verifyCheckpoint(extra);
  assert.deepEqual(r.unexpected, ['core-99999.img']);
  assert.deepEqual(r.ignored, ['criu-restore.log']);

  const nomanifest = copy('nomanifest');
  rmSync(join(nomanifest, 'manifest.json'));
  r = await verifyCheckpoint(nomanifest);
  assert.equal(r.manifest, 'missing');
  assert.equal(r.ok, false);
  assert.throws(() => assertVerified(r), (e) => isCryoError(e, 'CRYO_CHECKPOINT_INCOMPLETE'));

  const badmanifest = copy('badmanifest');
  appendFileSync(join(badmanifest, 'manifest.json'), '{');
  r = await verifyCheckpoint(badmanifest);
  assert.equal(r.manifest, 'invalid');

  // The CLI: exit 0 on a good checkpoint, 1 on a bad one, JSON report with --json.
  const good = await runCli(['verify', info.dir]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^OK /);
  const bad = await runCli(['verify', flipped, '--json']);
  assert.equal(bad.code, 1);
  assert.deepEqual((JSON.parse(bad.stdout) as { changed: { path: string }[] }).changed.map((c) => c.path), [pages.path]);
  const inc = await runCli(['verify', nomanifest]);
  assert.equal(inc.code, 1);
  assert.match(inc.stdout, /INCOMPLETE/);
  const byId = await runCli(['verify', info.id, '--store', join(tmp.dir, 'store')]);
  assert.equal(byId.code, 0, byId.stderr);
});

test('a pinned checkpoint is never removed, also when another process holds the pin; abort leaves nothing', async (t) => {
  const { store, info } = await realCheckpoint(t);
  const pin = await store.pin(info.id, 'restore of job counter');
  await assert.rejects(store.remove(info.id), (e) => isCryoError(e, 'CRYO_CHECKPOINT_PINNED') && /restore of job counter/.test(e.message));
  await store.unpin(pin);

  // Another process pins it (as the daemon would during a lazy-pages transfer).
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `
    const { CheckpointStore } = await import(${JSON.stringify(indexUrl)});
    const s = await CheckpointStore.open({ root: ${JSON.stringify(store.root)} });
    await s.pin(${JSON.stringify(info.id)}, 'lazy-pages transfer');
    process.stdout.write('pinned\\n');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => holder.kill('SIGKILL'));
  await waitForOutput(holder, 'pinned');
  await assert.rejects(store.remove(info.id), (e) => isCryoError(e, 'CRYO_CHECKPOINT_PINNED') && /lazy-pages transfer/.test(e.message));
  const gone = once(holder, 'exit');
  holder.kill('SIGKILL');
  await gone;
  // The holder is gone: its pin lapses.
  const r = await store.remove(info.id);
  assert.ok(r.bytes > 0);
  assert.deepEqual(await store.list(), []);
  await assert.rejects(store.get(info.id), (e) => isCryoError(e, 'CRYO_CHECKPOINT_NOT_FOUND'));

  const ingest = await store.beginIngest();
  writeFileSync(join(ingest.dir, 'pages-1.img'), 'data');
  await store.abort(ingest);
  assert.deepEqual(readdirSync(store.ingestRoot), []);
  assert.deepEqual(await store.list(), []);
});

test('a crash (SIGKILL) at a random moment of a commit leaves a complete checkpoint or nothing', async (t) => {
  const tmp = tempDir('crash');
  t.after(tmp.cleanup);
  const root = join(tmp.dir, 'store');
  const worker = `
    const { CheckpointStore } = await import(${JSON.stringify(indexUrl)});
    const { writeFileSync } = await import('node:fs');
    const s = await CheckpointStore.open({ root: ${JSON.stringify(root)} });
    const ing = await s.beginIngest();
    const block = Buffer.alloc(8 << 20, 7);
    for (let i = 0; i < 12; i++) writeFileSync(ing.dir + '/pages-' + i + '.img', block);
    process.stdout.write('writing\\n');
    await s.commit(ing, { job: 'crash' });
    process.stdout.write('committed\\n');
  `;
  let sawNothing = 0;
  let sawComplete = 0;
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', worker], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit'); // before anything: it may finish before the kill
    t.after(() => child.kill('SIGKILL'));
    await waitForOutput(child, 'writing');
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    child.kill('SIGKILL');
    await exited;
    const store = await CheckpointStore.open({ root });
    assert.deepEqual(readdirSync(store.ingestRoot), [], 'ingest cleaned on open');
    const visible = await store.list();
    for (const c of visible) {
      assert.equal(c.complete, true, `visible checkpoint ${c.id} is complete`);
      assert.equal((await verifyCheckpoint(c.dir)).ok, true);
      await store.remove(c.id);
    }
    if (visible.length) sawComplete++;
    else sawNothing++;
  }
  t.diagnostic(`rounds: ${sawComplete} completed before the kill, ${sawNothing} left nothing`);
});
