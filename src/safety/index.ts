// Safety: a restore you can trust and a dump that never loses the process (issue 6, items 2-6).
// The restore and dump flows call these; `cryo preflight` prints runPreflight's report.
//
//   runPreflight(imagesDir, { criuPath?, skip?, ignoreFiles?, memAvailable? }) -> Promise<PreflightReport>
//     Reads the images (never changes anything) and checks, listing EVERY problem at once:
//     integrity (manifest, when present), images (decodable, complete, pages sizes), files
//     (exist with recorded size and mode), locks (file locks to take again not held here: CRIU
//     would block forever), ports (free, unless own netns), pids (free, unless own
//     pidns; names holder, zombie parent), memory (vs MemAvailable), disk, cpu (criu cpuinfo check).
//     report.ok is false when any check has status 'fail'; each item names file/port/pid + code.
//     A flow that already verified the manifest passes skip: ['integrity'] (no second hashing);
//     files it replaces through inherit_fd go in ignoreFiles.
//   preflightError(report, checkpoint?) -> PreflightError | undefined
//     ONE CryoError listing every failure (the single kind's code, else CRYO_PREFLIGHT_FAILED);
//     `.failures`, `.report`, `.transient` (all failures would clear by themselves).
//
//   withRetry(fn, { attempts?, baseDelayMs?, maxDelayMs?, onAttempt?, isTransient?, signal? })
//     Retries fn(attempt) only for transient failures (isTransientFailure: a CryoError flagged
//     transient by the CRIU log table, or EAGAIN); exponential backoff with jitter; onAttempt is
//     called after each failed attempt. Defaults from config: 1 + restoreRetries, restoreRetryDelayMs.
//
//   watchHealth(pid, { graceMs, probe?: { cmd?, tcpPort?, host?, timeoutMs?, intervalMs? },
//                      outputTail?, waitExit, signal? }) -> Promise<HealthReport>
//     Throws UnhealthyError (CRYO_RESTORE_UNHEALTHY, with .exit and .outputTail) when the process
//     dies or its probe never passes within graceMs. It does not kill the process: the caller decides.
//
//   safeDump({ dump, client?, beforeRelease?, afterDump?, discard?, restore?, failedLogDir?, onRecovery? })
//     A dump that never loses the process: beforeRelease runs frozen at post-dump (failure ->
//     CRIU resumes the tree); afterDump runs after CRIU (failure -> the tree is restored from the
//     images if CRIU killed it). Throws DumpRecoveryError with .recovery = resumed | left-running |
//     restored (.restoredPid, our child through rst_sibling: adopt and reap it) | lost
//     (.keptImagesDir); CRYO_DISK_FULL names the directory. CRIU's log of a failed dump is copied
//     to failedLogDir (default the temp dir) before the partial images are discarded.

export { runPreflight, preflightError, preflightFailures, PreflightError, type PreflightOptions } from './preflight.js';
export type { CheckId, CheckStatus, PreflightCheck, PreflightItem, PreflightReport } from './preflight-types.js';
export { withRetry, isTransientFailure, backoffDelay } from './retry.js';
export type { RetryOptions, AttemptInfo } from './options.js';
export { watchHealth, describeExit, UnhealthyError, type HealthOptions, type HealthProbe, type HealthReport, type ExitInfo } from './health.js';
export { safeDump, wasDiskFull, DumpRecoveryError, type SafeDumpOptions, type SafeDumpResult, type Recovery } from './safe-dump.js';
export { formatPreflightReport } from './format-report.js';
export { readProcLocks, parseProcLocks, type HeldLock } from './proc-locks.js';
