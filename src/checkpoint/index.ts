// Checkpoint and restore flows, shared by cryod (src/api/checkpoint-service.ts) and the
// daemonless CLI. Re-exports only.
export { dumpJob, type DumpJobRequest, type DumpOutcome } from './dump-flow.js';
export { restoreCheckpoint, restoreIntoJob, resolveCheckpoint, type RestoreRequestOpts, type RestoreOutcome, type ResolvedCheckpoint } from './restore-flow.js';
export { restoreLocal, resolveLocal, type LocalRestoreOptions } from './restore-local.js';
export { criuRestore, RESTORE_RETRY_DELAYS_MS, type CriuRestoreInput, type CriuRestoreOutput } from './criu-restore.js';
export { HookRunner, parseHookFlags, mergeHooks, HOOK_EVENTS, type HookSpec, type HookRunResult } from './hooks.js';
export { chooseCriuOptions, type CriuChoice, type OptionRequest } from './choose-options.js';
export { planStdio, inheritKey, readStdio, type StdioPlan, type StdioTargets } from './stdio.js';
export { CheckpointRecords, type CheckpointRecord, type RestoreRecord } from './checkpoint-records.js';
export { createFlowContext, type FlowContext } from './context.js';
export { readMeta, type CheckpointMeta } from './metadata.js';
