// Step 1 of a restore: what the user's reference names. A checkpoint id (or prefix), a job name
// (its latest checkpoint), a checkpoint directory, or an exported archive (imported first).

import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { readDumpRecord } from '../criu/dump-record.js';
import { CryoError, isCryoError } from '../errors/index.js';
import type { JobRecord } from '../jobs/index.js';
import { importCheckpoint, type CheckpointStore } from '../store/index.js';
import type { CheckpointRecord } from './checkpoint-records.js';
import type { CriuChoice } from './choose-options.js';
import type { FlowContext } from './context.js';
import { readMeta, type CheckpointMeta } from './metadata.js';

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
export function dumpOptions(dir: string, meta: Partial<CheckpointMeta>): CriuChoice {
  if (meta.options) return meta.options;
  return readDumpRecord(dir)?.options ?? {};
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
