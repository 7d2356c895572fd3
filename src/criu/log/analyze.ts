// Reads a CRIU log and says how the operation ended, which error lines matter, and, when the
// failure is a known one, its cause in plain words and what to do. Used for every CriuError and
// by `cryo explain`.

import type { ErrorCode } from '../../errors/index.js';
import { isHarmlessCriuLine } from '../../doctor/criu-noise.js';
import { parseCriuLogLine, type CriuLogLine } from './parse-line.js';
import { findOutcome, isOutcomeLine, type CriuOutcome } from './outcome.js';
import { criuLogPatterns } from './patterns.js';

/** A recognised cause: what happened in plain words, what to do, and whether a retry may help. */
export interface CriuLogHint {
  readonly code: ErrorCode;
  readonly cause: string;
  readonly action: string;
  readonly transient: boolean;
  /** The log line that matched, without its timestamp. */
  readonly matched: string;
}

/** The result of reading one CRIU log. */
export interface CriuLogAnalysis {
  readonly outcome: CriuOutcome['outcome'];
  /** Which operation the log's closing line names, when there is one. */
  readonly operation?: CriuOutcome['operation'];
  /** `Error (file:line): msg` lines, minus harmless noise and the closing "FAILED" line. */
  readonly errors: string[];
  /** The few lines that show the cause (the matched line with a little context, or the first errors). */
  readonly relevant: string[];
  readonly hint?: CriuLogHint;
}

const MAX_RELEVANT = 6;

/** CRIU appends each run to the same file when a log name is reused: keep only the last run. */
function lastRun(lines: readonly string[]): readonly string[] {
  for (let i = lines.length - 1; i > 0; i--) {
    if (/^\(\s*\d+\.\d+\)\s+CRIU run id = /.test(lines[i] ?? '')) return lines.slice(i);
  }
  return lines;
}

function findHint(lines: readonly CriuLogLine[], outcome: CriuOutcome['outcome']): { hint: CriuLogHint; index: number } | undefined {
  for (const p of criuLogPatterns) {
    if (outcome === 'success' && !p.evenOnSuccess) continue;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (!line || isHarmlessCriuLine(line.text)) continue;
      const m = p.re.exec(line.text);
      if (!m) continue;
      const cause = typeof p.cause === 'string' ? p.cause : p.cause(m);
      return { hint: { code: p.code, cause, action: p.action, transient: p.transient, matched: line.text }, index: i };
    }
  }
  return undefined;
}

/** A line worth showing next to the cause: an error or warning, never noise or the closing line. */
function isNotable(line: CriuLogLine | undefined): line is CriuLogLine {
  return line !== undefined && line.level !== 'info' && !isHarmlessCriuLine(line.text) && !isOutcomeLine(line.text);
}

/** Analyses a whole CRIU log (the text of criu-dump.log / criu-restore.log, or cr_errmsg). */
export function analyzeCriuLog(text: string): CriuLogAnalysis {
  const lines = lastRun(text.split(/\r?\n/)).filter((l) => l.trim() !== '').map(parseCriuLogLine);
  const verdict = findOutcome(lines.map((l) => l.text));
  const errors = lines.filter((l) => l.level === 'error' && isNotable(l)).map((l) => l.text);
  const found = findHint(lines, verdict.outcome);

  let relevant: string[];
  if (found) {
    // The matched line, the notable line just before it (often says what CRIU was doing), and the
    // errors that follow it (consequences), within a small budget.
    const before = lines[found.index - 1];
    relevant = [...(isNotable(before) ? [before.text] : []), found.hint.matched];
    for (const e of errors) if (relevant.length < MAX_RELEVANT && !relevant.includes(e)) relevant.push(e);
  } else {
    relevant = errors.slice(0, MAX_RELEVANT);
    if (relevant.length === 0 && verdict.outcome !== 'success') {
      relevant = lines.filter(isNotable).slice(-MAX_RELEVANT).map((l) => l.text);
    }
  }

  return {
    outcome: verdict.outcome,
    ...(verdict.operation ? { operation: verdict.operation } : {}),
    errors,
    relevant,
    ...(found ? { hint: found.hint } : {}),
  };
}
