// Test helper (private): "keeper", a tiny C program holding what safety tests need: a file open
// read-write (size and mode checked by CRIU), optionally a listening port, memory, and a flag
// file that makes it exit (so a restored copy can be made to die at once). Readiness handshake on
// fd 3 ("ready port=N"), output to an O_APPEND log, its own session: started like cryo's jobs.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForExit } from '../criu/index.js';

const source = String.raw`
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
/* keeper [--setsid] [--file PATH] [--port N|--listen] [--exit-if PATH] [--exit-code N] [--mib N] [--interval-ms N] */
int main(int argc, char **argv) {
  const char *file = NULL, *flag = NULL;
  int port = -1, code = 3, interval = 50;
  long mib = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--listen")) { port = 0; continue; }
    if (!strcmp(argv[i], "--setsid")) { setsid(); continue; }
    if (i + 1 >= argc) return 2;
    if (!strcmp(argv[i], "--file")) file = argv[++i];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--exit-if")) flag = argv[++i];
    else if (!strcmp(argv[i], "--exit-code")) code = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--mib")) mib = atol(argv[++i]);
    else if (!strcmp(argv[i], "--interval-ms")) interval = atoi(argv[++i]);
    else return 2;
  }
  if (file && open(file, O_RDWR) < 0) { perror("open"); return 4; }
  if (mib > 0) {
    char *p = malloc((size_t)mib << 20);
    if (!p) return 5;
    for (size_t i = 0; i < ((size_t)mib << 20); i += 4096) p[i] = (char)(i >> 12) | 1;
  }
  int lfd = -1, actual = 0;
  if (port >= 0) {
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 16) < 0) { perror("bind"); return 6; }
    socklen_t len = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &len);
    actual = ntohs(a.sin_port);
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  char ready[64];
  int n = snprintf(ready, sizeof ready, "ready pid=%d port=%d\n", getpid(), actual);
  /* CRYO_READY_PATH: a FIFO opened just for this (no pipe stays open in wrappers such as tini). */
  const char *rp = getenv("CRYO_READY_PATH");
  int rfd = rp ? open(rp, O_WRONLY) : 3;
  if (write(rfd, ready, n) == n) close(rfd);
  for (long tick = 1;; tick++) {
    struct stat st;
    if (flag && stat(flag, &st) == 0) { printf("flag %s found, exiting with %d\n", flag, code); return code; }
    printf("tick %ld\n", tick);
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    if (poll(&p, lfd >= 0 ? 1 : 0, interval) > 0) { int c = accept(lfd, NULL, NULL); if (c >= 0) close(c); }
  }
}
`;

/** Compiles keeper once per source version; returns its path. */
export function keeperBinary(): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'cryo-safety-fixtures');
  const bin = join(dir, `keeper-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const src = join(dir, `keeper-${hash}-${process.pid}.c`);
  writeFileSync(src, source);
  execFileSync('gcc', ['-O2', '-Wall', '-o', `${bin}.${process.pid}`, src]);
  renameSync(`${bin}.${process.pid}`, bin);
  rmSync(src, { force: true });
  return bin;
}

/** A running keeper. */
export interface Keeper {
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
  readonly log: string;
  /** Resolves when Node has reaped it (its pid is then free). */
  readonly gone: Promise<void>;
  output(): string;
}

type After = { after(fn: () => void | Promise<void>): void };

/** A temp dir removed after the test. */
export function tempDir(t: After, what = 'safety'): string {
  const dir = mkdtempSync(join(tmpdir(), `cryo-${what}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts keeper with output in dir/out.log; killed after the test. */
export async function startKeeper(t: After, dir: string, args: string[] = [], bin = keeperBinary()): Promise<Keeper> {
  const log = join(dir, 'out.log');
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd, 'pipe'] });
  closeSync(fd);
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
    await gone;
  });
  const line = await new Promise<string>((resolve, reject) => {
    let got = '';
    const ready = child.stdio[3] as NodeJS.ReadableStream;
    ready.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('\n')) resolve(got);
    });
    const early = (code: number | null): void => {
      let out = '';
      try { out = readFileSync(log, 'utf8'); } catch { /* dir already removed */ }
      reject(new Error(`keeper exited (${code}) before it was ready: ${out}`));
    };
    child.once('exit', early);
    ready.on('data', () => { if (got.includes('\n')) child.off('exit', early); });
  });
  (child.stdio[3] as unknown as { destroy(): void }).destroy();
  const port = Number(/port=(\d+)/.exec(line)?.[1] ?? 0);
  return { pid: child.pid!, port, child, log, gone, output: () => readFileSync(log, 'utf8') };
}

/** Kills and reaps a restored process (our child through rst_sibling) after the test. */
export function killRestoredAfter(t: After, pid: number): void {
  t.after(async () => {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await waitForExit(pid);
  });
}

/** Waits until check() holds, polling; for conditions with no event to wait on. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
