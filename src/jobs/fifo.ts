// Named FIFOs for attachable jobs. Node has no mkfifo() and cannot enlarge a pipe buffer, so the
// two libc calls are bound through koffi (already a dependency for the CRIU RPC socket).

import koffi from 'koffi';
import { existsSync, lstatSync } from 'node:fs';
import { CryoError } from '../errors/index.js';

const F_SETPIPE_SZ = 1031;

let lib: { mkfifo: (path: string, mode: number) => number; fcntl: (fd: number, cmd: number, arg: number) => number } | undefined;

function libc(): NonNullable<typeof lib> {
  if (lib) return lib;
  const l = koffi.load('libc.so.6');
  const fcntl = l.func('int fcntl(int fd, int cmd, ...)');
  lib = {
    mkfifo: l.func('int mkfifo(const char *path, uint32_t mode)') as (path: string, mode: number) => number,
    fcntl: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
  };
  return lib;
}

/** Creates a FIFO at path (mode 0600) unless one is already there. */
export function ensureFifo(path: string): void {
  if (existsSync(path)) {
    if (lstatSync(path).isFIFO()) return;
    throw new CryoError('CRYO_SPAWN_FAILED', `${path} exists and is not a FIFO`, { hint: `remove ${path}` });
  }
  if (libc().mkfifo(path, 0o600) !== 0) {
    throw new CryoError('CRYO_SPAWN_FAILED', `cannot create FIFO ${path} (errno ${koffi.errno()})`);
  }
}

/**
 * Enlarges a pipe's buffer (best effort, up to /proc/sys/fs/pipe-max-size) so a job can keep
 * printing for a while when cryod is not reading (for example while cryod restarts).
 */
export function growPipe(fd: number, bytes = 1 << 20): void {
  libc().fcntl(fd, F_SETPIPE_SZ, bytes);
}
