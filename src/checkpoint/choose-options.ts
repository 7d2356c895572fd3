// Which CRIU options a process tree needs, found by looking at it before the dump (issue 5: "choose
// CRIU options ... tell the user what was chosen"): a root that is not a session leader needs
// shell_job, held file locks need file_locks, established TCP connections need tcp_established.
// Hand-written /proc reads: a few fields of three files, no library covers them.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { processTree } from '../util/proc-children.js';
import { procStat, STAT } from '../util/proc-stat.js';
import { readProcLocks } from '../safety/index.js';

/** The dump options that must be repeated on restore (recorded in cryo.json). */
export interface CriuChoice {
  shellJob?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
  extUnixSk?: boolean;
  ghostLimit?: number;
  /**
   * CRIU's network lock: nftables when TCP connections must be kept, else skip. Locking with
   * nftables costs ~0.7 s per dump and ~0.25 s per restore here, and protects only TCP state.
   */
  networkLock?: 'nftables' | 'skip';
}

/** What the user asked for explicitly. */
export interface OptionRequest {
  shellJob?: boolean | undefined;
  tcpEstablished?: boolean | undefined;
  fileLocks?: boolean | undefined;
  extUnixSk?: boolean | undefined;
  ghostLimit?: number | undefined;
}

/** Socket inodes open in any process of the tree. */
function socketInodes(pids: readonly number[]): Set<number> {
  const out = new Set<number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(Number(m[1]));
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

/** True when one of `inodes` is an ESTABLISHED (state 01) TCP socket in the root's net namespace. */
function hasEstablished(root: number, inodes: Set<number>): boolean {
  if (inodes.size === 0) return false;
  for (const t of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${root}/net/${t}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '01' && inodes.has(Number(f[9]))) return true;
    }
  }
  return false;
}

/** True when a process of the tree holds a POSIX or flock lock (/proc/locks names the pid). */
function holdsLocks(pids: readonly number[]): boolean {
  const set = new Set(pids);
  return readProcLocks().some((l) => set.has(l.pid));
}

/** Chooses the options for dumping the tree at `root`; `why` says, per option, why in words. */
export function chooseCriuOptions(root: number, req: OptionRequest): { options: CriuChoice; why: string[] } {
  const options: CriuChoice = {};
  const why: string[] = [];
  const pids = processTree(root);
  const f = procStat(root);
  if (req.shellJob) {
    options.shellJob = true;
    why.push('shell-job (asked)');
  } else if (f && Number(f[STAT.session]) !== root) {
    options.shellJob = true;
    why.push('shell-job (the root is not a session leader)');
  }
  if (req.tcpEstablished) {
    options.tcpEstablished = true;
    why.push('tcp-established (asked)');
  } else if (hasEstablished(root, socketInodes(pids))) {
    options.tcpEstablished = true;
    why.push('tcp-established (the job has established TCP connections)');
  }
  if (req.fileLocks) {
    options.fileLocks = true;
    why.push('file-locks (asked)');
  } else if (holdsLocks(pids)) {
    options.fileLocks = true;
    why.push('file-locks (the job holds file locks)');
  }
  if (req.extUnixSk) {
    options.extUnixSk = true;
    why.push('ext-unix-sk (asked)');
  }
  if (req.ghostLimit !== undefined) {
    options.ghostLimit = req.ghostLimit;
    why.push(`ghost-limit ${req.ghostLimit} bytes (asked)`);
  }
  options.networkLock = options.tcpEstablished ? 'nftables' : 'skip';
  return { options, why };
}
