// Test and bench helper (private): a tiny C counter compiled once per machine, started the way
// cryo jobs are (own session, output to an O_APPEND file or a real pipe), with a readiness
// handshake on fd 3 so tests never sleep-and-hope.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Prints 1, 2, 3... every INTERVAL ms; "ready" on fd 3 first; SIGUSR1 makes it exit 42;
// MEM_MB > 0 allocates and touches that much memory before ready.
const source = `
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void on_usr1(int s) { (void)s; _exit(42); }
int main(int argc, char **argv) {
  int interval = argc > 1 ? atoi(argv[1]) : 100;
  long mem_mb = argc > 2 ? atol(argv[2]) : 0;
  signal(SIGUSR1, on_usr1);
  if (mem_mb > 0) {
    size_t n = (size_t)mem_mb << 20;
    char *p = malloc(n);
    if (!p) return 3;
    for (size_t i = 0; i < n; i += 4096) p[i] = (char)(i >> 12) | 1;
  }
  if (write(3, "ready\\n", 6) == 6) close(3);
  for (long i = 1;; i++) {
    printf("%ld\\n", i);
    fflush(stdout);
    usleep((useconds_t)interval * 1000);
  }
}
`;

/** Compiles the counter (cached by source hash under the temp dir) and returns its path. */
export function counterBinary(): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'cryo-criu-fixtures');
  const bin = join(dir, `counter-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const src = join(dir, `counter-${hash}-${process.pid}.c`);
  writeFileSync(src, source);
  execFileSync('gcc', ['-O2', '-o', `${bin}.${process.pid}`, src]);
  renameSync(`${bin}.${process.pid}`, bin);
  return bin;
}

export interface Counter {
  pid: number;
  child: ChildProcess;
  /** Resolves when Node has reaped the original process (needed before a host-pid restore). */
  gone: Promise<void>;
}

/** Starts the counter in its own session with stdout/stderr on `stdoutFd`; resolves once it is ready. */
export async function startCounter(stdoutFd: number, opts: { intervalMs?: number; memMb?: number } = {}): Promise<Counter> {
  const child = spawn(counterBinary(), [String(opts.intervalMs ?? 100), String(opts.memMb ?? 0)], {
    detached: true,
    stdio: ['ignore', stdoutFd, stdoutFd, 'pipe'],
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = child.stdio[3] as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => {
    let got = '';
    ready.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`counter exited (${code}) before it was ready`)));
  });
  // Fully closed before returning, so tests counting our fds see a stable number.
  const closed = new Promise<void>((resolve) => ready.once('close', () => resolve()));
  (ready as unknown as { destroy(): void }).destroy();
  await closed;
  return { pid: child.pid as number, child, gone };
}

/** Opens (creating) a log file the way job logs are opened: O_APPEND. */
export function openAppend(path: string): number {
  return openSync(path, 'a');
}

/** The last number a counter printed into a file. */
export function lastCount(path: string): number {
  const nums = readFileSync(path, 'utf8').trim().split('\n').map(Number).filter(Number.isFinite);
  return nums.at(-1) ?? 0;
}

/** The kernel identity of fd N of a process (e.g. "pipe:[1234]"), as CRIU keys inherit_fd. */
export function fdIdentity(pid: number, fd: number): string {
  return readlinkSync(`/proc/${pid}/fd/${fd}`);
}

/** Waits until `check` is true, polling (for conditions with no event to wait on); throws after timeoutMs. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { closeSync };
