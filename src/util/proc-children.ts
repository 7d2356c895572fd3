// The one reader of a process's children (/proc/PID/task/TID/children of EVERY thread: a child
// forked by a non-main thread is listed under that thread only) and the tree built from it.

import { readdirSync, readFileSync } from 'node:fs';

/** Direct children of pid, or [] when it is gone. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        if (c.trim() !== '') out.push(Number(c));
      }
    } catch {
      // thread exited meanwhile
    }
  }
  return out;
}

/** The pid and all its descendants, parents before children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    queue.push(...childrenOf(p));
  }
  return out;
}
