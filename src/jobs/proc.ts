// Reading /proc: process start times (to tell a live job from a reused pid), children, fds.

import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { procStat, STAT } from '../util/proc-stat.js';

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null if PID is gone. */
export function startTimeOf(pid: number): number | null {
  const v = Number(procStat(pid)?.[STAT.starttime]);
  return Number.isFinite(v) ? v : null;
}

/** Process state letter (R, S, Z, ...) from /proc/PID/stat, or null if gone. */
export function stateOf(pid: number): string | null {
  return procStat(pid)?.[STAT.state] ?? null;
}

/** True when PID exists, is not a zombie, and (if given) started at startTime. */
export function isSameProcess(pid: number, startTime: number | null): boolean {
  const st = startTimeOf(pid);
  if (st === null) return false;
  if (stateOf(pid) === 'Z') return false;
  return startTime === null || st === startTime;
}

/** Direct children of PID (the one reader: src/util/proc-children.ts). */
export { childrenOf } from '../util/proc-children.js';

/** What fd N of PID is (readlink) and its inode; null if unreadable. */
export function fdIdentity(pid: number, fd: number): { target: string; inode: number } | null {
  try {
    const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    return { target, inode: statSync(`/proc/${pid}/fd/${fd}`).ino };
  } catch {
    return null;
  }
}

/** The command line of PID as argv, or [] if gone. */
export function cmdlineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s, i, a) => i < a.length - 1 || s !== '');
  } catch {
    return [];
  }
}

/** The working directory of PID, or '' if unreadable. */
export function cwdOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}
