// Checkpoints in cryod's SQLite database (table `checkpoints`, created by src/state/db.ts): which
// job each belongs to, where it lives, and cryo's metadata plus every restore made from it.

import type { Db } from '../state/db.js';
import { CryoError } from '../errors/index.js';
import type { CheckpointMeta } from './metadata.js';

/** One restore made from a checkpoint (kept in the checkpoint's meta). */
export interface RestoreRecord {
  readonly at: number;
  readonly jobId: string | null;
  readonly jobName: string | null;
  readonly pid: number | null;
  readonly attempts: number;
  readonly durationMs: number;
  readonly logs: readonly string[];
  readonly outcome: 'restored' | 'failed';
  readonly error?: string;
}

/** A checkpoint row. */
export interface CheckpointRecord {
  readonly id: string;
  readonly jobId: string;
  readonly dir: string;
  readonly state: 'complete';
  readonly createdAt: number;
  readonly meta: CheckpointMeta & { restores?: RestoreRecord[]; fingerprint?: Record<string, string> };
}

interface Row { id: string; job_id: string; dir: string; state: string; created_at: number; meta: string }

const fromRow = (r: Row): CheckpointRecord => ({
  id: r.id, jobId: r.job_id, dir: r.dir, state: r.state as 'complete', createdAt: r.created_at,
  meta: JSON.parse(r.meta) as CheckpointRecord['meta'],
});

/** Typed access to the checkpoints table. */
export class CheckpointRecords {
  private readonly insertStmt;
  private readonly metaStmt;
  private readonly byId;
  private readonly byPrefix;
  private readonly byJob;
  private readonly all;
  private readonly del;

  constructor(db: Db) {
    this.insertStmt = db.prepare('INSERT INTO checkpoints (id, job_id, dir, state, created_at, meta) VALUES (?, ?, ?, ?, ?, ?)');
    this.metaStmt = db.prepare('UPDATE checkpoints SET meta = ? WHERE id = ?');
    this.byId = db.prepare('SELECT * FROM checkpoints WHERE id = ?');
    this.byPrefix = db.prepare("SELECT * FROM checkpoints WHERE id LIKE ? || '%' LIMIT 2");
    this.byJob = db.prepare('SELECT * FROM checkpoints WHERE job_id = ? ORDER BY created_at, id');
    this.all = db.prepare('SELECT * FROM checkpoints ORDER BY created_at, id');
    this.del = db.prepare('DELETE FROM checkpoints WHERE id = ?');
  }

  insert(c: CheckpointRecord): void {
    this.insertStmt.run(c.id, c.jobId, c.dir, c.state, c.createdAt, JSON.stringify(c.meta));
  }

  /** By exact id or unique id prefix (>= 4 characters); undefined when none. */
  find(ref: string): CheckpointRecord | undefined {
    const exact = this.byId.get(ref) as Row | undefined;
    if (exact) return fromRow(exact);
    if (!/^[0-9TZ-]{4,}[0-9a-fTZ-]*$/.test(ref)) return undefined;
    const rows = this.byPrefix.all(ref) as Row[];
    if (rows.length > 1) {
      throw new CryoError('CRYO_INVALID_OPTION', `checkpoint id prefix ${ref} matches several checkpoints`, { hint: 'give more of the id (see `cryo checkpoints`)' });
    }
    return rows[0] && fromRow(rows[0]);
  }

  /** All checkpoints, or one job's, oldest first. */
  list(jobId?: string): CheckpointRecord[] {
    return ((jobId === undefined ? this.all.all() : this.byJob.all(jobId)) as Row[]).map(fromRow);
  }

  /** The newest checkpoint of a job. */
  latest(jobId: string): CheckpointRecord | undefined {
    return this.list(jobId).at(-1);
  }

  /** Remembers the files' fingerprint after a clean verification (see verify-fast.ts). */
  setFingerprint(id: string, fingerprint: Record<string, string>): void {
    const c = this.find(id);
    if (c) this.metaStmt.run(JSON.stringify({ ...c.meta, fingerprint }), id);
  }

  /** Appends a restore to a checkpoint's history (keeps the last 50). */
  addRestore(id: string, r: RestoreRecord): void {
    const c = this.find(id);
    if (!c) return;
    const restores = [...(c.meta.restores ?? []), r].slice(-50);
    this.metaStmt.run(JSON.stringify({ ...c.meta, restores }), id);
  }

  delete(id: string): void {
    this.del.run(id);
  }
}
