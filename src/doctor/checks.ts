// The checks behind `cryo doctor`: each says ok / degraded / missing and what that means for
// the user, in plain words.

import { release } from 'node:os';
import { readFileSync } from 'node:fs';
import { runCommand } from '../util/run-command.js';
import { isHarmlessCriuLine } from './criu-noise.js';
import { kdatCacheCheck } from './kdat-cache.js';
import type { CriuLocation } from '../config/index.js';

export type CheckStatus = 'ok' | 'degraded' | 'missing';

/** One line of the doctor's report. */
export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** What was found (a version, a path, CRIU's words). */
  readonly detail: string;
  /** What it means for the user; empty when all is well. */
  readonly impact: string;
  /** When true, a non-ok status means cryo cannot work at all. */
  readonly essential: boolean;
}

/** The kernel feature probes we report, with what their absence costs the user. */
export const featureProbes: readonly { feature: string; title: string; missing: string }[] = [
  { feature: 'uffd-noncoop', title: 'lazy pages (userfaultfd)', missing: 'lazy restore (--lazy) unavailable: this kernel lacks non-cooperative userfaultfd' },
  { feature: 'mem_dirty_track', title: 'memory dirty tracking', missing: 'incremental checkpoints (pre-dump) unavailable: this kernel lacks soft-dirty tracking' },
  { feature: 'pidfd_store', title: 'pidfd store', missing: 'CRIU cannot detect PID reuse between pre-dumps' },
  { feature: 'network_lock_nftables', title: 'network lock (nftables)', missing: 'established TCP connections need iptables for network locking' },
  { feature: 'timens', title: 'time namespaces', missing: 'monotonic clocks jump after restore on another machine' },
  { feature: 'clone3_set_tid', title: 'clone3 set_tid', missing: 'CRIU falls back to slower, racier PID restoration' },
];

/** Parses "Version: 4.2.1" from `criu --version`. */
export function parseCriuVersion(out: string): string | undefined {
  return /^Version:\s*(\S+)/m.exec(out)?.[1];
}

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Lines of CRIU's output that say something, minus known harmless noise. */
export function meaningfulLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !isHarmlessCriuLine(l));
}

/** "Warn  (criu/cr-check.c:824): Dirty tracking is OFF." -> "Dirty tracking is OFF." */
export function stripLogPrefix(line: string): string {
  return line.replace(/^(?:\(\s*[\d.]+\)\s*)?(?:Warn|Error)\s*\([^)]*\):\s*/, '');
}

/** Effective capabilities of this process, from /proc/self/status. */
export function effectiveCaps(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m?.[1] ? BigInt('0x' + m[1]) : 0n;
}

const CAP_SYS_PTRACE = 19n;
const CAP_SYS_ADMIN = 21n;
const CAP_SYS_RESOURCE = 24n;
const CAP_CHECKPOINT_RESTORE = 40n;
const has = (caps: bigint, bit: bigint): boolean => ((caps >> bit) & 1n) === 1n;

/** Runs every check. `criu` is where the binary was found. */
export async function runChecks(criu: CriuLocation): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const kernel = release();
  results.push({ id: 'kernel', title: 'kernel', status: 'ok', detail: kernel, impact: '', essential: false });

  const ver = await runCommand(criu.path, ['--version'], { timeoutMs: 10_000 });
  const version = parseCriuVersion(ver.stdout);
  if (criu.source === 'none' || ver.spawnError?.code === 'ENOENT') {
    results.push({
      id: 'criu', title: 'CRIU', status: 'missing', essential: true,
      detail: criu.source === 'none' ? 'no criu binary found' : `${criu.path}: not found`,
      impact: 'cryo cannot checkpoint or restore anything: run ./scripts/setup.sh or set CRYO_CRIU',
    });
    return results.concat(privilegeChecks(), await helperChecks());
  }
  if (!version) {
    const why = meaningfulLines(ver.stderr + ver.stdout)[0] ?? ver.spawnError?.message ?? `exit code ${ver.code}`;
    results.push({
      id: 'criu', title: 'CRIU', status: 'missing', essential: true,
      detail: `${criu.path} does not run: ${why}`,
      impact: 'cryo cannot checkpoint or restore anything: re-run ./scripts/setup.sh or set CRYO_CRIU to a working CRIU',
    });
    return results.concat(privilegeChecks(), await helperChecks());
  }
  const kernelNewInet = compareVersions(kernel, '6.16') >= 0;
  const tooOld = compareVersions(version, '4.2') < 0;
  results.push({
    id: 'criu', title: 'CRIU', essential: false,
    status: tooOld ? 'degraded' : 'ok',
    detail: `${version} at ${criu.path} (${criu.source})`,
    impact: tooOld
      ? kernelNewInet
        ? `CRIU ${version} cannot dump processes with inet sockets on kernel ${kernel} (needs CRIU >= 4.2)`
        : `CRIU ${version} is older than the 4.2 cryo is tested with`
      : '',
  });

  const check = await runCommand(criu.path, ['check'], { timeoutMs: 60_000 });
  const checkText = check.stdout + check.stderr;
  const good = check.code === 0 && /Looks good/.test(checkText);
  const complaints = meaningfulLines(checkText).filter((l) => !/Looks good/.test(l));
  results.push({
    id: 'criu-check', title: 'criu check', essential: true,
    status: good ? 'ok' : 'missing',
    detail: good ? 'Looks good.' : (complaints[0] ?? `exit code ${check.code}`),
    impact: good ? '' : 'CRIU reports this kernel cannot checkpoint/restore: see `criu check` output',
  });

  // Probes are independent: run them at once (each is a short criu process).
  const [kdat, ...probes] = await Promise.all([
    kdatCacheCheck(criu.path),
    ...featureProbes.map((p) => runCommand(criu.path, ['check', '--feature', p.feature], { timeoutMs: 30_000 })),
  ] as const);
  results.push(kdat);
  for (const [i, p] of featureProbes.entries()) {
    const r = probes[i]!;
    const ok = r.code === 0;
    results.push({
      id: `feature:${p.feature}`, title: p.title, essential: false,
      status: ok ? 'ok' : 'degraded',
      detail: ok ? 'supported' : stripLogPrefix(meaningfulLines(r.stdout + r.stderr)[0] ?? 'not supported'),
      impact: ok ? '' : p.missing,
    });
  }
  return results.concat(privilegeChecks(), await helperChecks());
}

function privilegeChecks(): CheckResult[] {
  const caps = effectiveCaps();
  const root = process.getuid?.() === 0;
  const canCR = has(caps, CAP_SYS_ADMIN) || (has(caps, CAP_CHECKPOINT_RESTORE) && has(caps, CAP_SYS_PTRACE));
  const out: CheckResult[] = [{
    id: 'privileges', title: 'privileges', essential: true,
    status: canCR ? 'ok' : 'missing',
    detail: `${root ? 'root' : `uid ${process.getuid?.()}`}${canCR ? ', can checkpoint/restore' : ', lacks CAP_CHECKPOINT_RESTORE/CAP_SYS_PTRACE'}`,
    impact: canCR ? '' : 'cryo cannot checkpoint or restore: run as root or grant CAP_CHECKPOINT_RESTORE and CAP_SYS_PTRACE',
  }];
  out.push({
    id: 'cap_sys_resource', title: 'CAP_SYS_RESOURCE', essential: false,
    status: has(caps, CAP_SYS_RESOURCE) ? 'ok' : 'degraded',
    detail: has(caps, CAP_SYS_RESOURCE) ? 'present' : 'not in the bounding set',
    impact: has(caps, CAP_SYS_RESOURCE)
      ? ''
      : "processes that changed their uid cannot be dumped (CRIU: Can't get rlimit); CRIU's RLIMIT_NOFILE warning is harmless",
  });
  return out;
}

async function helperChecks(): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const [bin, why] of [
    ['tini', 'jobs cannot get their own PID namespace (run with --no-pidns); install tini'],
    ['unshare', 'jobs cannot get their own PID namespace; install util-linux'],
  ] as const) {
    const r = await runCommand('sh', ['-c', `command -v ${bin}`]);
    const path = r.stdout.trim();
    out.push({
      id: `tool:${bin}`, title: bin, essential: false,
      status: r.code === 0 ? 'ok' : 'missing', detail: r.code === 0 ? path : 'not found',
      impact: r.code === 0 ? '' : why,
    });
  }
  return out;
}
