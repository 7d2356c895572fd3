// `cryo restore` in cryod, as explicit steps (DESIGN.md "A restore, step by step"):
//   resolve  - a checkpoint id (or prefix), a job name (its latest checkpoint) or a directory;
//   verify   - every file against the manifest (refuse incomplete/changed; --no-verify skips);
//   preflight- src/safety's checks (files, ports, memory, disk, pids, cpu), all failures at once;
//   pin      - the checkpoint cannot be removed while it is being restored;
//   prepare  - the target job (the checkpointed job itself, or new jobs for --name/--copies) and
//              its stdio: new FIFOs (attachable) or a log file, handed to CRIU by inherit_fd;
//   restore  - CRIU with rst_sibling (the root becomes cryod's child), hooks, retries;
//   adopt    - the job watches the restored root and relays its streams, exactly like `cryo run`;
//   health   - an early death of the restored job is reported as an event (src/safety);
//   record   - the restore in the checkpoint's history, events.
// A failed restore leaves the checkpoint untouched and the job as it was (or no new job at all).

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import type { TransferOutcome } from '../lazy/index.js';
import { readDumpRecord } from '../criu/dump-record.js';
import { CryoError, isCryoError } from '../errors/index.js';
import { fifoPaths, watchChild, type JobRecord } from '../jobs/index.js';
import { ensureFifo } from '../jobs/fifo.js';
import { outputLogPath } from '../jobs/output-log.js';
import { importCheckpoint, readManifest, type CheckpointStore, type Pin } from '../store/index.js';
import { verifyForRestore } from './verify-fast.js';
import { preflightError, runPreflight, UnhealthyError, watchHealth, type CheckId, type ExitInfo } from '../safety/index.js';
import type { CheckpointRecord } from './checkpoint-records.js';
import type { CriuChoice } from './choose-options.js';
import type { FlowContext } from './context.js';
import { criuRestore } from './criu-restore.js';
import { HookRunner, type HookRunResult, type HookSpec } from './hooks.js';
import { readMeta, type CheckpointMeta } from './metadata.js';
import { closeAll, openFifoTargets, openFileTargets, planStdio, readStdio, recordedStdio } from './stdio.js';

/** A restore request, validated by the service. */
export interface RestoreRequestOpts {
  readonly ref: string;
  readonly name?: string | undefined;
  readonly copies: number;
  /** undefined: as the job had it (attachable unless it wrote to a file). */
  readonly io?: 'attachable' | 'file' | undefined;
  readonly logFile?: string | undefined;
  readonly noVerify?: boolean;
  /** Lazy restore: the process runs at once, its memory follows from a lazy-pages server. */
  readonly lazy?: boolean;
  /** With lazy: restore eagerly instead when the kernel lacks userfaultfd. */
  readonly lazyFallback?: 'eager';
  readonly hooks: readonly HookSpec[];
  readonly hookTimeoutMs: number;
  /** Restore even when pre-flight finds problems (they are reported as notes). */
  readonly force?: boolean;
  /** Wait for the restored jobs to prove healthy before answering (src/safety watchHealth). */
  readonly health?: HealthRequest | undefined;
  /** One CRIU attempt's limit in ms (0: none); undefined: config restoreTimeoutMs. */
  readonly timeoutMs?: number | undefined;
}

/** `--health-cmd` / `--health-tcp` / `--health-grace`: what "healthy" means after a restore. */
export interface HealthRequest {
  readonly cmd?: string | undefined;
  readonly tcpPort?: number | undefined;
  readonly graceMs: number;
}

/** What a restore produced. */
export interface RestoreOutcome {
  readonly checkpoint: string;
  readonly jobs: JobRecord[];
  readonly notes: string[];
  readonly hooks: HookRunResult[];
  readonly logs: string[];
  readonly durationMs: number;
}

/** A resolved checkpoint: where it is and what cryo knows about it. */
export interface ResolvedCheckpoint {
  readonly id: string;
  readonly dir: string;
  readonly meta: Partial<CheckpointMeta>;
  readonly record?: CheckpointRecord;
  /** The job it was taken from, if cryod still has it. */
  readonly job?: JobRecord;
}

/** Step 1: what `ref` names. Throws CRYO_CHECKPOINT_NOT_FOUND with what was tried. */
export function resolveCheckpoint(ctx: FlowContext, ref: string): ResolvedCheckpoint {
  if (typeof ref !== 'string' || ref === '') {
    throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `checkpoint`: it is empty', { hint: 'give a checkpoint id, a job name or a checkpoint directory' });
  }
  const jobOf = (id: string | undefined): JobRecord | undefined => {
    try {
      return id ? ctx.jobs.resolve(id) : undefined;
    } catch {
      return undefined;
    }
  };
  if (isAbsolute(ref) || ref.startsWith('.')) {
    const dir = resolvePath(ref);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `no checkpoint directory at ${dir}`, { checkpoint: ref, operation: 'restore' });
    }
    const meta = readMeta(dir) ?? {};
    const id = typeof meta['id'] === 'string' ? meta['id'] : dir;
    const job = jobOf(meta.job);
    return { id, dir, meta, ...(job ? { job } : {}) };
  }
  const rec = ctx.records.find(ref);
  if (rec) {
    const job = jobOf(rec.jobId);
    return { id: rec.id, dir: rec.dir, meta: rec.meta, record: rec, ...(job ? { job } : {}) };
  }
  const job = jobOf(ref);
  if (job) {
    const latest = (job.latestCheckpoint ? ctx.records.find(job.latestCheckpoint) : undefined) ?? ctx.records.latest(job.id);
    if (!latest) {
      throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `job ${job.name} has no checkpoint`, {
        job: job.name, operation: 'restore', hint: `checkpoint it first with \`cryo dump ${job.name}\``,
      });
    }
    return { id: latest.id, dir: latest.dir, meta: latest.meta, record: latest, job };
  }
  throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `no checkpoint, job or checkpoint directory named ${JSON.stringify(ref)}`, {
    checkpoint: ref, operation: 'restore',
  });
}

/** The CRIU options the dump used (cryo.json, or cryo-dump.json of a daemonless dump). */
function dumpOptions(dir: string, meta: Partial<CheckpointMeta>): CriuChoice {
  if (meta.options) return meta.options;
  return readDumpRecord(dir)?.options ?? {};
}

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
    let t;
    if (io === 'attachable') {
      const paths = fifoPaths(j.jobDir);
      for (const p of Object.values(paths)) ensureFifo(p);
      t = openFifoTargets(paths);
    } else {
      t = openFileTargets(logFile as string);
    }
    owned = t.owned;
    const plan = planStdio(recordedStdio(o.dir, o.meta.stdio), t.targets, owned);
    const tPrepared = performance.now();
    notes.push(io === 'attachable' ? `${j.name}: output kept by cryod (attach with \`cryo attach ${j.name}\`); ${plan.summary}` : `${j.name}: output appended to ${logFile}; ${plan.summary}`);
    // restore
    const r = await criuRestore({
      client: ctx.criu, dir: o.dir, options: dumpOptions(o.dir, o.meta), inheritFds: plan.inheritFds, hooks, logLevel: ctx.criuLogLevel,
      watch: (pid) => watchChild(pid),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), what: o.checkpointId ?? o.dir,
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
    // adopt (synchronously with the state change: the exit watch settles in a later tick). The
    // I/O mode is recorded first: adoption opens the FIFOs of attachable jobs only.
    const newLog = io === 'file' ? (logFile as string) : outputLogPath(j.jobDir);
    if (j.io !== io || j.logFile !== newLog) j = ctx.jobs.setState(j.id, 'restoring', { io, logFile: newLog }, `job ${j.name}: output now ${io === 'file' ? `appended to ${newLog}` : 'kept by cryod'}`);
    ctx.jobs.adoptRestoredRoot(j.id, r.pid, r.exited);
    j = ctx.jobs.setState(j.id, 'running', {
      io, logFile: newLog, stdio: readStdio(r.pid), startedAt: Date.now(), finishedAt: null,
      exitCode: null, signal: null, sentSignals: [], error: null,
      note: `restored from ${o.checkpointId ?? o.dir}${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}${r.transfer ? '; pages: transferring' : ''}`,
    }, `job ${j.name} restored from ${o.checkpointId ?? o.dir} (pid ${r.pid}, ${Math.round(r.criuMs)} ms in CRIU)`);
    watchRestored(ctx, j, r.pid, r.exited);
    ctx.jobs.emit(j, 'job.restored', `job ${j.name} restored (pid ${r.pid})`, { checkpoint: o.checkpointId ?? null, pid: r.pid, attempts: r.attempts, logs: r.logs });
    if (r.transfer) {
      notes.push(`${j.name}: running before its memory arrived; pages follow in the background (\`cryo ps\` shows "pages: complete" when done)`);
      void r.transfer.then((t) => transferDone(ctx, j.id, o.checkpointId ?? o.dir, t));
    }
    if (o.checkpointId) {
      ctx.records.addRestore(o.checkpointId, {
        at: Date.now(), jobId: j.id, jobName: j.name, pid: r.pid, attempts: r.attempts, durationMs: Math.round(performance.now() - started), logs: r.logs, outcome: 'restored',
      });
    }
    return { job: j, pid: r.pid, exited: r.exited, hooks: hooks.runs, logs, notes };
  } catch (e) {
    closeAll(owned);
    if (o.created) ctx.jobs.dropRestored(j.id);
    else {
      const now = ctx.jobs.resolve(j.id);
      if (now.state === 'restoring') ctx.jobs.setState(j.id, before === 'restoring' ? 'checkpointed' : before, {}, `restore of job ${j.name} failed; it is ${before} again`);
    }
    const msg = e instanceof Error ? e.message : String(e);
    ctx.jobs.emit(o.created ? null : j, 'restore.failed', `restore of ${o.checkpointId ?? o.dir} failed: ${msg}`, { checkpoint: o.checkpointId ?? null, code: isCryoError(e) ? e.code : null });
    if (o.checkpointId) {
      ctx.records.addRestore(o.checkpointId, {
        at: Date.now(), jobId: o.created ? null : j.id, jobName: o.created ? null : j.name, pid: null, attempts: logs.length || 1,
        durationMs: Math.round(performance.now() - started), logs, outcome: 'failed', error: msg,
      });
    }
    throw e;
  }
}

/** Where a lazy restore of this job keeps its lazy-pages socket and logs. */
function lazyWorkDir(jobDir: string): string {
  const d = join(jobDir, 'lazy-restore');
  mkdirSync(d, { recursive: true });
  return d;
}

/** The background page transfer of a lazy restore ended: job note ("pages: ...") and event. */
function transferDone(ctx: FlowContext, jobId: string, from: string, t: TransferOutcome): void {
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

/**
 * Step 3 (src/safety): files, ports, memory, disk, pids, cpu. The manifest was just verified, a
 * job in its own PID namespace needs no free pids, the stdio files are replaced through
 * inherit_fd, and a restore on the machine and kernel that made the checkpoint skips the CPU
 * check (it spawns criu; the CPU is the same).
 */
export async function restorePreflight(
  criuPath: string, cp: Pick<ResolvedCheckpoint, 'id' | 'dir' | 'meta'>, verified: boolean, force = false,
): Promise<string | undefined> {
  const skip: CheckId[] = [];
  if (verified) skip.push('integrity');
  if (cp.meta.mode === 'pidns') skip.push('pids');
  const manifestCpu = (await readManifest(cp.dir).catch(() => undefined));
  if (manifestCpu && 'manifest' in manifestCpu && manifestCpu.manifest.cpu.model === cpus()[0]?.model && cp.meta.kernel === release()) skip.push('cpu');
  const ignoreFiles = (cp.meta.stdio ?? []).map((s) => s.target).filter((t) => t.startsWith('/'));
  const report = await runPreflight(cp.dir, { criuPath, skip, ignoreFiles });
  const err = preflightError(report, cp.id);
  if (err && !force) throw err;
  return err ? `pre-flight found problems, restoring anyway (--force): ${err.message}` : undefined;
}

/**
 * Step 7 (src/safety): a restored job that dies within the grace period gets an event with its
 * exit status and output tail. In the background: the job's own state records the exit anyway.
 */
function watchRestored(ctx: FlowContext, j: JobRecord, pid: number, exited: Promise<ExitInfo>): void {
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

/** When `ref` is a regular file (an exported archive), imports it and says where it went. */
export async function importIfArchive(ref: string, store: () => Promise<CheckpointStore>): Promise<{ dir: string; note: string } | undefined> {
  if (!(isAbsolute(ref) || ref.startsWith('.')) || !existsSync(ref) || !statSync(ref).isFile()) return undefined;
  const s = await store();
  try {
    const r = await importCheckpoint(resolvePath(ref), s);
    return { dir: r.checkpoint.dir, note: `imported archive ${ref} as checkpoint ${r.checkpoint.id}` };
  } catch (e) {
    // The same checkpoint was imported (or made) here before: restore that copy; it is verified next.
    const id = isCryoError(e, 'CRYO_CHECKPOINT_EXISTS') ? e.context.checkpoint : undefined;
    if (id === undefined) throw e;
    const existing = await s.get(id);
    return { dir: existing.dir, note: `archive ${ref} holds checkpoint ${id}, already in the store: restoring that copy` };
  }
}

/** Waits for every restored job to pass the health watch; throws the first failure, with the job named. */
async function requireHealthy(
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

/** How long a restored job is watched for an early death. */
const HEALTH_GRACE_MS = 2000;

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
    try {
      const v = await verifyForRestore(cp.dir, cp.id, cp.record?.meta.fingerprint);
      hashed = v.hashed;
      if (cp.record && v.hashed) ctx.records.setFingerprint(cp.id, v.fingerprint);
    } catch (e) {
      if (isCryoError(e) && e.code === 'CRYO_CHECKPOINT_INCOMPLETE' && !cp.record) {
        throw new CryoError(e.code, `${e.message} (plain CRIU images have no manifest)`, { ...e.context, hint: 'restore plain CRIU images with --no-verify' });
      }
      throw e;
    }
  }
  // 3. preflight: every reason the restore would fail, found from the images, listed at once.
  const tPreflight = performance.now();
  const forced = await restorePreflight(ctx.criu.criuPath, cp, !req.noVerify, req.force);
  const timing = `verify ${Math.round(tPreflight - tVerify)} ms (${req.noVerify ? 'skipped' : hashed ? 'SHA-256 of every file' : 'unchanged since last verified'}), pre-flight ${Math.round(performance.now() - tPreflight)} ms`;
  // 4. pin
  let pin: Pin | undefined;
  if (cp.record) pin = await ctx.store.pin(cp.id, `restore by cryod (pid ${process.pid})`);
  const jobs: JobRecord[] = [];
  const notes: string[] = [...(archive ? [archive.note] : []), ...(forced ? [forced] : [])];
  const hooks: HookRunResult[] = [];
  const logs: string[] = [];
  const watches: { job: JobRecord; pid: number; exited: Promise<ExitInfo> }[] = [];
  try {
    const sameJob = req.copies === 1 && !req.name && cp.job !== undefined && cp.job.state === 'checkpointed';
    for (let i = 1; i <= req.copies; i++) {
      let jobId: string;
      let created = false;
      if (sameJob && cp.job) {
        jobId = cp.job.id;
      } else {
        const like = {
          command: [...(cp.meta.command ?? cp.job?.command ?? ['(restored)', cp.dir])], cwd: cp.meta.cwd ?? cp.job?.cwd ?? '/',
          env: { ...(cp.meta.env ?? cp.job?.env ?? {}) }, mode: cp.meta.mode ?? cp.job?.mode ?? 'pidns',
        };
        const io = req.io ?? (cp.meta.io === 'file' && cp.meta.logFile ? 'file' : 'attachable');
        const name = req.name ? (req.copies > 1 ? `${req.name}-${i}` : req.name) : copyName(ctx, cp.meta.jobName ?? cp.job?.name ?? 'restored');
        jobId = ctx.jobs.createRestored({
          name, like, io, logFile: io === 'file' ? (req.logFile ?? cp.meta.logFile ?? undefined) : undefined,
          note: `restored from ${cp.id}`,
        }).id;
        created = true;
      }
      try {
        const r = await restoreIntoJob(ctx, {
          jobId, dir: cp.dir, meta: cp.meta, ...(cp.record ? { checkpointId: cp.id } : {}), hooks: req.hooks, hookTimeoutMs: req.hookTimeoutMs,
          io: req.io, logFile: req.logFile, created, lazy: req.lazy, lazyFallback: req.lazyFallback, timeoutMs: req.timeoutMs,
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
  notes.push(`timings: ${timing}, total ${Math.round(performance.now() - started)} ms`);
  return { checkpoint: cp.id, jobs, notes, hooks, logs, durationMs: performance.now() - started };
}
