// Pre-flight: file locks the checkpoint takes again (dumped with file_locks) must not be held by
// another process here. CRIU re-takes each lock with a blocking flock/fcntl inside the restored
// task, so a conflicting lock (e.g. held by a first restored copy) makes the restore hang forever
// instead of failing. Same file = same device and inode; conflict rules as the kernel's: flock
// locks conflict with flock locks, POSIX and OFD locks with each other on overlapping ranges, and
// only when one side is a write (exclusive) lock.

import { readFileSync, statSync } from 'node:fs';
import { ImagesDir, type CheckpointModel } from '../../images/index.js';
import type { file_lock_entry } from '../../gen/criu/images/file-lock_pb.js';
import { devMajorMinor, readProcLocks, type HeldLock, type LockKind } from '../proc-locks.js';
import { checkResult, type PreflightCheck, type PreflightItem } from '../preflight-types.js';

// CRIU's file_lock_entry.flag values (criu/include/file-lock.h) and fcntl lock types.
const FL_POSIX = 1;
const FL_FLOCK = 2;
const FL_OFD = 4;
const F_WRLCK = 1;

/** A lock the checkpoint will take again, on a file of this machine. */
export interface WantedLock {
  readonly kind: LockKind;
  readonly write: boolean;
  readonly pid: number;
  readonly fd: number;
  readonly path: string;
  readonly start: number;
  /** Inclusive end; undefined: to end of file. */
  readonly end: number | undefined;
}

/** The locks in filelocks.img, with the file each was taken on (through the process's fd). */
export function wantedLocks(model: CheckpointModel, entries: readonly file_lock_entry[]): WantedLock[] {
  const files = new Map(model.files.map((f) => [f.id, f]));
  const out: WantedLock[] = [];
  for (const e of entries) {
    const kind: LockKind | undefined = e.flag === FL_FLOCK ? 'flock' : e.flag === FL_POSIX ? 'posix' : e.flag === FL_OFD ? 'ofd' : undefined;
    if (!kind) continue; // leases: CRIU handles them apart, they never block
    const fd = model.processes.find((p) => p.pid === e.pid)?.fds.find((f) => f.fd === e.fd);
    const reg = fd ? files.get(fd.fileId)?.regular : undefined;
    if (!reg || reg.deleted) continue; // a deleted file comes back as a new inode: nobody can hold it
    const start = Number(e.start);
    const len = Number(e.len);
    out.push({ kind, write: (e.type & 0xf) === F_WRLCK, pid: e.pid, fd: e.fd, path: reg.path, start, end: len === 0 ? undefined : start + len - 1 });
  }
  return out;
}

/** Whether `held` would make taking `want` block (same file assumed). */
export function locksConflict(want: Pick<WantedLock, 'kind' | 'write' | 'start' | 'end'>, held: HeldLock): boolean {
  if (!want.write && !held.write) return false;
  if ((want.kind === 'flock') !== (held.kind === 'flock')) return false;
  if (want.kind === 'flock') return true;
  const before = (a: { end: number | undefined }, b: { start: number }): boolean => a.end !== undefined && a.end < b.start;
  return !before(want, held) && !before(held, want);
}

const describeLock = (l: { kind: LockKind; write: boolean }): string => `${l.kind === 'ofd' ? 'OFD' : l.kind === 'posix' ? 'POSIX' : 'flock'} ${l.write ? 'write' : 'read'} lock`;

function holderName(pid: number): string {
  if (pid <= 0) return 'an open file description (OFD lock: no single owning process)';
  try {
    return `${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()} (pid ${pid})`;
  } catch {
    return `pid ${pid} (not visible from here: another PID namespace, or gone)`;
  }
}

/**
 * Checks every lock of the checkpoint against /proc/locks (`held`: its locks when the caller read
 * them already; read here otherwise, and only when the checkpoint has locks: see
 * readProcLocksAsync for why); lists each held one with its holder.
 */
export function checkLocks(model: CheckpointModel, held?: readonly HeldLock[]): PreflightCheck {
  const title = 'file locks the processes held';
  if (model.namespaces.captured.includes('mnt')) {
    return { id: 'locks', status: 'ok', title, items: [], detail: 'the checkpoint carries its own mount namespace: its locked files are not files of this machine' };
  }
  const wanted = wantedLocks(model, ImagesDir.open(model.dir).messages<file_lock_entry>('filelocks.img', 'FILE_LOCKS'));
  if (wanted.length === 0) return { id: 'locks', status: 'ok', title, items: [], detail: 'no file locks' };
  const items: PreflightItem[] = [];
  const locks = held ?? readProcLocks();
  for (const w of wanted) {
    const st = statSync(w.path, { throwIfNoEntry: false });
    if (!st) continue; // the files check reports a missing file
    const { major, minor } = devMajorMinor(st.dev);
    const blockers = locks.filter((h) => h.major === major && h.minor === minor && h.inode === st.ino && locksConflict(w, h));
    if (blockers.length === 0) continue;
    const who = blockers.map((b) => `${describeLock(b)} held by ${holderName(b.pid)}`).join(', ');
    items.push({
      status: 'fail', code: 'CRYO_FILE_LOCK_HELD', subject: w.path,
      problem: `is locked: ${who}; the checkpoint's pid ${w.pid} held a ${describeLock(w)} on it (fd ${w.fd}), and CRIU would wait for it forever`,
      details: { lock: { kind: w.kind, write: w.write, pid: w.pid, fd: w.fd, start: w.start, end: w.end ?? null }, holders: blockers.map((b) => ({ pid: b.pid, kind: b.kind, write: b.write })) },
    });
  }
  return checkResult('locks', title, `${wanted.length} lock${wanted.length === 1 ? '' : 's'} free to take again`, items,
    `${items.length} of ${wanted.length} locks are held by other processes`);
}
