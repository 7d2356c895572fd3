// Which process owns an ingest directory or a pin: pid plus kernel start time, so a pid reused
// by an unrelated process after a crash is not mistaken for the owner.

import { procStat, STAT } from '../util/proc-stat.js';

/** `<pid>.<starttime>` of a process, or undefined when it does not exist. */
export function processIdentity(pid: number): string | undefined {
  const start = procStat(pid)?.[STAT.starttime];
  return start === undefined ? undefined : `${pid}.${start}`;
}

let self: string | undefined;

/** This process's identity (cached: it never changes). */
export function selfIdentity(): string {
  self ??= processIdentity(process.pid) ?? `${process.pid}.0`;
  return self;
}

/** Whether the process named by an identity is still alive (same pid, same start time). */
export function isAlive(identity: string): boolean {
  const pid = Number(identity.split('.')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return processIdentity(pid) === identity;
}
