// Test workloads: small C programs (test/fixtures/*.c) that set up some state, say "ready ..."
// and then answer, so tests checkpoint and restore real processes without sleeping and hoping.
// They are compiled on demand with `cc` into a cache directory keyed by their source, so a fresh
// machine builds them during the test run.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './cli.js';
import { runCommand } from '../util/run-command.js';

/** The workloads test/fixtures provides. */
export type WorkloadName = 'counter' | 'rich' | 'memhog' | 'tcpserver';

const fixturesDir = join(repoRoot, 'test', 'fixtures');
const CFLAGS = ['-O2', '-Wall', '-pthread'];

/** Compiles a workload (once per source version) and returns the binary's path. */
export async function buildWorkload(name: WorkloadName): Promise<string> {
  const sources = [`${name}.c`, 'workload.h'].map((f) => readFileSync(join(fixturesDir, f)));
  const hash = createHash('sha256').update(CFLAGS.join(' ')).update(Buffer.concat(sources)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `cryo-workloads-${hash}`);
  const bin = join(dir, name);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  // Compile to a private name, then rename: parallel test files may build the same workload.
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = await runCommand('cc', [...CFLAGS, '-o', tmp, join(fixturesDir, `${name}.c`)], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`building workload ${name} with cc failed: ${r.spawnError?.message ?? r.stderr}`);
  renameSync(tmp, bin);
  return bin;
}

/** What a workload said when it became ready, with the host pids to act on. */
export interface WorkloadReady {
  /** The full "ready ..." line. */
  readonly line: string;
  /** Its key=value pairs (pid as the program sees it, port, ...). */
  readonly info: Readonly<Record<string, string>>;
  /** The host pid to checkpoint: tini's in pidns mode, else the program's. */
  readonly rootPid: number;
  /** The program's own host pid. */
  readonly programPid: number;
  /** The TCP control port, for workloads that have one. */
  readonly port?: number;
}

export interface StartOptions {
  /** Run in its own session (setsid), as jobs do; default true. CRIU then needs no shell_job. */
  readonly detached?: boolean;
  /** Run as `unshare --pid --ipc --fork setsid tini -- PROG`, like cryo's jobs. */
  readonly pidns?: boolean;
  /** Run the program as the child of a `setsid sh` that stays its session leader, so the program is
   *  not a session leader but its leader is in the same PID namespace. (`detached: false` is not
   *  the same: the leader is then whatever started the tests, which in a container can be outside
   *  the namespace, and CRIU reports that differently.) rootPid and programPid are the program. */
  readonly childOfSessionLeader?: boolean;
  /** File receiving stdout and stderr (opened O_APPEND); default a file in a new temp dir. */
  readonly output?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
}

/** A started workload. */
export interface Workload {
  readonly name: WorkloadName;
  /** The process we spawned (the program, or `unshare` in pidns mode). */
  readonly child: ChildProcess;
  readonly pid: number;
  readonly outputPath: string;
  /** Resolves on the "ready" line; rejects if the program exits first or times out. */
  readonly ready: Promise<WorkloadReady>;
  /** Resolves when the spawned process has exited (and was reaped by Node). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the whole tree (process group or PID namespace), waits for the spawned process, and
   *  removes the workload's temp dir (its output file too, unless `output` was given). Always call it. */
  kill(): Promise<void>;
  /** Everything the program printed so far. */
  output(): string;
}

/** The pids of `pid`'s children (all threads), from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      out.push(...text.split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    // the process is gone: no children
  }
  return out;
}

/** SIGKILLs a process and its process group; ignores processes already gone. Does not reap. */
export function killProcessTree(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone, or not a group leader
    }
  }
}

/** Starts a workload and begins waiting for its "ready" line. */
export async function startWorkload(name: WorkloadName, args: readonly string[] = [], opts: StartOptions = {}): Promise<Workload> {
  const bin = await buildWorkload(name);
  const work = mkdtempSync(join(tmpdir(), `cryo-wl-${name}-`));
  const outputPath = opts.output ?? join(work, 'output.log');
  const fifo = join(work, 'ready.fifo');
  const mk = spawnSync('mkfifo', [fifo]);
  if (mk.status !== 0) throw new Error(`mkfifo ${fifo} failed: ${String(mk.stderr)}`);

  // In pidns mode only the program writes the output file: unshare (outside the dumped tree)
  // prints its own complaints when tini is killed, so its stdio goes to a separate wrapper log.
  const wrapperLog = join(work, 'wrapper.log');
  const outFd = openSync(opts.pidns ? wrapperLog : outputPath, 'a');
  const [file, argv] = opts.pidns
    ? ['unshare', ['--pid', '--ipc', '--fork', 'setsid', 'tini', '--',
      '/bin/sh', '-c', 'exec "$0" "$@" >>"$CRYO_WORKLOAD_OUTPUT" 2>&1', bin, ...args]]
    : opts.childOfSessionLeader
      // The trailing command keeps sh from exec-ing the program, so sh stays the session leader.
      ? ['/bin/sh', ['-c', '"$0" "$@"; exit $?', bin, ...args]]
      : [bin, [...args]];
  const child = spawn(file, argv, {
    detached: opts.pidns ? false : opts.childOfSessionLeader ? true : opts.detached ?? true,
    stdio: ['ignore', outFd, outFd],
    env: { ...process.env, ...opts.env, CRYO_READY_PATH: fifo, CRYO_WORKLOAD_OUTPUT: outputPath },
  });
  closeSync(outFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start workload ${name} (${file})`);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const output = (): string => read(outputPath);

  const ready = new Promise<WorkloadReady>((resolve, reject) => {
    let text = '';
    let settled = false;
    const stream = createReadStream(fifo, { encoding: 'utf8' });
    // Opening a FIFO for reading blocks until a writer opens it; if the program dies first, open
    // it for writing ourselves so the reader wakes up with EOF.
    const unblock = (): void => {
      try {
        closeSync(openSync(fifo, 'w'));
      } catch {
        // reader already gone
      }
    };
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.destroy();
      unblock();
      reject(new Error(`workload ${name} (pid ${pid}) ${why}; output:\n${(read(wrapperLog) + output()).slice(-2000)}`));
    };
    const timer = setTimeout(() => fail('did not become ready in time'), opts.readyTimeoutMs ?? 20_000);
    void exited.then((e) => fail(`exited before it was ready (code ${e.code}, signal ${e.signal})`));
    stream.on('data', (d: string | Buffer) => {
      text += String(d);
      const nl = text.indexOf('\n');
      if (nl < 0 || settled) return;
      settled = true;
      clearTimeout(timer);
      stream.destroy();
      const line = text.slice(0, nl);
      const info = Object.fromEntries(
        line.split(/\s+/).slice(1).map((kv) => kv.split('=') as [string, string]).filter((kv) => kv.length === 2),
      );
      let rootPid = pid;
      let programPid = pid;
      if (opts.pidns) {
        rootPid = childPids(pid)[0] ?? -1; // tini
        programPid = childPids(rootPid)[0] ?? -1;
      } else if (opts.childOfSessionLeader) {
        rootPid = programPid = childPids(pid)[0] ?? -1;
      }
      resolve({ line, info, rootPid, programPid, ...(info['port'] ? { port: Number(info['port']) } : {}) });
    });
    stream.on('error', (e) => fail(`ready channel failed: ${e.message}`));
    stream.on('end', () => fail('closed its ready channel without a ready line'));
  });
  ready.catch(() => undefined); // callers await it; avoid an unhandled rejection if they don't

  const kill = async (): Promise<void> => {
    // In pidns mode kill only the namespace's init (tini): the kernel kills everything in the
    // namespace before tini's death is reported, and unshare then reaps tini and exits. Killing
    // unshare as well would orphan a dying tini to PID 1.
    const running = child.exitCode === null && child.signalCode === null;
    const inits = opts.pidns && running ? childPids(pid) : [];
    for (const p of inits) killProcessTree(p);
    if (inits.length === 0) {
      // The group may outlive its leader (orphaned children); the pid itself only while it is
      // still ours (once Node has reaped it, the number may belong to someone else).
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // no such group
      }
      if (running) killProcessTree(pid);
    }
    if (running) await exited;
    rmSync(work, { recursive: true, force: true });
  };

  return { name, child, pid, outputPath, ready, exited, kill, output };
}

/** Sends one command line to a workload's TCP control port and returns the one-line answer. */
export function request(port: number, line: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer to "${line}" on port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(line + '\n'));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      resolve(buf.slice(0, nl));
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      reject(new Error(`port ${port} closed the connection without answering "${line}"`));
    });
  });
}
