// The lazy side of a restore through cryod: each job's work dir for the lazy-pages server, and
// the job's note and event once the background page transfer has ended.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TransferOutcome } from '../lazy/index.js';
import type { JobRecord } from '../jobs/index.js';
import type { FlowContext } from './context.js';

/** Where a lazy restore of this job keeps its lazy-pages socket and logs. */
export function lazyWorkDir(jobDir: string): string {
  const d = join(jobDir, 'lazy-restore');
  mkdirSync(d, { recursive: true });
  return d;
}

/** The background page transfer of a lazy restore ended: job note ("pages: ...") and event. */
export function transferDone(ctx: FlowContext, jobId: string, from: string, t: TransferOutcome): void {
  const pages = t.pages ? `${t.pages.transferred} of ${t.pages.total} pages` : 'pages';
  // The server also ends (successfully) when the process exits first: it needed no more pages.
  const cut = t.ok && t.pages !== undefined && t.pages.transferred < t.pages.total;
  const what = !t.ok
    ? `pages: transfer FAILED (${pages}); ${t.fate?.text ?? ''}`
    : cut ? `pages: not needed any more (the process ended after ${pages} had arrived)`
      : `pages: complete (${pages} in ${Math.round(t.afterRestoreMs)} ms after the restore)`;
  let job: JobRecord | null = null;
  try {
    job = ctx.jobs.resolve(jobId);
    job = ctx.jobs.setState(job.id, job.state, { note: `restored from ${from}; ${what}` }, `job ${job.name}: ${what}`);
  } catch {
    // the job was removed meanwhile: the event still tells
  }
  ctx.jobs.emit(job, 'restore.transfer-done', t.ok ? `job ${job?.name ?? jobId}: all memory pages arrived` : (t.error?.message ?? what), {
    checkpoint: from, ok: t.ok, pages: t.pages ?? null, durationMs: Math.round(t.durationMs), afterRestoreMs: Math.round(t.afterRestoreMs),
    code: t.error?.code ?? null, fate: t.fate?.kind ?? null,
  });
}
