// Jobs in SQLite: insert, update, find by id / id prefix / name, list, delete.

import type { Db } from './db.js';
import type { JobRecord } from '../jobs/job.js';
import { CryoError } from '../errors/index.js';

interface Row {
  id: string; name: string; state: string; mode: string; io: string; command: string; cwd: string;
  env: string; root_pid: number | null; root_start_time: number | null; monitor_pid: number | null;
  monitor_start_time: number | null; exit_code: number | null; signal: string | null;
  log_file: string | null; job_dir: string; stdio: string; note: string | null; error: string | null;
  sent_signals: string; latest_checkpoint: string | null; created_at: number;
  started_at: number | null; finished_at: number | null;
}

function fromRow(r: Row): JobRecord {
  return {
    id: r.id, name: r.name, state: r.state as JobRecord['state'], mode: r.mode as JobRecord['mode'],
    io: r.io as JobRecord['io'], command: JSON.parse(r.command) as string[], cwd: r.cwd,
    env: JSON.parse(r.env) as Record<string, string>, rootPid: r.root_pid, rootStartTime: r.root_start_time,
    monitorPid: r.monitor_pid, monitorStartTime: r.monitor_start_time, exitCode: r.exit_code,
    signal: r.signal, logFile: r.log_file, jobDir: r.job_dir, stdio: JSON.parse(r.stdio) as JobRecord['stdio'],
    note: r.note, error: r.error, sentSignals: JSON.parse(r.sent_signals) as string[],
    latestCheckpoint: r.latest_checkpoint, createdAt: r.created_at, startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function toRow(j: JobRecord): Row {
  return {
    id: j.id, name: j.name, state: j.state, mode: j.mode, io: j.io, command: JSON.stringify(j.command),
    cwd: j.cwd, env: JSON.stringify(j.env), root_pid: j.rootPid, root_start_time: j.rootStartTime,
    monitor_pid: j.monitorPid, monitor_start_time: j.monitorStartTime, exit_code: j.exitCode,
    signal: j.signal, log_file: j.logFile, job_dir: j.jobDir, stdio: JSON.stringify(j.stdio), note: j.note,
    error: j.error, sent_signals: JSON.stringify(j.sentSignals), latest_checkpoint: j.latestCheckpoint,
    created_at: j.createdAt, started_at: j.startedAt, finished_at: j.finishedAt,
  };
}

const columns = [
  'id', 'name', 'state', 'mode', 'io', 'command', 'cwd', 'env', 'root_pid', 'root_start_time', 'monitor_pid',
  'monitor_start_time', 'exit_code', 'signal', 'log_file', 'job_dir', 'stdio', 'note', 'error', 'sent_signals',
  'latest_checkpoint', 'created_at', 'started_at', 'finished_at',
] as const;

/** Typed access to the jobs table; statements are prepared once. */
export class JobStore {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly byId;
  private readonly byName;
  private readonly byPrefix;
  private readonly all;
  private readonly del;

  constructor(db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO jobs (${columns.join(',')}) VALUES (${columns.map((c) => '@' + c).join(',')})`);
    this.updateStmt = db.prepare(`UPDATE jobs SET ${columns.filter((c) => c !== 'id').map((c) => `${c}=@${c}`).join(',')} WHERE id=@id`);
    this.byId = db.prepare('SELECT * FROM jobs WHERE id = ?');
    this.byName = db.prepare('SELECT * FROM jobs WHERE name = ?');
    this.byPrefix = db.prepare("SELECT * FROM jobs WHERE id LIKE ? || '%' LIMIT 2");
    this.all = db.prepare('SELECT * FROM jobs ORDER BY created_at, id');
    this.del = db.prepare('DELETE FROM jobs WHERE id = ?');
  }

  insert(j: JobRecord): void {
    try {
      this.insertStmt.run(toRow(j));
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new CryoError('CRYO_JOB_NAME_IN_USE', `a job named ${j.name} already exists`, {
          job: j.name, hint: 'choose another --name, or remove the old job with `cryo rm`',
        });
      }
      throw e;
    }
  }

  update(j: JobRecord): void {
    this.updateStmt.run(toRow(j));
  }

  get(id: string): JobRecord | undefined {
    const r = this.byId.get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /** Finds a job by exact id, exact name, then unique id prefix (like docker). */
  find(ref: string): JobRecord | undefined {
    const exact = (this.byId.get(ref) ?? this.byName.get(ref)) as Row | undefined;
    if (exact) return fromRow(exact);
    if (!/^[0-9a-f]{3,}$/.test(ref)) return undefined;
    const rows = this.byPrefix.all(ref) as Row[];
    if (rows.length > 1) {
      throw new CryoError('CRYO_INVALID_OPTION', `job id prefix ${ref} matches several jobs`, {
        hint: 'give more characters of the id, or the job name',
      });
    }
    return rows[0] && fromRow(rows[0]);
  }

  list(): JobRecord[] {
    return (this.all.all() as Row[]).map(fromRow);
  }

  delete(id: string): void {
    this.del.run(id);
  }
}
