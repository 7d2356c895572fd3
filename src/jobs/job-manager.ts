// The job manager: the one place that starts, watches, signals, re-adopts and removes jobs, and
// records every change of state (through state-machine.ts) in SQLite with an event.

import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, readSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { CryoError } from '../errors/index.js';
import type { EventStore, JobStore } from '../state/index.js';
import { ensureFifo } from './fifo.js';
import { fifoPaths, JobIo, type OutputChunk } from './job-io.js';
import { finalStates, liveStates, type JobRecord, type JobState } from './job.js';
import { LivenessWatcher } from './liveness.js';
import { defaultJobName, newJobId, validateJobName } from './names.js';
import { readTail, outputLogPath } from './output-log.js';
import { cmdlineOf, cwdOf, isSameProcess, startTimeOf } from './proc.js';
import { watchChild } from './reaper.js';
import { parseSignal, signalName, signalNumber } from './signals.js';
import { checkLaunchable, exitStatusPath, findRoot, launch, type LaunchSpec } from './spawn.js';
import { assertAllowed, describeState, transition } from './state-machine.js';

/** What `cryo run` asks for, before validation. */
export interface RunOptions {
  command: string[];
  name?: string | undefined;
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  noPidns?: boolean | undefined;
  logFile?: string | undefined;
}

export interface ManagerOptions {
  readonly dataDir: string;
  /** Cap of each attachable job's output log (two rotating halves). */
  readonly logMaxBytes: number;
  readonly log: Logger;
}

interface Live {
  io?: JobIo;
  monitor?: ChildProcess;
}

/** A read-only stream of output for `logs -f` and attach. */
export interface OutputFeed {
  /** Output kept so far (tail). */
  backlog: Buffer;
  /** Subscribes to new output; returns unsubscribe. Absent when the job cannot produce more. */
  subscribe?: (fn: (c: OutputChunk) => void) => () => void;
}

const envKey = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Owns all jobs of one cryod. */
export class JobManager {
  private readonly live = new Map<string, Live>();
  private readonly waiters = new Map<string, ((j: JobRecord) => void)[]>();
  private readonly liveness = new LivenessWatcher();
  private readonly jobsDir: string;
  private closed = false;

  constructor(private readonly store: JobStore, private readonly events: EventStore, private readonly opts: ManagerOptions) {
    this.jobsDir = join(opts.dataDir, 'jobs');
    mkdirSync(this.jobsDir, { recursive: true, mode: 0o750 });
  }

  // ---- lookup ----

  /** The job named by id, id prefix or name; throws CRYO_JOB_NOT_FOUND. */
  resolve(ref: string): JobRecord {
    if (typeof ref !== 'string' || ref === '') {
      throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `job`: it is empty', { hint: 'give a job id or name (see `cryo ps`)' });
    }
    const j = this.store.find(ref);
    if (!j) throw new CryoError('CRYO_JOB_NOT_FOUND', `no job with id or name ${JSON.stringify(ref)}`, { job: ref });
    return j;
  }

  list(): JobRecord[] {
    return this.store.list();
  }

  // ---- run ----

  /** Starts a job and resolves once its root pid and stdio are known (state running). */
  async run(o: RunOptions): Promise<JobRecord> {
    if (!Array.isArray(o.command) || o.command.length === 0 || o.command.some((a) => typeof a !== 'string')) {
      throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `command`: give the command to run after --', {
        hint: 'usage: cryo run [options] -- CMD [ARGS...]',
      });
    }
    if (o.command.some((a) => a.includes('\0'))) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `command`: it contains a NUL byte');
    const name = o.name ? validateJobName(o.name) : defaultJobName(o.command, (n) => this.store.find(n) !== undefined);
    if (this.store.find(name)?.name === name) {
      throw new CryoError('CRYO_JOB_NAME_IN_USE', `a job named ${name} already exists`, { job: name });
    }
    const cwd = o.cwd || '/';
    if (!isAbsolute(cwd)) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`cwd\` ${JSON.stringify(cwd)}: use an absolute path`);
    const extraEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.env ?? {})) {
      if (!envKey.test(k) || typeof v !== 'string' || v.includes('\0')) {
        throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`env\` ${JSON.stringify(k)}: use KEY=VALUE with KEY made of letters, digits and _`);
      }
      extraEnv[k] = v;
    }
    if (o.logFile !== undefined && o.logFile !== '' && !isAbsolute(o.logFile)) {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`log\` ${JSON.stringify(o.logFile)}: use an absolute path`);
    }
    const logFile = o.logFile || undefined;
    const id = newJobId();
    const jobDir = join(this.jobsDir, id);
    const spec: LaunchSpec = {
      jobDir, command: o.command, cwd, env: { ...baseEnv(), ...extraEnv }, mode: o.noPidns ? 'host' : 'pidns', logFile,
    };
    checkLaunchable(spec);
    if (logFile) {
      try {
        closeSync(openSync(logFile, 'a', 0o640));
      } catch (e) {
        throw new CryoError('CRYO_SPAWN_FAILED', `cannot open log file ${logFile}: ${(e as Error).message}`, { cause: e });
      }
    }
    mkdirSync(jobDir, { recursive: true, mode: 0o700 });
    const now = Date.now();
    const job: JobRecord = {
      id, name, state: 'starting', mode: spec.mode, io: logFile ? 'file' : 'attachable', command: [...o.command], cwd,
      env: extraEnv, rootPid: null, rootStartTime: null, monitorPid: null, monitorStartTime: null, exitCode: null,
      signal: null, logFile: logFile ?? outputLogPath(jobDir), jobDir, stdio: [], note: null, error: null,
      sentSignals: [], latestCheckpoint: null, createdAt: now, startedAt: null, finishedAt: null,
    };
    this.store.insert(job);
    this.emit(job, 'job.created', `job ${name} created: ${o.command.join(' ')}`);

    const entry: Live = {};
    this.live.set(id, entry);
    let gone = false;
    try {
      if (!logFile) entry.io = new JobIo(jobDir, this.opts.logMaxBytes);
      const launched = launch(spec);
      entry.monitor = launched.monitor;
      launched.monitor.on('exit', (code, signal) => {
        gone = true;
        void this.onMonitorExit(id, code ?? (signal ? 128 + (signalNumberOf(signal)) : null));
      });
      launched.monitor.on('error', (err) => this.fail(id, `could not start the job: ${err.message}`));
      const j = this.mustGet(id);
      j.monitorPid = launched.monitorPid;
      j.monitorStartTime = launched.monitorStartTime;
      this.store.update(j);
      const root = await findRoot(spec, launched.monitorPid, () => gone);
      const k = this.store.get(id);
      if (!k) return job;
      if (root) {
        k.rootPid = root.pid;
        k.rootStartTime = root.startTime;
        k.stdio = root.stdio;
      }
      if (k.state === 'starting') {
        transition(k, 'running');
        k.startedAt = Date.now();
        this.store.update(k);
        this.emit(k, 'job.started', `job ${name} started (pid ${k.rootPid ?? '?'})`);
      } else {
        this.store.update(k);
      }
      return k;
    } catch (e) {
      this.fail(id, (e as Error).message);
      throw e;
    }
  }

  private mustGet(id: string): JobRecord {
    const j = this.store.get(id);
    if (!j) throw new CryoError('CRYO_JOB_NOT_FOUND', `job ${id} was removed`);
    return j;
  }

  private fail(id: string, why: string): void {
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

  // ---- ending ----

  /** The monitor (our child) ended: its status file holds the job's exit status. */
  private async onMonitorExit(id: string, monitorCode: number | null): Promise<void> {
    const j = this.store.get(id);
    const status = readExitStatus(j?.jobDir);
    if (status === null && j && j.rootPid !== null && isSameProcess(j.rootPid, j.rootStartTime)) {
      // The monitor was killed, not the job: keep watching the job; its exit code is now unknowable.
      j.monitorPid = null;
      j.monitorStartTime = null;
      j.note = `${MONITOR_KILLED}: the exit code will be unknown`;
      this.store.update(j);
      this.emit(j, 'job.monitor-lost', `job ${j.name}: ${j.note}`);
      this.watchNonChild(j);
      return;
    }
    await this.live.get(id)?.io?.finish();
    this.ended(id, status ?? monitorCode);
  }

  /** Records how a job ended; `status` is a shell-style exit status or null (unknown). */
  private ended(id: string, status: number | null, note?: string): void {
    if (this.closed) return; // cryod is stopping: the next cryod records this end
    const entry = this.live.get(id);
    entry?.io?.close();
    this.live.delete(id);
    this.liveness.unwatch(id);
    const j = this.store.get(id);
    if (!j || finalStates.has(j.state)) return;
    if (j.state === 'checkpointing' || j.state === 'checkpointed') {
      // The dump flow stops the processes itself and decides the state.
      j.note = `processes ended during checkpoint (status ${status ?? 'unknown'})`;
      this.store.update(j);
      return;
    }
    const o = interpretStatus(j, status);
    transition(j, o.state);
    j.exitCode = o.exitCode;
    j.signal = o.signal;
    j.finishedAt = Date.now();
    if (note) j.note = note;
    this.store.update(j);
    this.emit(j, `job.${o.state}`, `job ${j.name} ${describeState(j)}`, { exitCode: j.exitCode, signal: j.signal });
    this.settleWaiters(j);
  }

  private settleWaiters(j: JobRecord): void {
    for (const w of this.waiters.get(j.id)?.splice(0) ?? []) w(j);
    this.waiters.delete(j.id);
  }

  // ---- re-adoption after a cryod restart ----

  /** Takes over jobs a previous cryod left running; settles those that ended meanwhile. */
  readopt(): void {
    for (const j of this.store.list()) {
      if (!liveStates.has(j.state)) continue;
      const monitorAlive = j.monitorPid !== null && isSameProcess(j.monitorPid, j.monitorStartTime);
      const rootAlive = j.rootPid !== null && isSameProcess(j.rootPid, j.rootStartTime);
      if (!monitorAlive && !rootAlive) {
        const status = readExitStatus(j.jobDir);
        this.ended(j.id, status, status === null ? 'ended while cryod was not running; exit code unknown' : 'ended while cryod was not running');
        continue;
      }
      if (j.state === 'checkpointing' || j.state === 'restoring' || j.state === 'starting') {
        // The operation died with the previous cryod; the processes still run.
        j.note = `cryod restarted while the job was ${j.state}; it is running`;
        j.state = 'running';
      } else if (wasRestored(j) && !j.note?.includes(RESTORED_PARENT_LOST)) {
        // The previous cryod was its parent (see adoptRestoredRoot).
        j.note = `${j.note ? `${j.note}; ` : ''}${RESTORED_PARENT_LOST}`;
      }
      const entry: Live = {};
      if (j.io === 'attachable') {
        try {
          entry.io = new JobIo(j.jobDir, this.opts.logMaxBytes);
        } catch (e) {
          this.opts.log.warn({ job: j.id, err: (e as Error).message }, 'cannot reopen job FIFOs');
        }
      }
      this.live.set(j.id, entry);
      this.store.update(j);
      this.emit(j, 'job.readopted', `job ${j.name} re-adopted after cryod restart (pid ${j.rootPid ?? '?'})`);
      this.watchNonChild(j);
    }
  }

  /** Watches a job whose processes are not our children; the monitor's status file gives the code. */
  private watchNonChild(j: JobRecord): void {
    const pids: { pid: number; startTime: number | null }[] = [];
    if (j.monitorPid !== null) pids.push({ pid: j.monitorPid, startTime: j.monitorStartTime });
    if (j.rootPid !== null) pids.push({ pid: j.rootPid, startTime: j.rootStartTime });
    this.liveness.watch(j.id, pids, () => {
      void (async () => {
        await this.live.get(j.id)?.io?.finish(100);
        const k = this.store.get(j.id);
        const status = k?.monitorPid !== null ? readExitStatus(j.jobDir) : null;
        const why = wasRestored(j) ? `it ended after cryod restarted: ${RESTORED_PARENT_LOST}` : 'cryod was not its parent when it ended: exit code unknown';
        this.ended(j.id, status, status === null ? why : undefined);
      })();
    });
  }

  // ---- manage ----

  /** Adopts a process tree cryo did not start. Its exit code will be unknown (not our child). */
  manage(pid: number, name?: string): JobRecord {
    if (!Number.isInteger(pid) || pid <= 1) {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`pid\` ${JSON.stringify(pid)}: give the pid of a running process (> 1)`);
    }
    if (pid === process.pid) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `pid`: that is cryod itself');
    const startTime = startTimeOf(pid);
    if (startTime === null || !isSameProcess(pid, startTime)) {
      throw new CryoError('CRYO_PID_NOT_FOUND', `no running process with pid ${pid}`, { pid, operation: 'manage' });
    }
    const dup = this.store.list().find((j) => liveStates.has(j.state) && j.rootPid === pid && j.rootStartTime === startTime);
    if (dup) throw new CryoError('CRYO_INVALID_OPTION', `pid ${pid} is already managed as job ${dup.name}`, { job: dup.name, pid });
    const command = cmdlineOf(pid);
    const jname = name ? validateJobName(name) : defaultJobName(command.length ? command : ['pid'], (n) => this.store.find(n) !== undefined);
    const id = newJobId();
    const jobDir = join(this.jobsDir, id);
    mkdirSync(jobDir, { recursive: true, mode: 0o700 });
    const stdio = [0, 1, 2].flatMap((fd) => {
      try {
        const target = readlinkSafe(`/proc/${pid}/fd/${fd}`);
        return target ? [{ fd, target, inode: statSync(`/proc/${pid}/fd/${fd}`).ino }] : [];
      } catch {
        return [];
      }
    });
    const now = Date.now();
    const j: JobRecord = {
      id, name: jname, state: 'running', mode: 'managed', io: 'none', command, cwd: cwdOf(pid), env: {},
      rootPid: pid, rootStartTime: startTime, monitorPid: null, monitorStartTime: null, exitCode: null, signal: null,
      logFile: null, jobDir, stdio, note: 'adopted with `cryo manage`: cryod is not its parent, so its exit code will be unknown',
      error: null, sentSignals: [], latestCheckpoint: null, createdAt: now, startedAt: now, finishedAt: null,
    };
    this.store.insert(j);
    this.live.set(id, {});
    this.emit(j, 'job.managed', `job ${jname} adopted (pid ${pid})`);
    this.watchNonChild(j);
    return j;
  }

  // ---- signals, removal, waiting ----

  /** Sends a signal to the job's root (tini forwards it to the command's process group). */
  kill(ref: string, signal = 'SIGTERM'): JobRecord {
    const sig = parseSignal(signal);
    const j = this.resolve(ref);
    assertAllowed(j, 'kill');
    this.deliver(j, sig, false);
    this.emit(j, 'job.signaled', `sent ${sig} to job ${j.name}`, { signal: sig });
    return j;
  }

  /** Delivers sig to the root (or, for Ctrl-C, the job's process group) after checking identity. */
  private deliver(j: JobRecord, sig: NodeJS.Signals, group: boolean): void {
    if (j.rootPid === null || !isSameProcess(j.rootPid, j.rootStartTime)) {
      throw new CryoError('CRYO_INVALID_STATE', `cannot signal job ${j.name}: its process is gone`, { job: j.name });
    }
    if (!j.sentSignals.includes(sig)) {
      j.sentSignals.push(sig);
      this.store.update(j);
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
    this.live.get(j.id)?.io?.close();
    this.live.delete(j.id);
    this.liveness.unwatch(j.id);
    this.store.delete(j.id);
    rmSync(j.jobDir, { recursive: true, force: true });
    this.emit(j, 'job.removed', `job ${j.name} removed`);
    return j.id;
  }

  /** Resolves when the job has ended (or is checkpointed and stopped). */
  wait(ref: string): Promise<JobRecord> {
    return this.waitFor(this.resolve(ref).id);
  }

  private waitFor(id: string, timeoutMs?: number): Promise<JobRecord> {
    const j = this.mustGet(id);
    if (!liveStates.has(j.state)) return Promise.resolve(j);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(id) ?? [];
      let t: NodeJS.Timeout | undefined;
      const done = (k: JobRecord): void => {
        if (t) clearTimeout(t);
        resolve(k);
      };
      list.push(done);
      this.waiters.set(id, list);
      if (timeoutMs !== undefined) {
        t = setTimeout(() => reject(new CryoError('CRYO_DAEMON_ERROR', `job ${j.name} did not end within ${timeoutMs / 1000} s after SIGKILL`, { job: j.name })), timeoutMs);
      }
    });
  }

  // ---- I/O ----

  /** The kept output plus, while the job runs, a live subscription. */
  output(ref: string, tailBytes = 0): OutputFeed {
    const j = this.resolve(ref);
    const entry = this.live.get(j.id);
    if (j.io === 'file' && j.logFile) {
      return { backlog: tailOfFile(j.logFile, tailBytes), ...(entry ? { subscribe: followFile(j.logFile) } : {}) };
    }
    if (j.io === 'none') {
      throw new CryoError('CRYO_INVALID_STATE', `job ${j.name} has no output kept by cryo: it was adopted with \`cryo manage\``, { job: j.name });
    }
    const io = entry?.io;
    return {
      backlog: readTail(outputLogPath(j.jobDir), tailBytes),
      ...(io ? { subscribe: (fn: (c: OutputChunk) => void) => io.subscribe(fn) } : {}),
    };
  }

  /** Subscribes to the job's end (for streams that close when the job ends). */
  onEnd(ref: string, fn: (j: JobRecord) => void): () => void {
    const j = this.resolve(ref);
    if (!liveStates.has(j.state)) {
      queueMicrotask(() => fn(j));
      return () => undefined;
    }
    const list = this.waiters.get(j.id) ?? [];
    list.push(fn);
    this.waiters.set(j.id, list);
    return () => {
      const l = this.waiters.get(j.id);
      if (l) l.splice(l.indexOf(fn) >>> 0, 1);
    };
  }

  /** Forwards attach input to the job's stdin FIFO. */
  writeStdin(ref: string, data: Buffer): void {
    const j = this.resolve(ref);
    assertAllowed(j, 'stdin');
    const io = this.live.get(j.id)?.io;
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
    this.store.update(j);
    this.emit(j, 'job.state', message ?? `job ${j.name} is ${describeState(j)}`);
    if (!liveStates.has(j.state)) this.settleWaiters(j);
    return j;
  }

  /**
   * Starts watching a restored root that is cryod's child (rst_sibling); reopens attachable I/O.
   * `exited`: a watch started earlier (at CRIU's post-restore), so an early exit is never lost.
   *
   * A restored job has no exit-status monitor, unlike one started by `cryo run`: CRIU's RPC restore
   * makes the root a child of the process that spawned `criu swrk` (cryod), and the kernel tells
   * only a parent (or a ptrace tracer) how a process ended. If cryod stops while the job runs, the
   * root is re-parented to init and its exit code is gone: the job then ends as `lost`, and its
   * note says why (RESTORED_PARENT_LOST). Ways to close that gap, not taken yet: spawn `criu swrk`
   * under a small monitor process that waits for ANY child (rst_sibling then makes the root the
   * monitor's child; `sh` cannot wait for a child it did not start, so the monitor must be a real
   * program, and a Node one costs ~40 MB per job); ptrace-seizing the root after a restart gets
   * its exit status but puts every signal it receives through cryod and makes CRIU refuse to dump
   * it (already traced).
   */
  adoptRestoredRoot(ref: string, pid: number, exited: Promise<{ code: number | null; signal: string | null }> = watchChild(pid)): JobRecord {
    const j = this.resolve(ref);
    j.rootPid = pid;
    j.rootStartTime = startTimeOf(pid);
    j.monitorPid = null;
    j.monitorStartTime = null;
    this.store.update(j);
    // A stale exit status of the dumped process must not be read for the restored one.
    rmSync(exitStatusPath(j.jobDir), { force: true });
    const entry: Live = this.live.get(j.id) ?? {};
    if (j.io === 'attachable' && !entry.io) entry.io = new JobIo(j.jobDir, this.opts.logMaxBytes);
    this.live.set(j.id, entry);
    void exited.then(async (s) => {
      await entry.io?.finish();
      this.ended(j.id, s.code ?? (s.signal ? 128 + signalNumberOf(s.signal) : null));
    });
    return j;
  }

  /**
   * Creates the record of a job restored from a checkpoint (state restoring, not yet watched):
   * a new id and job directory; attachable jobs get fresh FIFOs the restore hands to CRIU.
   */
  createRestored(o: { name: string; like: Pick<JobRecord, 'command' | 'cwd' | 'env' | 'mode'>; io: 'attachable' | 'file'; logFile?: string | undefined; note?: string }): JobRecord {
    const name = validateJobName(o.name);
    if (this.store.find(name)?.name === name) throw new CryoError('CRYO_JOB_NAME_IN_USE', `a job named ${name} already exists`, { job: name });
    const id = newJobId();
    const jobDir = join(this.jobsDir, id);
    mkdirSync(jobDir, { recursive: true, mode: 0o700 });
    if (o.io === 'attachable') for (const f of Object.values(fifoPaths(jobDir))) ensureFifo(f);
    const now = Date.now();
    const j: JobRecord = {
      id, name, state: 'restoring', mode: o.like.mode, io: o.io, command: [...o.like.command], cwd: o.like.cwd, env: { ...o.like.env },
      rootPid: null, rootStartTime: null, monitorPid: null, monitorStartTime: null, exitCode: null, signal: null,
      logFile: o.io === 'file' ? (o.logFile ?? null) : outputLogPath(jobDir), jobDir, stdio: [], note: o.note ?? null, error: null,
      sentSignals: [], latestCheckpoint: null, createdAt: now, startedAt: null, finishedAt: null,
    };
    this.store.insert(j);
    this.emit(j, 'job.created', `job ${name} created for a restore`);
    return j;
  }

  /** Forgets a job created by createRestored whose restore failed (no process was adopted). */
  dropRestored(id: string): void {
    const j = this.store.get(id);
    if (!j || j.state !== 'restoring') return;
    this.live.get(id)?.io?.close();
    this.live.delete(id);
    this.store.delete(id);
    rmSync(j.jobDir, { recursive: true, force: true });
  }

  /** Appends an event (used by the restore flow for CRIU notifications too). */
  emit(j: Pick<JobRecord, 'id' | 'name' | 'state'> | null, type: string, message: string, data: Record<string, unknown> = {}): void {
    this.events.emit({ type, jobId: j?.id ?? null, jobName: j?.name ?? null, state: j?.state ?? null, message, data });
  }

  /** Closes cryod's side of every job (daemon shutdown); the jobs keep running. */
  close(): void {
    this.closed = true;
    this.liveness.close();
    for (const e of this.live.values()) {
      e.io?.close();
      e.monitor?.removeAllListeners('exit');
    }
    this.live.clear();
  }
}

/** Why a restored job's exit code is unknown after a cryod restart (see adoptRestoredRoot). */
export const RESTORED_PARENT_LOST = 'it was restored by a cryod that has since restarted; that cryod was its parent, and only a parent learns a process\'s exit code, so it will be unknown';

/** A job whose processes a restore made (no monitor ever, not adopted with `cryo manage`). */
function wasRestored(j: JobRecord): boolean {
  return j.mode !== 'managed' && j.monitorPid === null && !(j.note ?? '').includes(MONITOR_KILLED);
}

/** The note of a `cryo run` job whose monitor was killed (its exit code is unknown for that reason). */
const MONITOR_KILLED = 'its exit-status monitor was killed';

/** The environment every job starts from: cryod's own, minus cryo's and Node's settings. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CRYO_') && !k.startsWith('NODE_')) env[k] = v;
  }
  return env;
}

function signalNumberOf(sig: string): number {
  return signalNumber(sig);
}

/** The status the monitor wrote, or null. */
function readExitStatus(jobDir: string | undefined): number | null {
  if (!jobDir) return null;
  try {
    const v = Number(readFileSync(exitStatusPath(jobDir), 'utf8').trim());
    return Number.isInteger(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Reads a shell-style exit status. tini exits with 128+N when the command was killed by signal
 * N, so a status of 128+N counts as killed(N) only when cryo itself delivered N (or N is
 * SIGKILL), otherwise it is a plain exit code. unshare exits 1 when tini itself is SIGKILLed.
 */
export function interpretStatus(j: Pick<JobRecord, 'sentSignals' | 'mode'>, status: number | null): { state: JobState; exitCode: number | null; signal: string | null } {
  if (status === null) return { state: 'lost', exitCode: null, signal: null };
  const sig = status > 128 ? signalName(status - 128) : null;
  if (sig && (j.sentSignals.includes(sig) || sig === 'SIGKILL')) return { state: 'killed', exitCode: status, signal: sig };
  if (j.mode === 'pidns' && status === 1 && j.sentSignals.includes('SIGKILL')) return { state: 'killed', exitCode: status, signal: 'SIGKILL' };
  return { state: 'exited', exitCode: status, signal: null };
}

function readlinkSafe(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}

function tailOfFile(path: string, n: number): Buffer {
  if (!existsSync(path)) return Buffer.alloc(0);
  const size = statSync(path).size;
  const start = n > 0 && size > n ? size - n : 0;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - start);
    const r = readSync(fd, buf, 0, buf.length, start);
    return buf.subarray(0, r);
  } finally {
    closeSync(fd);
  }
}

/** Follows a file-output job's log by polling its size (the job writes it, not cryod). */
function followFile(path: string): (fn: (c: OutputChunk) => void) => () => void {
  return (fn) => {
    let pos = existsSync(path) ? statSync(path).size : 0;
    const t = setInterval(() => {
      try {
        const size = statSync(path).size;
        if (size < pos) pos = 0;
        if (size > pos) {
          const fd = openSync(path, 'r');
          const buf = Buffer.alloc(size - pos);
          const r = readSync(fd, buf, 0, buf.length, pos);
          closeSync(fd);
          pos += r;
          fn({ stream: 'stdout', data: buf.subarray(0, r) });
        }
      } catch {
        // file removed: nothing to follow
      }
    }, 200);
    return () => clearInterval(t);
  };
}
