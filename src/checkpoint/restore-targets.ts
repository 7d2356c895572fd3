// Which job each restored copy goes into: the checkpointed job itself (one copy, no --name, the
// job is checkpointed), else a new job per copy (named by --name, --name-N, or JOB-rN).

import type { FlowContext } from './context.js';
import type { ResolvedCheckpoint } from './resolve-checkpoint.js';
import type { RestoreRequestOpts } from './restore-types.js';

/** A free default name for a restored copy: <job>-r1, <job>-r2, ... */
function copyName(ctx: FlowContext, base: string): string {
  const b = base.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 50) || 'restored';
  for (let i = 1; ; i++) {
    const n = `${b}-r${i}`;
    try {
      ctx.jobs.resolve(n);
    } catch {
      return n;
    }
  }
}

/** The job copy `i` (1-based) is restored into; `created` when it was made for this restore. */
export function targetJob(ctx: FlowContext, cp: ResolvedCheckpoint, req: RestoreRequestOpts, i: number): { jobId: string; created: boolean } {
  const sameJob = req.copies === 1 && !req.name && cp.job !== undefined && cp.job.state === 'checkpointed';
  if (sameJob && cp.job) return { jobId: cp.job.id, created: false };
  const like = {
    command: [...(cp.meta.command ?? cp.job?.command ?? ['(restored)', cp.dir])], cwd: cp.meta.cwd ?? cp.job?.cwd ?? '/',
    env: { ...(cp.meta.env ?? cp.job?.env ?? {}) }, mode: cp.meta.mode ?? cp.job?.mode ?? 'pidns',
  };
  const io = req.io ?? (cp.meta.io === 'file' && cp.meta.logFile ? 'file' : 'attachable');
  const name = req.name ? (req.copies > 1 ? `${req.name}-${i}` : req.name) : copyName(ctx, cp.meta.jobName ?? cp.job?.name ?? 'restored');
  const jobId = ctx.jobs.createRestored({
    name, like, io, logFile: io === 'file' ? (req.logFile ?? cp.meta.logFile ?? undefined) : undefined,
    note: `restored from ${cp.id}`,
  }).id;
  return { jobId, created: true };
}
