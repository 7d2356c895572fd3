// manifest.json: what a complete checkpoint holds (every file's size and SHA-256), what made it
// (versions, CPU), and for what (job, command, options). Written last; its presence means complete.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unsafePathReason } from './safe-path.js';
import { isCheckpointId } from './ids.js';

export const MANIFEST_NAME = 'manifest.json';
/** cryo's open metadata record (job, command, stdio identities, ...), filled by the daemon. */
export const METADATA_NAME = 'cryo.json';
export const CPUINFO_NAME = 'cpuinfo.img';
export const MANIFEST_FORMAT = 'cryo-checkpoint/1';

/** One file of a checkpoint. */
export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** The manifest of a complete checkpoint. */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly id: string;
  readonly createdAt: string;
  readonly job?: string;
  readonly command?: readonly string[];
  readonly options?: Record<string, unknown>;
  readonly versions: { readonly criu: string | null; readonly kernel: string; readonly cryo: string; readonly node: string };
  /** CRIU's CPU description of the dumping machine (cpuinfo.img) or why it is absent. */
  readonly cpu: { readonly image: string | null; readonly model: string; readonly note?: string };
  readonly files: readonly ManifestFile[];
  readonly totals: { readonly files: number; readonly bytes: number };
}

/** Files cryo or CRIU add beside a checkpoint after it was made (restore logs, CRIU's stats-restore): not checked. */
export function isSideFile(path: string): boolean {
  return /^(criu-restore|lazy-pages|criu-lazy)[^/]*\.log$/.test(path) || path === 'stats-restore';
}

/** Parses and checks a manifest's text; returns the reason it is invalid as a string. */
export function parseManifest(text: string): Manifest | string {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`;
  }
  if (typeof m !== 'object' || m === null) return 'not a JSON object';
  const o = m as Record<string, unknown>;
  if (o['format'] !== MANIFEST_FORMAT) return `unknown format ${JSON.stringify(o['format'])} (expected ${MANIFEST_FORMAT})`;
  if (typeof o['id'] !== 'string' || !isCheckpointId(o['id'])) return `bad id ${JSON.stringify(o['id'])}`;
  if (typeof o['createdAt'] !== 'string') return 'createdAt missing';
  if (typeof o['versions'] !== 'object' || o['versions'] === null) return 'versions missing';
  if (typeof o['cpu'] !== 'object' || o['cpu'] === null) return 'cpu missing';
  if (!Array.isArray(o['files'])) return 'files missing';
  const seen = new Set<string>();
  let bytes = 0;
  for (const f of o['files'] as unknown[]) {
    const e = f as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || typeof e['path'] !== 'string') return 'a file entry has no path';
    const p = e['path'];
    const unsafe = unsafePathReason(p);
    if (unsafe) return `file ${JSON.stringify(p)}: ${unsafe}`;
    if (p === MANIFEST_NAME) return 'the manifest lists itself';
    if (seen.has(p)) return `file ${p} listed twice`;
    seen.add(p);
    if (typeof e['size'] !== 'number' || !Number.isSafeInteger(e['size']) || e['size'] < 0) return `file ${p}: bad size`;
    if (typeof e['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(e['sha256'])) return `file ${p}: bad sha256`;
    bytes += e['size'];
  }
  const t = o['totals'] as Record<string, unknown> | undefined;
  if (!t || t['files'] !== seen.size || t['bytes'] !== bytes) return 'totals do not match the file list';
  return o as unknown as Manifest;
}

/** Reads a checkpoint's manifest: the manifest, 'missing', or the reason it is invalid. */
export async function readManifest(dir: string): Promise<{ manifest: Manifest; text: string } | { problem: 'missing' | 'invalid'; detail: string }> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { problem: 'missing', detail: 'manifest.json is missing' };
    throw e;
  }
  const m = parseManifest(text);
  return typeof m === 'string' ? { problem: 'invalid', detail: `manifest.json is invalid: ${m}` } : { manifest: m, text };
}
