// Small /proc readers the client needs around an operation: does a pid exist, and is a process
// tree left stopped (so a cancelled dump can wake it rather than leave it frozen).

import { processTree } from '../util/proc-children.js';
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

/** The pid and all its descendants (the one reader: src/util/proc-children.ts). */
export { processTree } from '../util/proc-children.js';

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
