// The result shapes of a lazy restore: what the caller gets at once, and what the background
// transfer ends with.

import type { CryoError } from '../errors/index.js';
import type { RestoreResult } from '../criu/index.js';
import type { ServerExit } from './lazy-pages-server.js';
import type { RestoredFate } from './restored-fate.js';
import type { TransferPages } from './transfer-log.js';

/** How the background page transfer ended (the `transfer` promise never rejects). */
export interface TransferOutcome {
  ok: boolean;
  /** Pages moved / needed, from the server's log (absent below log level 4 or in eager mode). */
  pages?: TransferPages;
  /** From the start of the restore to the end of the transfer. */
  durationMs: number;
  /** From the end of the restore (the process running) to the end of the transfer. */
  afterRestoreMs: number;
  /** How the server ended (absent in eager mode). */
  server?: ServerExit;
  /** CRYO_LAZY_TRANSFER_FAILED when ok is false. */
  error?: CryoError;
  /** What became of the restored process when ok is false. */
  fate?: RestoredFate;
}

/** What `lazyRestore` returns once the restored process runs. */
export interface LazyRestoreResult {
  /** 'eager' only when the kernel lacks userfaultfd and fallback 'eager' was asked for. */
  mode: 'lazy' | 'eager';
  /** Why an eager restore was done instead. */
  fallbackReason?: string;
  restore: RestoreResult;
  /** The lazy-pages server (lazy mode). */
  server?: { pid: number; workDir: string; logPath: string };
  /** The work dir holding the logs (and, while serving, the socket). */
  workDir: string;
  /** Settles when every page has arrived (or the transfer failed). */
  transfer: Promise<TransferOutcome>;
}
