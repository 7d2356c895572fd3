// Jobs a restore makes: the record created before CRIU runs (new name, directory, FIFOs), dropped
// again if the restore fails, and the restored root adopted once CRIU has answered.

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CryoError } from '../errors/index.js';
import { ensureFifo } from './fifo.js';
import type { JobsCore, Live } from './job-core.js';
import { fifoPaths, JobIo } from './job-io.js';
import type { JobRecord } from './job.js';
import { onMonitorExit, recordEnd, shellStatus } from './exit-recording.js';
import { onMonitorGone } from './restore-monitor.js';
import { newJobId, validateJobName } from './names.js';
import { outputLogPath } from './output-log.js';
import { startTimeOf } from './proc.js';
import { exitStatusPath } from './spawn.js';

/** What createRestored needs: the new job's name and I/O, and the job it is a copy of. */
export interface RestoredJobSpec {
  name: string;
  like: Pick<JobRecord, 'command' | 'cwd' | 'env' | 'mode'>;
  io: 'attachable' | 'file';
  logFile?: string | undefined;
  note?: string;
}

/**
 * Starts watching a restored root that is cryod's child (rst_sibling); reopens attachable I/O.
 * `exited`: a watch started earlier (at CRIU's post-restore), so an early exit is never lost.
 *
 * `monitor`: the restore ran `criu swrk` under restore-monitor.ts, so the root is the monitor's
 * child and its exit status reaches <jobDir>/exit, across cryod restarts, like a `cryo run` job.
 * Without one (no perl, lazy restores), CRIU's rst_sibling makes the root cryod's own child, and
 * the kernel tells only a parent (or a ptrace tracer) how a process ended: if cryod stops while
 * the job runs, the root is re-parented and its exit code is gone; the job then ends as `lost`
 * and its note says why (RESTORED_PARENT_LOST). (ptrace-seizing the root after a restart would
 * get the status but puts every signal it receives through cryod and makes CRIU refuse to dump
 * it: not done.)
 */
export function adoptRestoredRoot(
  core: JobsCore, j: JobRecord, pid: number, exited: Promise<{ code: number | null; signal: string | null }>, monitor?: ChildProcess,
): JobRecord {
  j.rootPid = pid;
  j.rootStartTime = startTimeOf(pid);
  j.monitorPid = monitor?.pid ?? null;
  j.monitorStartTime = monitor?.pid !== undefined ? startTimeOf(monitor.pid) : null;
  core.store.update(j);
  // A stale exit status of the dumped process must not be read for the restored one (with a
  // monitor, the restore flow removed it before CRIU ran: the monitor may have written anew).
  if (!monitor) rmSync(exitStatusPath(j.jobDir), { force: true });
  const entry: Live = core.live.get(j.id) ?? {};
  if (j.io === 'attachable' && !entry.io) entry.io = new JobIo(j.jobDir, core.opts.logMaxBytes);
  core.live.set(j.id, entry);
  if (monitor) {
    // As for `cryo run`: the monitor's end, with its status file, tells the job's end.
    entry.monitor = monitor;
    onMonitorGone(monitor, (code, signal) => void onMonitorExit(core, j.id, shellStatus(code, signal)));
    return j;
  }
  void exited.then(async (s) => {
    await entry.io?.finish();
    recordEnd(core, j.id, shellStatus(s.code, s.signal));
  });
  return j;
}

/**
 * Creates the record of a job restored from a checkpoint (state restoring, not yet watched):
 * a new id and job directory; attachable jobs get fresh FIFOs the restore hands to CRIU.
 */
export function createRestored(core: JobsCore, o: RestoredJobSpec): JobRecord {
  const name = validateJobName(o.name);
  if (core.store.find(name)?.name === name) throw new CryoError('CRYO_JOB_NAME_IN_USE', `a job named ${name} already exists`, { job: name });
  const id = newJobId();
  const jobDir = join(core.jobsDir, id);
  mkdirSync(jobDir, { recursive: true, mode: 0o700 });
  if (o.io === 'attachable') for (const f of Object.values(fifoPaths(jobDir))) ensureFifo(f);
  const now = Date.now();
  const j: JobRecord = {
    id, name, state: 'restoring', mode: o.like.mode, io: o.io, command: [...o.like.command], cwd: o.like.cwd, env: { ...o.like.env },
    rootPid: null, rootStartTime: null, monitorPid: null, monitorStartTime: null, exitCode: null, signal: null,
    logFile: o.io === 'file' ? (o.logFile ?? null) : outputLogPath(jobDir), jobDir, stdio: [], note: o.note ?? null, error: null,
    sentSignals: [], latestCheckpoint: null, createdAt: now, startedAt: null, finishedAt: null,
  };
  core.store.insert(j);
  core.emit(j, 'job.created', `job ${name} created for a restore`);
  return j;
}

/** Forgets a job created by createRestored whose restore failed (no process was adopted). */
export function dropRestored(core: JobsCore, id: string): void {
  const j = core.store.get(id);
  if (!j || j.state !== 'restoring') return;
  core.live.get(id)?.io?.close();
  core.live.delete(id);
  core.store.delete(id);
  rmSync(j.jobDir, { recursive: true, force: true });
}
