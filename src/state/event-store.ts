// Lifecycle events in SQLite plus in-process subscribers: what `cryo events` streams.

import type { Db } from './db.js';

/** One event as stored and streamed. */
export interface CryoEvent {
  seq: number;
  time: number;
  type: string;
  jobId: string | null;
  jobName: string | null;
  state: string | null;
  message: string;
  data: Record<string, unknown>;
}

interface Row { seq: number; time: number; type: string; job_id: string | null; job_name: string | null; state: string | null; message: string; data: string }

const fromRow = (r: Row): CryoEvent => ({
  seq: r.seq, time: r.time, type: r.type, jobId: r.job_id, jobName: r.job_name, state: r.state,
  message: r.message, data: JSON.parse(r.data) as Record<string, unknown>,
});

/** Keeps at most this many events; older ones are pruned so the table stays small. */
const keepEvents = 10_000;

/** Appends events durably and fans them out to live subscribers. */
export class EventStore {
  private readonly listeners = new Set<(e: CryoEvent) => void>();
  private readonly insertStmt;
  private readonly sinceStmt;
  private readonly pruneStmt;
  private count = 0;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      'INSERT INTO events (time, type, job_id, job_name, state, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.sinceStmt = db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq');
    this.pruneStmt = db.prepare('DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?');
  }

  /** Records an event and delivers it to subscribers. */
  emit(e: Omit<CryoEvent, 'seq' | 'time'>): CryoEvent {
    const time = Date.now();
    const r = this.insertStmt.run(time, e.type, e.jobId, e.jobName, e.state, e.message, JSON.stringify(e.data));
    const ev: CryoEvent = { ...e, seq: Number(r.lastInsertRowid), time };
    if (++this.count % 500 === 0) this.pruneStmt.run(keepEvents);
    for (const l of this.listeners) l(ev);
    return ev;
  }

  /** Stored events after seq, oldest first. */
  since(seq: number): CryoEvent[] {
    return (this.sinceStmt.all(seq) as Row[]).map(fromRow);
  }

  /** Subscribes to new events; returns the unsubscribe function. */
  subscribe(fn: (e: CryoEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
