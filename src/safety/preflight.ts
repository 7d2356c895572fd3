// runPreflight: everything that would make a restore fail, found from the images before CRIU is
// run, all listed at once; preflightError turns a failing report into ONE CryoError. Changes
// nothing on disk (CRIU's cpuinfo check only reads the directory).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { codes, CryoError, type ErrorCode } from '../errors/index.js';
import { loadConfig, locateCriu } from '../config/index.js';
import { checkCpu } from './checks/cpu.js';
import { checkDisk } from './checks/disk.js';
import { checkFiles } from './checks/files.js';
import { checkImages } from './checks/images.js';
import { checkLocks } from './checks/locks.js';
import { checkIntegrity } from './checks/integrity.js';
import { checkMemory } from './checks/memory.js';
import { checkPids } from './checks/pids.js';
import { checkPorts } from './checks/ports.js';
import { readBoundSockets } from './sock-diag.js';
import { readProcLocksAsync } from './proc-locks.js';
import type { CheckId, PreflightCheck, PreflightItem, PreflightReport } from './preflight-types.js';

/** Options of runPreflight. */
export interface PreflightOptions {
  /** CRIU binary for the CPU check; default the configured one. */
  readonly criuPath?: string;
  /** Checks to leave out (e.g. 'pids' when the caller restores into a new PID namespace). */
  readonly skip?: readonly CheckId[];
  /** Paths CRIU will not open because the caller hands new files in their place (inherit_fd). */
  readonly ignoreFiles?: readonly string[];
  /** Bytes of memory to assume available instead of MemAvailable (tests, remote planning). */
  readonly memAvailable?: number;
}

/** Runs every check on the checkpoint in `imagesDir` and reports what it found. */
export async function runPreflight(imagesDir: string, opts: PreflightOptions = {}): Promise<PreflightReport> {
  const started = performance.now();
  const dir = resolve(imagesDir);
  const skip = new Set(opts.skip ?? []);
  const timings: Partial<Record<CheckId, number>> = {};
  const timed = async (id: CheckId, fn: () => PreflightCheck | Promise<PreflightCheck>): Promise<PreflightCheck> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      timings[id] = Math.round((performance.now() - t) * 10) / 10;
    }
  };
  // What only waits on the kernel starts first and runs beside the image decoding: CRIU's CPU
  // check (a process) and this namespace's sockets (sock-diag.ts) and locks (read on libuv's threads).
  const cpu = skip.has('cpu') ? undefined : timed('cpu', () => checkCpu(dir, opts.criuPath ?? locateCriu(loadConfig().criu).path));
  const sockets = skip.has('ports') ? undefined : readBoundSockets();
  // CRIU writes filelocks.img only when the processes held locks: otherwise /proc/locks is not read.
  const locks = skip.has('locks') || !existsSync(join(dir, 'filelocks.img')) ? undefined : readProcLocksAsync();
  cpu?.catch(() => undefined);
  const checks: PreflightCheck[] = [];
  if (!skip.has('integrity')) checks.push(await timed('integrity', () => checkIntegrity(dir)));
  const tImages = performance.now();
  const { check, model, buildIds } = checkImages(dir);
  timings.images = Math.round((performance.now() - tImages) * 10) / 10;
  checks.push(check);
  if (model) {
    const run: [CheckId, () => PreflightCheck | Promise<PreflightCheck>][] = [
      ['files', () => checkFiles(model, buildIds, opts.ignoreFiles)],
      ['locks', async () => checkLocks(model, await locks)],
      ['ports', async () => checkPorts(model, await sockets)],
      ['pids', () => checkPids(model)],
      ['memory', () => checkMemory(model, opts.memAvailable === undefined ? {} : { available: opts.memAvailable })],
      ['disk', () => checkDisk(model)],
    ];
    for (const [id, fn] of run) if (!skip.has(id)) checks.push(await timed(id, fn));
    if (cpu) checks.push(await cpu);
  } else {
    await Promise.allSettled([cpu, sockets, locks]); // nothing to check them against: just let them end
  }
  return { ok: checks.every((c) => c.status !== 'fail'), dir, checks, durationMs: Math.round(performance.now() - started), timings };
}

/** Every failing item of a report, in check order. */
export function preflightFailures(report: PreflightReport): PreflightItem[] {
  return report.checks.flatMap((c) => c.items.filter((i) => i.status === 'fail'));
}

/** A failed pre-flight: one CryoError listing every failure, with the report attached. */
export class PreflightError extends CryoError {
  readonly report: PreflightReport;
  readonly failures: readonly PreflightItem[];
  /** Every failure is one that usually clears by itself (a zombie about to be reaped). */
  readonly transient: boolean;

  constructor(report: PreflightReport, checkpoint?: string) {
    const failures = preflightFailures(report);
    const kinds = [...new Set(failures.map((f) => f.code))];
    const code: ErrorCode = kinds.length === 1 && kinds[0] !== undefined ? kinds[0] : 'CRYO_PREFLIGHT_FAILED';
    const lines = failures.map((f) => `  - ${f.subject} ${f.problem}`);
    const message = `pre-flight check of ${checkpoint ?? report.dir} found ${failures.length} problem${failures.length === 1 ? '' : 's'} that would make the restore fail:\n${lines.join('\n')}`;
    const hint = kinds.map((k) => codes[k].action).join('; ');
    super(code, message, { operation: 'pre-flight', imagesDir: report.dir, ...(checkpoint ? { checkpoint } : {}), hint });
    this.name = 'PreflightError';
    this.report = report;
    this.failures = failures;
    this.transient = failures.length > 0 && failures.every((f) => f.transient === true);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), failures: this.failures };
  }
}

/** The one error for a failing report (undefined when the report is ok). */
export function preflightError(report: PreflightReport, checkpoint?: string): PreflightError | undefined {
  return report.ok ? undefined : new PreflightError(report, checkpoint);
}
