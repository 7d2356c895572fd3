// One `criu lazy-pages` process per lazy restore: it listens on `lazy-pages.socket` in its work
// dir (a relative name, so the restore must run with the same work dir), serves page faults of
// the restored tree over userfaultfd, pushes the remaining pages in the background, and exits by
// itself once every page has arrived. Readiness is CRIU's own signal: with `--status-fd N` it
// writes one byte to N after the socket listens (criu/uffd.c cr_lazy_pages -> status_ready).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CryoError } from '../errors/index.js';
import { analyzeCriuLog } from '../criu/index.js';

/** The socket name CRIU uses (LAZY_PAGES_SOCK_NAME), relative to the work dir. */
export const LAZY_PAGES_SOCKET = 'lazy-pages.socket';
/** The server's log file name inside the work dir. */
export const LAZY_PAGES_LOG = 'criu-lazy-pages.log';
/** How long the server may take to listen on its socket. */
export const SERVER_READY_TIMEOUT_MS = 15_000;

const MAX_OUTPUT = 16 * 1024;

/** How the server ended. */
export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running lazy-pages server, ready for a restore to connect. */
export interface LazyPagesServer {
  readonly pid: number;
  readonly workDir: string;
  readonly logPath: string;
  /** Resolves when the server has exited (and Node reaped it); never rejects. */
  readonly exited: Promise<ServerExit>;
  /** Exit status once known, else undefined. */
  exitStatus(): ServerExit | undefined;
  /** What criu printed on stdout/stderr (normally nothing: it logs to its file). */
  output(): string;
  /** SIGKILLs the server if it still runs and waits for it. */
  kill(): Promise<void>;
}

/** What to start the server with. */
export interface ServerOptions {
  criuPath: string;
  imagesDir: string;
  workDir: string;
  logLevel: number;
  /** For messages: which job / checkpoint the server is for. */
  job?: string;
  checkpoint?: string;
}

/** The CRIU error lines of the server's log (for error messages). */
export function serverLogLines(logPath: string, fallback = ''): string[] {
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    // no log: criu died before opening it
  }
  const a = analyzeCriuLog(text || fallback);
  if (a.relevant.length) return a.relevant;
  return (text || fallback).split('\n').filter((l) => l.trim() !== '').slice(-4);
}

/** Starts `criu lazy-pages` and resolves once its socket listens; throws CRYO_LAZY_SERVER_FAILED otherwise. */
export async function startLazyPagesServer(o: ServerOptions): Promise<LazyPagesServer> {
  const logPath = join(o.workDir, LAZY_PAGES_LOG);
  const args = ['lazy-pages', '-D', o.imagesDir, '-W', o.workDir, '-o', LAZY_PAGES_LOG, `-v${o.logLevel}`, '--status-fd', '3'];
  let child: ChildProcess;
  try {
    // Own process group: a Ctrl-C meant for cryo must not kill the server while a restored process
    // still depends on it for its memory.
    child = spawn(o.criuPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  } catch (e) {
    throw new CryoError('CRYO_CRIU_NOT_FOUND', `cannot start ${o.criuPath} lazy-pages: ${(e as Error).message}`, { cause: e });
  }
  let out = '';
  const collect = (d: Buffer): void => {
    if (out.length < MAX_OUTPUT) out += d.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let status: ServerExit | undefined;
  const exited = new Promise<ServerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
    child.once('error', () => {
      status ??= { code: null, signal: null };
      resolve(status);
    });
  });
  const statusPipe = child.stdio[3] as Readable;
  const ctx = {
    operation: 'lazy restore',
    imagesDir: o.imagesDir,
    logPath,
    ...(o.job !== undefined ? { job: o.job } : {}),
    ...(o.checkpoint !== undefined ? { checkpoint: o.checkpoint } : {}),
  };

  const ready = await new Promise<'ready' | 'exited' | 'timeout' | Error>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), SERVER_READY_TIMEOUT_MS);
    statusPipe.once('data', () => resolve('ready'));
    // EOF without the byte: criu closed the fd or died before listening.
    statusPipe.once('end', () => resolve('exited'));
    child.once('error', (e) => resolve(e));
    void exited.then(() => resolve('exited'));
    child.once('exit', () => clearTimeout(timer));
    statusPipe.once('data', () => clearTimeout(timer));
  });
  statusPipe.destroy();
  const kill = async (): Promise<void> => {
    if (status === undefined && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
  };

  if (ready !== 'ready') {
    await kill();
    if (ready instanceof Error) {
      throw new CryoError('CRYO_CRIU_NOT_FOUND', `cannot start ${o.criuPath} lazy-pages: ${ready.message}`, { ...ctx, cause: ready });
    }
    const how = ready === 'timeout'
      ? `did not listen on ${LAZY_PAGES_SOCKET} within ${SERVER_READY_TIMEOUT_MS} ms`
      : `exited before it was ready (${describeExit(status)})`;
    throw new CryoError('CRYO_LAZY_SERVER_FAILED', `the lazy-pages server for ${o.imagesDir} ${how}`, {
      ...ctx,
      logLines: serverLogLines(logPath, out),
      hint: 'read the server log; check that the images directory is a complete checkpoint, or restore without --lazy',
    });
  }
  return {
    pid: child.pid as number,
    workDir: o.workDir,
    logPath,
    exited,
    exitStatus: () => status,
    output: () => out,
    kill,
  };
}

/** "exit code 1" / "killed by SIGKILL" / "still running". */
export function describeExit(s: ServerExit | undefined): string {
  if (!s) return 'still running';
  if (s.signal) return `killed by ${s.signal}`;
  return s.code === null ? 'could not be started' : `exit code ${s.code}`;
}
