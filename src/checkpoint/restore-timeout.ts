// The backstop of a restore that never finishes: CRIU can wait forever inside a restored task (a
// file lock another process holds, a blocked FIFO ...). After `restoreTimeoutMs` the restore is
// cancelled (CRIU is killed when it does not reach a notification within a second), every process
// it had half-restored is killed and reaped, and the error says what CRIU was doing last.

import { readFileSync } from 'node:fs';
import { processTree, type ExitStatus } from '../criu/index.js';
import { loadConfig } from '../config/index.js';
import { CryoError } from '../errors/index.js';
import { invalidOption } from '../errors/index.js';
import { ImagesDir } from '../images/index.js';
import type { pstree_entry } from '../gen/criu/images/pstree_pb.js';
import { procStat, STAT } from '../util/proc-stat.js';

/** How long a half-restored root may take to die and be reaped after SIGKILL. */
const REAP_WAIT_MS = 5000;

/** One attempt's limit in ms (0: none): the caller's value, else config `restoreTimeoutMs`. */
export function restoreTimeoutMs(given: number | undefined): number {
  const v = given ?? loadConfig().restoreTimeoutMs;
  if (!Number.isInteger(v) || v < 0) invalidOption('timeoutMs', v, 'give a whole number of milliseconds (0: no limit)');
  return v;
}

/**
 * The processes CRIU has created so far: the trees under the roots CRIU named in notifications
 * (setup-namespaces gives the root of a new PID namespace), and, for a checkpoint restored with
 * its own pids, the checkpoint's root pid when it is our child (rst_sibling) right now.
 */
export function halfRestoredTree(imagesDir: string, notified: ReadonlySet<number>): { roots: number[]; pids: number[] } {
  const roots = new Set(notified);
  try {
    const root = ImagesDir.open(imagesDir).messages<pstree_entry>('pstree.img', 'PSTREE')[0]?.pid;
    // Our child, or our grandchild through an exit-status monitor (restore-monitor.ts).
    const parent = root === undefined ? undefined : Number(procStat(root)?.[STAT.ppid]);
    if (root !== undefined && parent !== undefined && (parent === process.pid || Number(procStat(parent)?.[STAT.ppid]) === process.pid)) roots.add(root);
  } catch {
    // unreadable images: only the notified roots are known
  }
  const pids = new Set<number>();
  for (const r of roots) for (const p of processTree(r)) pids.add(p);
  return { roots: [...roots], pids: [...pids] };
}

/** SIGKILLs every pid (children first) and waits for the roots to be reaped; true when all were. */
export async function killHalfRestored(t: { roots: number[]; pids: number[] }, watch: (pid: number) => Promise<ExitStatus>): Promise<boolean> {
  for (const p of [...t.pids].reverse()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const reaped = Promise.all(t.roots.map((r) => watch(r))).then(() => true);
  const late = new Promise<boolean>((res) => setTimeout(() => res(false), REAP_WAIT_MS).unref());
  return Promise.race([reaped, late]);
}

/**
 * What CRIU was doing when it stopped: the last line of each restored task (the task stuck in a
 * lock call shows it there, e.g. `2: (flock)flag: 2, type: 1, ...`) and the log's last lines.
 */
export function lastLogLines(path: string, tail = 3): string[] {
  let lines: string[];
  try {
    lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trimEnd()).filter(Boolean);
  } catch {
    return [];
  }
  const keep = new Set<number>();
  const lastOfTask = new Map<string, number>();
  lines.forEach((l, n) => {
    const m = /^\([\d.]+\)\s+(\d+): /.exec(l);
    if (m) lastOfTask.set(m[1]!, n);
  });
  for (const n of lastOfTask.values()) keep.add(n);
  for (let n = Math.max(0, lines.length - tail); n < lines.length; n++) keep.add(n);
  return [...keep].sort((a, b) => a - b).slice(-10).map((n) => lines[n]!);
}

/** CRYO_RESTORE_TIMEOUT for a restore of `what` cancelled after `ms`. */
export function restoreTimeoutError(o: { what: string; imagesDir: string; ms: number; logPath: string; killed: number; reaped: boolean; cause: unknown }): CryoError {
  const cleaned = o.killed === 0
    ? 'no restored process was left'
    : `the ${o.killed} half-restored process${o.killed === 1 ? ' was' : 'es were'} killed${o.reaped ? ' and reaped' : ' (not all reaped yet)'}`;
  return new CryoError('CRYO_RESTORE_TIMEOUT', `restore of ${o.what} did not finish within ${o.ms / 1000} s and was cancelled: CRIU was stopped, ${cleaned}; the checkpoint is unchanged`, {
    operation: 'restore', imagesDir: o.imagesDir, logPath: o.logPath, logLines: lastLogLines(o.logPath), cause: o.cause,
    hint: 'the last CRIU log lines show what it waited for (a file lock held by another process? run `cryo restore --check`); fix that, or raise the limit with --timeout MS / config restoreTimeoutMs for a very large checkpoint',
  });
}
