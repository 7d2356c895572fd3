// A restore into a job failed: the job goes back to the state it had (or, made for this restore,
// is dropped), the failure is an event and a line in the checkpoint's restore history. The
// checkpoint itself was never changed.

import { isCryoError } from '../errors/index.js';
import type { JobRecord, JobState } from '../jobs/index.js';
import type { FlowContext } from './context.js';

/** What the failed restore was: the job, its state before, the checkpoint, the attempts' logs. */
export interface FailedRestore {
  readonly job: JobRecord;
  readonly before: JobState;
  /** The job was made for this restore. */
  readonly created: boolean;
  readonly checkpointId: string | undefined;
  readonly dir: string;
  readonly logs: readonly string[];
  readonly startedAt: number;
}

/** Undoes the job side of a failed restore and records the failure (the caller rethrows). */
export function rollbackRestore(ctx: FlowContext, f: FailedRestore, e: unknown): void {
  const j = f.job;
  if (f.created) ctx.jobs.dropRestored(j.id);
  else {
    const now = ctx.jobs.resolve(j.id);
    if (now.state === 'restoring') ctx.jobs.setState(j.id, f.before === 'restoring' ? 'checkpointed' : f.before, {}, `restore of job ${j.name} failed; it is ${f.before} again`);
  }
  const msg = e instanceof Error ? e.message : String(e);
  ctx.jobs.emit(f.created ? null : j, 'restore.failed', `restore of ${f.checkpointId ?? f.dir} failed: ${msg}`, { checkpoint: f.checkpointId ?? null, code: isCryoError(e) ? e.code : null });
  if (f.checkpointId) {
    ctx.records.addRestore(f.checkpointId, {
      at: Date.now(), jobId: f.created ? null : j.id, jobName: f.created ? null : j.name, pid: null, attempts: f.logs.length || 1,
      durationMs: Math.round(performance.now() - f.startedAt), logs: [...f.logs], outcome: 'failed', error: msg,
    });
  }
}
