// Integrity check of a checkpoint directory against its manifest (issue 6.1): what is missing,
// changed (size or SHA-256) or unexpected. A missing or invalid manifest means incomplete.

import { join } from 'node:path';
import { CryoError } from '../errors/index.js';
import { HASH_CONCURRENCY, hashFile, mapLimit } from './hash-files.js';
import { isSideFile, MANIFEST_NAME, readManifest, type Manifest } from './manifest.js';
import { walkFiles } from './walk.js';

/** A file whose size or digest differs from the manifest. */
export interface ChangedFile {
  readonly path: string;
  readonly expected: { readonly size: number; readonly sha256: string };
  readonly actual: { readonly size: number; readonly sha256?: string };
}

/** The result of verifying one checkpoint. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly dir: string;
  readonly id?: string;
  /** 'ok', or why the checkpoint counts as incomplete. */
  readonly manifest: 'ok' | 'missing' | 'invalid';
  readonly manifestProblem?: string;
  readonly missing: string[];
  readonly changed: ChangedFile[];
  readonly unexpected: string[];
  /** Restore logs and the like, written beside the images after the checkpoint: not checked. */
  readonly ignored: string[];
  readonly checkedFiles: number;
  readonly checkedBytes: number;
  readonly durationMs: number;
}

/** Verifies every file of the checkpoint in `dir` against its manifest. */
export async function verifyCheckpoint(dir: string, opts: { onBytes?: (n: number) => void } = {}): Promise<VerifyReport> {
  const started = Date.now();
  let found;
  try {
    found = await walkFiles(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `no checkpoint directory at ${dir}`, { operation: 'verify', imagesDir: dir });
    }
    throw e;
  }
  const m = await readManifest(dir);
  const empty = { missing: [], changed: [], unexpected: [], ignored: [], checkedFiles: 0, checkedBytes: 0 };
  if ('problem' in m) {
    return { ok: false, dir, manifest: m.problem, manifestProblem: m.detail, ...empty, durationMs: Date.now() - started };
  }
  const manifest: Manifest = m.manifest;
  const onDisk = new Map(found.map((f) => [f.path, f]));
  const missing: string[] = [];
  const changed: ChangedFile[] = [];
  const toHash: Manifest['files'][number][] = [];
  for (const f of manifest.files) {
    const d = onDisk.get(f.path);
    if (!d || d.kind !== 'file') missing.push(f.path);
    else if (d.size !== f.size) changed.push({ path: f.path, expected: f, actual: { size: d.size } });
    else toHash.push(f);
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  const unexpected: string[] = [];
  const ignored: string[] = [];
  for (const f of found) {
    if (f.path === MANIFEST_NAME || listed.has(f.path)) continue;
    (isSideFile(f.path) && f.kind === 'file' ? ignored : unexpected).push(f.path);
  }
  const digests = await mapLimit(toHash, HASH_CONCURRENCY, (f) =>
    hashFile(join(dir, f.path), opts.onBytes ? { onBytes: opts.onBytes } : {}),
  );
  let checkedBytes = 0;
  toHash.forEach((f, i) => {
    const d = digests[i];
    if (!d) return;
    checkedBytes += d.size;
    if (d.size !== f.size || d.sha256 !== f.sha256) changed.push({ path: f.path, expected: f, actual: d });
  });
  changed.sort((a, b) => (a.path < b.path ? -1 : 1));
  return {
    ok: missing.length === 0 && changed.length === 0 && unexpected.length === 0,
    dir,
    id: manifest.id,
    manifest: 'ok',
    missing,
    changed,
    unexpected,
    ignored,
    checkedFiles: toHash.length,
    checkedBytes,
    durationMs: Date.now() - started,
  };
}

/** Throws the matching CryoError unless the report is clean: a checkpoint is never used silently. */
export function assertVerified(report: VerifyReport, checkpoint?: string): void {
  if (report.ok) return;
  const ctx = { operation: 'verify', checkpoint: checkpoint ?? report.id ?? report.dir, imagesDir: report.dir };
  if (report.manifest !== 'ok') {
    throw new CryoError('CRYO_CHECKPOINT_INCOMPLETE', `checkpoint at ${report.dir} is incomplete: ${report.manifestProblem}`, ctx);
  }
  const parts = [
    report.missing.length ? `missing ${report.missing.join(', ')}` : '',
    report.changed.length ? `changed ${report.changed.map((c) => c.path).join(', ')}` : '',
    report.unexpected.length ? `unexpected ${report.unexpected.join(', ')}` : '',
  ].filter(Boolean);
  throw new CryoError('CRYO_CHECKPOINT_CORRUPT', `checkpoint at ${report.dir} does not match its manifest: ${parts.join('; ')}`, ctx);
}
