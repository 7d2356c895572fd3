// How protocol messages travel: one datagram per protobuf message. The interface is tiny so the
// protocol loop can be unit-tested against recorded messages; the real one is a SEQPACKET
// socketpair shared with `criu swrk`.

import { CryoError } from '../errors/index.js';
import { AF_UNIX, MSG_NOSIGNAL, MSG_TRUNC, SHUT_RDWR, SOCK_CLOEXEC, SOCK_SEQPACKET, libc } from './libc.js';

/** A message channel to CRIU: whole messages in, whole messages out. */
export interface Transport {
  send(msg: Uint8Array): Promise<void>;
  /** The next message, or null once the peer is gone (CRIU exited or the transport was closed). */
  recv(): Promise<Uint8Array | null>;
  /** Stops the transport: a pending recv resolves null, resources are released. Idempotent. */
  close(): Promise<void>;
}

// CRIU's messages are small (the largest is a response carrying cr_errmsg); MSG_TRUNC tells us
// if one ever was not, instead of silently cutting it.
const RECV_BUFFER = 256 * 1024;

/** Creates a SOCK_SEQPACKET pair; returns [ours, theirs]. Both are close-on-exec. */
export function seqpacketPair(): [number, number] {
  const sv = new Int32Array(2);
  if (libc().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) !== 0) {
    throw new CryoError('CRYO_CRIU_BROKEN', `socketpair(AF_UNIX, SOCK_SEQPACKET) failed (errno ${libc().errno()})`);
  }
  return [sv[0] as number, sv[1] as number];
}

/** Transport over our end of a SEQPACKET socket; recv runs on koffi's worker thread. */
export class SeqpacketTransport implements Transport {
  #fd: number;
  #pending: Promise<Uint8Array | null> | undefined;
  #closed = false;
  readonly #buf = Buffer.alloc(RECV_BUFFER);

  constructor(fd: number) {
    this.#fd = fd;
  }

  send(msg: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new CryoError('CRYO_CRIU_BROKEN', 'CRIU connection is closed'));
    const b = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
    const n = libc().send(this.#fd, b, b.length, MSG_NOSIGNAL);
    if (n !== b.length) {
      return Promise.reject(new CryoError('CRYO_CRIU_BROKEN', `sending to CRIU failed (errno ${libc().errno()}); CRIU probably exited`));
    }
    return Promise.resolve();
  }

  recv(): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#pending) return this.#pending;
    const p = new Promise<Uint8Array | null>((resolve, reject) => {
      libc().recv.async(this.#fd, this.#buf, this.#buf.length, MSG_TRUNC, (err, n) => {
        this.#pending = undefined;
        if (err) return reject(err instanceof Error ? err : new Error('recv from CRIU failed'));
        if (n <= 0 || this.#closed) return resolve(null);
        if (n > this.#buf.length) {
          return reject(new CryoError('CRYO_CRIU_BROKEN', `CRIU sent a ${n}-byte message, larger than ${this.#buf.length}`));
        }
        resolve(Uint8Array.prototype.slice.call(this.#buf, 0, n));
      });
    });
    this.#pending = p;
    return p;
  }

  /** shutdown() wakes a recv blocked on the worker thread; the fd is closed only after it returned,
   *  so the number cannot be reused under a running recv. */
  async close(): Promise<void> {
    if (this.#fd < 0) return;
    this.#closed = true;
    libc().shutdown(this.#fd, SHUT_RDWR);
    if (this.#pending) await this.#pending.catch(() => null);
    libc().close(this.#fd);
    this.#fd = -1;
  }
}
