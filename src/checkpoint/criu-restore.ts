// One CRIU restore of a checkpoint directory, with everything both the daemon and the
// daemonless CLI need around it: a log per attempt (criu-restore.<n>.log beside the images), a
// bounded retry of transient failures, notifications turned into events and user hooks, and the
// restored root watched from CRIU's post-restore notification on, so even an immediate exit of
// the restored process is recorded with its exit code.

import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isTransientFailure, withRetry } from '../safety/index.js';
import { CriuError, type CriuClient, type ExitStatus, type RestoreOptions } from '../criu/index.js';
import { CryoError, isCryoError } from '../errors/index.js';
import { isSideFile } from '../store/manifest.js';
import type { CriuChoice } from './choose-options.js';
import type { HookRunner } from './hooks.js';
import { lazyRestore, type LazyRestoreOptions, type TransferOutcome } from '../lazy/index.js';
import { halfRestoredTree, killHalfRestored, restoreTimeoutError, restoreTimeoutMs } from './restore-timeout.js';

/** Delays tests may pass for quick retries (the default comes from the config). */
export const RESTORE_RETRY_DELAYS_MS = [200, 400, 800];

/** Inputs of one restore. */
export interface CriuRestoreInput {
  readonly client: CriuClient;
  readonly dir: string;
  readonly options: CriuChoice;
  readonly inheritFds: { key: string; fd: number }[];
  readonly hooks: HookRunner;
  readonly logLevel?: 0 | 1 | 2 | 3 | 4;
  /** Starts watching the restored root (called at post-restore, before it runs). */
  readonly watch: (pid: number) => Promise<ExitStatus>;
  /** Every CRIU notification, for events. */
  readonly onNotify?: (script: string, pid: number | undefined) => void;
  /** Told before each retry. */
  readonly onRetry?: (e: CriuError, delayMs: number, attempt: number) => void;
  readonly retryDelaysMs?: readonly number[];
  /** One attempt's limit in ms (0: none); default config `restoreTimeoutMs`. See restore-timeout.ts. */
  readonly timeoutMs?: number;
  /** Names the checkpoint in errors (its id; default the directory). */
  readonly what?: string;
  /** Run criu under this exit-status monitor (RestoreOptions.monitor; not with lazy). */
  readonly monitor?: readonly string[] | undefined;
  /** Lazy restore (`--lazy`): memory follows from a supervised lazy-pages server; logs go to its work dir. */
  readonly lazy?: Pick<LazyRestoreOptions, 'checkpoint' | 'job' | 'fallback' | 'onServerReady'> & { workDir: string };
  /**
   * Work CRIU must wait for (cryod's pre-flight): it runs while the restore's `criu swrk` starts
   * (and, lazy, the lazy-pages server); a rejection is final: that criu is killed and reaped,
   * nothing was restored, no retry.
   */
  readonly proceedWhen?: (() => Promise<unknown>) | undefined;
}

/** What a successful restore gives. */
export interface CriuRestoreOutput {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  readonly attempts: number;
  /** criu-restore.<n>.log of every attempt, in order. */
  readonly logs: string[];
  readonly criuMs: number;
  /** Hooks that failed when nothing could be undone any more (post-resume), in words. */
  readonly warnings: string[];
  /** Lazy restore: settles when every page has arrived (or the transfer failed). */
  readonly transfer?: Promise<TransferOutcome>;
  /** With `monitor`: the monitor process, now the restored root's parent. */
  readonly monitor?: ChildProcess;
}

/** The next free n for criu-restore.<n>.log in dir. */
function nextLogNumber(dir: string): number {
  let max = 0;
  for (const f of readdirSync(dir)) {
    const m = /^criu-restore\.(\d+)\.log$/.exec(f);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/**
 * CRIU writes its restore statistics (stats-restore) into the images directory, which would make
 * the checkpoint fail its next verification ("unexpected file"): keep them beside the attempt's log.
 */
function setStatsAside(dir: string, n: number): void {
  const stats = join(dir, 'stats-restore');
  if (!existsSync(stats) || isSideFile('stats-restore')) return;
  try {
    renameSync(stats, join(dir, `criu-restore.${n}.stats.log`));
  } catch {
    // best effort: verification will name the file if it stays
  }
}

/** Restores `dir` (rst_sibling: the root becomes our child); throws a CryoError explaining a failure. */
export async function criuRestore(i: CriuRestoreInput): Promise<CriuRestoreOutput> {
  const logs: string[] = [];
  let criuMs = 0;
  // Transient failures (a pid still held by a dying process, ...) are retried by src/safety's
  // withRetry: attempts and backoff from the config (restoreRetries, restoreRetryDelayMs) unless
  // the caller gives delays. Each attempt keeps its own criu-restore.<n>.log.
  const retry = i.retryDelaysMs ? { attempts: i.retryDelaysMs.length + 1, baseDelayMs: i.retryDelaysMs[0] ?? 0 } : {};
  const limitMs = restoreTimeoutMs(i.timeoutMs);
  // A lazy restore's proceedWhen (the pre-flight, run while the server starts) refusing is final:
  // never retried, and no CRIU restore ran, so there is no attempt log either.
  let refusedBy: { e: unknown } | undefined;
  const gate = i.proceedWhen;
  const proceedWhen = gate && ((): Promise<unknown> => {
    const p = gate();
    p.catch((e: unknown) => (refusedBy = { e }));
    return p;
  });
  const refusal = (e: unknown): boolean => refusedBy !== undefined && e === refusedBy.e;
  return withRetry(async (attempt) => {
    const logDir = i.lazy?.workDir ?? i.dir;
    const n = nextLogNumber(logDir);
    const logFile = `criu-restore.${n}.log`;
    logs.push(join(logDir, logFile));
    let exited: Promise<ExitStatus> | undefined;
    let hookError: CryoError | undefined;
    const warnings: string[] = [];
    const started = performance.now();
    // The timeout backstop: the processes CRIU made so far are noted when the limit hits (the tree
    // is still intact then), the restore is cancelled, and they are killed once CRIU is gone.
    const notified = new Set<number>();
    const cancel = limitMs > 0 ? new AbortController() : undefined;
    let timedOut: { roots: number[]; pids: number[] } | undefined;
    const timer = cancel && setTimeout(() => {
      timedOut = halfRestoredTree(i.dir, notified);
      cancel.abort();
    }, limitMs);
    try {
      const restoreOpts: RestoreOptions = {
        imagesDir: i.dir, logFile, ...(i.logLevel !== undefined ? { logLevel: i.logLevel } : {}), rstSibling: true,
        ...i.options, inheritFds: i.inheritFds, ...(cancel ? { signal: cancel.signal } : {}),
        ...(i.monitor && !i.lazy ? { monitor: i.monitor } : {}),
        notify: {
          'post-restore': (ev) => {
            if (ev.pid !== undefined && ev.pid > 0) {
              exited = i.watch(ev.pid);
              i.hooks.set('CRYO_PID', String(ev.pid));
            }
          },
          '*': async (ev) => {
            if (ev.pid !== undefined && ev.pid > 0) notified.add(ev.pid);
            i.onNotify?.(ev.script, ev.pid);
            try {
              // After post-resume the process already runs: a failing hook there cannot undo it.
              if (ev.script === 'post-resume') await i.hooks.run(ev.script).catch((e: unknown) => warnings.push(`${(e as Error).message} (the process was already running)`));
              else await i.hooks.run(ev.script);
            } catch (e) {
              hookError = e as CryoError;
              throw e;
            }
          },
        },
      };
      let transfer: Promise<TransferOutcome> | undefined;
      let res;
      if (i.lazy) {
        // lazyRestore starts criu swrk ahead itself, with the server, and waits for the gate
        const l = await lazyRestore({ ...restoreOpts, ...i.lazy, ...(proceedWhen ? { proceedWhen } : {}), client: i.client });
        res = l.restore;
        transfer = l.transfer;
      } else if (proceedWhen) {
        // criu swrk's start (~10 ms: exec, libraries, kdat cache) overlaps the gate; the fds it
        // inherits (the job's stdio) exist already. Refused: that criu is killed and reaped.
        const prepared = await i.client.prepareRestore(restoreOpts);
        try {
          await proceedWhen();
        } catch (e) {
          await prepared.cancel();
          throw e;
        }
        res = await i.client.restore({ ...restoreOpts, prepared });
      } else {
        res = await i.client.restore(restoreOpts);
      }
      criuMs += performance.now() - started;
      setStatsAside(i.dir, n);
      const watched = exited ?? i.watch(res.pid);
      if (hookError) {
        // CRIU goes on after a failed pre-resume notification ("Pre-resume script ret code -1",
        // tasks resumed): a failing hook must still abort, so the restored tree is removed here.
        try {
          process.kill(res.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await watched;
        throw new CryoError('CRYO_HOOK_FAILED', `restore aborted: ${(hookError).message}; the restored processes were killed and reaped, the checkpoint is unchanged`, {
          ...(hookError).context, operation: 'restore', imagesDir: i.dir, logPath: join(logDir, logFile),
        });
      }
      return {
        pid: res.pid, exited: watched, attempts: attempt, logs, criuMs, warnings, ...(transfer ? { transfer } : {}),
        ...('monitor' in res && res.monitor ? { monitor: res.monitor } : {}),
      };
    } catch (e) {
      criuMs += performance.now() - started;
      setStatsAside(i.dir, n);
      if (refusal(e)) {
        logs.pop();
        throw e;
      }
      if (timedOut) {
        const reaped = await killHalfRestored(timedOut, i.watch);
        throw restoreTimeoutError({
          what: i.what ?? i.dir, imagesDir: i.dir, ms: limitMs, logPath: join(logDir, logFile), killed: timedOut.pids.length, reaped, cause: e,
        });
      }
      if (isCryoError(e, 'CRYO_HOOK_FAILED') && e.message.startsWith('restore aborted:')) throw e;
      if (hookError) {
        throw new CryoError('CRYO_HOOK_FAILED', `restore aborted: ${hookError.message}; the checkpoint is unchanged and no process was left running`, {
          ...hookError.context, operation: 'restore', imagesDir: i.dir, logPath: join(logDir, logFile),
        });
      }
      if (isCryoError(e)) throw e;
      throw new CryoError('CRYO_CRIU_RESTORE_FAILED', `restore of ${i.dir} failed: ${(e as Error).message}`, { operation: 'restore', imagesDir: i.dir, cause: e });
    } finally {
      clearTimeout(timer);
    }
  }, {
    ...retry,
    isTransient: (e) => !refusal(e) && isTransientFailure(e),
    onAttempt: (a) => {
      if (a.nextDelayMs !== undefined && a.error instanceof CriuError) i.onRetry?.(a.error, a.nextDelayMs, a.attempt);
    },
  });
}
