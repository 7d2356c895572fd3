// The job manager: the one place that starts, watches, signals, re-adopts and removes jobs, and
// records every change of state (through state-machine.ts) in SQLite with an event. This class is
// the front door; each concern lives in its own file: run-job.ts, exit-recording.ts, readopt.ts,
// manage-process.ts, restored-jobs.ts (+ restore-monitor.ts), job-output.ts (shared: job-core.ts).

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { CryoError } from '../errors/index.js';
import type { EventStore, JobStore } from '../state/index.js';
import { JobsCore, type ManagerOptions } from './job-core.js';
import { jobOutput, type OutputFeed } from './job-output.js';
import { liveStates, type JobRecord, type JobState } from './job.js';
import { manageProcess } from './manage-process.js';
import { isSameProcess } from './proc.js';
import { readoptJobs } from './readopt.js';
import { watchChild } from './reaper.js';
import { adoptRestoredRoot, createRestored, dropRestored, type RestoredJobSpec } from './restored-jobs.js';
import { runJob, type RunOptions } from './run-job.js';
import { parseSignal } from './signals.js';
import { assertAllowed, describeState, transition } from './state-machine.js';

export type { ManagerOptions } from './job-core.js';
export type { OutputFeed } from './job-output.js';
export type { RunOptions } from './run-job.js';
export { interpretStatus } from './exit-recording.js';

/** Owns all jobs of one cryod. */
export class JobManager {
  private readonly core: JobsCore;

  constructor(store: JobStore, events: EventStore, opts: ManagerOptions) {
    this.core = new JobsCore(store, events, opts);
  }

  // ---- lookup ----

  /** The job named by id, id prefix or name; throws CRYO_JOB_NOT_FOUND. */
  resolve(ref: string): JobRecord {
    if (typeof ref !== 'string' || ref === '') {
      throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `job`: it is empty', { hint: 'give a job id or name (see `cryo ps`)' });
    }
    const j = this.core.store.find(ref);
    if (!j) throw new CryoError('CRYO_JOB_NOT_FOUND', `no job with id or name ${JSON.stringify(ref)}`, { job: ref });
    return j;
  }

  /** Every job cryod knows. */
  list(): JobRecord[] {
    return this.core.store.list();
  }

  // ---- start, re-adopt, manage ----

  /** Starts a job and resolves once its root pid and stdio are known (state running). */
  run(o: RunOptions): Promise<JobRecord> {
    return runJob(this.core, o);
  }

  /** Takes over jobs a previous cryod left running; settles those that ended meanwhile. */
  readopt(): void {
    readoptJobs(this.core);
  }

  /** Adopts a process tree cryo did not start. Its exit code will be unknown (not our child). */
  manage(pid: number, name?: string): JobRecord {
    return manageProcess(this.core, pid, name);
  }

  // ---- signals, removal, waiting ----

  /** Sends a signal to the job's root (tini forwards it to the command's process group). */
  kill(ref: string, signal = 'SIGTERM'): JobRecord {
    const sig = parseSignal(signal);
    const j = this.resolve(ref);
    assertAllowed(j, 'kill');
    this.deliver(j, sig, false);
    this.core.emit(j, 'job.signaled', `sent ${sig} to job ${j.name}`, { signal: sig });
    return j;
  }

  /** Delivers sig to the root (or, for Ctrl-C, the job's process group) after checking identity. */
  private deliver(j: JobRecord, sig: NodeJS.Signals, group: boolean): void {
    if (j.rootPid === null || !isSameProcess(j.rootPid, j.rootStartTime)) {
      throw new CryoError('CRYO_INVALID_STATE', `cannot signal job ${j.name}: its process is gone`, { job: j.name });
    }
    if (!j.sentSignals.includes(sig)) {
      j.sentSignals.push(sig);
      this.core.store.update(j);
    }
    // pidns jobs: tini (-g) forwards to the command's process group. host jobs are session
    // leaders, so -pid is their process group.
    const target = group && j.mode === 'host' ? -j.rootPid : j.rootPid;
    process.kill(target, sig);
  }

  /** Removes a job's record and directory; a live job only with force (SIGKILL, then wait). */
  async remove(ref: string, force = false): Promise<string> {
    let j = this.resolve(ref);
    assertAllowed(j, force ? 'force-remove' : 'remove');
    if (liveStates.has(j.state)) {
      if (j.rootPid !== null && isSameProcess(j.rootPid, j.rootStartTime)) this.deliver(j, 'SIGKILL', true);
      j = await this.waitFor(j.id, 10_000);
    }
    const { core } = this;
    core.live.get(j.id)?.io?.close();
    core.live.delete(j.id);
    core.liveness.unwatch(j.id);
    core.store.delete(j.id);
    rmSync(j.jobDir, { recursive: true, force: true });
    core.emit(j, 'job.removed', `job ${j.name} removed`);
    return j.id;
  }

  /** Resolves when the job has ended (or is checkpointed and stopped). */
  wait(ref: string): Promise<JobRecord> {
    return this.waitFor(this.resolve(ref).id);
  }

  private waitFor(id: string, timeoutMs?: number): Promise<JobRecord> {
    const j = this.core.mustGet(id);
    if (!liveStates.has(j.state)) return Promise.resolve(j);
    return new Promise((resolve, reject) => {
      let t: NodeJS.Timeout | undefined;
      this.core.addWaiter(id, (k) => {
        if (t) clearTimeout(t);
        resolve(k);
      });
      if (timeoutMs !== undefined) {
        t = setTimeout(() => reject(new CryoError('CRYO_DAEMON_ERROR', `job ${j.name} did not end within ${timeoutMs / 1000} s after SIGKILL`, { job: j.name })), timeoutMs);
      }
    });
  }

  // ---- I/O ----

  /** The kept output plus, while the job runs, a live subscription. */
  output(ref: string, tailBytes = 0): OutputFeed {
    const j = this.resolve(ref);
    return jobOutput(j, this.core.live.get(j.id), tailBytes);
  }

  /** Subscribes to the job's end (for streams that close when the job ends). */
  onEnd(ref: string, fn: (j: JobRecord) => void): () => void {
    const j = this.resolve(ref);
    if (!liveStates.has(j.state)) {
      queueMicrotask(() => fn(j));
      return () => undefined;
    }
    return this.core.addWaiter(j.id, fn);
  }

  /** Forwards attach input to the job's stdin FIFO. */
  writeStdin(ref: string, data: Buffer): void {
    const j = this.resolve(ref);
    assertAllowed(j, 'stdin');
    const io = this.core.live.get(j.id)?.io;
    if (!io) throw new CryoError('CRYO_INVALID_STATE', `job ${j.name} has no stdin held by cryo (its output goes to ${j.logFile ?? 'nowhere'})`, { job: j.name });
    io.writeStdin(data);
  }

  /** Ctrl-C from an attached terminal: the signal goes to the job's process group. */
  signalGroup(ref: string, signal: string): void {
    const j = this.resolve(ref);
    assertAllowed(j, 'kill');
    this.deliver(j, parseSignal(signal), true);
  }

  // ---- for the checkpoint/restore flow ----

  /** Moves a job to a new state (through the state machine) and records it with an event. */
  setState(ref: string, to: JobState, patch: Partial<JobRecord> = {}, message?: string): JobRecord {
    const j = this.resolve(ref);
    transition(j, to);
    Object.assign(j, patch);
    this.core.store.update(j);
    this.core.emit(j, 'job.state', message ?? `job ${j.name} is ${describeState(j)}`);
    if (!liveStates.has(j.state)) this.core.settleWaiters(j);
    return j;
  }

  /** Starts watching a restored root: through its exit-status monitor, or as cryod's child (restored-jobs.ts). */
  adoptRestoredRoot(ref: string, pid: number, exited: Promise<{ code: number | null; signal: string | null }> = watchChild(pid), monitor?: ChildProcess): JobRecord {
    return adoptRestoredRoot(this.core, this.resolve(ref), pid, exited, monitor);
  }

  /** Creates the record of a job restored from a checkpoint (state restoring, not yet watched). */
  createRestored(o: RestoredJobSpec): JobRecord {
    return createRestored(this.core, o);
  }

  /** Forgets a job created by createRestored whose restore failed (no process was adopted). */
  dropRestored(id: string): void {
    dropRestored(this.core, id);
  }

  /** Appends an event (used by the restore flow for CRIU notifications too). */
  emit(j: Pick<JobRecord, 'id' | 'name' | 'state'> | null, type: string, message: string, data: Record<string, unknown> = {}): void {
    this.core.emit(j, type, message, data);
  }

  /** Closes cryod's side of every job (daemon shutdown); the jobs keep running. */
  close(): void {
    const { core } = this;
    core.closed = true;
    core.liveness.close();
    for (const e of core.live.values()) {
      e.io?.close();
      e.monitor?.removeAllListeners('exit');
    }
    core.live.clear();
  }
}
