// A restore into a job succeeded: the job records its new I/O mode, watches the restored root
// exactly like a job started by `cryo run` (restored-jobs.ts in src/jobs), is running again, and
// the restore goes into the checkpoint's history.

import type { JobRecord } from '../jobs/index.js';
import { outputLogPath } from '../jobs/output-log.js';
import type { FlowContext } from './context.js';
import type { CriuRestoreOutput } from './criu-restore.js';
import { watchRestored } from './restore-health.js';
import { transferDone } from './restore-lazy.js';
import { readStdio } from './stdio.js';

/** Adopts the restored root `r.pid` into job `j`; returns the job (running) and notes for the user. */
export function adoptRestored(
  ctx: FlowContext, j: JobRecord, o: { io: 'attachable' | 'file'; logFile: string | undefined; checkpointId: string | undefined; dir: string; startedAt: number },
  r: CriuRestoreOutput,
): { job: JobRecord; notes: string[] } {
  const notes: string[] = [];
  const from = o.checkpointId ?? o.dir;
  // Synchronously with the state change: the exit watch settles in a later tick. The I/O mode is
  // recorded first: adoption opens the FIFOs of attachable jobs only.
  const newLog = o.io === 'file' ? (o.logFile as string) : outputLogPath(j.jobDir);
  if (j.io !== o.io || j.logFile !== newLog) j = ctx.jobs.setState(j.id, 'restoring', { io: o.io, logFile: newLog }, `job ${j.name}: output now ${o.io === 'file' ? `appended to ${newLog}` : 'kept by cryod'}`);
  ctx.jobs.adoptRestoredRoot(j.id, r.pid, r.exited, r.monitor);
  j = ctx.jobs.setState(j.id, 'running', {
    io: o.io, logFile: newLog, stdio: readStdio(r.pid), startedAt: Date.now(), finishedAt: null,
    exitCode: null, signal: null, sentSignals: [], error: null,
    note: `restored from ${from}${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}${r.transfer ? '; pages: transferring' : ''}`,
  }, `job ${j.name} restored from ${from} (pid ${r.pid}, ${Math.round(r.criuMs)} ms in CRIU)`);
  watchRestored(ctx, j, r.pid, r.exited);
  ctx.jobs.emit(j, 'job.restored', `job ${j.name} restored (pid ${r.pid})`, { checkpoint: o.checkpointId ?? null, pid: r.pid, attempts: r.attempts, logs: r.logs });
  if (r.transfer) {
    notes.push(`${j.name}: running before its memory arrived; pages follow in the background (\`cryo ps\` shows "pages: complete" when done)`);
    const id = j.id;
    void r.transfer.then((t) => transferDone(ctx, id, from, t));
  }
  if (o.checkpointId) {
    ctx.records.addRestore(o.checkpointId, {
      at: Date.now(), jobId: j.id, jobName: j.name, pid: r.pid, attempts: r.attempts, durationMs: Math.round(performance.now() - o.startedAt), logs: r.logs, outcome: 'restored',
    });
  }
  return { job: j, notes };
}
