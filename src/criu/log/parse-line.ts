// Splits one line of CRIU's log into its parts. CRIU writes `(seconds) Level (file:line): text`
// for warnings and errors and `(seconds) text` for the rest; lines written by a restoring task
// carry its pid first (`(seconds)      2: Error (...)`); tools CRIU runs add raw lines.

/** One log line, with the timestamp removed and the level recognised. */
export interface CriuLogLine {
  /** The line without its `(00.012345) ` timestamp (a task pid prefix is kept): what people are shown. */
  readonly text: string;
  readonly level: 'error' | 'warn' | 'info';
  /** CRIU's source location for errors and warnings (`criu/cr-restore.c:1237`). */
  readonly source?: string;
  /** The message after the level and source (or the whole text for info lines). */
  readonly message: string;
}

const stamp = /^\(\s*\d+\.\d+\)\s*/;
const levelled = /^(?:\d+:\s+)?(Error|Warn)\s*\(([^)]*)\):\s?(.*)$/;

/** Parses one line; never fails (unknown shapes become info lines). */
export function parseCriuLogLine(raw: string): CriuLogLine {
  const text = raw.replace(stamp, '').trimEnd();
  const m = levelled.exec(text);
  if (!m) return { text, level: 'info', message: text };
  return { text, level: m[1] === 'Error' ? 'error' : 'warn', source: m[2] ?? '', message: m[3] ?? '' };
}
