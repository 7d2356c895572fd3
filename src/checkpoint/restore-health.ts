// After a restore: an early death of a restored job is reported as an event (always, in the
// background), and with --health-* the restore only succeeds once every copy proved healthy.

import { CryoError, isCryoError } from '../errors/index.js';
import type { JobRecord } from '../jobs/index.js';
import { UnhealthyError, watchHealth, type ExitInfo } from '../safety/index.js';
import type { FlowContext } from './context.js';
import type { HealthRequest } from './restore-types.js';

/** How long a restored job is watched for an early death. */
const HEALTH_GRACE_MS = 2000;

/**
 * Step 7 (src/safety): a restored job that dies within the grace period gets an event with its
 * exit status and output tail. In the background: the job's own state records the exit anyway.
 */
export function watchRestored(ctx: FlowContext, j: JobRecord, pid: number, exited: Promise<ExitInfo>): void {
  const tail = (): string => {
    try {
      return ctx.jobs.output(j.id, 2048).backlog.toString('utf8');
    } catch {
      return '';
    }
  };
  watchHealth(pid, { graceMs: HEALTH_GRACE_MS, waitExit: exited, outputTail: tail }).catch((e: unknown) => {
    ctx.jobs.emit(j, 'restore.unhealthy', `restored job ${j.name} (pid ${pid}) ${(e as Error).message}`, {
      pid, ...(e instanceof UnhealthyError ? { exit: e.exit ?? null, outputTail: e.outputTail } : {}),
    });
  });
}

/** Waits for every restored job to pass the health watch; throws the first failure, with the job named. */
export async function requireHealthy(
  ctx: FlowContext, watches: readonly { job: JobRecord; pid: number; exited: Promise<ExitInfo> }[], h: HealthRequest, notes: string[],
): Promise<void> {
  const probe = h.cmd !== undefined || h.tcpPort !== undefined ? { ...(h.cmd !== undefined ? { cmd: h.cmd } : {}), ...(h.tcpPort !== undefined ? { tcpPort: h.tcpPort } : {}) } : undefined;
  const results = await Promise.allSettled(watches.map((w) => watchHealth(w.pid, {
    graceMs: h.graceMs, waitExit: w.exited, ...(probe ? { probe } : {}),
    outputTail: () => {
      try {
        return ctx.jobs.output(w.job.id, 2048).backlog.toString('utf8');
      } catch {
        return '';
      }
    },
  })));
  for (const [i, r] of results.entries()) {
    const w = watches[i]!;
    if (r.status === 'fulfilled') {
      notes.push(`${w.job.name}: healthy after ${h.graceMs} ms${probe ? ' (probe passed)' : ''}`);
      continue;
    }
    const e = r.reason as unknown;
    if (!isCryoError(e)) throw e;
    const alive = ctx.jobs.resolve(w.job.id).state === 'running';
    throw new CryoError(e.code, `restored job ${w.job.name} (pid ${w.pid}) ${e.message}`, {
      ...e.context, job: w.job.name, pid: w.pid, operation: 'restore health check',
      hint: `the checkpoint is intact and can be restored again; ${alive ? `the job is still running: look at \`cryo logs ${w.job.name}\`, stop it with \`cryo rm --force ${w.job.name}\`` : `see its output with \`cryo logs ${w.job.name}\``}`,
    });
  }
}
