// A job's output kept on disk, bounded: two files (output.log and output.log.1) that rotate when
// the current one reaches half the cap, so at most `maxBytes` are kept and the newest output is
// never lost. stdout and stderr are interleaved in arrival order, as a terminal would show them.

import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Appends output and reads back its tail. */
export class OutputLog {
  readonly path: string;
  private fd: number;
  private size: number;

  constructor(dir: string, private readonly maxBytes: number) {
    this.path = join(dir, 'output.log');
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** Appends one chunk, rotating first when the current file is full. */
  append(chunk: Buffer): void {
    if (this.size + chunk.length > this.maxBytes / 2 && this.size > 0) this.rotate();
    writeSync(this.fd, chunk);
    this.size += chunk.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = 0;
  }

  /** The last `n` bytes kept (0: everything kept). */
  tail(n = 0): Buffer {
    return readTail(this.path, n);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads the last n bytes (0: all) of a rotated log pair `path.1` + `path`, without opening a writer. */
export function readTail(path: string, n = 0): Buffer {
  const parts: Buffer[] = [];
  for (const p of [`${path}.1`, path]) {
    if (!existsSync(p)) continue;
    const size = statSync(p).size;
    const fd = openSync(p, 'r');
    try {
      const buf = Buffer.alloc(size);
      let off = 0;
      while (off < size) {
        const r = readSync(fd, buf, off, size - off, off);
        if (r === 0) break;
        off += r;
      }
      parts.push(buf.subarray(0, off));
    } finally {
      closeSync(fd);
    }
  }
  const all = Buffer.concat(parts);
  return n > 0 && all.length > n ? all.subarray(all.length - n) : all;
}

/** Where a job's attachable output log lives. */
export function outputLogPath(jobDir: string): string {
  return join(jobDir, 'output.log');
}
