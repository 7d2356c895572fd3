// How a CRIU operation ended, read from the closing line CRIU writes for each operation.

/** The verdict of one log, and which operation it was when the closing line says so. */
export interface CriuOutcome {
  readonly outcome: 'success' | 'failure' | 'unknown';
  readonly operation?: 'dump' | 'pre-dump' | 'restore' | 'check';
}

const endings: readonly { re: RegExp; outcome: 'success' | 'failure'; operation: CriuOutcome['operation'] }[] = [
  { re: /Dumping finished successfully/, outcome: 'success', operation: 'dump' },
  { re: /Dumping FAILED\./, outcome: 'failure', operation: 'dump' },
  { re: /Pre-dumping finished successfully/, outcome: 'success', operation: 'pre-dump' },
  { re: /Pre-dumping FAILED\./, outcome: 'failure', operation: 'pre-dump' },
  { re: /Restore finished successfully\. Tasks resumed\./, outcome: 'success', operation: 'restore' },
  { re: /Restoring FAILED\./, outcome: 'failure', operation: 'restore' },
  { re: /Looks good\./, outcome: 'success', operation: 'check' },
];

/** True for a closing line: it carries the verdict, not a cause, so it is left out of `errors`. */
export function isOutcomeLine(text: string): boolean {
  return endings.some((e) => e.re.test(text));
}

/** The last closing line wins (one log file may hold several runs appended). */
export function findOutcome(lines: readonly string[]): CriuOutcome {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    const e = endings.find((x) => x.re.test(line));
    if (e) return e.operation ? { outcome: e.outcome, operation: e.operation } : { outcome: e.outcome };
  }
  return { outcome: 'unknown' };
}
