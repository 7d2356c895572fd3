// Reaping processes libuv does not know: a restored root (rst_sibling makes it OUR child, but Node
// did not spawn it) or an orphan adopted as child subreaper. On each SIGCHLD we ask the kernel about
// exactly the watched pids with waitid(P_PID, pid, WEXITED|WNOHANG); never waitpid(-1), which
// would steal the exit statuses of children Node spawned itself.

import { constants as osc } from 'node:os';
import { CryoError } from '../errors/index.js';
import { CLD_DUMPED, CLD_EXITED, CLD_KILLED, P_PID, PR_SET_CHILD_SUBREAPER, SIGINFO_SIZE, WEXITED, WNOHANG, libc } from './libc.js';
import { pidExists } from './process-state.js';

/** How a process ended: an exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Watch {
  promise: Promise<ExitStatus>;
  resolve: (s: ExitStatus) => void;
  /** Not our child (ECHILD): we can only see it disappear. */
  polling?: NodeJS.Timeout;
}

const ECHILD = 10;
const NOT_CHILD_POLL_MS = 100;
const BACKUP_POLL_MS = 1000;
const watched = new Map<number, Watch>();
// A ref'd timer while anything is watched: keeps Node alive until the exit arrives (a signal
// listener alone does not) and re-checks in case a SIGCHLD was missed.
let backup: NodeJS.Timeout | undefined;
const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(osc.signals).map(([name, num]) => [num, name as NodeJS.Signals]),
);

function onSigchld(): void {
  for (const pid of [...watched.keys()]) check(pid);
}

function settle(pid: number, status: ExitStatus): void {
  const w = watched.get(pid);
  if (!w) return;
  watched.delete(pid);
  if (w.polling) clearInterval(w.polling);
  if (watched.size === 0) {
    process.off('SIGCHLD', onSigchld);
    clearInterval(backup);
    backup = undefined;
  }
  w.resolve(status);
}

/** Collects the pid's exit status if it has one; otherwise leaves it watched. */
function check(pid: number): void {
  const w = watched.get(pid);
  if (!w || w.polling) return;
  const info = Buffer.alloc(SIGINFO_SIZE);
  if (libc().waitid(P_PID, pid, info, WEXITED | WNOHANG) !== 0) {
    const errno = libc().errno();
    if (errno !== ECHILD) return;
    // Not our child (or already reaped elsewhere): watch /proc until it is gone, code unknown.
    if (!pidExists(pid)) return settle(pid, { code: null, signal: null });
    w.polling = setInterval(() => {
      if (!pidExists(pid)) settle(pid, { code: null, signal: null });
    }, NOT_CHILD_POLL_MS);
    return;
  }
  // siginfo_t on Linux: si_signo@0, si_errno@4, si_code@8, then si_pid@16, si_uid@20, si_status@24.
  if (info.readInt32LE(16) === 0) return; // still running
  const code = info.readInt32LE(8);
  const status = info.readInt32LE(24);
  if (code === CLD_EXITED) settle(pid, { code: status, signal: null });
  else if (code === CLD_KILLED || code === CLD_DUMPED) settle(pid, { code: null, signal: signalNames.get(status) ?? null });
}

/** Resolves when `pid` (typically a restored root, our child via rst_sibling) exits, and reaps it. */
export function waitForExit(pid: number): Promise<ExitStatus> {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`pid\` ${JSON.stringify(pid)}: give a positive integer`);
  }
  const existing = watched.get(pid);
  if (existing) return existing.promise;
  let resolve!: (s: ExitStatus) => void;
  const promise = new Promise<ExitStatus>((r) => (resolve = r));
  if (watched.size === 0) {
    process.on('SIGCHLD', onSigchld);
    backup = setInterval(onSigchld, BACKUP_POLL_MS);
  }
  watched.set(pid, { promise, resolve });
  // It may have exited before we listened: its SIGCHLD is then already gone.
  check(pid);
  return promise;
}

/** The exit code a shell would report: the code, or 128 + signal number. */
export function shellExitCode(s: ExitStatus): number {
  if (s.code !== null) return s.code;
  const n = s.signal ? osc.signals[s.signal] : undefined;
  return n !== undefined ? 128 + n : 1;
}

/** Makes this process the reaper of its orphaned descendants (prctl PR_SET_CHILD_SUBREAPER). */
export function setChildSubreaper(): void {
  if (libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) {
    throw new CryoError('CRYO_NOT_PRIVILEGED', `prctl(PR_SET_CHILD_SUBREAPER) failed (errno ${libc().errno()})`);
  }
}
