// Lazy restore against REAL CRIU and real processes: a 256 MiB memhog job (own PID namespace,
// checkpointed into a real store) restored lazily and checked byte for byte; the lazy-pages
// server killed mid-transfer; the pin refusing removal; several copies at once; the pre-flight.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient, CriuError, pidExists, waitForExit } from '../criu/index.js';
import { isCryoError } from '../errors/index.js';
import { CheckpointStore, verifyCheckpoint, type CheckpointInfo } from '../store/index.js';
import { hashFile } from '../store/hash-files.js';
import { request, startWorkload, type Workload } from '../testing/workloads.js';
import { lazyRestore } from './lazy-restore.js';
import type { TransferOutcome } from './transfer-outcome.js';

const MIB = 256;
const client = new CriuClient();
const lazyOk = (await client.featureCheck()).lazyPages;
const skip = lazyOk ? false : 'this kernel lacks userfaultfd (criu check --feature uffd-noncoop)';

const root = mkdtempSync(join(tmpdir(), 'cryo-lazy-test-'));
let store: CheckpointStore;
let cp: CheckpointInfo;
let port = 0;
let hashesBefore: Map<string, string>;
/** Restored roots to kill and reap, whatever happens. */
const restored = new Set<number>();
/** Original workloads: their temp dirs hold files the restored copies have open, so they go last. */
const workloads: Workload[] = [];

async function hashAll(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).sort()) out.set(f, (await hashFile(join(dir, f))).sha256);
  return out;
}

async function killRestored(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await waitForExit(pid);
  restored.delete(pid);
}

function workDir(name: string): string {
  const d = join(root, 'work', name);
  mkdirSync(d, { recursive: true });
  return d;
}

before(async () => {
  if (skip) return;
  store = await CheckpointStore.open({ root: join(root, 'store') });
  const w = await startWorkload('memhog', ['--mib', String(MIB), '--seed', '7'], { pidns: true });
  workloads.push(w);
  const ready = await w.ready;
  port = ready.port ?? 0;
  const ingest = await store.beginIngest();
  await client.dump({ pid: ready.rootPid, imagesDir: ingest.dir });
  await w.exited;
  cp = await store.commit(ingest, { job: 'memhog-lazy' });
  hashesBefore = await hashAll(cp.dir);
});

after(async () => {
  for (const pid of [...restored]) await killRestored(pid);
  for (const w of workloads) await w.kill();
  rmSync(root, { recursive: true, force: true });
});

test(`lazy restore of ${MIB} MiB: runs at once, every byte there after the transfer`, { skip }, async () => {
  const done: TransferOutcome[] = [];
  const res = await lazyRestore({
    imagesDir: cp.dir,
    workDir: workDir('full'),
    checkpoint: { id: cp.id, store },
    job: 'memhog-lazy',
    onTransferDone: (o) => done.push(o),
  });
  restored.add(res.restore.pid);
  assert.equal(res.mode, 'lazy');
  assert.ok(res.server && res.server.pid > 0);
  assert.equal((await request(port, 'ping')), 'pong');
  const out = await res.transfer;
  assert.equal(out.ok, true, out.error?.message);
  assert.deepEqual(done, [out]);
  assert.equal(out.server?.code, 0);
  assert.ok(out.pages, 'the server log gives page counts');
  assert.ok(out.pages.total >= (MIB * 1024 * 1024) / 4096, `pages ${JSON.stringify(out.pages)}`);
  assert.equal(out.pages.transferred, out.pages.total);
  assert.equal(pidExists(res.server.pid), false, 'the server exited by itself');
  assert.deepEqual(await store.pins(cp.id), [], 'unpinned once the transfer ended');
  // memhog recomputes its pattern for every 8-byte word of the 256 MiB.
  assert.equal(await request(port, 'verify', 30_000), `ok ${MIB}`);
  await killRestored(res.restore.pid);
});

test('lazy-pages server killed mid-transfer: clear error, process fate stated, checkpoint pinned then intact', { skip }, async () => {
  let serverPid = 0;
  const res = await lazyRestore({
    imagesDir: cp.dir,
    workDir: workDir('killed'),
    checkpoint: { id: cp.id, store },
    job: 'memhog-lazy',
    onServerReady: (s) => (serverPid = s.pid),
    // Freeze the server as the restored process resumes: the background transfer cannot finish.
    notify: { 'post-resume': () => void process.kill(serverPid, 'SIGSTOP') },
  });
  restored.add(res.restore.pid);
  let settled = false;
  void res.transfer.then(() => (settled = true));

  // While pages are being served, the checkpoint cannot be removed, and the refusal says why.
  const pins = await store.pins(cp.id);
  assert.equal(pins.length, 1);
  assert.match(pins[0]?.reason ?? '', /lazy restore of job memhog-lazy/);
  await assert.rejects(store.remove(cp.id), (e) => isCryoError(e, 'CRYO_CHECKPOINT_PINNED') && /lazy restore/.test(e.message));
  // A second copy cannot share the busy work dir (one socket per server).
  const busy = await lazyRestore({ imagesDir: cp.dir, workDir: res.workDir }).then((r) => restored.add(r.restore.pid), (e: unknown) => e);
  assert.ok(isCryoError(busy, 'CRYO_INVALID_OPTION') && /still serving/.test(busy.message), String(busy));
  assert.equal(settled, false);

  process.kill(serverPid, 'SIGKILL');
  const out = await res.transfer;
  assert.equal(out.ok, false);
  assert.equal(out.server?.signal, 'SIGKILL');
  assert.ok(out.error && isCryoError(out.error, 'CRYO_LAZY_TRANSFER_FAILED'));
  assert.match(out.error.message, new RegExp(`server \\(pid ${serverPid}\\) killed by SIGKILL`));
  assert.match(out.error.message, new RegExp(`restored process ${res.restore.pid} `));
  assert.equal(out.error.context.job, 'memhog-lazy');
  assert.equal(out.error.context.pid, res.restore.pid);
  assert.match(out.error.action, /is intact/);
  assert.ok(out.pages && out.pages.transferred < out.pages.total, `pages ${JSON.stringify(out.pages)}`);
  // Its pages can never arrive: it either crashed by itself or cryo killed it; never left running.
  assert.ok(out.fate && (out.fate.kind === 'exited' || out.fate.kind === 'killed'), JSON.stringify(out.fate));
  assert.equal(pidExists(res.restore.pid), false);
  restored.delete(res.restore.pid);
  console.log(`fate: ${out.fate.text}`);

  assert.deepEqual(await store.pins(cp.id), []);
  assert.deepEqual(await hashAll(cp.dir), hashesBefore, 'the checkpoint files are unchanged');
  assert.equal((await verifyCheckpoint(cp.dir)).ok, true);
  // ... and it restores again, eagerly, with all its memory.
  const eager = await client.restore({ imagesDir: cp.dir, workDir: workDir('eager-again') });
  restored.add(eager.pid);
  assert.equal(await request(port, 'verify', 30_000), `ok ${MIB}`);
  await killRestored(eager.pid);
});

test('images unreadable mid-transfer (pages file truncated under the server): same clear error, process not left running', { skip }, async () => {
  // A copy of the checkpoint, so the store's stays intact for the other tests.
  const copy = join(root, 'truncated-copy');
  cpSync(cp.dir, copy, { recursive: true });
  const biggest = readdirSync(copy).filter((f) => /^pages-\d+\.img$/.test(f))
    .sort((a, b) => statSync(join(copy, b)).size - statSync(join(copy, a)).size)[0] ?? 'pages-1.img';
  const res = await lazyRestore({
    imagesDir: copy,
    workDir: workDir('truncated'),
    job: 'memhog-lazy',
    // post-restore comes before CRIU tells the server to push the remaining pages: nothing of the
    // big mapping has been read yet.
    notify: { 'post-restore': () => truncateSync(join(copy, biggest), 0) },
  });
  restored.add(res.restore.pid);
  const out = await res.transfer;
  assert.equal(out.ok, false);
  assert.ok(out.error && isCryoError(out.error, 'CRYO_LAZY_TRANSFER_FAILED'), String(out.error));
  assert.match(out.error.message, /exited with code \d+/);
  assert.ok((out.error.context.logLines ?? []).length > 0, 'the server log lines are shown');
  assert.ok(out.fate && out.fate.kind !== 'left-running', JSON.stringify(out.fate));
  assert.equal(pidExists(res.restore.pid), false);
  restored.delete(res.restore.pid);
  console.log(`images unreadable: ${out.error.message}\n  ${(out.error.context.logLines ?? []).join('\n  ')}`);
});

test('several copies at once, each with its own lazy-pages server and work dir', { skip }, async () => {
  const w = await startWorkload('counter', ['--interval-ms', '20'], { pidns: true });
  workloads.push(w);
  const images = join(root, 'counter-images');
  mkdirSync(images);
  await client.dump({ pid: (await w.ready).rootPid, imagesDir: images });
  await w.exited;
  const copies = await Promise.all([1, 2, 3].map((i) => lazyRestore({ imagesDir: images, workDir: workDir(`copy-${i}`) })));
  for (const c of copies) restored.add(c.restore.pid);
  const outcomes = await Promise.all(copies.map((c) => c.transfer));
  for (const o of outcomes) assert.equal(o.ok, true, o.error?.explain());
  assert.equal(new Set(copies.map((c) => c.server?.pid)).size, 3);
  assert.equal(new Set(copies.map((c) => c.restore.pid)).size, 3);
  for (const c of copies) {
    assert.ok(pidExists(c.restore.pid), 'each copy runs on after its transfer');
    await killRestored(c.restore.pid);
  }
});

test('a lazy restore with no server in its work dir is explained from the real CRIU log', { skip }, async () => {
  const err = await client.restore({ imagesDir: cp.dir, workDir: workDir('no-server'), lazyPages: true }).then(
    () => assert.fail('restored without a lazy-pages server'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CriuError);
  assert.equal(err.code, 'CRYO_LAZY_SERVER_FAILED');
  assert.ok(err.logLines.some((l) => /connect to lazy-pages\.socket failed/.test(l)), err.logLines.join('\n'));
});

/** The same CRIU, but told the kernel lacks userfaultfd (the pre-flight decision, not CRIU, is under test). */
class NoUffdClient extends CriuClient {
  override async featureCheck(): Promise<{ memTrack: boolean; lazyPages: boolean; pidfdStore: boolean }> {
    return { ...(await super.featureCheck()), lazyPages: false };
  }
}

test('without userfaultfd: --lazy is refused, or restored eagerly when fallback is asked', { skip }, async () => {
  const noUffd = new NoUffdClient();
  await assert.rejects(
    lazyRestore({ client: noUffd, imagesDir: cp.dir, workDir: workDir('refused'), checkpoint: { id: cp.id, store } }),
    (e) => isCryoError(e, 'CRYO_FEATURE_UNSUPPORTED') && /userfaultfd/.test(e.message),
  );
  assert.deepEqual(await store.pins(cp.id), [], 'a refused restore leaves no pin');
  const res = await lazyRestore({ client: noUffd, imagesDir: cp.dir, workDir: workDir('fallback'), fallback: 'eager' });
  restored.add(res.restore.pid);
  assert.equal(res.mode, 'eager');
  assert.match(res.fallbackReason ?? '', /userfaultfd/);
  assert.equal((await res.transfer).ok, true);
  assert.equal(await request(port, 'verify', 30_000), `ok ${MIB}`);
  await killRestored(res.restore.pid);
});
