// `cryo dump JOB` in cryod, step by step (DESIGN.md "A dump, step by step"):
//   1. find the job's root, choose the CRIU options it needs and say why;
//   2. job -> checkpointing; CRIU dumps into a store ingest directory (criu-dump.log beside the
//      images), notifications become `criu.notify` events and run user hooks;
//   3. cryo.json (job, command, options, stdio identities, versions, sizes) and the manifest are
//      written by the store's commit, which renames the checkpoint into place;
//   4. the checkpoint is recorded in SQLite; job -> checkpointed (or running with leave-running).
// Failure rules: if CRIU fails, CRIU has resumed the process: we check it runs and say so. If
// anything after CRIU stopped the process fails (the commit), the job is restored from the images
// just written; if even that fails the images are kept in the rescue directory and the error says
// exactly where and how to restore them. A process is never lost silently.

import { copyFileSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { CriuError } from '../criu/index.js';
import { CryoError, isCryoError } from '../errors/index.js';
import { assertAllowed, describeState, type JobRecord } from '../jobs/index.js';
import { isSameProcess } from '../jobs/proc.js';
import type { Ingest } from '../store/index.js';
import { criuVersion } from '../store/versions.js';
import { chooseCriuOptions, type OptionRequest } from './choose-options.js';
import type { CheckpointRecord } from './checkpoint-records.js';
import type { FlowContext } from './context.js';
import { HookRunner, type HookRunResult, type HookSpec } from './hooks.js';
import type { CheckpointMeta } from './metadata.js';
import { readStdio } from './stdio.js';
import { fingerprintOf } from './verify-fast.js';
import { restoreIntoJob } from './restore-flow.js';

/** A dump request, validated by the service / CLI. */
export interface DumpJobRequest extends OptionRequest {
  readonly job: string;
  readonly leaveRunning?: boolean;
  readonly hooks: readonly HookSpec[];
  readonly hookTimeoutMs: number;
}

/** Tries of one dump: a failure CRIU gives no known cause for is retried once (the job runs on). */
const DUMP_ATTEMPTS = 2;

/** What a dump produced. */
export interface DumpOutcome {
  readonly checkpoint: CheckpointRecord;
  readonly job: JobRecord;
  readonly chosen: string[];
  readonly hooks: HookRunResult[];
  readonly durationMs: number;
  readonly criuMs: number;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    try {
      n += statSync(join(dir, f)).size;
    } catch {
      // vanished
    }
  }
  return n;
}

/** Keeps CRIU's dump log of a failed attempt in the job directory (the ingest dir is dropped). */
function keepDumpLog(ingest: Ingest, j: JobRecord, attempt: number): string | undefined {
  const src = join(ingest.dir, 'criu-dump.log');
  if (!existsSync(src)) return undefined;
  const dst = join(j.jobDir, `criu-dump.${ingest.id}.${attempt}.log`);
  try {
    copyFileSync(src, dst);
    return dst;
  } catch {
    return undefined;
  }
}

/** Checkpoints a job through the store; see the file comment for the failure rules. */
export async function dumpJob(ctx: FlowContext, req: DumpJobRequest): Promise<DumpOutcome> {
  const started = performance.now();
  // 1. The job and its root.
  const j0 = ctx.jobs.resolve(req.job);
  assertAllowed(j0, 'dump');
  const root = j0.rootPid;
  if (root === null || !isSameProcess(root, j0.rootStartTime)) {
    throw new CryoError('CRYO_INVALID_STATE', `cannot dump job ${j0.name}: its process is gone`, { job: j0.name, operation: 'dump' });
  }
  const { options, why } = chooseCriuOptions(root, req);
  const stdio = readStdio(root);
  const ingest = await ctx.store.beginIngest();
  const ev = { job: j0.id, checkpoint: ingest.id };
  const hooks = new HookRunner(req.hooks, req.hookTimeoutMs, {
    CRYO_JOB: j0.id, CRYO_JOB_NAME: j0.name, CRYO_PID: String(root), CRYO_CHECKPOINT: ingest.id, CRYO_IMAGES_DIR: ingest.dir,
  }, (r) => ctx.jobs.emit(j0, 'hook.run', `${r.event} hook \`${r.command}\` exited ${r.exitCode} in ${r.durationMs} ms`, { ...ev, ...r }));

  // 2. checkpointing, then CRIU.
  let j = ctx.jobs.setState(j0.id, 'checkpointing', {}, `job ${j0.name} is checkpointing (options: ${why.join(', ') || 'none'})`);
  let criuMs = 0;
  let hookError: CryoError | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const t = performance.now();
      await ctx.criu.dump({
        pid: root, imagesDir: ingest.dir, logFile: 'criu-dump.log', logLevel: ctx.criuLogLevel,
        ...(req.leaveRunning ? { leaveRunning: true } : {}), ...options,
        notify: {
          '*': async (n) => {
            ctx.jobs.emit(j0, 'criu.notify', `CRIU ${n.script}${n.pid ? ` (pid ${n.pid})` : ''}`, { ...ev, script: n.script, pid: n.pid ?? null });
            try {
              await hooks.run(n.script);
            } catch (e) {
              hookError = e as CryoError;
              throw e;
            }
          },
        },
      });
      criuMs = performance.now() - t;
      break;
    } catch (e) {
      const log = keepDumpLog(ingest, j0, attempt);
      // CRIU resumed the tree: a failure it gave no known permanent cause for is tried once more
      // (seen under load with several dumps at once: "Parasite failed to dump /proc/self/cgroup").
      const known = e instanceof CriuError && e.logHint !== undefined && !e.transient;
      if (attempt < DUMP_ATTEMPTS && !hookError && !known && !isCryoError(e, 'CRYO_PID_NOT_FOUND') && isSameProcess(root, j0.rootStartTime)) {
        ctx.jobs.emit(j0, 'dump.retry', `dump attempt ${attempt} of job ${j0.name} failed (${(e as Error).message}); the job runs on; trying again`, { ...ev, log: log ?? null });
        for (const f of readdirSync(ingest.dir)) rmSync(join(ingest.dir, f), { recursive: true, force: true });
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      await ctx.store.abort(ingest);
      throw dumpFailed(ctx, j0, root, hookError ?? e, log);
    }
  }

  // 3. Metadata + commit (manifest last, then rename into the store).
  const meta: CheckpointMeta = {
    job: j0.id, jobName: j0.name, command: j0.command, cwd: j0.cwd, env: j0.env, mode: j0.mode, io: j0.io, logFile: j0.logFile,
    rootPid: root, options, chosen: why, leaveRunning: !!req.leaveRunning, stdio,
    criuVersion: await criuVersion(ctx.criu.criuPath), kernel: release(), dumpMs: Math.round(criuMs),
    imagesBytes: dirBytes(ingest.dir), hooks: hooks.runs,
  };
  let info;
  try {
    // Test-only fault injection (like CRIU's own): the recovery path must be exercised for real.
    if (process.env['CRYO_FAULT_INJECT'] === 'dump-commit') {
      throw new CryoError('CRYO_DISK_FULL', 'cannot write the checkpoint: injected fault (CRYO_FAULT_INJECT=dump-commit)');
    }
    info = await ctx.store.commit(ingest, { ...meta, options: { ...meta.options } });
  } catch (e) {
    throw await commitFailed(ctx, j0, ingest, meta, e, !!req.leaveRunning);
  }

  // 4. Record and settle the job.
  const record: CheckpointRecord = { id: info.id, jobId: j0.id, dir: info.dir, state: 'complete', createdAt: info.createdAt.getTime(), meta };
  ctx.records.insert(record);
  // The commit just hashed every file: the first restore need not hash them again.
  ctx.records.setFingerprint(info.id, fingerprintOf(info.dir));
  j = ctx.jobs.setState(j0.id, req.leaveRunning ? 'running' : 'checkpointed', { latestCheckpoint: info.id, note: null, ...(req.leaveRunning ? {} : { rootPid: null, rootStartTime: null }) },
    req.leaveRunning ? `job ${j0.name} checkpointed as ${info.id} and left running` : `job ${j0.name} checkpointed as ${info.id}; its processes were stopped`);
  ctx.jobs.emit(j, 'checkpoint.created', `checkpoint ${info.id} of job ${j.name} (${info.bytes} bytes, ${Math.round(criuMs)} ms in CRIU)`, {
    checkpoint: info.id, bytes: info.bytes, criuMs: Math.round(criuMs), options: why,
  });
  return { checkpoint: record, job: j, chosen: why, hooks: hooks.runs, durationMs: performance.now() - started, criuMs };
}

/** CRIU failed: it resumes the tree itself. Check that the process runs and say so. */
function dumpFailed(ctx: FlowContext, j: JobRecord, root: number, e: unknown, log: string | undefined): CryoError {
  const alive = isSameProcess(root, j.rootStartTime);
  const now = ctx.jobs.resolve(j.id);
  if (now.state === 'checkpointing') {
    if (alive) ctx.jobs.setState(j.id, 'running', {}, `dump of job ${j.name} failed; CRIU resumed it and it keeps running`);
    else ctx.jobs.setState(j.id, 'lost', { note: 'its processes ended during a failed dump', finishedAt: Date.now() });
  }
  const state = alive ? `job ${j.name} is still running (pid ${root}): nothing was changed` : `job ${j.name} ended during the failed dump`;
  const ce = isCryoError(e) ? e : new CryoError('CRYO_CRIU_DUMP_FAILED', `dump failed: ${(e as Error).message}`, { cause: e });
  return new CryoError(ce.code, `dump of job ${j.name} failed: ${ce.message}; ${state}`, {
    ...ce.context, job: j.name, pid: root, operation: 'dump', ...(log ? { logPath: log } : {}),
    ...(ce.code === 'CRYO_HOOK_FAILED' ? { hint: `${ce.action}; no checkpoint was registered` } : {}),
  });
}

/** The images are written and the process is stopped, but the commit failed: bring it back. */
async function commitFailed(ctx: FlowContext, j: JobRecord, ingest: Ingest, meta: CheckpointMeta, e: unknown, leftRunning: boolean): Promise<CryoError> {
  const why = e instanceof Error ? e.message : String(e);
  const code = isCryoError(e) ? e.code : 'CRYO_DAEMON_ERROR';
  if (leftRunning) {
    await ctx.store.abort(ingest);
    ctx.jobs.setState(j.id, 'running', {}, `checkpoint of job ${j.name} could not be saved; it keeps running`);
    return new CryoError(code, `checkpoint of job ${j.name} could not be saved: ${why}; the job keeps running (--leave-running)`, { job: j.name, operation: 'dump', cause: e });
  }
  // The processes are stopped: the job is checkpointed (only in the ingest dir) until restored.
  ctx.jobs.setState(j.id, 'checkpointed', {}, `checkpoint of job ${j.name} could not be saved (${why}); restoring it from the images`);
  try {
    const r = await restoreIntoJob(ctx, { jobId: j.id, dir: ingest.dir, meta, hooks: [], hookTimeoutMs: 30_000, io: undefined, logFile: undefined });
    await ctx.store.abort(ingest);
    return new CryoError(code, `checkpoint of job ${j.name} could not be saved: ${why}; the job was restored from the images just written and keeps running (pid ${r.pid})`, {
      job: j.name, operation: 'dump', cause: e, hint: 'fix the cause (disk space, permissions of the data dir) and dump again',
    });
  } catch (re) {
    const keep = join(ctx.rescueDir, ingest.id);
    let where = ingest.dir;
    try {
      renameSync(ingest.dir, keep);
      where = keep;
    } catch {
      // leave it in the ingest directory
    }
    ctx.jobs.setState(j.id, 'checkpointed', { error: `checkpoint could not be saved and the restore failed; images kept at ${where}` });
    return new CryoError(code, `checkpoint of job ${j.name} could not be saved (${why}) and restoring the job from the images failed too (${(re as Error).message}); the job's processes are stopped, its images are kept at ${where}`, {
      job: j.name, operation: 'dump', imagesDir: where, cause: e,
      hint: `restore it with \`cryo restore ${where} --no-verify\` once the cause is fixed (job was ${describeState(j)})`,
    });
  }
}
