// cryod's SQLite database (better-sqlite3, WAL): jobs, checkpoints, events. One file under the
// data dir; the schema is versioned with PRAGMA user_version and migrated forward on open.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The database handle type used by the stores. */
export type Db = Database.Database;

// Each entry migrates from version i to i+1. Append only; never edit a shipped migration.
const migrations: string[] = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     state TEXT NOT NULL,
     mode TEXT NOT NULL,
     io TEXT NOT NULL,
     command TEXT NOT NULL,            -- JSON array
     cwd TEXT NOT NULL,
     env TEXT NOT NULL DEFAULT '{}',   -- JSON object: only the variables the caller set
     root_pid INTEGER,
     root_start_time INTEGER,
     monitor_pid INTEGER,
     monitor_start_time INTEGER,
     exit_code INTEGER,
     signal TEXT,
     log_file TEXT,
     job_dir TEXT NOT NULL,
     stdio TEXT NOT NULL DEFAULT '[]', -- JSON array of {fd,target,inode}
     note TEXT,
     error TEXT,
     sent_signals TEXT NOT NULL DEFAULT '[]', -- signals cryo delivered (tells killed from exited)
     latest_checkpoint TEXT,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER
   );
   CREATE TABLE checkpoints (
     id TEXT PRIMARY KEY,
     job_id TEXT NOT NULL,
     dir TEXT NOT NULL,
     state TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     meta TEXT NOT NULL DEFAULT '{}'
   );
   CREATE INDEX checkpoints_job ON checkpoints(job_id);
   CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     time INTEGER NOT NULL,
     type TEXT NOT NULL,
     job_id TEXT,
     job_name TEXT,
     state TEXT,
     message TEXT NOT NULL,
     data TEXT NOT NULL DEFAULT '{}'
   );`,
];

/** Opens (creating and migrating) cryo.db under dataDir. */
export function openDb(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const db = new Database(join(dataDir, 'cryo.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
