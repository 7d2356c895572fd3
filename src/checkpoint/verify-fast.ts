// Verification before a restore, without re-hashing an unchanged checkpoint every time. The
// first verification (or the commit, which hashed every file) records a fingerprint of each file:
// size, inode and ctime. Any write, rename-over, chmod or touch changes the ctime, and users
// cannot set it back, so a file whose fingerprint matches still has the bytes that were hashed.
// Only when something differs (or there is no fingerprint) are all SHA-256 digests checked again
// (src/store verify), and a clean result records a new fingerprint. `cryo verify` always hashes.
// Why: hashing even a small checkpoint costs 100+ ms here, more than CRIU's own restore.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertVerified, verifyCheckpoint } from '../store/index.js';
import { isSideFile, MANIFEST_NAME, readManifest } from '../store/manifest.js';
import { CryoError, isCryoError } from '../errors/index.js';

/** path -> "size:ino:ctimeNs" of every file of a checkpoint (manifest included). */
export type Fingerprint = Record<string, string>;

function stamp(dir: string, f: string): string | undefined {
  try {
    const s = statSync(join(dir, f), { bigint: true });
    return s.isFile() ? `${s.size}:${s.ino}:${s.ctimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

/** The fingerprint of the files a checkpoint directory holds now (side files left out). */
export function fingerprintOf(dir: string): Fingerprint {
  const fp: Fingerprint = {};
  for (const f of readdirSync(dir)) {
    if (isSideFile(f) || f === 'stats-restore') continue;
    const s = stamp(dir, f);
    if (s !== undefined) fp[f] = s;
  }
  return fp;
}

function same(a: Fingerprint, b: Fingerprint): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * Throws CRYO_CHECKPOINT_INCOMPLETE / CRYO_CHECKPOINT_CORRUPT unless the checkpoint matches its
 * manifest. Returns the fingerprint to remember and whether the digests had to be computed.
 */
export async function verifyForRestore(dir: string, id: string, known: Fingerprint | undefined): Promise<{ fingerprint: Fingerprint; hashed: boolean }> {
  const now = fingerprintOf(dir);
  if (known && now[MANIFEST_NAME] !== undefined && same(known, now)) {
    // Cheap sanity: the manifest still parses and lists exactly these files.
    const m = await readManifest(dir);
    if ('manifest' in m && m.manifest.files.every((f) => now[f.path] !== undefined) && m.manifest.files.length + 1 === Object.keys(now).length) {
      return { fingerprint: now, hashed: false };
    }
  }
  assertVerified(await verifyCheckpoint(dir), id);
  return { fingerprint: fingerprintOf(dir), hashed: true };
}

/**
 * verifyForRestore for both restore paths (cryod and --no-daemon): a directory cryo did not make
 * (`inStore` false) missing its manifest gets the hint that plain CRIU images need --no-verify.
 */
export async function verifyBeforeRestore(dir: string, id: string, known: Fingerprint | undefined, inStore: boolean): Promise<{ fingerprint: Fingerprint; hashed: boolean }> {
  try {
    return await verifyForRestore(dir, id, known);
  } catch (e) {
    if (isCryoError(e, 'CRYO_CHECKPOINT_INCOMPLETE') && !inStore) {
      throw new CryoError(e.code, `${e.message} (plain CRIU images have no manifest)`, { ...e.context, hint: 'restore plain CRIU images with --no-verify' });
    }
    throw e;
  }
}
