// /proc/locks, parsed: who holds which lock on which file (by device and inode). Pre-flight uses it
// to find a lock a checkpoint would take again while someone else holds it (CRIU would then wait
// in flock/fcntl forever), and the dump's option chooser to see whether a tree holds locks at all.
// Hand-written: one line format of the kernel (fs/locks.c lock_get_status), no library covers it.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** The kinds of lock CRIU dumps and restores; leases and delegations are ignored. */
export type LockKind = 'posix' | 'flock' | 'ofd';

/** One held lock (blocked waiters, the "->" lines, are left out). */
export interface HeldLock {
  readonly kind: LockKind;
  readonly write: boolean;
  /** The holder as the kernel records it in our PID namespace; -1 for OFD locks (no owner process). */
  readonly pid: number;
  readonly major: number;
  readonly minor: number;
  readonly inode: number;
  /** Byte range, inclusive; end undefined means "to end of file". */
  readonly start: number;
  readonly end: number | undefined;
}

const kinds: Record<string, LockKind> = { POSIX: 'posix', FLOCK: 'flock', OFDLCK: 'ofd' };

/** Parses /proc/locks text ("1: FLOCK  ADVISORY  WRITE 1234 fe:00:2171601 0 EOF"). */
export function parseProcLocks(text: string): HeldLock[] {
  const out: HeldLock[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] === '->') continue;
    const kind = kinds[f[1] ?? ''];
    const dev = /^([0-9a-f]+):([0-9a-f]+):(\d+)$/i.exec(f[5] ?? '');
    if (!kind || !dev) continue;
    out.push({
      kind, write: f[3] === 'WRITE', pid: Number(f[4]), major: parseInt(dev[1]!, 16), minor: parseInt(dev[2]!, 16), inode: Number(dev[3]),
      start: Number(f[6]), end: f[7] === 'EOF' ? undefined : Number(f[7]),
    });
  }
  return out;
}

/** Every lock held on this machine right now (empty when /proc/locks cannot be read). */
export function readProcLocks(): HeldLock[] {
  try {
    return parseProcLocks(readFileSync('/proc/locks', 'utf8'));
  } catch {
    return [];
  }
}

/**
 * readProcLocks on one of libuv's threads. Opening /proc/locks takes the kernel's file-lock
 * rwsem for writing, which waits for an RCU grace period: 10-25 ms here unless another reader
 * just did. Read it only when the checkpoint has locks, and beside other work.
 */
export async function readProcLocksAsync(): Promise<HeldLock[]> {
  try {
    return parseProcLocks(await readFile('/proc/locks', 'utf8'));
  } catch {
    return [];
  }
}

/** glibc's major()/minor() of a st_dev, to match /proc/locks' "maj:min". */
export function devMajorMinor(dev: number): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}
