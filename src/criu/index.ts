// The CRIU client library: typed operations over `criu swrk`, notification handlers, errors that
// explain themselves, and reaping of restored processes. Re-exports only.
export { CriuClient, CANCEL_GRACE_MS, PreparedSwrk } from './client.js';
export { CriuError, criuFailure, type FailureFacts } from './criu-error.js';
export { waitForExit, setChildSubreaper, shellExitCode, type ExitStatus } from './reaper.js';
export { normalizeOptions, FIRST_INHERITED_FD } from './options.js';
export { exchange, CriuConnectionLost, type Exchange, type ExchangeControl, type RefusedNotify } from './protocol.js';
export { SeqpacketTransport, seqpacketPair, type Transport } from './transport.js';
export { makePipe } from './libc.js';
export { processState, pidExists, processTree } from './process-state.js';
export { analyzeCriuLog, type CriuLogAnalysis, type CriuLogHint } from './log/index.js';
export type * from './types.js';
