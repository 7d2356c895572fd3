// The shape of a pre-flight report: one check per kind of problem, each listing every item found,
// so a user fixes everything at once instead of meeting one CRIU failure per restore attempt.

import type { ErrorCode } from '../errors/index.js';

/** ok: nothing to do; warn: the restore may still work (or could not be checked); fail: it will not. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** What each check looks at. */
export type CheckId = 'integrity' | 'images' | 'files' | 'locks' | 'ports' | 'memory' | 'disk' | 'pids' | 'cpu';

/** One problem: the file, port or pid concerned, and expected vs actual values when they exist. */
export interface PreflightItem {
  readonly status: Exclude<CheckStatus, 'ok'>;
  readonly code: ErrorCode;
  /** The file path, `tcp 127.0.0.1:8080`, `pid 1234`, ... */
  readonly subject: string;
  /** The problem in plain words. */
  readonly problem: string;
  readonly expected?: string | number;
  readonly actual?: string | number;
  /** Likely to clear by itself shortly (a zombie about to be reaped): a retry may help. */
  readonly transient?: boolean;
  /** Structured facts for --json users (holder pids, sizes in bytes ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The result of one check. */
export interface PreflightCheck {
  readonly id: CheckId;
  readonly status: CheckStatus;
  readonly title: string;
  /** One line: what was checked and the verdict. */
  readonly detail: string;
  readonly items: readonly PreflightItem[];
}

/** Everything pre-flight found about one checkpoint; `ok` is false when any check failed. */
export interface PreflightReport {
  readonly ok: boolean;
  readonly dir: string;
  readonly checks: readonly PreflightCheck[];
  readonly durationMs: number;
  /** Milliseconds each check took (for timing notes; checks reading /proc run side by side). */
  readonly timings?: Partial<Record<CheckId, number>>;
}

/** Builds a check's result from its items: fail if any item fails, else warn if any warns. */
export function checkResult(id: CheckId, title: string, okDetail: string, items: PreflightItem[], failDetail?: string): PreflightCheck {
  const status: CheckStatus = items.some((i) => i.status === 'fail') ? 'fail' : items.length > 0 ? 'warn' : 'ok';
  const detail = status === 'ok' ? okDetail : (failDetail ?? `${items.length} problem${items.length === 1 ? '' : 's'}`);
  return { id, status, title, detail, items };
}
