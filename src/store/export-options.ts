// Options of exportCheckpoint, normalised and validated in one place.

import { CryoError } from '../errors/index.js';
import { COMPRESSIONS, LEVELS, type Compression } from './compression.js';
import type { OnProgress } from './progress.js';

/** What the caller may pass to exportCheckpoint. */
export interface ExportOptions {
  /** 'zstd' (default), 'gzip' or 'none'. */
  readonly compress?: string;
  /** Compression level; default zstd 3, gzip 6. */
  readonly level?: number;
  /**
   * Also hash every file against the manifest while exporting (default false: sizes are always
   * checked, and import verifies every hash anyway; hashing costs ~1 s of CPU per GiB).
   */
  readonly verify?: boolean;
  readonly onProgress?: OnProgress;
  /** Cancels the export (CRYO_ABORTED); its temp file is removed. */
  readonly signal?: AbortSignal;
}

/** Normalised export options. */
export interface NormalExportOptions {
  readonly compress: Compression;
  readonly level: number;
  readonly verify: boolean;
  readonly onProgress?: OnProgress;
  readonly signal?: AbortSignal;
}

/** Fills defaults and rejects bad values with CRYO_INVALID_OPTION naming the fix. */
export function normaliseExportOptions(o: ExportOptions): NormalExportOptions {
  const compress = (o.compress ?? 'zstd') as Compression;
  if (!COMPRESSIONS.includes(compress)) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`compress\` ${JSON.stringify(o.compress)}: use one of ${COMPRESSIONS.join(', ')}`);
  }
  const lim = LEVELS[compress];
  const level = o.level ?? lim.default;
  if (compress !== 'none' && (!Number.isInteger(level) || level < lim.min || level > lim.max)) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`level\` ${JSON.stringify(o.level)}: ${compress} levels are ${lim.min} to ${lim.max}`);
  }
  return { compress, level, verify: o.verify ?? false, ...(o.onProgress ? { onProgress: o.onProgress } : {}), ...(o.signal ? { signal: o.signal } : {}) };
}
