// The few libc calls Node does not offer, bound once through koffi (an FFI package with prebuilt
// binaries): Node's `net` cannot wrap a SOCK_SEQPACKET fd, and it has no waitid/prctl.

import koffi from 'koffi';

/** Linux constants used with the calls below (x86_64 values). */
export const AF_UNIX = 1;
export const SOCK_SEQPACKET = 5;
export const SOCK_CLOEXEC = 0o2000000;
export const O_CLOEXEC = 0o2000000;
export const MSG_TRUNC = 0x20;
export const MSG_NOSIGNAL = 0x4000;
export const SHUT_RDWR = 2;
export const P_PID = 1;
export const WEXITED = 4;
export const WNOHANG = 1;
export const PR_SET_CHILD_SUBREAPER = 36;
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
/** sizeof(siginfo_t) on Linux. */
export const SIGINFO_SIZE = 128;

/** Typed signatures of the bound functions; pointer arguments take Buffers / Int32Arrays. */
export interface Libc {
  socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  recv: {
    (fd: number, buf: Buffer, len: number, flags: number): number;
    async(fd: number, buf: Buffer, len: number, flags: number, cb: (err: unknown, res: number) => void): void;
  };
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  pipe2(fds: Int32Array, flags: number): number;
  waitid(idtype: number, id: number, infop: Buffer, options: number): number;
  prctl(option: number, arg2: number, arg3: number, arg4: number, arg5: number): number;
  errno(): number;
}

let bound: Libc | undefined;

/** Loads libc and declares the functions on first use (so importing this module is free). */
export function libc(): Libc {
  if (bound) return bound;
  const lib = koffi.load('libc.so.6');
  bound = {
    socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)') as Libc['socketpair'],
    send: lib.func('long send(int fd, const void *buf, size_t len, int flags)') as Libc['send'],
    recv: lib.func('long recv(int fd, _Out_ void *buf, size_t len, int flags)') as unknown as Libc['recv'],
    shutdown: lib.func('int shutdown(int fd, int how)') as Libc['shutdown'],
    close: lib.func('int close(int fd)') as Libc['close'],
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)') as Libc['pipe2'],
    waitid: lib.func('int waitid(int idtype, int id, _Out_ void *infop, int options)') as Libc['waitid'],
    prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)') as Libc['prctl'],
    errno: () => koffi.errno(),
  };
  return bound;
}

/** A real kernel pipe, [read end, write end], close-on-exec. Node's stdio 'pipe' is a socketpair,
 *  but restored jobs' stdio are pipes matched by identity (`pipe:[inode]`) through inherit_fd. */
export function makePipe(): [number, number] {
  const fds = new Int32Array(2);
  if (libc().pipe2(fds, O_CLOEXEC) !== 0) throw new Error(`pipe2 failed (errno ${libc().errno()})`);
  return [fds[0] as number, fds[1] as number];
}
