// Who holds a pid: a live or zombie process (or thread) with that id, or a process that still uses
// it as its process group or session id (the kernel keeps such a pid allocated, and CRIU's
// clone3(set_tid) then fails with EEXIST). Read from /proc/*/stat in one scan.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readComm } from './proc-net.js';

/** The fields of /proc/PID/stat we need. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  /** One letter: R, S, D, T, Z ... */
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
}

/** Parses /proc/PID/stat (comm may hold spaces and parentheses: fields follow the last ')'). */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  return { pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), state: f[0] ?? '?', ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]) };
}

/** /proc/PID/stat of one process or thread id, undefined when it does not exist. */
export function readStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process of our PID namespace. */
export function readAllStats(procRoot = '/proc'): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name), procRoot);
    if (s) out.push(s);
  }
  return out;
}

/** Why a pid is not free. */
export interface PidHolder {
  /** The process (thread group leader) that holds it. */
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  /** How it holds the pid: it is that process, a thread of it, or uses it as pgid / sid. */
  readonly how: 'process' | 'thread' | 'process group' | 'session';
  /** A zombie's parent, which must reap it to free the pid. */
  readonly parent?: { readonly pid: number; readonly comm: string };
}

/** Everything that keeps `pid` allocated; empty when the pid is free. */
export function pidHolders(pid: number, all: readonly ProcStat[], procRoot = '/proc'): PidHolder[] {
  const out: PidHolder[] = [];
  const describe = (s: ProcStat, how: PidHolder['how']): PidHolder => ({
    pid: s.pid, comm: s.comm, state: s.state, how,
    ...(s.state === 'Z' ? { parent: { pid: s.ppid, comm: readComm(s.ppid, procRoot) } } : {}),
  });
  const self = all.find((s) => s.pid === pid);
  if (self) out.push(describe(self, 'process'));
  else if (existsSync(`${procRoot}/${pid}`)) {
    // A thread id: /proc/TID exists though readdir does not list it; name its process.
    let tgid = pid;
    try {
      tgid = Number(/^Tgid:\s*(\d+)/m.exec(readFileSync(`${procRoot}/${pid}/status`, 'utf8'))?.[1] ?? pid);
    } catch {
      // gone meanwhile
    }
    const owner = all.find((s) => s.pid === tgid) ?? readStat(pid, procRoot);
    if (owner) out.push(describe(owner, 'thread'));
  }
  for (const s of all) {
    if (s.pid === pid) continue;
    if (s.pgid === pid) out.push(describe(s, 'process group'));
    else if (s.sid === pid) out.push(describe(s, 'session'));
  }
  return out;
}
