// `cryo restore` in cryod, as explicit steps (DESIGN.md "A restore, step by step"):
//   resolve  - a checkpoint id (or prefix), a job name (its latest checkpoint) or a directory;
//              an exported archive is imported first (resolve-checkpoint.ts);
//   verify   - every file against the manifest (refuse incomplete/changed; --no-verify skips);
//   preflight- src/safety's checks (files, locks, ports, memory, disk, pids, cpu), all failures
//              at once (restore-preflight.ts); it runs while the restore's `criu swrk` (and, lazy,
//              the lazy-pages server, which only reads the images) starts; CRIU restores only once it passed;
//   pin      - the checkpoint cannot be removed while it is being restored;
//   prepare  - the target job (the checkpointed job itself, or new jobs for --name/--copies:
//              restore-targets.ts) and its stdio: new FIFOs (attachable) or a log file, handed to
//              CRIU by inherit_fd (restore-into-job.ts);
//   restore  - CRIU with rst_sibling (the root becomes cryod's child), hooks, retries, timeout;
//   adopt    - the job watches the restored root and relays its streams, exactly like `cryo run`
//              (restore-adopt.ts); a failure puts the job back (restore-rollback.ts);
//   health   - an early death of the restored job is reported as an event; with --health-* the
//              restore waits for every copy to prove healthy (restore-health.ts);
//   record   - the restore in the checkpoint's history, events.
// A failed restore leaves the checkpoint untouched and the job as it was (or no new job at all).

import { CryoError, isCryoError } from '../errors/index.js';
import type { JobRecord } from '../jobs/index.js';
import type { Pin } from '../store/index.js';
import type { ExitInfo } from '../safety/index.js';
import type { FlowContext } from './context.js';
import type { HookRunResult } from './hooks.js';
import { importIfArchive, resolveCheckpoint } from './resolve-checkpoint.js';
import { requireHealthy } from './restore-health.js';
import { restoreIntoJob } from './restore-into-job.js';
import { restorePreflight } from './restore-preflight.js';
import { targetJob } from './restore-targets.js';
import type { RestoreOutcome, RestoreRequestOpts } from './restore-types.js';
import { verifyBeforeRestore } from './verify-fast.js';

export type { RestoreRequestOpts, HealthRequest, RestoreOutcome } from './restore-types.js';
export { resolveCheckpoint, importIfArchive, type ResolvedCheckpoint } from './resolve-checkpoint.js';
export { restoreIntoJob, type RestoreIntoJob } from './restore-into-job.js';
export { restorePreflight } from './restore-preflight.js';

/** The whole restore: see the file comment for the steps. */
export async function restoreCheckpoint(ctx: FlowContext, req: RestoreRequestOpts): Promise<RestoreOutcome> {
  const started = performance.now();
  if (!Number.isInteger(req.copies) || req.copies < 1 || req.copies > 64) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`copies\` ${JSON.stringify(req.copies)}: give a whole number from 1 to 64`);
  }
  // 1. resolve; an archive made by `cryo export` is imported into the store first (streamed,
  // every file checked against its manifest) and restored from there.
  const archive = await importIfArchive(req.ref, () => Promise.resolve(ctx.store));
  const cp = resolveCheckpoint(ctx, archive?.dir ?? req.ref);
  if (!req.name && req.copies === 1 && cp.job && (cp.job.state === 'restoring' || cp.job.state === 'checkpointing')) {
    throw new CryoError('CRYO_INVALID_STATE', `job ${cp.job.name} is ${cp.job.state} right now`, {
      job: cp.job.name, operation: 'restore', hint: 'wait for that operation to finish, or restore a copy with --name',
    });
  }
  // 2. verify
  const tVerify = performance.now();
  let hashed = false;
  if (!req.noVerify) {
    const v = await verifyBeforeRestore(cp.dir, cp.id, cp.record?.meta.fingerprint, cp.record !== undefined);
    hashed = v.hashed;
    if (cp.record && v.hashed) ctx.records.setFingerprint(cp.id, v.fingerprint);
  }
  // 3. preflight: every reason the restore would fail, found from the images, listed at once.
  const tPreflight = performance.now();
  let preflightMs = 0;
  let checkTimes: Record<string, number> = {};
  let preflight: Promise<string | undefined> | undefined;
  const runPreflight = (): Promise<string | undefined> => {
    if (preflight) return preflight;
    const t = performance.now();
    return (preflight = restorePreflight(ctx.criu.criuPath, cp, !req.noVerify, req.force, (r) => (checkTimes = r.timings ?? {}))
      .finally(() => (preflightMs = performance.now() - t)));
  };
  // It runs while the first copy's `criu swrk` (and, lazy, its lazy-pages server) starts, and
  // CRIU waits for its verdict (criuRestore's proceedWhen); a refusal kills that criu (and server)
  // and puts the job back: nothing restored.
  // 4. pin
  let pin: Pin | undefined;
  if (cp.record) pin = await ctx.store.pin(cp.id, `restore by cryod (pid ${process.pid})`);
  const jobs: JobRecord[] = [];
  const notes: string[] = archive ? [archive.note] : [];
  const hooks: HookRunResult[] = [];
  const logs: string[] = [];
  const watches: { job: JobRecord; pid: number; exited: Promise<ExitInfo> }[] = [];
  try {
    for (let i = 1; i <= req.copies; i++) {
      const { jobId, created } = targetJob(ctx, cp, req, i);
      try {
        const r = await restoreIntoJob(ctx, {
          jobId, dir: cp.dir, meta: cp.meta, ...(cp.record ? { checkpointId: cp.id } : {}), hooks: req.hooks, hookTimeoutMs: req.hookTimeoutMs,
          io: req.io, logFile: req.logFile, created, lazy: req.lazy, lazyFallback: req.lazyFallback, timeoutMs: req.timeoutMs,
          ...(i === 1 ? { proceedWhen: runPreflight } : {}),
        });
        jobs.push(r.job);
        watches.push({ job: r.job, pid: r.pid, exited: r.exited });
        notes.push(...r.notes);
        hooks.push(...r.hooks);
        logs.push(...r.logs);
      } catch (e) {
        if (jobs.length === 0 || !isCryoError(e)) throw e;
        throw new CryoError(e.code, `${e.message} (copy ${i} of ${req.copies}; copies already restored keep running: ${jobs.map((x) => x.name).join(', ')})`, e.context);
      }
    }
    // 7. health, when asked: the restore only succeeds once every copy has proved healthy. The
    // pin is held meanwhile; a failure leaves the checkpoint intact and the job as it is.
    if (req.health) await requireHealthy(ctx, watches, req.health, notes);
  } finally {
    await pin?.release();
  }
  const forced = await runPreflight(); // settled already (before CRIU restored)
  if (forced) notes.splice(archive ? 1 : 0, 0, forced);
  const timing = `verify ${Math.round(tPreflight - tVerify)} ms (${req.noVerify ? 'skipped' : hashed ? 'SHA-256 of every file' : 'unchanged since last verified'}), pre-flight ${Math.round(preflightMs)} ms (${Object.entries(checkTimes).map(([k, v]) => `${k} ${v}`).join(', ')})${req.lazy ? ' while criu swrk and the lazy-pages server started' : ' while criu swrk started'}`;
  notes.push(`timings: ${timing}, total ${Math.round(performance.now() - started)} ms`);
  return { checkpoint: cp.id, jobs, notes, hooks, logs, durationMs: performance.now() - started };
}

