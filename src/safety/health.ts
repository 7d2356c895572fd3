// watchHealth: after a restore, watch the restored process for a grace period and run the probe
// (a command that must exit 0, or a TCP port that must accept). A process that dies or never
// passes its probe in that time is reported as CRYO_RESTORE_UNHEALTHY with its exit status and the
// tail of its output; the caller keeps the checkpoint intact.

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { CryoError } from '../errors/index.js';
import { intOption } from './options.js';

/** How to tell a restored process works: a shell command (exit 0) and/or a TCP connect. */
export interface HealthProbe {
  /** Run with `sh -c`; CRYO_PID holds the restored pid. Healthy when it exits 0. */
  readonly cmd?: string;
  /** Healthy when a TCP connection to host:tcpPort succeeds. */
  readonly tcpPort?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** One probe run may take this long; default 2000. */
  readonly timeoutMs?: number;
  /** Pause between failed probe runs; default 200. */
  readonly intervalMs?: number;
}

/** How the process ended (the shape of waitForExit's result). */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
}

/** Options of watchHealth. */
export interface HealthOptions {
  /** How long the process must stay alive (and the probe has to pass), ms. */
  readonly graceMs: number;
  readonly probe?: HealthProbe;
  /** The tail of the process's output, for the error (e.g. the last lines of its log). */
  readonly outputTail?: () => string;
  /** Resolves when the process exits (waitForExit(pid) for a restored child). */
  readonly waitExit: Promise<ExitInfo>;
  readonly signal?: AbortSignal;
}

/** A healthy verdict. */
export interface HealthReport {
  readonly pid: number;
  readonly healthy: true;
  /** When the probe first passed, ms after the watch began (undefined without a probe). */
  readonly probePassedAfterMs?: number;
  readonly probeRuns: number;
  readonly durationMs: number;
}

/** The restored process is not healthy: why, its exit status if it ended, and its output tail. */
export class UnhealthyError extends CryoError {
  readonly reason: 'exited' | 'probe-failed';
  readonly exit: ExitInfo | undefined;
  readonly outputTail: string;

  constructor(pid: number, reason: UnhealthyError['reason'], what: string, exit: ExitInfo | undefined, outputTail: string) {
    const tail = outputTail.trimEnd();
    super('CRYO_RESTORE_UNHEALTHY', `restored pid ${pid} is not healthy: ${what}${tail ? `\n  its last output:\n${tail.split('\n').map((l) => `    ${l}`).join('\n')}` : '\n  (it printed nothing)'}`, {
      operation: 'health check after restore', pid,
    });
    this.name = 'UnhealthyError';
    this.reason = reason;
    this.exit = exit;
    this.outputTail = tail;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason, exit: this.exit, outputTail: this.outputTail };
  }
}

/** Exit status in words. */
export function describeExit(e: ExitInfo): string {
  if (e.signal) return `was killed by ${e.signal}`;
  if (e.code !== null) return `exited with code ${e.code}`;
  return 'exited (status unknown: not our child)';
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function cmdProbe(cmd: string, pid: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn('sh', ['-c', cmd], { stdio: 'ignore', env: { ...process.env, CRYO_PID: String(pid) } });
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.once('error', () => { clearTimeout(timer); resolve(false); });
    c.once('exit', (code) => { clearTimeout(timer); resolve(code === 0); });
  });
}

/** Runs the probe once: every part given must pass. */
async function probeOnce(p: HealthProbe, pid: number, timeoutMs: number): Promise<boolean> {
  if (p.tcpPort !== undefined && !(await tcpProbe(p.host ?? '127.0.0.1', p.tcpPort, timeoutMs))) return false;
  if (p.cmd !== undefined && !(await cmdProbe(p.cmd, pid, timeoutMs))) return false;
  return true;
}

function describeProbe(p: HealthProbe): string {
  return [p.tcpPort !== undefined ? `TCP port ${p.host ?? '127.0.0.1'}:${p.tcpPort} never accepted a connection` : '',
    p.cmd !== undefined ? `probe command \`${p.cmd}\` never exited 0` : ''].filter(Boolean).join(' and ');
}

/** Watches `pid` for graceMs; resolves when it stayed alive and its probe passed, else throws UnhealthyError. */
export async function watchHealth(pid: number, opts: HealthOptions): Promise<HealthReport> {
  const graceMs = intOption('graceMs', opts.graceMs, 0, 0);
  const p = opts.probe;
  if (p?.tcpPort !== undefined) intOption('probe.tcpPort', p.tcpPort, 0, 1);
  if (p && p.cmd === undefined && p.tcpPort === undefined) {
    throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `probe` {}: give probe.cmd, probe.tcpPort, or no probe');
  }
  const timeoutMs = intOption('probe.timeoutMs', p?.timeoutMs, 2000, 1);
  const intervalMs = intOption('probe.intervalMs', p?.intervalMs, 200, 0);
  const started = Date.now();
  const tail = (): string => {
    try {
      return opts.outputTail?.() ?? '';
    } catch {
      return '';
    }
  };

  let exit: ExitInfo | undefined;
  let wake: () => void = () => undefined;
  void opts.waitExit.then((e) => { exit = e; wake(); });
  const pause = (ms: number): Promise<void> => new Promise((resolve) => {
    const t = setTimeout(done, Math.max(0, ms));
    function done(): void { clearTimeout(t); opts.signal?.removeEventListener('abort', done); wake = () => undefined; resolve(); }
    wake = done;
    opts.signal?.addEventListener('abort', done, { once: true });
  });
  const died = (): never => {
    throw new UnhealthyError(pid, 'exited', `it ${describeExit(exit!)} ${Date.now() - started} ms into the ${graceMs} ms grace period`, exit, tail());
  };

  await Promise.resolve(); // let an already-settled waitExit land
  let probeRuns = 0;
  let passedAt: number | undefined;
  while (Date.now() - started < graceMs || (p && passedAt === undefined && probeRuns === 0)) {
    if (exit) died();
    if (opts.signal?.aborted) throw new CryoError('CRYO_ABORTED', `health check of pid ${pid} cancelled`, { pid });
    if (p && passedAt === undefined) {
      probeRuns++;
      if (await probeOnce(p, pid, timeoutMs)) passedAt = Date.now() - started;
      if (exit) died();
      if (passedAt === undefined) { await pause(Math.min(intervalMs, graceMs - (Date.now() - started))); continue; }
    }
    await pause(graceMs - (Date.now() - started));
  }
  if (exit) died();
  if (p && passedAt === undefined) {
    throw new UnhealthyError(pid, 'probe-failed', `${describeProbe(p)} within the ${graceMs} ms grace period (${probeRuns} tries; the process is still running)`, undefined, tail());
  }
  return { pid, healthy: true, ...(passedAt === undefined ? {} : { probePassedAfterMs: passedAt }), probeRuns, durationMs: Date.now() - started };
}
