// Reconnecting a restored job's stdio. At dump time cryo records what the root's fds 0/1/2 were
// (a FIFO or file path, "pipe:[ino]", ...). On restore, CRIU's inherit_fd replaces each of those
// files with a descriptor we pass in, keyed by that identity. Verified here with CRIU 4.2.1: a
// FIFO or file is keyed by its path WITHOUT the leading '/', pipes and sockets by "pipe:[ino]".
// So one restore path serves every I/O mode: new FIFOs held by cryod (attachable), a log file
// (file output), or the caller's own terminal (--no-daemon).

import { closeSync, constants, openSync } from 'node:fs';
import { CryoError } from '../errors/index.js';
import type { StdioIdentity } from '../jobs/index.js';
import { fdIdentity } from '../jobs/proc.js';
import { buildCheckpointModel } from '../images/index.js';

/** Where the restored job's fds 0/1/2 should go: descriptors in OUR process. */
export interface StdioTargets {
  readonly stdin: number;
  readonly stdout: number;
  readonly stderr: number;
}

/** The inherit_fd list for CRIU plus the descriptors to close once CRIU has them. */
export interface StdioPlan {
  readonly inheritFds: { key: string; fd: number }[];
  readonly owned: number[];
  /** What went where, for notes. */
  readonly summary: string;
}

/** CRIU's inherit_fd key for a recorded identity, or undefined when it cannot be replaced. */
export function inheritKey(target: string): string | undefined {
  if (/^(pipe|socket):\[\d+\]$/.test(target)) return target;
  if (target.startsWith('/') && !target.endsWith(' (deleted)') && !target.startsWith('/dev/pts/') && target !== '/dev/tty') {
    return target.slice(1);
  }
  return undefined;
}

/** Maps each recorded identity to the target of its fd; an identity shared by fds goes to the first. */
export function planStdio(recorded: readonly StdioIdentity[], t: StdioTargets, owned: number[] = []): StdioPlan {
  const byFd = [t.stdin, t.stdout, t.stderr];
  const seen = new Set<string>();
  const inheritFds: { key: string; fd: number }[] = [];
  const mapped: string[] = [];
  for (const s of [...recorded].sort((a, b) => a.fd - b.fd)) {
    const key = inheritKey(s.target);
    const fd = byFd[s.fd];
    if (key === undefined || fd === undefined || seen.has(key)) continue;
    seen.add(key);
    inheritFds.push({ key, fd });
    mapped.push(`fd ${s.fd} (${s.target})`);
  }
  return { inheritFds, owned, summary: mapped.length ? `reconnected ${mapped.join(', ')}` : 'no stdio to reconnect' };
}

/** Opens a job's three FIFOs read-write (never blocks, never EOF) for handing to CRIU. */
export function openFifoTargets(paths: { stdin: string; stdout: string; stderr: string }): { targets: StdioTargets; owned: number[] } {
  const owned: number[] = [];
  try {
    for (const p of [paths.stdin, paths.stdout, paths.stderr]) owned.push(openSync(p, constants.O_RDWR));
  } catch (e) {
    closeAll(owned);
    throw new CryoError('CRYO_SPAWN_FAILED', `cannot open the job's FIFOs for the restore: ${(e as Error).message}`, { cause: e });
  }
  return { targets: { stdin: owned[0] as number, stdout: owned[1] as number, stderr: owned[2] as number }, owned };
}

/** stdin from /dev/null, stdout and stderr appended to `file` (O_APPEND: CRIU checks no size). */
export function openFileTargets(file: string): { targets: StdioTargets; owned: number[] } {
  const owned: number[] = [];
  try {
    owned.push(openSync('/dev/null', constants.O_RDONLY));
    owned.push(openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640));
  } catch (e) {
    closeAll(owned);
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--log\` ${JSON.stringify(file)}: ${(e as Error).message}`, {
      hint: 'give a writable file path', cause: e,
    });
  }
  return { targets: { stdin: owned[0] as number, stdout: owned[1] as number, stderr: owned[1] as number }, owned };
}

/** Closes descriptors, ignoring ones already closed. */
export function closeAll(fds: readonly number[]): void {
  for (const fd of new Set(fds)) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** A process's fds 0/1/2 as they are now (recorded at dump, refreshed after a restore). */
export function readStdio(pid: number): StdioIdentity[] {
  const out: StdioIdentity[] = [];
  for (const fd of [0, 1, 2]) {
    const id = fdIdentity(pid, fd);
    if (id) out.push({ fd, ...id });
  }
  return out;
}

/**
 * The root's stdio as cryo recorded it at dump (cryo.json), or else as read from CRIU's images
 * (plain `criu dump` / `cryo dump --pid` directories): fds 0-2 of the first process.
 */
export function recordedStdio(dir: string, recorded: readonly StdioIdentity[] | undefined): StdioIdentity[] {
  if (recorded) return [...recorded];
  try {
    const m = buildCheckpointModel(dir);
    const root = m.processes[0];
    const out: StdioIdentity[] = [];
    for (const fd of root?.fds ?? []) {
      if (fd.fd > 2) continue;
      const f = m.files.find((x) => x.id === fd.fileId);
      const target = f?.regular?.path ?? (f?.pipe ? (f.pipe.path ?? `pipe:[${f.pipe.pipeId}]`) : undefined);
      if (target) out.push({ fd: fd.fd, target, inode: 0 });
    }
    return out;
  } catch {
    return [];
  }
}
