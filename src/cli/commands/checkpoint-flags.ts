// Flags shared by the daemon forms of `cryo dump JOB` and `cryo restore CHECKPOINT`: hooks,
// hook timeout and sizes, parsed once with clear errors.

import { CryoError } from '../../errors/index.js';
import { parseHookFlags } from '../../checkpoint/hooks.js'; // not the barrel: it loads every flow
import { validHookTimeout } from '../../config/index.js';

/** commander collector for repeatable flags. */
export const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** Checks every --hook EVENT=CMD locally (the daemon checks again) so typos fail before any work. */
export function checkHookFlags(list: readonly string[]): string[] {
  parseHookFlags(list);
  return [...list];
}

/** --hook-timeout MS, 0 when not given (the configured default). */
export function hookTimeoutFlag(v: string | undefined): number {
  return validHookTimeout(v, '--hook-timeout') ?? 0;
}

/** "1048576", "512K", "10M", "1G" -> bytes. */
export function parseSize(v: string, option: string): number {
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(v.trim());
  if (!m) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${option}\` ${JSON.stringify(v)}: give bytes, or a number with K, M or G`, { hint: `e.g. ${option} 10M` });
  const unit = (m[2] ?? '').toUpperCase()[0];
  const mult = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1;
  const n = Number(m[1]) * mult;
  if (!Number.isSafeInteger(n) || n <= 0) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${option}\` ${JSON.stringify(v)}: out of range`);
  return n;
}

/** "1.2 MiB" for people. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
