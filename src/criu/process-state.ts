// Small /proc readers the client needs around an operation: does a pid exist, and is a process
// tree left stopped (so a cancelled dump can wake it rather than leave it frozen).

import { readFileSync } from 'node:fs';
import { procStat, STAT } from '../util/proc-stat.js';

/** The one-letter state from /proc/PID/stat (R, S, D, T, t, Z, ...), or undefined if gone. */
export function processState(pid: number): string | undefined {
  return procStat(pid)?.[STAT.state];
}

/** True when a process with this pid exists (zombies included). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid and all its descendants (from /proc/PID/task/TID/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    if (out.includes(p)) continue;
    out.push(p);
    let tids: string[] = [];
    try {
      tids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    queue.push(...tids.map(Number));
  }
  return out;
}

/** Sends SIGCONT to every stopped process of the tree (best effort, after criu was killed mid-dump). */
export function resumeStoppedTree(pid: number): void {
  for (const p of processTree(pid)) {
    const st = processState(p);
    if (st === 'T' || st === 't') {
      try {
        process.kill(p, 'SIGCONT');
      } catch {
        // gone meanwhile: nothing to resume
      }
    }
  }
}
