// How the CLI talks to people and scripts: tables for humans, JSON for --json, and errors that
// explain themselves (CryoError.explain) with a stable exit code.

import Table from 'cli-table3';
import { CryoError } from '../errors/index.js';

/** Prints rows as an aligned, borderless table. */
export function printTable(head: string[], rows: (string | number)[][]): void {
  const t = new Table({
    head,
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '',
      'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '',
      right: '', 'right-mid': '', middle: '  ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  t.push(...rows.map((r) => r.map(String)));
  process.stdout.write(t.toString() + '\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Exit code for errors cryo reports itself (a restored process's own code is passed through). */
export const EXIT_CRYO_ERROR = 1;
/** Exit code for an unexpected internal failure (a bug). */
export const EXIT_INTERNAL = 70;

/** Prints an error for the user (JSON when asked) and returns the exit code to use. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof CryoError) {
    if (json) process.stderr.write(JSON.stringify({ error: err.toJSON() }) + '\n');
    else process.stderr.write(err.explain() + '\n');
    return EXIT_CRYO_ERROR;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  if (json) process.stderr.write(JSON.stringify({ error: { code: 'CRYO_INTERNAL', message: e.message } }) + '\n');
  else process.stderr.write(`cryo: internal error: ${e.stack ?? e.message}\nPlease report this as a bug.\n`);
  return EXIT_INTERNAL;
}
