// Jobs: spawning, the state machine, stdio, reaping and re-adoption. Re-exports only.
export { JobManager, interpretStatus, type RunOptions, type ManagerOptions, type OutputFeed } from './job-manager.js';
export type { JobRecord, JobState, JobMode, IoMode, StdioIdentity } from './job.js';
export { liveStates, finalStates } from './job.js';
export { assertAllowed, isAllowed, transition, describeState, type JobAction } from './state-machine.js';
export { startReaper, watchChild, adoptOrphans } from './reaper.js';
export { parseSignal } from './signals.js';
export { validateJobName } from './names.js';
export { fifoPaths, type OutputChunk } from './job-io.js';
export { restoreMonitorArgv, monitorExited } from './restore-monitor.js';
export { exitStatusPath } from './spawn.js';
