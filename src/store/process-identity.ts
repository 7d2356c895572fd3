// Which process owns an ingest directory or a pin: pid plus kernel start time, so a pid reused
// by an unrelated process after a crash is not mistaken for the owner.

import { readFileSync } from 'node:fs';

/** `<pid>.<starttime>` of a process, or undefined when it does not exist. */
export function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name, which may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = rest[19];
    return start === undefined ? undefined : `${pid}.${start}`;
  } catch {
    return undefined;
  }
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
