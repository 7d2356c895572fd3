// Lazy (post-copy) restore: the process runs at once, its memory follows in the background from
// a supervised `criu lazy-pages` server. Re-exports only.
export { lazyRestore } from './lazy-restore.js';
export type { LazyRestoreOptions, LazyServerInfo, PinStore } from './lazy-options.js';
export type { LazyRestoreResult, TransferOutcome } from './transfer-outcome.js';
export type { RestoredFate } from './restored-fate.js';
export { parseTransferLog, type TransferPages } from './transfer-log.js';
export { LAZY_PAGES_LOG, LAZY_PAGES_SOCKET, startLazyPagesServer, type LazyPagesServer } from './lazy-pages-server.js';
