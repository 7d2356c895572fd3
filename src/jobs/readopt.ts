// Re-adoption at cryod start: jobs a previous cryod left running are taken over (their I/O relay
// reopened, their end watched); those that ended meanwhile are settled from the monitor's status
// file, or recorded as lost when nothing tells their exit code.

import type { JobsCore, Live } from './job-core.js';
import { JobIo } from './job-io.js';
import { liveStates } from './job.js';
import { readExitStatus, recordEnd, RESTORED_PARENT_LOST, wasRestored, watchNonChild } from './exit-recording.js';
import { isSameProcess } from './proc.js';

/** Takes over jobs a previous cryod left running; settles those that ended meanwhile. */
export function readoptJobs(core: JobsCore): void {
  for (const j of core.store.list()) {
    if (!liveStates.has(j.state)) continue;
    const monitorAlive = j.monitorPid !== null && isSameProcess(j.monitorPid, j.monitorStartTime);
    const rootAlive = j.rootPid !== null && isSameProcess(j.rootPid, j.rootStartTime);
    if (!monitorAlive && !rootAlive) {
      const status = readExitStatus(j.jobDir);
      recordEnd(core, j.id, status, status === null ? 'ended while cryod was not running; exit code unknown' : 'ended while cryod was not running');
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
        entry.io = new JobIo(j.jobDir, core.opts.logMaxBytes);
      } catch (e) {
        core.opts.log.warn({ job: j.id, err: (e as Error).message }, 'cannot reopen job FIFOs');
      }
    }
    core.live.set(j.id, entry);
    core.store.update(j);
    core.emit(j, 'job.readopted', `job ${j.name} re-adopted after cryod restart (pid ${j.rootPid ?? '?'})`);
    watchNonChild(core, j);
  }
}
