// Steps prepare -> restore -> adopt of one restore into one job record (the checkpointed job
// itself, or a job created for a copy): the job's stdio handed to CRIU through inherit_fd, CRIU
// run with hooks, retries and the timeout (criu-restore.ts), then adoption (restore-adopt.ts) or
// rollback (restore-rollback.ts).

import { CryoError } from '../errors/index.js';
import { rmSync } from 'node:fs';
import { exitStatusPath, fifoPaths, monitorExited, restoreMonitorArgv, watchChild, type JobRecord } from '../jobs/index.js';
import { ensureFifo } from '../jobs/fifo.js';
import type { ExitInfo } from '../safety/index.js';
import type { FlowContext } from './context.js';
import { criuRestore } from './criu-restore.js';
import { HookRunner, type HookRunResult, type HookSpec } from './hooks.js';
import type { CheckpointMeta } from './metadata.js';
import { adoptRestored } from './restore-adopt.js';
import { lazyWorkDir } from './restore-lazy.js';
import { rollbackRestore } from './restore-rollback.js';
import { dumpOptions } from './resolve-checkpoint.js';
import { closeAll, openFifoTargets, openFileTargets, planStdio, recordedStdio } from './stdio.js';

/** One restore into one job record (existing or created for it). */
export interface RestoreIntoJob {
  readonly jobId: string;
  readonly dir: string;
  readonly meta: Partial<CheckpointMeta>;
  readonly checkpointId?: string;
  readonly hooks: readonly HookSpec[];
  readonly hookTimeoutMs: number;
  readonly io: 'attachable' | 'file' | undefined;
  readonly logFile: string | undefined;
  /** The job was made for this restore: drop it on failure (else return it to its state). */
  readonly created?: boolean;
  readonly lazy?: boolean | undefined;
  readonly lazyFallback?: 'eager' | undefined;
  readonly timeoutMs?: number | undefined;
  /** CRIU's restore waits for this (the pre-flight, run while criu swrk and, lazy, the lazy-pages server start). */
  readonly proceedWhen?: (() => Promise<unknown>) | undefined;
}

/** Opens what the restored stdio will be: the job's FIFOs (made if missing) or its log file. */
function openTargets(j: JobRecord, io: 'attachable' | 'file', logFile: string | undefined): ReturnType<typeof openFifoTargets> {
  if (io === 'file') return openFileTargets(logFile as string);
  const paths = fifoPaths(j.jobDir);
  for (const p of Object.values(paths)) ensureFifo(p);
  return openFifoTargets(paths);
}

/** Steps prepare-restore-adopt for one job; returns the restored root pid and details. */
export async function restoreIntoJob(ctx: FlowContext, o: RestoreIntoJob): Promise<{ job: JobRecord; pid: number; exited: Promise<ExitInfo>; hooks: HookRunResult[]; logs: string[]; notes: string[] }> {
  const started = performance.now();
  let j = ctx.jobs.resolve(o.jobId);
  const before = j.state;
  const io = o.io ?? (j.io === 'file' && j.logFile ? 'file' : 'attachable');
  const logFile = io === 'file' ? (o.logFile ?? j.logFile ?? undefined) : undefined;
  if (io === 'file' && !logFile) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `log`: file output needs a file path', { hint: 'pass --log FILE' });
  if (!o.created) j = ctx.jobs.setState(j.id, 'restoring', {}, `job ${j.name} is restoring from ${o.checkpointId ?? o.dir}`);
  const notes: string[] = [];
  const hooks = new HookRunner(o.hooks, o.hookTimeoutMs, {
    CRYO_JOB: j.id, CRYO_JOB_NAME: j.name, CRYO_CHECKPOINT: o.checkpointId ?? '', CRYO_IMAGES_DIR: o.dir, CRYO_PID: '',
  }, (r) => ctx.jobs.emit(j, 'hook.run', `${r.event} hook \`${r.command}\` exited ${r.exitCode} in ${r.durationMs} ms`, { checkpoint: o.checkpointId ?? null, ...r }));
  let owned: number[] = [];
  const logs: string[] = [];
  try {
    // prepare: stdio targets for this job
    const t = openTargets(j, io, logFile);
    owned = t.owned;
    const plan = planStdio(recordedStdio(o.dir, o.meta.stdio), t.targets, owned);
    const tPrepared = performance.now();
    notes.push(io === 'attachable' ? `${j.name}: output kept by cryod (attach with \`cryo attach ${j.name}\`); ${plan.summary}` : `${j.name}: output appended to ${logFile}; ${plan.summary}`);
    // restore, under an exit-status monitor (the root becomes its child: its exit code then
    // survives a cryod restart); the dumped process's stale status must not be read for it.
    rmSync(exitStatusPath(j.jobDir), { force: true });
    const monitor = o.lazy ? undefined : restoreMonitorArgv(exitStatusPath(j.jobDir));
    const r = await criuRestore({
      monitor,
      client: ctx.criu, dir: o.dir, options: dumpOptions(o.dir, o.meta), inheritFds: plan.inheritFds, hooks, logLevel: ctx.criuLogLevel,
      watch: (pid) => watchChild(pid),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), what: o.checkpointId ?? o.dir,
      ...(o.proceedWhen ? { proceedWhen: o.proceedWhen } : {}),
      // Lazy: a work dir per job (so per copy) for the lazy-pages socket and logs; the checkpoint
      // stays pinned until the last page has arrived.
      ...(o.lazy ? {
        lazy: {
          workDir: lazyWorkDir(j.jobDir), job: j.name, ...(o.lazyFallback ? { fallback: o.lazyFallback } : {}),
          ...(o.checkpointId ? { checkpoint: { id: o.checkpointId, store: ctx.store } } : {}),
        },
      } : {}),
      onNotify: (script, pid) => ctx.jobs.emit(j, 'criu.notify', `CRIU ${script}${pid ? ` (pid ${pid})` : ''}`, { checkpoint: o.checkpointId ?? null, script, pid: pid ?? null }),
      onRetry: (e, delay, attempt) => {
        notes.push(`attempt ${attempt} failed (${e.code}: ${e.message}); retried after ${delay} ms`);
        ctx.jobs.emit(j, 'restore.retry', `restore attempt ${attempt} of job ${j.name} failed transiently (${e.code}); retrying in ${delay} ms`, { code: e.code });
      },
    });
    logs.push(...r.logs);
    for (const w of r.warnings) {
      notes.push(`${j.name}: warning: ${w}`);
      ctx.jobs.emit(j, 'hook.failed', w, { checkpoint: o.checkpointId ?? null });
    }
    notes.push(`${j.name}: CRIU ${Math.round(r.criuMs)} ms (prepare ${Math.round(tPrepared - started)} ms)`);
    closeAll(owned);
    owned = [];
    // adopt
    const exited = r.monitor ? monitorExited(r.monitor, j.jobDir) : r.exited;
    const a = adoptRestored(ctx, j, { io, logFile, checkpointId: o.checkpointId, dir: o.dir, startedAt: started }, { ...r, exited });
    notes.push(...a.notes);
    return { job: a.job, pid: r.pid, exited, hooks: hooks.runs, logs, notes };
  } catch (e) {
    closeAll(owned);
    rollbackRestore(ctx, { job: j, before, created: o.created === true, checkpointId: o.checkpointId, dir: o.dir, logs, startedAt: started }, e);
    throw e;
  }
}
