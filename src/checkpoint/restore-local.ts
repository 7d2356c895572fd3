// `cryo restore CHECKPOINT --no-daemon`: the restore flow in the CLI's own process. The restored
// root becomes the CLI's child (rst_sibling) with the caller's terminal as its stdin/stdout/stderr
// (inherit_fd keyed by the stdio identities recorded at dump), so it behaves like a foreground
// command; the CLI then waits and exits with its exit code.

import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { CriuClient, waitForExit, type ExitStatus } from '../criu/index.js';
import { CryoError } from '../errors/index.js';
import { CheckpointStore, type Pin } from '../store/index.js';
import { verifyBeforeRestore } from './verify-fast.js';
import { CheckpointRecords } from './checkpoint-records.js';
import { criuRestore } from './criu-restore.js';
import { HookRunner, type HookRunResult, type HookSpec } from './hooks.js';
import { readMeta } from './metadata.js';
import type { TransferOutcome } from '../lazy/index.js';
import { planStdio, recordedStdio } from './stdio.js';
import { dumpOptions, importIfArchive } from './resolve-checkpoint.js';
import { restorePreflight } from './restore-preflight.js';

/** Options of a daemonless restore. */
export interface LocalRestoreOptions {
  readonly ref: string;
  /** cryo's data dir: its store (<dataDir>/checkpoints) and database resolve ids and job names. */
  readonly dataDir: string;
  readonly noVerify?: boolean;
  readonly hooks: readonly HookSpec[];
  readonly hookTimeoutMs: number;
  readonly logLevel?: 0 | 1 | 2 | 3 | 4;
  readonly onNote?: (s: string) => void;
  /** Lazy restore: this process supervises the lazy-pages server until every page has arrived. */
  readonly lazy?: boolean;
  readonly lazyFallback?: 'eager';
  /** One CRIU attempt's limit in ms (0: none); undefined: config restoreTimeoutMs. */
  readonly timeoutMs?: number | undefined;
  /** Restore even when pre-flight finds problems (they are reported through onNote). */
  readonly force?: boolean;
}

/** The restored process. */
export interface LocalRestoreResult {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  readonly checkpoint: string;
  readonly dir: string;
  readonly logs: string[];
  readonly hooks: HookRunResult[];
  readonly criuMs: number;
  /** Lazy restore: settles when every page has arrived (or the transfer failed). */
  readonly transfer?: Promise<TransferOutcome>;
}

/** A checkpoint directory for `ref`: a path, an id (prefix) or a job name in cryod's database. */
export function resolveLocal(ref: string, dataDir: string): { id: string; dir: string; inStore: boolean; fingerprint?: Record<string, string> } {
  const asPath = resolvePath(ref);
  if ((ref.includes('/') || ref.startsWith('.')) && existsSync(asPath) && statSync(asPath).isDirectory()) {
    const id = readMeta(asPath)?.['id'];
    return { id: typeof id === 'string' ? id : asPath, dir: asPath, inStore: false };
  }
  const dbPath = join(dataDir, 'cryo.db');
  if (existsSync(dbPath)) {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const recs = new CheckpointRecords(db);
      const rec = recs.find(ref);
      if (rec) return { id: rec.id, dir: rec.dir, inStore: true, ...(rec.meta.fingerprint ? { fingerprint: rec.meta.fingerprint } : {}) };
      const job = db.prepare('SELECT id, latest_checkpoint FROM jobs WHERE id = ? OR name = ?').get(ref, ref) as { id: string; latest_checkpoint: string | null } | undefined;
      if (job) {
        const latest = (job.latest_checkpoint ? recs.find(job.latest_checkpoint) : undefined) ?? recs.latest(job.id);
        if (latest) return { id: latest.id, dir: latest.dir, inStore: true, ...(latest.meta.fingerprint ? { fingerprint: latest.meta.fingerprint } : {}) };
        throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `job ${ref} has no checkpoint`, { job: ref, operation: 'restore' });
      }
    } finally {
      db.close();
    }
  }
  const dir = join(dataDir, 'checkpoints', ref);
  if (existsSync(dir)) return { id: ref, dir, inStore: true };
  throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `no checkpoint, job or checkpoint directory named ${JSON.stringify(ref)} (looked in ${dataDir})`, {
    checkpoint: ref, operation: 'restore', hint: 'give a checkpoint directory, or the --data-dir / CRYO_DATA_DIR cryod uses',
  });
}

/** Resolves, verifies, pins and restores a checkpoint wired to this process's stdio. */
export async function restoreLocal(o: LocalRestoreOptions): Promise<LocalRestoreResult> {
  const archive = await importIfArchive(o.ref, () => CheckpointStore.open({ root: join(o.dataDir, 'checkpoints') }));
  if (archive) o.onNote?.(archive.note);
  const cp = resolveLocal(archive?.dir ?? o.ref, o.dataDir);
  if (!o.noVerify) await verifyBeforeRestore(cp.dir, cp.id, cp.fingerprint, cp.inStore);
  const meta = readMeta(cp.dir) ?? {};
  const options = dumpOptions(cp.dir, meta);
  const client = new CriuClient();
  const forced = await restorePreflight(client.criuPath, { id: cp.id, dir: cp.dir, meta }, !o.noVerify, o.force === true);
  if (forced) o.onNote?.(forced);
  let pin: Pin | undefined;
  if (cp.inStore) pin = await (await CheckpointStore.open({ root: join(o.dataDir, 'checkpoints') })).pin(cp.id, `daemonless restore (pid ${process.pid})`);
  try {
    const plan = planStdio(recordedStdio(cp.dir, meta.stdio), { stdin: 0, stdout: 1, stderr: 2 });
    o.onNote?.(`${plan.summary} to this terminal`);
    const hooks = new HookRunner(o.hooks, o.hookTimeoutMs, {
      CRYO_JOB: meta.job ?? '', CRYO_JOB_NAME: meta.jobName ?? '', CRYO_CHECKPOINT: cp.id, CRYO_IMAGES_DIR: cp.dir, CRYO_PID: '',
    });
    // Lazy: the lazy-pages socket and logs live in a private work dir (never the images dir); the
    // checkpoint stays pinned (by lazyRestore) until the last page has arrived.
    const lazy = o.lazy ? {
      lazy: {
        workDir: mkdtempSync(join(tmpdir(), 'cryo-lazy-')), job: meta.jobName ?? cp.id, ...(o.lazyFallback ? { fallback: o.lazyFallback } : {}),
        ...(cp.inStore ? { checkpoint: { id: cp.id, store: await CheckpointStore.open({ root: join(o.dataDir, 'checkpoints') }) } } : {}),
      },
    } : {};
    const r = await criuRestore({
      ...lazy,
      client, dir: cp.dir, options, inheritFds: plan.inheritFds, hooks,
      ...(o.logLevel !== undefined ? { logLevel: o.logLevel } : {}),
      watch: (pid) => waitForExit(pid),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), what: cp.id,
      onRetry: (e, delay) => o.onNote?.(`${e.message}; retrying in ${delay} ms`),
    });
    for (const w of r.warnings) o.onNote?.(`warning: ${w}`);
    return { pid: r.pid, exited: r.exited, checkpoint: cp.id, dir: cp.dir, logs: r.logs, hooks: hooks.runs, criuMs: r.criuMs, ...(r.transfer ? { transfer: r.transfer } : {}) };
  } finally {
    await pin?.release();
  }
}
