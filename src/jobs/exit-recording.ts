// How a job's end is learnt and recorded. A `cryo run` job's monitor (our child) writes the exit
// status to <jobDir>/exit; a restored root is cryod's own child (rst_sibling) and reaped by it;
// anything else (re-adopted after a restart, `cryo manage`) can only be seen to disappear, and its
// exit code is then unknown unless its monitor left the status file.

import { readFileSync } from 'node:fs';
import type { JobsCore } from './job-core.js';
import { finalStates, type JobRecord, type JobState } from './job.js';
import { isSameProcess } from './proc.js';
import { signalName, signalNumber } from './signals.js';
import { exitStatusPath } from './spawn.js';
import { describeState, transition } from './state-machine.js';

/** Why a restored job's exit code is unknown after a cryod restart (see adoptRestoredRoot). */
export const RESTORED_PARENT_LOST = 'it was restored by a cryod that has since restarted; that cryod was its parent, and only a parent learns a process\'s exit code, so it will be unknown';

/** The note of a `cryo run` job whose monitor was killed (its exit code is unknown for that reason). */
export const MONITOR_KILLED = 'its exit-status monitor was killed';

/** A job whose processes a restore made (no monitor ever, not adopted with `cryo manage`). */
export function wasRestored(j: JobRecord): boolean {
  return j.mode !== 'managed' && j.monitorPid === null && !(j.note ?? '').includes(MONITOR_KILLED);
}

/** A shell-style status from an exit code or a signal name (128 + N), or null when neither. */
export function shellStatus(code: number | null, signal: string | null): number | null {
  return code ?? (signal ? 128 + signalNumber(signal) : null);
}

/** The status the monitor wrote, or null. */
export function readExitStatus(jobDir: string | undefined): number | null {
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

/** Records how a job ended; `status` is a shell-style exit status or null (unknown). */
export function recordEnd(core: JobsCore, id: string, status: number | null, note?: string): void {
  if (core.closed) return; // cryod is stopping: the next cryod records this end
  const entry = core.live.get(id);
  entry?.io?.close();
  core.live.delete(id);
  core.liveness.unwatch(id);
  const j = core.store.get(id);
  if (!j || finalStates.has(j.state)) return;
  if (j.state === 'checkpointing' || j.state === 'checkpointed') {
    // The dump flow stops the processes itself and decides the state.
    j.note = `processes ended during checkpoint (status ${status ?? 'unknown'})`;
    core.store.update(j);
    return;
  }
  const o = interpretStatus(j, status);
  transition(j, o.state);
  j.exitCode = o.exitCode;
  j.signal = o.signal;
  j.finishedAt = Date.now();
  if (note) j.note = note;
  core.store.update(j);
  core.emit(j, `job.${o.state}`, `job ${j.name} ${describeState(j)}`, { exitCode: j.exitCode, signal: j.signal });
  core.settleWaiters(j);
}

/** The monitor (our child) ended: its status file holds the job's exit status. */
export async function onMonitorExit(core: JobsCore, id: string, monitorCode: number | null): Promise<void> {
  const j = core.store.get(id);
  const status = readExitStatus(j?.jobDir);
  if (status === null && j && j.rootPid !== null && isSameProcess(j.rootPid, j.rootStartTime)) {
    // The monitor was killed, not the job: keep watching the job; its exit code is now unknowable.
    j.monitorPid = null;
    j.monitorStartTime = null;
    j.note = `${MONITOR_KILLED}: the exit code will be unknown`;
    core.store.update(j);
    core.emit(j, 'job.monitor-lost', `job ${j.name}: ${j.note}`);
    watchNonChild(core, j);
    return;
  }
  await core.live.get(id)?.io?.finish();
  recordEnd(core, id, status ?? monitorCode);
}

/** Watches a job whose processes are not our children; the monitor's status file gives the code. */
export function watchNonChild(core: JobsCore, j: JobRecord): void {
  const pids: { pid: number; startTime: number | null }[] = [];
  if (j.monitorPid !== null) pids.push({ pid: j.monitorPid, startTime: j.monitorStartTime });
  if (j.rootPid !== null) pids.push({ pid: j.rootPid, startTime: j.rootStartTime });
  core.liveness.watch(j.id, pids, () => {
    void (async () => {
      await core.live.get(j.id)?.io?.finish(100);
      const k = core.store.get(j.id);
      const status = k?.monitorPid !== null ? readExitStatus(j.jobDir) : null;
      const why = wasRestored(j) ? `it ended after cryod restarted: ${RESTORED_PARENT_LOST}` : 'cryod was not its parent when it ended: exit code unknown';
      recordEnd(core, j.id, status, status === null ? why : undefined);
    })();
  });
}
