// Pre-flight: the memory the checkpoint brings back (its resident pages) against MemAvailable.

import { readFileSync } from 'node:fs';
import { totalResidentBytes, type CheckpointModel } from '../../images/index.js';
import { checkResult, type PreflightCheck, type PreflightItem } from '../preflight-types.js';

/** MemAvailable from /proc/meminfo in bytes (undefined if the kernel does not say). */
export function memAvailable(meminfo = '/proc/meminfo'): number | undefined {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync(meminfo, 'utf8'));
    return m?.[1] !== undefined ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Human-readable bytes: 1.5 MiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Fails when the checkpoint needs more memory than is available; warns above `warnRatio` of it. */
export function checkMemory(model: CheckpointModel, opts: { available?: number; warnRatio?: number } = {}): PreflightCheck {
  const title = 'memory';
  const needed = totalResidentBytes(model);
  const available = opts.available ?? memAvailable();
  if (available === undefined) {
    return { id: 'memory', status: 'warn', title, items: [], detail: `needs ${formatBytes(needed)}; MemAvailable unknown, not checked` };
  }
  const items: PreflightItem[] = [];
  const subject = 'resident memory';
  if (needed > available) {
    items.push({ status: 'fail', code: 'CRYO_INSUFFICIENT_MEMORY', subject, problem: `the checkpoint needs ${formatBytes(needed)}, only ${formatBytes(available)} is available`, expected: needed, actual: available });
  } else if (needed > available * (opts.warnRatio ?? 0.8)) {
    items.push({ status: 'warn', code: 'CRYO_INSUFFICIENT_MEMORY', subject, problem: `the checkpoint needs ${formatBytes(needed)} of the ${formatBytes(available)} available: little room left`, expected: needed, actual: available });
  }
  return checkResult('memory', title, `needs ${formatBytes(needed)}, ${formatBytes(available)} available`, items, items[0]?.problem);
}
