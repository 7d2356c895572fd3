// Step 3 of a restore (src/safety's pre-flight), with what the restore flow knows about the
// checkpoint: which checks cannot fail here and which files it replaces.

import { cpus, release } from 'node:os';
import { readManifest } from '../store/index.js';
import { preflightError, runPreflight, type CheckId, type PreflightReport } from '../safety/index.js';
import type { ResolvedCheckpoint } from './resolve-checkpoint.js';

/**
 * Step 3 (src/safety): files, ports, memory, disk, pids, cpu. The manifest was just verified, a
 * job in its own PID namespace needs no free pids, the stdio files are replaced through
 * inherit_fd, and a restore on the machine and kernel that made the checkpoint skips the CPU
 * check (it spawns criu; the CPU is the same).
 */
export async function restorePreflight(
  criuPath: string, cp: Pick<ResolvedCheckpoint, 'id' | 'dir' | 'meta'>, verified: boolean, force = false,
  onReport?: (report: PreflightReport) => void,
): Promise<string | undefined> {
  const skip: CheckId[] = [];
  if (verified) skip.push('integrity');
  if (cp.meta.mode === 'pidns') skip.push('pids');
  const manifestCpu = (await readManifest(cp.dir).catch(() => undefined));
  if (manifestCpu && 'manifest' in manifestCpu && manifestCpu.manifest.cpu.model === cpus()[0]?.model && cp.meta.kernel === release()) skip.push('cpu');
  const ignoreFiles = (cp.meta.stdio ?? []).map((s) => s.target).filter((t) => t.startsWith('/'));
  const report = await runPreflight(cp.dir, { criuPath, skip, ignoreFiles });
  onReport?.(report);
  const err = preflightError(report, cp.id);
  if (err && !force) throw err;
  return err ? `pre-flight found problems, restoring anyway (--force): ${err.message}` : undefined;
}
