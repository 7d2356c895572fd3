// The one reader of /proc/PID/stat: the command name (field 2) may hold spaces and parentheses,
// so fields are split after its last ')'. Every pid/state/start-time check goes through here.

import { readFileSync } from 'node:fs';

/** Fields 3.. of /proc/PID/stat (index 0 = state, 1 = ppid, 2 = pgrp, 3 = session, 19 = starttime), or undefined if PID is gone. */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Index of each field in procStat's result. */
export const STAT = { state: 0, ppid: 1, pgrp: 2, session: 3, starttime: 19 } as const;
