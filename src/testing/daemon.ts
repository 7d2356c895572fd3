// Test helper: starts a real cryod (`cryo daemon`, a child process) with its own socket and data
// dir under os.tmpdir(), waits until it listens, and stops it (jobs included) afterwards.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryoBin, runCli, type CliResult } from './cli.js';

export interface TestDaemon {
  readonly socket: string;
  readonly dataDir: string;
  /** The temp directory holding socket and data dir. */
  readonly dir: string;
  /** The cryod child process (its pid is cryod's pid). */
  readonly proc: ChildProcess;
  /** Everything cryod logged to stderr so far. */
  stderr(): string;
  /** `cryo ARGS` against this daemon (CRYO_SOCKET set). */
  cli(args: readonly string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  /** Stops cryod with SIGTERM; jobs keep running (as after a real restart). */
  stopDaemonOnly(): Promise<void>;
  /** Starts a new cryod on the same socket and data dir (after stopDaemonOnly). */
  restart(): Promise<TestDaemon>;
  /** Kills every job still running, stops cryod, removes the temp dir. */
  stop(): Promise<void>;
}

/** Starts cryod for one test; pass `dir` to reuse a socket/data dir (restart). */
export async function startDaemon(opts: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestDaemon> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'cryo-daemon-'));
  const socket = join(dir, 'cryod.sock');
  const dataDir = join(dir, 'data');
  const proc = spawn(process.execPath, [cryoBin, 'daemon', '--socket', socket, '--data-dir', dataDir, '--log-level', 'debug'], {
    // Started exactly as a user would: `cryo daemon` re-executes itself with its V8 flags (bin/cryo).
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`cryod did not start in 15 s:\n${stderr}`)), 15_000);
    proc.stderr.on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('cryod listening')) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`cryod exited with ${code} before listening:\n${stderr}`));
    });
  });
  const exited = new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
  const d: TestDaemon = {
    socket, dataDir, dir, proc,
    stderr: () => stderr,
    cli: (args, o = {}) => runCli(args, { ...o, env: { CRYO_SOCKET: socket, ...o.env } }),
    async stopDaemonOnly() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
    restart: () => startDaemon({ dir, ...(opts.env ? { env: opts.env } : {}) }),
    async stop() {
      await killJobs(dataDir);
      await d.stopDaemonOnly();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return d;
}

/** SIGKILLs the root of every job the data dir's database lists as live (test cleanup). */
async function killJobs(dataDir: string): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  let rows: { root_pid: number | null; root_start_time: number | null; monitor_pid: number | null }[] = [];
  try {
    const db = new Database(join(dataDir, 'cryo.db'), { readonly: true });
    rows = db.prepare("SELECT root_pid, root_start_time, monitor_pid FROM jobs WHERE state IN ('starting','running','checkpointing','restoring')").all() as typeof rows;
    db.close();
  } catch {
    return;
  }
  for (const r of rows) {
    if (r.root_pid && startTime(r.root_pid) === r.root_start_time) {
      try {
        process.kill(r.root_pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  // Give monitors a moment to see their job die and exit (cryod or init reaps them).
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && rows.some((r) => r.monitor_pid && startTime(r.monitor_pid) !== null && !isZombie(r.monitor_pid))) {
    await new Promise((res) => setTimeout(res, 20));
  }
}

function statFields(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function startTime(pid: number): number | null {
  const f = statFields(pid);
  return f ? Number(f[19]) : null;
}

function isZombie(pid: number): boolean {
  return statFields(pid)?.[0] === 'Z';
}

/** Zombie children of pid (state Z in /proc), for the "no zombies" checks. */
export function zombieChildren(pid: number): number[] {
  const out: number[] = [];
  for (const tid of safeReaddir(`/proc/${pid}/task`)) {
    let kids: string[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean);
    } catch {
      continue;
    }
    for (const k of kids) if (isZombie(Number(k))) out.push(Number(k));
  }
  return out;
}

function safeReaddir(p: string): string[] {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}
