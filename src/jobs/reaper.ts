// cryod reaps every process it is the parent of, and only those libuv does not reap itself.
//
// - Children Node spawned (job monitors, criu swrk): libuv reaps them; we learn their exit
//   through 'exit' events. We must never wait for them ourselves.
// - Everything else that is our child: restored roots (rst_sibling) and orphans reparented to us
//   because cryod is a child subreaper. On each SIGCHLD we list our children
//   (/proc/self/task/*/children), drop those libuv spawned and those already watched, and hand
//   the rest to waitForExit (src/criu: waitid(P_PID, pid, WEXITED|WNOHANG)), which reaps them.
// To know which pids libuv spawned, ChildProcess.prototype.spawn is wrapped once: every
// spawn/exec/fork in this process goes through it, and the pid is known synchronously, before any
// SIGCHLD handler can run.

import { ChildProcess } from 'node:child_process';
import { setChildSubreaper, waitForExit, type ExitStatus } from '../criu/index.js';
import { childrenOf } from './proc.js';

const libuvChildren = new Set<number>();
const watched = new Set<number>();
let installed = false;

function trackLibuvChildren(): void {
  const proto = ChildProcess.prototype as unknown as { spawn: (...a: unknown[]) => unknown };
  const original = proto.spawn;
  proto.spawn = function (this: ChildProcess, ...args: unknown[]) {
    const r = original.apply(this, args);
    const pid = this.pid;
    if (pid !== undefined) {
      libuvChildren.add(pid);
      this.once('exit', () => libuvChildren.delete(pid));
    }
    return r;
  };
}

/** Watches (and eventually reaps) a child of cryod that libuv did not spawn. */
export function watchChild(pid: number): Promise<ExitStatus> {
  watched.add(pid);
  const p = waitForExit(pid);
  void p.then(() => watched.delete(pid));
  return p;
}

/** Reaps every child that is neither libuv's nor watched yet; returns the pids taken over. */
export function adoptOrphans(onOrphanExit?: (pid: number, s: ExitStatus) => void): number[] {
  const taken: number[] = [];
  for (const pid of childrenOf(process.pid)) {
    if (libuvChildren.has(pid) || watched.has(pid)) continue;
    taken.push(pid);
    void watchChild(pid).then((s) => onOrphanExit?.(pid, s));
  }
  return taken;
}

/** Makes cryod a child subreaper and starts reaping orphans on every SIGCHLD. Idempotent. */
export function startReaper(onOrphanExit?: (pid: number, s: ExitStatus) => void): void {
  if (installed) return;
  installed = true;
  trackLibuvChildren();
  setChildSubreaper();
  process.on('SIGCHLD', () => adoptOrphans(onOrphanExit));
  adoptOrphans(onOrphanExit);
}

/** True when pid is a child Node spawned (for tests and diagnostics). */
export function isLibuvChild(pid: number): boolean {
  return libuvChildren.has(pid);
}
