// The listening TCP sockets of this network namespace through netlink's sock_diag, asked for
// LISTEN only: the kernel then walks just its listening hash. /proc/net/tcp{,6} always walks the
// whole connection hash too (~4 ms per table on this 24 GiB machine, even when nearly empty), on
// every restore's pre-flight. Hand-written over koffi (already a dependency): Node has no netlink.
// Any failure returns undefined and the caller reads /proc instead.

import koffi from 'koffi';
import { addressText, readProcSocketsAsync, TCP_LISTEN, type ProcSocket } from './proc-net.js';

const AF_NETLINK = 16;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 0x2;
const NLMSG_DONE = 0x3;
const IPPROTO_TCP = 6;
const NLMSG_HDRLEN = 16;
/** sizeof(struct inet_diag_msg): the fixed part of each answer. */
const DIAG_MSG_LEN = 72;

interface Calls {
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
}

let calls: Calls | undefined;
function libc(): Calls {
  if (calls) return calls;
  const lib = koffi.load('libc.so.6');
  calls = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Calls['socket'],
    send: lib.func('long send(int fd, const void *buf, size_t len, int flags)') as Calls['send'],
    recv: lib.func('long recv(int fd, _Out_ void *buf, size_t len, int flags)') as Calls['recv'],
    close: lib.func('int close(int fd)') as Calls['close'],
  };
  return calls;
}

/** One SOCK_DIAG_BY_FAMILY dump request (nlmsghdr + inet_diag_req_v2) for listening TCP sockets. */
function request(family: number): Buffer {
  const b = Buffer.alloc(NLMSG_HDRLEN + 56);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  b.writeUInt32LE(1, 8);
  b.writeUInt8(family, 16);
  b.writeUInt8(IPPROTO_TCP, 17);
  b.writeUInt32LE(1 << TCP_LISTEN, 20); // idiag_states
  return b;
}

/** The listening sockets of one family, or undefined if the kernel did not answer as expected. */
function dumpFamily(c: Calls, fd: number, family: number): ProcSocket[] | undefined {
  const req = request(family);
  if (c.send(fd, req, req.length, 0) !== req.length) return undefined;
  const out: ProcSocket[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    // Non-blocking: the kernel queues the dump's next part as each one is read, so the queue only
    // runs dry if something is wrong (then /proc is read instead of waiting here).
    const n = c.recv(fd, buf, buf.length, 0);
    if (n <= 0) return undefined;
    for (let off = 0; off + NLMSG_HDRLEN <= n;) {
      const len = buf.readUInt32LE(off);
      const type = buf.readUInt16LE(off + 4);
      if (len < NLMSG_HDRLEN || off + len > n) return undefined;
      if (type === NLMSG_DONE) return out;
      if (type === NLMSG_ERROR) return undefined;
      if (type === SOCK_DIAG_BY_FAMILY && len >= NLMSG_HDRLEN + DIAG_MSG_LEN) {
        const m = off + NLMSG_HDRLEN;
        const fam = buf.readUInt8(m);
        out.push({
          protocol: 'tcp',
          family: fam === AF_INET6 ? 'inet6' : 'inet',
          address: addressText(Buffer.from(buf.subarray(m + 8, m + 8 + (fam === AF_INET6 ? 16 : 4)))),
          port: buf.readUInt16BE(m + 4),
          state: buf.readUInt8(m + 1),
          inode: buf.readUInt32LE(m + 68),
        });
      }
      off += (len + 3) & ~3;
    }
  }
}

/** Every listening TCP socket (IPv4 and IPv6) of our network namespace; undefined when netlink fails. */
export function listeningTcpSockets(): ProcSocket[] | undefined {
  let c: Calls;
  try {
    c = libc();
  } catch {
    return undefined;
  }
  const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return undefined;
  try {
    const v4 = dumpFamily(c, fd, AF_INET);
    const v6 = v4 && dumpFamily(c, fd, AF_INET6);
    return v4 && v6 ? [...v4, ...v6] : undefined;
  } finally {
    c.close(fd);
  }
}

/**
 * What the ports check compares against: listening TCP sockets from sock_diag (/proc/net/tcp{,6}
 * if that fails) and bound UDP sockets from /proc/net/udp{,6} (a small table, cheap to read).
 */
export async function readBoundSockets(): Promise<ProcSocket[]> {
  const tcp = listeningTcpSockets();
  return tcp ? [...tcp, ...(await readProcSocketsAsync('/proc', 'udp'))] : readProcSocketsAsync();
}
