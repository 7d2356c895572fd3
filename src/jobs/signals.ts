// Signal names <-> numbers, and validation of the --signal option.

import { constants } from 'node:os';
import { CryoError } from '../errors/index.js';

const byName = constants.signals as Record<string, number>;

/** Normalises "term", "SIGTERM", "15" to "SIGTERM"; throws CRYO_INVALID_OPTION otherwise. */
export function parseSignal(value: string): NodeJS.Signals {
  const v = value.trim().toUpperCase();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    const name = Object.keys(byName).find((k) => byName[k] === n);
    if (name) return name as NodeJS.Signals;
  } else {
    const name = v.startsWith('SIG') ? v : `SIG${v}`;
    if (byName[name] !== undefined) return name as NodeJS.Signals;
  }
  throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`signal\` ${JSON.stringify(value)}: not a signal name or number`, {
    hint: 'use a name like SIGTERM, TERM, INT, KILL, or a number like 15',
  });
}

/** The number of a signal name. */
export function signalNumber(name: string): number {
  return byName[name] ?? 0;
}

/** The name of signal number N, or null. */
export function signalName(n: number): NodeJS.Signals | null {
  const name = Object.keys(byName).find((k) => byName[k] === n);
  return (name as NodeJS.Signals | undefined) ?? null;
}
