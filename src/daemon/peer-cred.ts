// SO_PEERCRED on an accepted unix socket: which pid/uid/gid connected. Node does not expose it,
// so getsockopt is bound through koffi on the socket's fd.

import koffi from 'koffi';
import type { Socket } from 'node:net';
import type { PeerCred } from '../api/index.js';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

let getsockopt: ((fd: number, level: number, name: number, val: Buffer, len: number[]) => number) | undefined;

/** The peer's credentials, or null when they cannot be read (then the request is refused). */
export function peerCredOf(sock: Socket): PeerCred | null {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  getsockopt ??= koffi.load('libc.so.6').func('int getsockopt(int fd, int level, int name, _Out_ uint8_t *val, _Inout_ uint32_t *len)') as unknown as NonNullable<typeof getsockopt>;
  const buf = Buffer.alloc(12);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, [12]) !== 0) return null;
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}
