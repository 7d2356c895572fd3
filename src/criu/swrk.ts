// One `criu swrk` process and its RPC socket: spawned per operation, with the criu end of a
// SEQPACKET pair as its fd 3 and any inherited descriptors from fd 4 on (CRIU resolves
// inherit_fd numbers in its OWN table: cr-service.c hands them to inherit_fd_add, which fstat()s them).

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync } from 'node:fs';
import { CryoError } from '../errors/index.js';
import { SeqpacketTransport, seqpacketPair } from './transport.js';

/** A running `criu swrk`: the transport to it, and its exit. */
export interface SwrkSession {
  readonly transport: SeqpacketTransport;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once criu has exited and been reaped (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What criu printed on stdout/stderr (normally nothing: it logs to its log file). */
  output(): string;
  /** Kills criu (SIGKILL) if it still runs, waits for it, closes the transport. Idempotent. */
  destroy(): Promise<void>;
  /** Closes the transport and waits for criu to exit on its own (it does after the last answer). */
  finish(): Promise<void>;
}

const MAX_OUTPUT = 64 * 1024;
const FINISH_GRACE_MS = 10_000;
const STDIO_DRAIN_MS = 200;

/**
 * Starts `criu swrk 3`; `extraFds` (OUR descriptors) appear in criu as fds 4, 5, ... With a
 * `launcher` (RestoreOptions.monitor), criu runs as the launcher's child and `child` is the
 * launcher: `exited` then settles when criu is done (the launcher closes its stdout and stderr
 * then) or the launcher exits, and the launcher itself lives on (in its own session).
 */
export async function startSwrk(criuPath: string, extraFds: readonly number[] = [], stdin: 'ignore' | 'inherit' = 'ignore', launcher?: readonly string[]): Promise<SwrkSession> {
  const [ours, theirs] = seqpacketPair();
  const stdio: StdioOptions = [stdin, 'pipe', 'pipe', theirs, ...extraFds];
  let child: ChildProcess;
  try {
    child = launcher
      ? spawn(launcher[0] as string, [...launcher.slice(1), criuPath, 'swrk', '3'], { stdio, detached: true })
      : spawn(criuPath, ['swrk', '3'], { stdio });
  } catch (e) {
    closeSync(ours);
    closeSync(theirs);
    throw new CryoError('CRYO_CRIU_NOT_FOUND', `cannot start ${criuPath}: ${(e as Error).message}`, { cause: e });
  }
  // criu has its own copy now; ours would keep the socket open after criu dies (no EOF).
  closeSync(theirs);
  const transport = new SeqpacketTransport(ours);
  let out = '';
  const collect = (d: Buffer): void => {
    if (out.length < MAX_OUTPUT) out += d.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // 'close' (exit + stdio drained) normally follows 'exit' at once; a forked page server may hold
  // criu's stdout/stderr open though, so after a short wait the streams are closed by us. Either
  // way no descriptor of this session outlives `exited`.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (launcher) {
      // criu's own status is not ours to see; its end shows as EOF on both pipes.
      let open = 2;
      const eof = (): void => {
        if (--open === 0) resolve({ code: null, signal: null });
      };
      child.stdout?.once('end', eof);
      child.stderr?.once('end', eof);
      child.once('exit', (code, signal) => resolve({ code, signal }));
      return;
    }
    child.once('exit', (code, signal) => {
      const timer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, STDIO_DRAIN_MS);
      child.once('close', () => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
  });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
  if (spawnError) {
    await transport.close();
    throw new CryoError('CRYO_CRIU_NOT_FOUND', `cannot start ${criuPath}: ${spawnError.message}`, {
      cause: spawnError,
      hint: 'run ./scripts/setup.sh, or point CRYO_CRIU at a CRIU >= 4.2 binary',
    });
  }
  let done: Promise<void> | undefined;
  return {
    transport,
    child,
    pid: child.pid as number,
    exited,
    output: () => out,
    destroy() {
      done ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await transport.close();
        await exited;
      })();
      return done;
    },
    finish() {
      done ??= (async () => {
        await transport.close();
        // criu exits by itself after its last answer; never wait forever on one that does not.
        const timer = setTimeout(() => child.kill('SIGKILL'), FINISH_GRACE_MS);
        await exited;
        clearTimeout(timer);
      })();
      return done;
    },
  };
}
