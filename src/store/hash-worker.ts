// SHA-256 on a worker thread, so an import hashes on one core while the main thread parses tar
// and writes files on another (hashing in the main thread made import CPU-bound on one core).
// Chunks are copied and transferred; bytes in flight are bounded, so memory stays bounded.

import { Worker } from 'node:worker_threads';

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let h = null;
parentPort.on('message', (m) => {
  if (m === 'start') h = createHash('sha256');
  else if (m === 'end') parentPort.postMessage({ digest: h.digest('hex') });
  else { h.update(m); parentPort.postMessage({ ack: m.byteLength }); }
});
`;

/** Most bytes queued to the worker before update() waits for it. */
const MAX_IN_FLIGHT = 4 * 1024 * 1024;

/** One hashing thread, used for one file at a time: start, update..., digest. */
export class HashWorker {
  // execArgv []: the code is CommonJS even when the parent runs with --input-type=module.
  private readonly worker = new Worker(SOURCE, { eval: true, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private onDigest: ((d: string) => void) | undefined;
  private failure: Error | undefined;

  constructor() {
    this.worker.on('message', (m: { ack?: number; digest?: string }) => {
      if (m.ack !== undefined) {
        this.inFlight -= m.ack;
        if (this.inFlight <= MAX_IN_FLIGHT) this.release();
      } else if (m.digest !== undefined) {
        this.onDigest?.(m.digest);
      }
    });
    const fail = (e: Error): void => {
      this.failure ??= e;
      this.release();
      this.onDigest?.('');
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('hash worker exited')));
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Begins a new digest. */
  start(): void {
    this.worker.postMessage('start');
  }

  /** Queues a chunk (copied: the caller may reuse its buffer); waits when too much is queued. */
  async update(chunk: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    const copy = new Uint8Array(chunk);
    this.inFlight += copy.byteLength;
    this.worker.postMessage(copy, [copy.buffer]);
    if (this.inFlight > MAX_IN_FLIGHT) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** The hex digest of everything since start(). */
  async digest(): Promise<string> {
    if (this.failure) throw this.failure;
    const d = await new Promise<string>((resolve) => {
      this.onDigest = resolve;
      this.worker.postMessage('end');
    });
    this.onDigest = undefined;
    const failed = this.failure as Error | undefined; // may have been set while waiting
    if (failed) throw failed;
    return d;
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
