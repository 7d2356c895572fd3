// withRetry: runs an operation (a restore, usually) again only when its failure is one known to
// clear by itself: the CRIU log-analysis table marks those `transient` (a pid still held by a dying
// process or zombie, an address still held by a closing socket), plus EAGAIN. Anything else is
// thrown at once: retrying a missing file or a taken port by a live server only wastes time.
// Exponential backoff with full jitter, each attempt reported to onAttempt (the flow logs it and
// keeps that attempt's CRIU log).

import { CryoError } from '../errors/index.js';
import { normalizeRetry, type AttemptInfo, type RetryOptions } from './options.js';

const EAGAIN = 11;

/** True for failures worth retrying: a CryoError flagged transient, or EAGAIN. */
export function isTransientFailure(e: unknown): boolean {
  if (e instanceof CryoError) {
    if ((e as CryoError & { transient?: unknown }).transient === true) return true;
    if (e.context.criuErrno === EAGAIN) return true;
    return (e.context.logLines ?? []).some((l) => /Resource temporarily unavailable/.test(l));
  }
  return (e as NodeJS.ErrnoException | undefined)?.code === 'EAGAIN';
}

/** The delay before retry number `n` (1-based): base * 2^(n-1), capped, with full jitter in [d/2, d]. */
export function backoffDelay(n: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const d = Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CryoError('CRYO_ABORTED', 'retry cancelled', { cause: signal.reason }));
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(new CryoError('CRYO_ABORTED', 'retry cancelled', { cause: signal?.reason }));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn(attempt)` until it succeeds, retrying transient failures with backoff; throws the last error. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const o = normalizeRetry(opts, isTransientFailure);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const transient = o.isTransient(error);
      const retry = transient && attempt < o.attempts;
      const nextDelayMs = retry ? backoffDelay(attempt, o.baseDelayMs, o.maxDelayMs) : undefined;
      const info: AttemptInfo = { attempt, attempts: o.attempts, error, transient, ...(nextDelayMs === undefined ? {} : { nextDelayMs }) };
      o.onAttempt?.(info);
      if (nextDelayMs === undefined) throw error;
      await sleep(nextDelayMs, o.signal);
    }
  }
}
