// `cryo manage PID`: a process tree cryo did not start becomes a job. cryod is not its parent,
// so only its end can be seen, never its exit code.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CryoError } from '../errors/index.js';
import type { JobsCore } from './job-core.js';
import { liveStates, type JobRecord } from './job.js';
import { watchNonChild } from './exit-recording.js';
import { defaultJobName, newJobId, validateJobName } from './names.js';
import { cmdlineOf, cwdOf, fdIdentity, isSameProcess, startTimeOf } from './proc.js';

/** Adopts a process tree cryo did not start. Its exit code will be unknown (not our child). */
export function manageProcess(core: JobsCore, pid: number, name?: string): JobRecord {
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`pid\` ${JSON.stringify(pid)}: give the pid of a running process (> 1)`);
  }
  if (pid === process.pid) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `pid`: that is cryod itself');
  const startTime = startTimeOf(pid);
  if (startTime === null || !isSameProcess(pid, startTime)) {
    throw new CryoError('CRYO_PID_NOT_FOUND', `no running process with pid ${pid}`, { pid, operation: 'manage' });
  }
  const dup = core.store.list().find((j) => liveStates.has(j.state) && j.rootPid === pid && j.rootStartTime === startTime);
  if (dup) throw new CryoError('CRYO_INVALID_OPTION', `pid ${pid} is already managed as job ${dup.name}`, { job: dup.name, pid });
  const command = cmdlineOf(pid);
  const jname = name ? validateJobName(name) : defaultJobName(command.length ? command : ['pid'], (n) => core.store.find(n) !== undefined);
  const id = newJobId();
  const jobDir = join(core.jobsDir, id);
  mkdirSync(jobDir, { recursive: true, mode: 0o700 });
  const stdio = [0, 1, 2].flatMap((fd) => {
    const ident = fdIdentity(pid, fd);
    return ident ? [{ fd, ...ident }] : [];
  });
  const now = Date.now();
  const j: JobRecord = {
    id, name: jname, state: 'running', mode: 'managed', io: 'none', command, cwd: cwdOf(pid), env: {},
    rootPid: pid, rootStartTime: startTime, monitorPid: null, monitorStartTime: null, exitCode: null, signal: null,
    logFile: null, jobDir, stdio, note: 'adopted with `cryo manage`: cryod is not its parent, so its exit code will be unknown',
    error: null, sentSignals: [], latestCheckpoint: null, createdAt: now, startedAt: now, finishedAt: null,
  };
  core.store.insert(j);
  core.live.set(id, {});
  core.emit(j, 'job.managed', `job ${jname} adopted (pid ${pid})`);
  watchNonChild(core, j);
  return j;
}
