// `cryo preflight CHECKPOINT`: everything that would make a restore of this checkpoint fail,
// all at once, without changing anything. Exit 0 when the restore can go ahead, 1 when not.
// `cryo restore CHECKPOINT --check` runs the same report.

import type { Command } from 'commander';
import { resolveLocal } from '../../checkpoint/index.js';
import { loadConfig } from '../../config/index.js';
import { runPreflight, formatPreflightReport } from '../../safety/index.js';
import { printJson } from '../output.js';

/** Resolves CHECKPOINT (directory, id or job name, read-only) and prints its pre-flight report. */
export async function preflightCommand(ref: string, f: { json: boolean; dataDir?: string | undefined }): Promise<void> {
  const config = loadConfig(f.dataDir !== undefined ? { dataDir: f.dataDir } : {});
  const { dir } = resolveLocal(ref, config.dataDir);
  const report = await runPreflight(dir);
  if (f.json) printJson(report);
  else process.stdout.write(formatPreflightReport(report) + '\n');
  process.exitCode = report.ok ? 0 : 1;
}

export function register(program: Command): void {
  program
    .command('preflight')
    .description('check that a checkpoint can be restored here (files, ports, pids, memory, disk, CPU, integrity); changes nothing')
    .argument('<checkpoint>', 'checkpoint directory, checkpoint id or job name (its latest checkpoint)')
    .option('--data-dir <dir>', "cryo's data dir (checkpoint store and database)")
    .option('--json', 'machine-readable report')
    .action((checkpoint: string, f: { json?: boolean; dataDir?: string }) => preflightCommand(checkpoint, { json: f.json === true, dataDir: f.dataDir }));
}
