import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import { CheckpointStore, exportCheckpoint, importCheckpoint, verifyCheckpoint, type CheckpointInfo } from './index.js';
import { dumpRealProcess, killAndWait, lastCount, restoreDetached, tempDir, waitForLine, waitForOutput } from './_real-checkpoint.js';

type EntryHeader = Partial<tar.Header> & { name: string };
import { isCryoError } from '../errors/index.js';
import { cryoBin, runCli } from '../testing/cli.js';
import { selfIdentity } from './process-identity.js';

const indexUrl = new URL('./index.js', import.meta.url).href;

/** sha256 of every file under dir (flat: CRIU writes no subdirectories), by name. */
function digests(dir: string, skip: (n: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir).sort()) {
    if (skip(n)) continue;
    out[n] = createHash('sha256').update(readFileSync(join(dir, n))).digest('hex');
  }
  return out;
}

/** Asserts the store shows nothing and its ingest area is empty. */
async function assertEmpty(store: CheckpointStore): Promise<void> {
  assert.deepEqual(await store.list(), []);
  assert.deepEqual(readdirSync(store.ingestRoot), []);
}

async function realCheckpoint(t: { after: (fn: () => void) => void }, tag: string) {
  const tmp = tempDir(tag);
  t.after(tmp.cleanup);
  const store = await CheckpointStore.open({ root: join(tmp.dir, 'store') });
  const ingest = await store.beginIngest();
  const log = join(tmp.dir, 'workload.log');
  await dumpRealProcess(ingest.dir, log);
  const info = await store.commit(ingest, { job: 'counter' });
  return { tmp, store, info, log };
}

test('export -> import (zstd, gzip, none) gives identical files that verify; the import restores and carries on', async (t) => {
  const { tmp, info, log } = await realCheckpoint(t, 'roundtrip');
  const original = digests(info.dir);
  let imported: CheckpointInfo | undefined;
  for (const compress of ['zstd', 'gzip', 'none'] as const) {
    const file = join(tmp.dir, `cp.tar.${compress}`);
    const events: number[] = [];
    const ex = await exportCheckpoint(info.dir, file, { compress, onProgress: (e) => events.push(e.bytes) });
    assert.equal(ex.id, info.id);
    assert.equal(events.at(-1), info.bytes);
    const store2 = await CheckpointStore.open({ root: join(tmp.dir, `store-${compress}`) });
    const im = await importCheckpoint(file, store2);
    assert.equal(im.compress, compress);
    assert.equal(im.checkpoint.id, info.id);
    assert.deepEqual(digests(im.checkpoint.dir), original, `${compress}: same files, same bytes`);
    assert.equal((await verifyCheckpoint(im.checkpoint.dir)).ok, true);
    assert.deepEqual(readdirSync(store2.ingestRoot), []);
    await assert.rejects(importCheckpoint(file, store2), (e) => isCryoError(e, 'CRYO_CHECKPOINT_EXISTS'));
    imported = im.checkpoint;
  }
  assert.ok(imported);
  // The imported copy restores with raw CRIU and the process continues counting.
  const before = lastCount(log);
  const pid = restoreDetached(imported.dir, join(tmp.dir, 'restored.pid'));
  t.after(() => killAndWait(pid));
  await waitForLine(log, () => lastCount(log) > before + 5);
  await killAndWait(pid);
  assert.equal((await verifyCheckpoint(imported.dir)).ok, true, 'the restore log beside the images is ignored');
});

/** A tar (plain) of the given entries, built with tar-stream. */
async function buildTar(entries: { header: EntryHeader; data?: string | Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(e.header, e.data ?? '', (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** Rewrites the size field of the tar header at `offset` (base-256, as GNU tar does) and its checksum. */
function setHeaderSize(tarBuf: Buffer, offset: number, size: bigint): void {
  const h = tarBuf.subarray(offset, offset + 512);
  h[124] = 0x80;
  for (let i = 11; i > 0; i--) {
    h[124 + i] = Number(size & 0xffn);
    size >>= 8n;
  }
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}

test('hostile archives are refused with CRYO_ARCHIVE_UNSAFE naming the entry; nothing is left behind', async (t) => {
  const { tmp, info } = await realCheckpoint(t, 'hostile');
  const manifest = readFileSync(join(info.dir, 'manifest.json'));
  const meta = readFileSync(join(info.dir, 'cryo.json'), 'utf8');
  const store = await CheckpointStore.open({ root: join(tmp.dir, 'target') });
  const escape = join(tmp.dir, 'escaped');
  const first = { header: { name: 'manifest.json', size: manifest.length }, data: manifest };
  const cases: { name: string; entries: { header: EntryHeader; data?: string }[]; expect: RegExp }[] = [
    { name: 'absolute path', entries: [{ header: { name: escape }, data: 'evil' }], expect: /absolute path/ },
    { name: '..', entries: [{ header: { name: '../escaped' }, data: 'evil' }], expect: /\.\./ },
    { name: 'nested ..', entries: [{ header: { name: 'a/../../escaped' }, data: 'evil' }], expect: /\.\./ },
    { name: 'symlink', entries: [{ header: { name: 'pages-1.img', type: 'symlink', linkname: '/etc/shadow' } }], expect: /symlink/ },
    { name: 'hardlink', entries: [{ header: { name: 'pages-1.img', type: 'link', linkname: 'manifest.json' } }], expect: /link/ },
    { name: 'device', entries: [{ header: { name: 'pages-1.img', type: 'character-device', devmajor: 1, devminor: 3 } }], expect: /character-device/ },
    { name: 'block device', entries: [{ header: { name: 'pages-1.img', type: 'block-device', devmajor: 8, devminor: 0 } }], expect: /block-device/ },
    { name: 'fifo', entries: [{ header: { name: 'pages-1.img', type: 'fifo' } }], expect: /fifo/ },
    { name: 'duplicate', entries: [{ header: { name: 'cryo.json' }, data: meta }, { header: { name: 'cryo.json' }, data: meta }], expect: /duplicate/ },
  ];
  for (const c of cases) {
    // (A duplicate can only follow the manifest: without one the first entry is already refused.)
    for (const withManifest of c.name === 'duplicate' ? [true] : [false, true]) {
      const buf = await buildTar([...(withManifest ? [first] : []), ...c.entries]);
      const file = join(tmp.dir, `hostile.tar`);
      writeFileSync(file, buf);
      const bad = c.entries[c.entries.length - 1]?.header.name ?? '';
      await assert.rejects(
        importCheckpoint(file, store),
        (e) => isCryoError(e, 'CRYO_ARCHIVE_UNSAFE') && e.message.includes(JSON.stringify(bad)) && c.expect.test(e.message),
        `${c.name} (manifest first: ${withManifest})`,
      );
      await assertEmpty(store);
      assert.equal(existsSync(escape), false);
    }
  }
  // A size header far beyond the limit (2^50 bytes): refused before reading any data.
  const huge = await buildTar([first, { header: { name: 'pages-1.img', size: 10 }, data: '0123456789' }]);
  setHeaderSize(huge, 512 + Math.ceil(manifest.length / 512) * 512, 1n << 50n);
  writeFileSync(join(tmp.dir, 'huge.tar'), huge);
  await assert.rejects(importCheckpoint(join(tmp.dir, 'huge.tar'), store), (e) => isCryoError(e, 'CRYO_ARCHIVE_UNSAFE') && /"pages-1.img".*exceeds/.test(e.message));
  await assertEmpty(store);
  // Too many entries (limit lowered to keep the test small).
  const real = (info.manifest?.files ?? []).slice(0, 5).map((f) => ({ header: { name: f.path }, data: readFileSync(join(info.dir, f.path)) }));
  const many = await buildTar([first, ...real]);
  writeFileSync(join(tmp.dir, 'many.tar'), many);
  await assert.rejects(importCheckpoint(join(tmp.dir, 'many.tar'), store, { limits: { maxEntries: 3 } }), (e) => isCryoError(e, 'CRYO_ARCHIVE_UNSAFE') && /more than 3 entries/.test(e.message));
  await assertEmpty(store);
});

test('truncated and corrupted archives (zstd, gzip) fail with CRYO_ARCHIVE_CORRUPT and leave nothing', async (t) => {
  const { tmp, info } = await realCheckpoint(t, 'corrupt');
  const store = await CheckpointStore.open({ root: join(tmp.dir, 'target') });
  for (const compress of ['zstd', 'gzip', 'none'] as const) {
    const file = join(tmp.dir, `good.${compress}`);
    await exportCheckpoint(info.dir, file, { compress });
    const good = readFileSync(file);
    const variants: [string, Buffer][] = [
      ['truncated at half', good.subarray(0, Math.floor(good.length / 2))],
      ['truncated near the end', good.subarray(0, good.length - 700)],
      ['byte flipped in the middle', Buffer.from(good).fill(good[Math.floor(good.length / 2)]! ^ 0xff, Math.floor(good.length / 2), Math.floor(good.length / 2) + 1)],
      ['not an archive', Buffer.from('hello, this is not an archive at all'.repeat(20))],
    ];
    for (const [what, bytes] of variants) {
      const bad = join(tmp.dir, 'bad');
      writeFileSync(bad, bytes);
      await assert.rejects(importCheckpoint(bad, store), (e) => isCryoError(e, 'CRYO_ARCHIVE_CORRUPT'), `${compress}: ${what}`);
      await assertEmpty(store);
    }
  }
  // Exporting a damaged checkpoint is refused too (a changed byte with verify, a changed size
  // always), and leaves no partial archive.
  const pages = info.manifest?.files.find((f) => f.path.startsWith('pages-'));
  assert.ok(pages);
  const flipped = readFileSync(join(info.dir, pages.path));
  flipped[7] = (flipped[7] ?? 0) ^ 0x10;
  writeFileSync(join(info.dir, pages.path), flipped);
  await assert.rejects(exportCheckpoint(info.dir, join(tmp.dir, 'from-damaged.tar.zst'), { verify: true }), (e) => isCryoError(e, 'CRYO_CHECKPOINT_CORRUPT') && /SHA-256/.test(e.message));
  truncateSync(join(info.dir, pages.path), pages.size - 1);
  const out = join(tmp.dir, 'from-damaged.tar.zst');
  await assert.rejects(exportCheckpoint(info.dir, out), (e) => isCryoError(e, 'CRYO_CHECKPOINT_CORRUPT'));
  assert.deepEqual(readdirSync(tmp.dir).filter((n) => n.includes('from-damaged')), []);
});

test('a crash (SIGKILL) at a random moment of an import leaves a complete checkpoint or nothing', async (t) => {
  const tmp = tempDir('crash-import');
  t.after(tmp.cleanup);
  const src = await CheckpointStore.open({ root: join(tmp.dir, 'src') });
  const ing = await src.beginIngest();
  const block = Buffer.alloc(8 << 20);
  for (let i = 0; i < 12; i++) writeFileSync(join(ing.dir, `pages-${i}.img`), block.fill(i));
  const info = await src.commit(ing, { job: 'crash' });
  const archive = join(tmp.dir, 'a.tar.zst');
  await exportCheckpoint(info.dir, archive, { compress: 'zstd', level: 1 });
  const root = join(tmp.dir, 'dst');
  const worker = `
    const { CheckpointStore, importCheckpoint } = await import(${JSON.stringify(indexUrl)});
    const s = await CheckpointStore.open({ root: ${JSON.stringify(root)} });
    process.stdout.write('importing\\n');
    await importCheckpoint(${JSON.stringify(archive)}, s);
  `;
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', worker], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((r) => child.once('exit', r)); // before anything: it may finish first
    t.after(() => child.kill('SIGKILL'));
    await waitForOutput(child, 'importing');
    await new Promise((r) => setTimeout(r, Math.random() * 500));
    child.kill('SIGKILL');
    await exited;
    const store = await CheckpointStore.open({ root });
    assert.deepEqual(readdirSync(store.ingestRoot), [], 'ingest cleaned on open');
    for (const c of await store.list()) {
      assert.equal(c.complete, true);
      assert.equal((await verifyCheckpoint(c.dir)).ok, true);
      await store.remove(c.id);
    }
  }
});

test('cryo export / cryo import on the command line, with --json progress lines', async (t) => {
  const { tmp, store, info } = await realCheckpoint(t, 'cli');
  const file = join(tmp.dir, 'cli.tar.gz');
  const ex = await runCli(['export', info.id, '--store', store.root, '-o', file, '--compress', 'gzip', '--level', '1', '--json']);
  assert.equal(ex.code, 0, ex.stderr);
  const lines = ex.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.some((l) => l['event'] === 'progress'));
  assert.equal(lines.at(-1)?.['event'], 'done');
  assert.ok(statSync(file).size > 0);
  const target = join(tmp.dir, 'cli-target');
  const im = await runCli(['import', file, '--store', target, '--json']);
  assert.equal(im.code, 0, im.stderr);
  const done = JSON.parse(im.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  assert.equal(done['id'], info.id);
  const again = await runCli(['import', file, '--store', target, '--json']);
  assert.equal(again.code, 1);
  assert.equal((JSON.parse(again.stderr) as { error: { code: string } }).error.code, 'CRYO_CHECKPOINT_EXISTS');
  const bad = await runCli(['export', info.id, '--store', store.root, '-o', file, '--compress', 'lz4']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /CRYO_INVALID_OPTION/);
});

/** A committed checkpoint of incompressible files (slow to compress at level 19: time to interrupt it). */
async function randomCheckpoint(t: { after: (fn: () => void) => void }, tag: string) {
  const tmp = tempDir(tag);
  t.after(tmp.cleanup);
  const store = await CheckpointStore.open({ root: join(tmp.dir, 'store') });
  const ing = await store.beginIngest();
  for (let i = 0; i < 3; i++) writeFileSync(join(ing.dir, `pages-${i}.img`), randomBytes(16 << 20));
  const info = await store.commit(ing, { job: 'interrupt' });
  return { tmp, store, info };
}

const tempsIn = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('.cryo-tmp-'));

test('an export or import cancelled through its signal stops, says CRYO_ABORTED and leaves nothing', async (t) => {
  const { tmp, info } = await randomCheckpoint(t, 'abort');
  const out = join(tmp.dir, 'out');
  mkdirSync(out);
  const ac = new AbortController();
  await assert.rejects(
    exportCheckpoint(info.dir, join(out, 'a.tar.zst'), { level: 19, onProgress: () => ac.abort(), signal: ac.signal }),
    (e) => isCryoError(e, 'CRYO_ABORTED') && /cancelled/.test(e.message),
  );
  assert.deepEqual(readdirSync(out), [], 'no archive, no temp file');
  const archive = join(out, 'b.tar.zst');
  await exportCheckpoint(info.dir, archive, { level: 1 });
  const dst = await CheckpointStore.open({ root: join(tmp.dir, 'dst') });
  const ic = new AbortController();
  await assert.rejects(
    importCheckpoint(archive, dst, { onProgress: () => ic.abort(), signal: ic.signal }),
    (e) => isCryoError(e, 'CRYO_ABORTED'),
  );
  await assertEmpty(dst);
});

test('cryo export interrupted by SIGINT/SIGTERM removes its temp file and dies of the signal; after a SIGKILL the next export removes it', async (t) => {
  const { tmp, store, info } = await randomCheckpoint(t, 'interrupt');
  const out = join(tmp.dir, 'out');
  mkdirSync(out);
  const file = join(out, 'cp.tar.zst');
  /** Starts `cryo export` at level 19 (slow) and resolves once it reports progress (its temp file exists). */
  const start = async () => {
    const child = spawn(process.execPath, [cryoBin, 'export', info.id, '--store', store.root, '-o', file, '--level', '19', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)));
    t.after(() => child.kill('SIGKILL'));
    await waitForOutput(child, '"progress"');
    assert.equal(tempsIn(out).length, 1, 'the export writes a temp file');
    return { child, exited };
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const { child, exited } = await start();
    child.kill(sig);
    assert.equal(await exited, sig, `cryo export dies of ${sig}`);
    assert.deepEqual(readdirSync(out), [], `${sig}: no archive and no temp file left`);
  }
  const { child, exited } = await start();
  const [leftover] = tempsIn(out);
  assert.match(leftover ?? '', new RegExp(`^\\.cp\\.tar\\.zst\\.cryo-tmp-${child.pid}\\.\\d+\\.[0-9a-f]{8}$`), 'the temp file names its owner');
  child.kill('SIGKILL');
  await exited;
  assert.equal(tempsIn(out).length, 1, 'SIGKILL leaves the temp file');
  // A temp file of a live process (this one) must survive; the dead export's must not.
  const live = `.other.tar.zst.cryo-tmp-${selfIdentity()}.0123abcd`;
  writeFileSync(join(out, live), '');
  const gc = await runCli(['gc', '--store', store.root, '--export-temps', out, '--dry-run', '--json']);
  assert.equal(gc.code, 0, gc.stderr);
  assert.deepEqual((JSON.parse(gc.stdout) as { removedExportTemps: string[] }).removedExportTemps, [join(out, leftover ?? '')], 'gc lists the dead export\'s temp file only');
  await exportCheckpoint(info.dir, file, { level: 1 });
  assert.deepEqual(readdirSync(out).sort(), [live, 'cp.tar.zst'].sort());
});
