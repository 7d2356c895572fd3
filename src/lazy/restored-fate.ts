// What becomes of a lazily restored process whose pages stop arriving. Verified on this kernel:
// once the server's userfaultfd is closed, pages that never arrived are mapped as zero pages, so
// the process either crashes (SIGSEGV when a pointer it needs reads as 0; seen in a PID-namespace
// job) or runs on with silently zeroed memory (seen: memhog's own check failed at an offset).
// Neither is a process anyone should trust, so by default cryo kills it and says so.

import { processTree, waitForExit, type ExitStatus } from '../criu/index.js';

/** How long a process that lost its pages gets to crash by itself before cryo decides. */
export const FATE_GRACE_MS = 300;

/** The restored process's fate after a failed transfer, stated plainly. */
export type RestoredFate =
  | { kind: 'exited'; status: ExitStatus; text: string }
  | { kind: 'killed'; text: string }
  | { kind: 'left-running'; text: string };

function statusText(s: ExitStatus): string {
  if (s.signal) return `was killed by ${s.signal}`;
  if (s.code === null) return 'exited (status unknown: it is not cryo\'s child)';
  // A PID-namespace job's init (tini) reports its child's death by signal N as 128+N.
  if (s.code > 128) return `exited with status ${s.code} (its program died by signal ${s.code - 128})`;
  return `exited with status ${s.code}`;
}

/** Decides and carries out the fate of restored root `pid`: see if it dies by itself, else kill or keep it. */
export async function settleRestoredFate(pid: number, policy: 'kill' | 'keep', graceMs = FATE_GRACE_MS): Promise<RestoredFate> {
  const exited = waitForExit(pid);
  const early = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), graceMs).unref())]);
  if (early) {
    return { kind: 'exited', status: early, text: `restored process ${pid} ${statusText(early)} after its memory stopped arriving` };
  }
  if (policy === 'keep') {
    return {
      kind: 'left-running',
      text: `restored process ${pid} was left running as asked, but pages that never arrived now read as zeros: its memory is not the checkpointed one`,
    };
  }
  // The whole tree (descendants first, then the root); a PID-namespace root takes its namespace with it anyway.
  for (const p of processTree(pid).reverse()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await exited;
  return {
    kind: 'killed',
    text: `restored process ${pid} was killed by cryo: part of its memory never arrived, and it would have run on zeros in its place`,
  };
}
