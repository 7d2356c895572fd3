// The one error class cryo throws at users: a stable code plus the context needed to act on it.

import { codes, type ErrorCode } from './codes.js';

/** What was being done, to what, and what CRIU said: every field optional, shown when present. */
export interface ErrorContext {
  /** The operation attempted, in words: "dump", "restore", "check". */
  readonly operation?: string;
  readonly job?: string;
  readonly pid?: number;
  readonly checkpoint?: string;
  readonly imagesDir?: string;
  /** CRIU's errno for the failure (cr_errno), when it reported one. */
  readonly criuErrno?: number;
  /** The CRIU log lines that show the cause (never the harmless rlimit noise). */
  readonly logLines?: readonly string[];
  /** Where CRIU's full log is. */
  readonly logPath?: string;
  /** Plain-words advice that overrides the code's default action. */
  readonly hint?: string;
  readonly cause?: unknown;
}

/** An error with a stable `code` (see codes.ts) that explains itself when printed. */
export class CryoError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = 'CryoError';
    this.code = code;
    this.context = context;
  }

  /** The advice to show: the specific hint if one was found, else the code's default action. */
  get action(): string {
    return this.context.hint ?? codes[this.code].action;
  }

  /** A multi-line explanation for people: what, where, why, CRIU's words, the log, what to do. */
  explain(): string {
    const c = this.context;
    const lines = [`error ${this.code}: ${this.message}`];
    const where = [
      c.job !== undefined ? `job ${c.job}` : '',
      c.pid !== undefined ? `pid ${c.pid}` : '',
      c.checkpoint !== undefined ? `checkpoint ${c.checkpoint}` : '',
      c.imagesDir !== undefined && c.checkpoint === undefined ? `images ${c.imagesDir}` : '',
    ].filter(Boolean);
    if (where.length) lines.push(`  while: ${c.operation ?? 'working'} of ${where.join(', ')}`);
    if (c.criuErrno !== undefined && c.criuErrno !== 0) lines.push(`  errno: ${c.criuErrno}`);
    if (c.logLines?.length) {
      lines.push('  CRIU said:');
      for (const l of c.logLines) lines.push(`    ${l}`);
    }
    if (c.logPath !== undefined) lines.push(`  full log: ${c.logPath}`);
    lines.push(`  what to do: ${this.action}`);
    return lines.join('\n');
  }

  /** The shape used by `--json` output and the daemon API. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, action: this.action, ...this.context, cause: undefined };
  }
}

/** Narrowing helper for catch blocks. */
export function isCryoError(e: unknown, code?: ErrorCode): e is CryoError {
  return e instanceof CryoError && (code === undefined || e.code === code);
}
