// `cryo preflight CHECKPOINT`: everything that would make a restore of this checkpoint fail,
// all at once, without changing anything. Exit 0 when the restore can go ahead, 1 when not.
// `cryo restore --check` runs the same report.

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { CryoError } from '../../errors/index.js';
import { runPreflight, formatPreflightReport } from '../../safety/index.js';
import { CheckpointStore, defaultStoreRoot, resolveCheckpointDir } from '../../store/index.js';
import { printJson } from '../output.js';

/** Opens the store only when it exists: a read-only command must not create one. */
async function existingStore(ref: string): Promise<CheckpointStore> {
  const root = defaultStoreRoot();
  if (!existsSync(root)) {
    throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `${ref} is not a directory, and there is no checkpoint store at ${root}`, { operation: 'pre-flight', checkpoint: ref });
  }
  return CheckpointStore.open({ root });
}

export function register(program: Command): void {
  program
    .command('preflight')
    .description('check that a checkpoint can be restored here (files, ports, pids, memory, disk, CPU, integrity); changes nothing')
    .argument('<checkpoint>', 'checkpoint directory (or a checkpoint id in the store)')
    .option('--json', 'machine-readable report')
    .action(async (checkpoint: string, f: { json?: boolean }) => {
      const dir = await resolveCheckpointDir(checkpoint, () => existingStore(checkpoint));
      const report = await runPreflight(dir);
      if (f.json) printJson(report);
      else process.stdout.write(formatPreflightReport(report) + '\n');
      process.exitCode = report.ok ? 0 : 1;
    });
}
