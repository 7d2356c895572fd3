// The attachable I/O of one job: cryod's ends of the job's three FIFOs, the output log, and the
// clients attached right now.
//
// Why named FIFOs under the job's directory rather than anonymous pipes: a pipe whose reader
// was cryod dies with cryod (the job's next write gets SIGPIPE). A FIFO outlives cryod: the job
// opens its end O_RDWR, so it is always its own reader as well and never gets SIGPIPE/EPIPE;
// while no cryod reads, its writes fill the (enlarged) pipe buffer and then block until a
// restarted cryod reopens the FIFO by path and drains it. CRIU dumps FIFOs by path and reopens
// them on restore, so a restored job reconnects to the same FIFOs and the same log.
// Consequence: stdin never reaches EOF (the job holds a writer itself).

import { constants, openSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { ensureFifo, growPipe } from './fifo.js';
import { OutputLog } from './output-log.js';

/** The FIFO paths of a job directory. */
export function fifoPaths(jobDir: string): { stdin: string; stdout: string; stderr: string } {
  return { stdin: join(jobDir, 'stdin'), stdout: join(jobDir, 'stdout'), stderr: join(jobDir, 'stderr') };
}

/** One chunk of output as delivered to attached clients. */
export interface OutputChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: Buffer;
}

/** cryod's side of an attachable job's stdio. */
export class JobIo {
  readonly log: OutputLog;
  private readonly readers: net.Socket[] = [];
  private stdinSock: net.Socket | undefined;
  private readonly subscribers = new Set<(c: OutputChunk) => void>();
  private open = 0;
  private endWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly jobDir: string, logMaxBytes: number) {
    const p = fifoPaths(jobDir);
    for (const f of [p.stdin, p.stdout, p.stderr]) ensureFifo(f);
    this.log = new OutputLog(jobDir, logMaxBytes);
    for (const stream of ['stdout', 'stderr'] as const) {
      // O_NONBLOCK: opening a FIFO for reading must not wait for the writer (the job).
      const fd = openSync(p[stream], constants.O_RDONLY | constants.O_NONBLOCK);
      growPipe(fd);
      const sock = new net.Socket({ fd, readable: true, writable: false });
      this.open++;
      sock.on('data', (data: Buffer) => this.deliver({ stream, data }));
      sock.on('error', () => undefined);
      sock.on('close', () => this.readerClosed());
      this.readers.push(sock);
    }
  }

  private deliver(c: OutputChunk): void {
    this.log.append(c.data);
    for (const s of this.subscribers) s(c);
  }

  private readerClosed(): void {
    if (--this.open === 0) {
      for (const w of this.endWaiters.splice(0)) w();
    }
  }

  /** Calls fn with every new output chunk; returns the unsubscribe function. */
  subscribe(fn: (c: OutputChunk) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Writes to the job's stdin FIFO (opened lazily, O_RDWR so it never blocks or fails on open). */
  writeStdin(data: Buffer): void {
    if (this.closed) return;
    if (!this.stdinSock) {
      const fd = openSync(fifoPaths(this.jobDir).stdin, constants.O_RDWR | constants.O_NONBLOCK);
      this.stdinSock = new net.Socket({ fd, readable: false, writable: true });
      this.stdinSock.on('error', () => undefined);
    }
    this.stdinSock.write(data);
  }

  /**
   * After the job ended: waits until the output FIFOs reach EOF (everything printed is in the
   * log) or graceMs passes (a FIFO reopened after a cryod restart never reports EOF), then closes.
   */
  async finish(graceMs = 300): Promise<void> {
    if (this.closed) return;
    if (this.open > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        this.endWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.close();
  }

  /** Closes cryod's ends now (daemon shutdown: the job keeps its ends and keeps running). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.readers) r.destroy();
    this.stdinSock?.destroy();
    this.log.close();
    this.subscribers.clear();
  }
}
