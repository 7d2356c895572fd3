// What made a checkpoint: CRIU, kernel, cryo and Node versions, and the CPU (cpuinfo.img via
// `criu cpuinfo dump`), so a restore elsewhere can tell early whether it can work.

import { existsSync, readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { loadConfig, locateCriu } from '../config/index.js';
import { runCommand } from '../util/run-command.js';
import { CPUINFO_NAME, type Manifest } from './manifest.js';

/** The CRIU binary to use, as configured; tests and the daemon may pass their own. */
export function defaultCriuPath(): string {
  return locateCriu(loadConfig().criu).path;
}

const criuVersions = new Map<string, string | null>();

/** `criu --version` ("4.2.1"), cached per binary; null if it cannot be run. */
export async function criuVersion(criu: string): Promise<string | null> {
  if (!criuVersions.has(criu)) {
    const r = await runCommand(criu, ['--version'], { timeoutMs: 10_000 });
    const m = /Version:\s*(\S+)/.exec(r.stdout);
    criuVersions.set(criu, r.code === 0 && m?.[1] ? m[1] : null);
  }
  return criuVersions.get(criu) ?? null;
}

/** cryo's own version, from package.json at the repository root. */
export function cryoVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Versions recorded in every manifest. */
export async function collectVersions(criu: string): Promise<Manifest['versions']> {
  return { criu: await criuVersion(criu), kernel: release(), cryo: cryoVersion(), node: process.versions.node };
}

/** Makes sure `dir` has cpuinfo.img (CRIU's CPU description); failure is recorded, not fatal. */
export async function ensureCpuinfo(dir: string, criu: string): Promise<Manifest['cpu']> {
  const model = cpus()[0]?.model ?? 'unknown';
  const image = join(dir, CPUINFO_NAME);
  if (existsSync(image)) return { image: CPUINFO_NAME, model };
  const r = await runCommand(criu, ['cpuinfo', 'dump', '-D', dir], { timeoutMs: 30_000 });
  if (r.code === 0 && existsSync(image)) return { image: CPUINFO_NAME, model };
  const why = r.spawnError?.message ?? (r.stderr.trim().split('\n').pop() || `exit code ${r.code}`);
  return { image: null, model, note: `criu cpuinfo dump failed: ${why}` };
}
