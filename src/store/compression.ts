// Compression for checkpoint archives. zstd runs as the external `zstd` tool (Node 20 has no
// zstd; the tool is multi-threaded and streams), gzip through node:zlib, or none.

import { spawn, type ChildProcess } from 'node:child_process';
import { CryoError } from '../errors/index.js';

/** Compressions `cryo export` can write and `cryo import` can read. */
export const COMPRESSIONS = ['zstd', 'gzip', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** Level limits and defaults per compression (zstd 1-19 without --ultra, gzip 1-9). */
export const LEVELS: Record<Compression, { min: number; max: number; default: number }> = {
  zstd: { min: 1, max: 19, default: 3 },
  gzip: { min: 1, max: 9, default: 6 },
  none: { min: 0, max: 0, default: 0 },
};

/** Tells the format of an archive from its first bytes (at least 512 for plain tar). */
export function detectCompression(head: Uint8Array): Compression | undefined {
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar') return 'none';
  return undefined;
}

/** A running zstd process whose failure (missing tool, bad data) becomes a readable reason. */
export interface ZstdProcess {
  readonly child: ChildProcess;
  /** Resolves with undefined on exit 0, or with the reason it failed (its stderr). */
  readonly done: Promise<string | undefined>;
}

/** Spawns `zstd` with the given args and stdio; a missing binary is CRYO_COMPRESSOR_FAILED. */
export function spawnZstd(args: readonly string[], stdio: ['pipe' | number, 'pipe' | number, 'pipe']): ZstdProcess {
  const child = spawn(process.env['CRYO_ZSTD'] ?? 'zstd', args, { stdio });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  const done = new Promise<string | undefined>((resolve, reject) => {
    child.on('error', (e) => {
      reject(new CryoError('CRYO_COMPRESSOR_FAILED', `could not run zstd: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve(undefined);
      else resolve(stderr.trim() || (signal ? `zstd killed by ${signal}` : `zstd exited with code ${code}`));
    });
  });
  done.catch(() => undefined); // observed by callers; avoid an unhandled rejection if they bail out first
  return { child, done };
}
