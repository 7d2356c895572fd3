// The options a lazy restore adds to a restore, validated once (bad value -> CRYO_INVALID_OPTION
// naming option, value and fix); the rest is handed to CriuClient.restore, which checks its own.

import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalidOption } from '../errors/index.js';
import type { CriuClient, RestoreOptions } from '../criu/index.js';
import type { TransferOutcome } from './transfer-outcome.js';

/** Anything that can pin a checkpoint (src/store's CheckpointStore does). */
export interface PinStore {
  pin(id: string, reason: string): Promise<{ release(): Promise<void> }>;
}

/** A running lazy-pages server, as told to `onServerReady`. */
export interface LazyServerInfo {
  pid: number;
  workDir: string;
  logPath: string;
}

/** Options of `lazyRestore`: a restore's options plus what the page transfer needs. */
export interface LazyRestoreOptions extends Omit<RestoreOptions, 'lazyPages'> {
  /** Where the server's socket and both logs go: one per copy, never the images dir. Default: a new temp dir. */
  workDir?: string;
  /** The CRIU client to use (default: a new one). */
  client?: CriuClient;
  /** When the kernel lacks userfaultfd: 'refuse' (default, CRYO_FEATURE_UNSUPPORTED) or 'eager'. */
  fallback?: 'refuse' | 'eager';
  /** Pins this checkpoint while its pages are served, so it cannot be removed under the transfer. */
  checkpoint?: { id: string; store: PinStore };
  /** The job being restored, for messages and the pin's reason. */
  job?: string;
  /** What to do with the restored process if its pages stop arriving: 'kill' (default) or 'keep'. */
  onTransferFailure?: 'kill' | 'keep';
  /** Gives up on a transfer that has not finished after this long (the server is killed). */
  transferTimeoutMs?: number;
  /** Called once the server listens, before the restore starts (e.g. to record its pid). */
  onServerReady?: (server: LazyServerInfo) => void;
  /** Called once when the background transfer has ended, successfully or not. */
  onTransferDone?: (outcome: TransferOutcome) => void;
  /**
   * Work the restore must wait for, started just after the server's process (a pre-flight: the
   * server only reads the images), so the two overlap. If it rejects, the server is stopped, the
   * pin and work dir released, and that rejection is thrown: nothing was restored.
   */
  proceedWhen?: () => Promise<unknown>;
}

/** The lazy-specific options, checked and defaulted; `restore` holds what goes to CriuClient.restore. */
export interface NormalizedLazy {
  restore: RestoreOptions;
  workDir?: string;
  client?: CriuClient;
  fallback: 'refuse' | 'eager';
  checkpoint?: { id: string; store: PinStore };
  job?: string;
  onTransferFailure: 'kill' | 'keep';
  transferTimeoutMs?: number;
  onServerReady?: (server: LazyServerInfo) => void;
  onTransferDone?: (outcome: TransferOutcome) => void;
  proceedWhen?: () => Promise<unknown>;
}


function same(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** Splits and validates the options of a lazy restore. */
export function normalizeLazyOptions(raw: LazyRestoreOptions): NormalizedLazy {
  if (raw === null || typeof raw !== 'object') invalidOption('options', raw, 'pass an options object to lazyRestore');
  const {
    client, fallback, checkpoint, job, onTransferFailure, transferTimeoutMs, onServerReady, onTransferDone, proceedWhen, ...rest
  } = raw;
  if ('lazyPages' in rest) invalidOption('lazyPages', (rest as Record<string, unknown>)['lazyPages'], 'lazyRestore always restores lazily; leave lazyPages out');
  if (fallback !== undefined && fallback !== 'refuse' && fallback !== 'eager') invalidOption('fallback', fallback, "use 'refuse' or 'eager'");
  if (onTransferFailure !== undefined && onTransferFailure !== 'kill' && onTransferFailure !== 'keep') {
    invalidOption('onTransferFailure', onTransferFailure, "use 'kill' (default) or 'keep'");
  }
  if (transferTimeoutMs !== undefined && (typeof transferTimeoutMs !== 'number' || !(transferTimeoutMs > 0) || !Number.isFinite(transferTimeoutMs))) {
    invalidOption('transferTimeoutMs', transferTimeoutMs, 'give a positive number of milliseconds');
  }
  if (checkpoint !== undefined) {
    const c = checkpoint as unknown as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || typeof c['id'] !== 'string' || c['id'] === ''
      || typeof (c['store'] as Record<string, unknown> | undefined)?.['pin'] !== 'function') {
      invalidOption('checkpoint', checkpoint, 'give { id: CHECKPOINT_ID, store: a CheckpointStore }');
    }
  }
  if (job !== undefined && (typeof job !== 'string' || job === '')) invalidOption('job', job, 'give the job id or name');
  for (const [k, f] of [['onServerReady', onServerReady], ['onTransferDone', onTransferDone]] as const) {
    if (f !== undefined && typeof f !== 'function') invalidOption(k, f, 'give a function');
  }
  if (proceedWhen !== undefined && typeof proceedWhen !== 'function') invalidOption('proceedWhen', proceedWhen, 'give a function returning a promise');
  if (typeof rest.imagesDir !== 'string' || rest.imagesDir === '') invalidOption('imagesDir', rest.imagesDir, 'give the images directory path');
  if (rest.workDir !== undefined) {
    if (typeof rest.workDir !== 'string' || rest.workDir === '') invalidOption('workDir', rest.workDir, 'give a directory path');
    if (same(rest.workDir, rest.imagesDir)) {
      invalidOption('workDir', rest.workDir, 'give each lazy restore its own work dir (its socket and logs go there), not the images directory');
    }
  }
  const n: NormalizedLazy = {
    restore: { ...rest },
    fallback: fallback ?? 'refuse',
    onTransferFailure: onTransferFailure ?? 'kill',
  };
  if (rest.workDir !== undefined) n.workDir = rest.workDir;
  if (client !== undefined) n.client = client;
  if (checkpoint !== undefined) n.checkpoint = checkpoint;
  if (job !== undefined) n.job = job;
  if (transferTimeoutMs !== undefined) n.transferTimeoutMs = transferTimeoutMs;
  if (onServerReady !== undefined) n.onServerReady = onServerReady;
  if (onTransferDone !== undefined) n.onTransferDone = onTransferDone;
  if (proceedWhen !== undefined) n.proceedWhen = proceedWhen;
  return n;
}
