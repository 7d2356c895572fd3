// runPreflight: everything that would make a restore fail, found from the images before CRIU is
// run, all listed at once; preflightError turns a failing report into ONE CryoError. Changes
// nothing on disk (CRIU's cpuinfo check only reads the directory).

import { resolve } from 'node:path';
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
  const started = Date.now();
  const dir = resolve(imagesDir);
  const skip = new Set(opts.skip ?? []);
  const checks: PreflightCheck[] = [];
  if (!skip.has('integrity')) checks.push(await checkIntegrity(dir));
  const { check, model, buildIds } = checkImages(dir);
  checks.push(check);
  if (model) {
    const run: [CheckId, () => PreflightCheck | Promise<PreflightCheck>][] = [
      ['files', () => checkFiles(model, buildIds, opts.ignoreFiles)],
      ['locks', () => checkLocks(model)],
      ['ports', () => checkPorts(model)],
      ['pids', () => checkPids(model)],
      ['memory', () => checkMemory(model, opts.memAvailable === undefined ? {} : { available: opts.memAvailable })],
      ['disk', () => checkDisk(model)],
      ['cpu', () => checkCpu(dir, opts.criuPath ?? locateCriu(loadConfig().criu).path)],
    ];
    for (const [id, fn] of run) if (!skip.has(id)) checks.push(await fn());
  }
  return { ok: checks.every((c) => c.status !== 'fail'), dir, checks, durationMs: Date.now() - started };
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
