// Options of the safety library, normalised and validated in one place: a bad value is a
// CRYO_INVALID_OPTION naming the option, the value and the fix.

import { CryoError } from '../errors/index.js';
import { loadConfig } from '../config/index.js';

function bad(name: string, value: unknown, fix: string): never {
  throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${name}\` ${JSON.stringify(value)}: ${fix}`);
}

/** A whole number >= min, or the default when undefined. */
export function intOption(name: string, value: unknown, def: number, min: number): number {
  if (value === undefined) return def;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) bad(name, value, `use a whole number >= ${min}`);
  return value;
}

/** withRetry's options, filled from the config (restoreRetries, restoreRetryDelayMs) when absent. */
export interface RetryOptions {
  /** Total attempts including the first; default 1 + config `restoreRetries`. */
  attempts?: number;
  /** Delay before the first retry; doubles each time (with jitter). Default config `restoreRetryDelayMs`. */
  baseDelayMs?: number;
  /** Upper bound of one delay; default 5000. */
  maxDelayMs?: number;
  /** Called after every failed attempt, before waiting (or before giving up). */
  onAttempt?: (a: AttemptInfo) => void;
  /** Which failures to retry; default isTransientFailure. */
  isTransient?: (e: unknown) => boolean;
  /** Stops waiting between attempts. */
  signal?: AbortSignal;
}

/** What onAttempt learns about a failed attempt. */
export interface AttemptInfo {
  /** 1-based number of the attempt that failed. */
  readonly attempt: number;
  readonly attempts: number;
  readonly error: unknown;
  /** Whether the failure is one known to clear by itself. */
  readonly transient: boolean;
  /** Milliseconds until the next attempt; undefined when giving up. */
  readonly nextDelayMs?: number;
}

export interface NormalizedRetry {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly isTransient: (e: unknown) => boolean;
  readonly onAttempt: ((a: AttemptInfo) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Fills and validates retry options. */
export function normalizeRetry(o: RetryOptions, isTransient: (e: unknown) => boolean): NormalizedRetry {
  const needConfig = o.attempts === undefined || o.baseDelayMs === undefined;
  const cfg = needConfig ? loadConfig() : undefined;
  const attempts = intOption('attempts', o.attempts, 1 + (cfg?.restoreRetries ?? 0), 1);
  const baseDelayMs = intOption('baseDelayMs', o.baseDelayMs, cfg?.restoreRetryDelayMs ?? 200, 0);
  const maxDelayMs = intOption('maxDelayMs', o.maxDelayMs, Math.max(5000, baseDelayMs), 0);
  if (maxDelayMs < baseDelayMs) bad('maxDelayMs', maxDelayMs, `use a value >= baseDelayMs (${baseDelayMs})`);
  return { attempts, baseDelayMs, maxDelayMs, isTransient: o.isTransient ?? isTransient, onAttempt: o.onAttempt, signal: o.signal };
}
