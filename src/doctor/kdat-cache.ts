// Doctor's view of CRIU's kernel-probe cache (/run/criu.kdat). Without it every CRIU run (dump,
// restore, the lazy-pages server) first probes the kernel for tens of milliseconds; CRIU only
// saves the cache on a tmpfs /run, and cryo's criu wrapper (scripts/provision-criu.sh) keeps it
// per boot elsewhere. The verdict is CRIU's own word: does a run log that it loaded the cache?

import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../util/run-command.js';
import type { CheckResult } from './checks.js';

/** Where CRIU (run as root) keeps the cache. */
export const KDAT_FILE = '/run/criu.kdat';
/** The wrapper's stamp beside it: "[tmpfs |none ]BOOT_ID KERNEL CRIU_BUILD". */
export const KDAT_STAMP = '/run/criu.kdat.cryo-boot';
const TMPFS_MAGIC = 0x01021994;

/** True when /run is a tmpfs (CRIU then keeps the cache itself). */
export function runIsTmpfs(): boolean {
  try {
    return statfsSync('/run').type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/** What one CRIU run's log says about the cache: loaded, and how long the kernel probe took if not. */
export function kdatFromLog(log: string): { loaded: boolean; probeMs?: number } {
  if (/Loaded kdat cache from /.test(log)) return { loaded: true };
  // The kernel probe ends before CRIU reads the CPU's features (the first "cpu:" line).
  const m = /^\((\d+\.\d+)\) cpu: /m.exec(log);
  return m?.[1] ? { loaded: false, probeMs: Number(m[1]) * 1000 } : { loaded: false };
}

/** Runs one short CRIU command at log level 4 and returns its log (empty if it could not run). */
export async function criuRunLog(criuPath: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-kdat-'));
  try {
    const log = join(dir, 'criu.log');
    await runCommand(criuPath, ['check', '--feature', 'uffd-noncoop', '-v4', '-o', log], { timeoutMs: 30_000 });
    try {
      return readFileSync(log, 'utf8');
    } catch {
      return '';
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The doctor line: kernel-probe cache ok, or degraded with what it costs. */
export async function kdatCacheCheck(criuPath: string): Promise<CheckResult> {
  const base = { id: 'kdat-cache', title: 'kernel-probe cache', essential: false } as const;
  const tmpfs = runIsTmpfs();
  const seen = kdatFromLog(await criuRunLog(criuPath));
  if (seen.loaded) {
    return {
      ...base, status: 'ok', impact: '',
      detail: `CRIU loads ${KDAT_FILE}${tmpfs ? ' (kept by CRIU on the tmpfs /run)' : ' (/run is not a tmpfs: kept per boot by cryo\'s criu wrapper)'}`,
    };
  }
  let stamp = '';
  try {
    stamp = readFileSync(KDAT_STAMP, 'utf8').trim();
  } catch {
    // no stamp: the wrapper is not cryo's, or never ran
  }
  const why = tmpfs
    ? `CRIU did not load ${KDAT_FILE} although /run is a tmpfs`
    : stamp.startsWith('none ')
      ? `/run is not a tmpfs and cryo's criu wrapper could not make ${KDAT_FILE} this boot (it needs to mount a tmpfs in a private mount namespace)`
      : `/run is not a tmpfs, so CRIU never saves ${KDAT_FILE}${stamp ? '' : ', and the criu in use is not cryo\'s wrapper that keeps it'}`;
  const cost = seen.probeMs !== undefined ? `~${Math.round(seen.probeMs)} ms` : 'tens of milliseconds';
  return {
    ...base, status: 'degraded', detail: why,
    impact: `every CRIU run (dump, restore, lazy-pages server) first probes the kernel again: ${cost} each, ` +
      'twice before a lazy restore answers; re-run ./scripts/provision-criu.sh, or mount /run as a tmpfs',
  };
}
