import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore } from '../store/index.js';
import { isCryoError } from '../errors/index.js';
import { fingerprintOf, verifyForRestore } from './verify-fast.js';

test('verifyForRestore: unchanged files skip hashing; any change is caught and hashed', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cryo-vf-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const store = await CheckpointStore.open({ root });
  const ingest = await store.beginIngest();
  writeFileSync(join(ingest.dir, 'pages-1.img'), Buffer.alloc(8192, 1));
  writeFileSync(join(ingest.dir, 'core-1.img'), 'core');
  const info = await store.commit(ingest, { job: 'j' });
  const fp = fingerprintOf(info.dir);

  assert.deepEqual(await verifyForRestore(info.dir, info.id, fp), { fingerprint: fp, hashed: false });
  assert.equal((await verifyForRestore(info.dir, info.id, undefined)).hashed, true, 'no fingerprint: full check');

  // A side file written by a restore does not count as a change.
  writeFileSync(join(info.dir, 'criu-restore.1.log'), 'log');
  assert.equal((await verifyForRestore(info.dir, info.id, fp)).hashed, false);

  // Same size, other bytes: the ctime moves, the digests are checked, the change is refused.
  writeFileSync(join(info.dir, 'pages-1.img'), Buffer.alloc(8192, 2));
  await assert.rejects(verifyForRestore(info.dir, info.id, fp), (e) => isCryoError(e, 'CRYO_CHECKPOINT_CORRUPT') && /pages-1\.img/.test(e.message));

  // An extra file is refused too.
  writeFileSync(join(info.dir, 'pages-1.img'), Buffer.alloc(8192, 1));
  writeFileSync(join(info.dir, 'extra.img'), 'x');
  await assert.rejects(verifyForRestore(info.dir, info.id, fingerprintOf(info.dir)), (e) => isCryoError(e, 'CRYO_CHECKPOINT_CORRUPT'));
});
