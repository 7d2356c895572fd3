// Where `cryo import` reads zstd's output from. Node's stdio 'pipe' is a socketpair read on the
// main thread 64 KiB at a time: ~16,000 reads and stream callbacks per GiB, the largest cost on
// the main thread after SHA-256, which also hashes, parses tar and issues the writes. A real
// kernel pipe with a 1 MiB buffer, read by a file stream (blocking reads on libuv's threads, up to
// 1 MiB each), moves the reads off the main thread and cuts the callbacks by up to 16x.

import { closeSync, createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { makePipe } from '../criu/libc.js';
import { growPipe } from '../jobs/fifo.js';

/** Read size and pipe buffer: the kernel's default pipe-max-size. */
const PIPE_BYTES = 1024 * 1024;

/** A pipe for a child's stdout: pass `childEnd` to spawn, then call `spawned()`; read `stream`. */
export interface ChildOutputPipe {
  readonly childEnd: number;
  readonly stream: Readable;
  /** Closes this process's copy of the child's end (so EOF arrives when the child exits). */
  spawned(): void;
}

/** A big pipe for a child's output, or undefined when it cannot be made (then use stdio 'pipe'). */
export function childOutputPipe(): ChildOutputPipe | undefined {
  let fds: [number, number];
  try {
    fds = makePipe();
  } catch {
    return undefined;
  }
  const [readEnd, writeEnd] = fds;
  try {
    growPipe(readEnd, PIPE_BYTES); // best effort: a smaller pipe still works
  } catch {
    // keep the default size
  }
  let open = true;
  const spawned = (): void => {
    if (open) closeSync(writeEnd);
    open = false;
  };
  const stream = createReadStream('', { fd: readEnd, highWaterMark: PIPE_BYTES, autoClose: true });
  // If the child never started, its end must still be closed or reads would wait forever.
  stream.once('close', spawned);
  return { childEnd: writeEnd, stream, spawned };
}
