// What every part of the job manager shares: the store, the events, cryod's side of each live job
// (its I/O relay, its monitor), the waiters for a job's end, and the liveness watcher. One object,
// so the concerns (run, exits, re-adoption, manage, restored jobs, output) live in their own files.

import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CryoError } from '../errors/index.js';
import type { EventStore, JobStore } from '../state/index.js';
import type { JobIo } from './job-io.js';
import { finalStates, type JobRecord } from './job.js';
import { LivenessWatcher } from './liveness.js';
import { transition } from './state-machine.js';

export interface ManagerOptions {
  readonly dataDir: string;
  /** Cap of each attachable job's output log (two rotating halves). */
  readonly logMaxBytes: number;
  readonly log: Logger;
}

/** cryod's side of one live job. */
export interface Live {
  io?: JobIo;
  monitor?: ChildProcess;
}

/** The state shared by the job manager's parts (internal to src/jobs). */
export class JobsCore {
  readonly live = new Map<string, Live>();
  readonly waiters = new Map<string, ((j: JobRecord) => void)[]>();
  readonly liveness = new LivenessWatcher();
  readonly jobsDir: string;
  /** cryod is stopping: ends seen now are left for the next cryod to record. */
  closed = false;

  constructor(readonly store: JobStore, readonly events: EventStore, readonly opts: ManagerOptions) {
    this.jobsDir = join(opts.dataDir, 'jobs');
    mkdirSync(this.jobsDir, { recursive: true, mode: 0o750 });
  }

  /** The job by id; throws CRYO_JOB_NOT_FOUND when it was removed meanwhile. */
  mustGet(id: string): JobRecord {
    const j = this.store.get(id);
    if (!j) throw new CryoError('CRYO_JOB_NOT_FOUND', `job ${id} was removed`);
    return j;
  }

  /** Appends an event. */
  emit(j: Pick<JobRecord, 'id' | 'name' | 'state'> | null, type: string, message: string, data: Record<string, unknown> = {}): void {
    this.events.emit({ type, jobId: j?.id ?? null, jobName: j?.name ?? null, state: j?.state ?? null, message, data });
  }

  /** Marks a job failed (it could not start) and releases its waiters. */
  fail(id: string, why: string): void {
    const j = this.store.get(id);
    if (!j || finalStates.has(j.state)) return;
    transition(j, 'failed');
    j.error = why;
    j.finishedAt = Date.now();
    this.store.update(j);
    this.emit(j, 'job.failed', `job ${j.name} failed: ${why}`);
    this.live.get(id)?.io?.close();
    this.live.delete(id);
    this.settleWaiters(j);
  }

  /** Tells everyone waiting for the job's end. */
  settleWaiters(j: JobRecord): void {
    for (const w of this.waiters.get(j.id)?.splice(0) ?? []) w(j);
    this.waiters.delete(j.id);
  }

  /** Adds a waiter for the job's end; returns its removal. */
  addWaiter(id: string, fn: (j: JobRecord) => void): () => void {
    const list = this.waiters.get(id) ?? [];
    list.push(fn);
    this.waiters.set(id, list);
    return () => {
      const l = this.waiters.get(id);
      if (l) l.splice(l.indexOf(fn) >>> 0, 1);
    };
  }
}
