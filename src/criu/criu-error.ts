// CriuError: a CryoError for a failed CRIU operation, built from everything known about the
// failure: CRIU's response (cr_errno, cr_errmsg), its log file analysed by analyzeCriuLog, and
// which operation on which pid / images directory it was.

import { readFileSync } from 'node:fs';
import { CryoError, type ErrorCode, type ErrorContext } from '../errors/index.js';
import { analyzeCriuLog, type CriuLogAnalysis, type CriuLogHint } from './log/index.js';

/** A failed CRIU operation; `context` holds operation, pid, imagesDir, criuErrno, logLines, logPath, hint. */
export class CriuError extends CryoError {
  /** The recognised cause from the log, when one matched (its code is this error's code). */
  readonly logHint: CriuLogHint | undefined;
  /** True when a retry may succeed (e.g. a PID still held by a dying zombie). */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, context: ErrorContext, logHint?: CriuLogHint) {
    super(code, message, context);
    this.name = 'CriuError';
    this.logHint = logHint;
    this.transient = logHint?.transient ?? false;
  }

  get operation(): string | undefined { return this.context.operation; }
  get pid(): number | undefined { return this.context.pid; }
  get imagesDir(): string | undefined { return this.context.imagesDir; }
  get criuErrno(): number | undefined { return this.context.criuErrno; }
  get logPath(): string | undefined { return this.context.logPath; }
  get logLines(): readonly string[] { return this.context.logLines ?? []; }
}

/** What the client knows about a failed operation when it builds the error. */
export interface FailureFacts {
  operation: 'dump' | 'restore' | 'pre-dump' | 'page-server' | 'check' | 'feature-check' | 'version';
  pid?: number;
  imagesDir?: string;
  logPath?: string;
  criuErrno?: number;
  criuErrmsg?: string;
  /** CRIU's own stderr, used when there is no log (it died before opening one). */
  stderr?: string;
}

const fallbackCode: Record<FailureFacts['operation'], ErrorCode> = {
  dump: 'CRYO_CRIU_DUMP_FAILED',
  'pre-dump': 'CRYO_CRIU_DUMP_FAILED',
  restore: 'CRYO_CRIU_RESTORE_FAILED',
  'page-server': 'CRYO_CRIU_DUMP_FAILED',
  check: 'CRYO_CRIU_BROKEN',
  'feature-check': 'CRYO_CRIU_BROKEN',
  version: 'CRYO_CRIU_BROKEN',
};

function readLog(path: string | undefined): string {
  if (path === undefined) return '';
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Builds the CriuError for a failed operation: reads the log, finds the cause, picks the code. */
export function criuFailure(facts: FailureFacts): CriuError {
  const logText = readLog(facts.logPath);
  let analysis: CriuLogAnalysis = analyzeCriuLog(logText);
  // No log (or nothing in it): CRIU's error message in the response, then its stderr.
  for (const alt of [facts.criuErrmsg, facts.stderr]) {
    if (analysis.hint || analysis.relevant.length > 0 || !alt) continue;
    analysis = analyzeCriuLog(alt);
    if (!analysis.hint && analysis.relevant.length === 0) {
      analysis = { ...analysis, relevant: alt.split('\n').filter((l) => l.trim() !== '').slice(-4) };
    }
  }
  const hint = analysis.hint;
  const code = hint?.code ?? fallbackCode[facts.operation];
  const what = facts.pid !== undefined ? `${facts.operation} of pid ${facts.pid}` : `${facts.operation} of ${facts.imagesDir ?? 'images'}`;
  const message = `CRIU ${what} failed: ${hint?.cause ?? (analysis.errors[0] ?? 'see the CRIU log')}`;
  const ctx: Record<string, unknown> = { operation: facts.operation };
  if (facts.pid !== undefined) ctx['pid'] = facts.pid;
  if (facts.imagesDir !== undefined) ctx['imagesDir'] = facts.imagesDir;
  if (facts.criuErrno !== undefined) ctx['criuErrno'] = facts.criuErrno;
  if (analysis.relevant.length > 0) ctx['logLines'] = analysis.relevant;
  if (facts.logPath !== undefined && logText !== '') ctx['logPath'] = facts.logPath;
  if (hint) ctx['hint'] = hint.action;
  return new CriuError(code, message, ctx, hint);
}
