// safeDump: a checkpoint that never loses the process. What CRIU does (verified with CRIU 4.2.1
// here, see safe-dump.test.ts): when the dump itself fails (e.g. ENOSPC writing pages) CRIU thaws
// the tree and leaves it running; with leaveRunning false it kills the tree only AFTER a fully
// successful dump, and only after its post-dump notification was acknowledged (a failing handler
// makes CRIU resume the tree instead). So:
//   1. work that may fail and must happen while the tree is frozen (fsync, metadata, user hooks)
//      runs in `beforeRelease`, at post-dump: a failure there makes CRIU resume the process;
//   2. when CRIU fails, the tree is checked (woken with SIGCONT if left stopped) and what was
//      written is discarded: `recovery: 'resumed'`;
//   3. when a step after CRIU (`afterDump`, e.g. the store commit) fails and CRIU already killed
//      the tree, it is restored from the images just written: `recovery: 'restored'` (its new pid
//      is in the error), then the images are discarded;
//   4. if that restore fails too, the images are KEPT and named: `recovery: 'lost'`.
// The error always says which happened. Disk-full failures get CRYO_DISK_FULL naming the directory.

import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient, CriuError, pidExists, processState, processTree, type DumpOptions, type DumpResult, type RestoreOptions, type RestoreResult } from '../criu/index.js';
import { CryoError, isCryoError, type ErrorCode, type ErrorContext } from '../errors/index.js';
import { freeBytes } from './checks/disk.js';
import { withRetry } from './retry.js';

/** What happened to the process after a failed checkpoint. */
export type Recovery = 'resumed' | 'left-running' | 'restored' | 'lost';

/** Options of safeDump. */
export interface SafeDumpOptions<T> {
  /** The dump to run (imagesDir = where the images go, e.g. a store ingest directory). */
  readonly dump: DumpOptions;
  readonly client?: CriuClient;
  /** Runs at CRIU's post-dump point, the tree still frozen; throwing makes CRIU resume it. */
  readonly beforeRelease?: (imagesDir: string) => Promise<void> | void;
  /** Runs after CRIU succeeded (e.g. store.commit); throwing triggers recovery. Its value is returned. */
  readonly afterDump?: (res: DumpResult) => Promise<T> | T;
  /** Removes what was written (e.g. store.abort(ingest)); default: delete dump.imagesDir. */
  readonly discard?: () => Promise<void> | void;
  /** Options of a recovery restore (those the dump needed: shellJob, tcpEstablished ...). */
  readonly restore?: Omit<RestoreOptions, 'imagesDir'>;
  /** Where CRIU's log of a failed dump is copied before the images are discarded; default os.tmpdir(). */
  readonly failedLogDir?: string;
  /** Told what was done to keep the process, before the error is thrown. */
  readonly onRecovery?: (r: { recovery: Recovery; pid: number; restored?: RestoreResult }) => void;
}

/** A successful safeDump: CRIU's result and afterDump's value. */
export interface SafeDumpResult<T> {
  readonly dump: DumpResult;
  readonly value: T | undefined;
}

/** A checkpoint that failed; `recovery` says what became of the process. */
export class DumpRecoveryError extends CryoError {
  readonly recovery: Recovery;
  /** The process's new pid when it was restored from the images. */
  readonly restoredPid: number | undefined;
  /** The images, when they were kept (recovery 'lost'). */
  readonly keptImagesDir: string | undefined;

  constructor(code: ErrorCode, message: string, ctx: ErrorContext, recovery: Recovery, extra: { restoredPid?: number; keptImagesDir?: string } = {}) {
    super(code, message, ctx);
    this.name = 'DumpRecoveryError';
    this.recovery = recovery;
    this.restoredPid = extra.restoredPid;
    this.keptImagesDir = extra.keptImagesDir;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), recovery: this.recovery, restoredPid: this.restoredPid, keptImagesDir: this.keptImagesDir };
  }
}

const ENOSPC = 28;
/** Below this many free bytes after a failed write, the disk counts as full. */
const FULL_THRESHOLD = 64 * 1024;

/** Whether a failure was the disk filling up: errno, CRIU's words, or the file system now full. */
export function wasDiskFull(e: unknown, dir: string): boolean {
  const err = e as NodeJS.ErrnoException & { context?: ErrorContext };
  if (err?.code === 'ENOSPC' || err?.code === 'EDQUOT' || isCryoError(e, 'CRYO_DISK_FULL')) return true;
  if (err?.context?.criuErrno === ENOSPC) return true;
  const lines = [...(err?.context?.logLines ?? []), ...readLogErrors(err?.context?.logPath)];
  if (lines.some((l) => /No space left on device|Disk quota exceeded/.test(l))) return true;
  try {
    return freeBytes(dir) < FULL_THRESHOLD;
  } catch {
    return false;
  }
}

function readLogErrors(path: string | undefined): string[] {
  if (!path) return [];
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => /Error/.test(l));
  } catch {
    return [];
  }
}

/** Wakes every stopped task of the tree (CRIU thaws it on failure; this covers a killed CRIU). */
function wakeTree(pid: number): void {
  for (const p of processTree(pid)) {
    const st = processState(p);
    if (st === 'T' || st === 't') {
      try { process.kill(p, 'SIGCONT'); } catch { /* gone meanwhile */ }
    }
  }
}

/** Copies CRIU's log out of a directory about to be discarded; returns where it went. */
function keepLog(logPath: string | undefined, pid: number, dir: string): string | undefined {
  if (!logPath || !existsSync(logPath)) return undefined;
  const dest = join(dir, `cryo-failed-dump-${pid}-${Date.now()}.log`);
  try {
    copyFileSync(logPath, dest);
    return dest;
  } catch {
    return undefined; // the temp dir may be full too; the message still has CRIU's lines
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Checkpoints with the guarantees above; throws DumpRecoveryError (or CriuError for a pid that is gone). */
export async function safeDump<T = void>(opts: SafeDumpOptions<T>): Promise<SafeDumpResult<T>> {
  const client = opts.client ?? new CriuClient();
  const { pid, imagesDir } = opts.dump;
  // Removing the partial checkpoint must not hide the real failure: a failed removal is reported
  // inside the message instead.
  const discard = async (): Promise<string> => {
    try {
      if (opts.discard) await opts.discard();
      else rmSync(imagesDir, { recursive: true, force: true });
      return '';
    } catch (e) {
      return ` (removing the partial checkpoint in ${imagesDir} failed too: ${messageOf(e)})`;
    }
  };
  const baseCtx: ErrorContext = { operation: 'dump', pid, imagesDir };

  let hookError: unknown;
  const notify = { ...opts.dump.notify };
  if (opts.beforeRelease) {
    const theirs = notify['post-dump'];
    notify['post-dump'] = async (ev) => {
      if (theirs) await theirs(ev);
      try {
        await opts.beforeRelease!(imagesDir);
      } catch (e) {
        hookError = e;
        throw e;
      }
    };
  }

  let res: DumpResult;
  try {
    res = await client.dump({ ...opts.dump, notify });
  } catch (e) {
    if (isCryoError(e, 'CRYO_PID_NOT_FOUND') || isCryoError(e, 'CRYO_INVALID_OPTION')) throw e;
    const cause = hookError ?? e;
    const full = wasDiskFull(cause, imagesDir) || (hookError === undefined && wasDiskFull(e, imagesDir));
    const logPath = keepLog((e as CriuError).context?.logPath, pid, opts.failedLogDir ?? tmpdir());
    wakeTree(pid);
    const alive = pidExists(pid) && processState(pid) !== 'Z';
    const leftover = await discard();
    const recovery: Recovery = alive ? 'resumed' : 'lost';
    opts.onRecovery?.({ recovery, pid });
    const code: ErrorCode = !alive ? 'CRYO_PROCESS_LOST' : full ? 'CRYO_DISK_FULL' : isCryoError(cause) ? cause.code : 'CRYO_DUMP_WRITE_FAILED';
    const what = full ? `no space left on the disk of ${imagesDir}` : messageOf(cause);
    const fate = alive ? `pid ${pid} was not lost: CRIU resumed it and it is still running` : `pid ${pid} is gone`;
    throw new DumpRecoveryError(code, `checkpoint of pid ${pid} into ${imagesDir} failed: ${what}; ${fate}; nothing was kept of the partial checkpoint${leftover}`, {
      ...baseCtx,
      ...((e as CryoError).context?.logLines ? { logLines: (e as CryoError).context.logLines } : {}),
      ...(logPath ? { logPath } : {}),
      ...(full ? { hint: `free space on the file system of ${imagesDir} (or checkpoint elsewhere), then checkpoint again` } : {}),
      cause,
    }, recovery);
  }

  try {
    return { dump: res, value: opts.afterDump ? await opts.afterDump(res) : undefined };
  } catch (e) {
    const full = wasDiskFull(e, imagesDir);
    const code: ErrorCode = full ? 'CRYO_DISK_FULL' : isCryoError(e) ? e.code : 'CRYO_DUMP_WRITE_FAILED';
    const what = full ? `no space left on the disk of ${imagesDir} (${messageOf(e)})` : messageOf(e);
    if (opts.dump.leaveRunning || opts.dump.leaveStopped) {
      wakeTree(pid);
      const leftover = await discard();
      opts.onRecovery?.({ recovery: 'left-running', pid });
      throw new DumpRecoveryError(code, `saving the checkpoint of pid ${pid} failed after CRIU: ${what}; pid ${pid} kept running; the partial checkpoint was removed${leftover}`, { ...baseCtx, cause: e }, 'left-running');
    }
    // CRIU killed the tree after the dump: bring it back from what was written.
    let restored: RestoreResult;
    try {
      // The killed original may linger as a zombie for a moment: a transient pid conflict.
      restored = await withRetry(() => client.restore({ ...opts.restore, imagesDir }), { attempts: 6, baseDelayMs: 100, maxDelayMs: 1000 });
    } catch (re) {
      opts.onRecovery?.({ recovery: 'lost', pid });
      throw new DumpRecoveryError('CRYO_PROCESS_LOST',
        `saving the checkpoint of pid ${pid} failed after CRIU had stopped it (${what}), and restoring it from ${imagesDir} failed too: ${messageOf(re)}; the images are kept in ${imagesDir}`,
        { ...baseCtx, hint: `restore it by hand: cryo restore --dir ${imagesDir}`, cause: e }, 'lost', { keptImagesDir: imagesDir });
    }
    opts.onRecovery?.({ recovery: 'restored', pid, restored });
    const leftover = await discard();
    throw new DumpRecoveryError(code,
      `saving the checkpoint of pid ${pid} failed after CRIU: ${what}; the process was restored from the images just written and runs as pid ${restored.pid}; the partial checkpoint was removed${leftover}`,
      { ...baseCtx, cause: e }, 'restored', { restoredPid: restored.pid });
  }
}
