// `cryo verify CHECKPOINT`: checks a checkpoint's files against its manifest (missing, changed,
// unexpected, or no manifest = incomplete). Exit 0 when intact, 1 otherwise.

import type { Command } from 'commander';
import { CheckpointStore, resolveCheckpointDir, verifyCheckpoint, type VerifyReport } from '../../store/index.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('check a checkpoint\'s files against its manifest (sizes and SHA-256)')
    .argument('<checkpoint>', 'checkpoint directory, or id in the store')
    .option('--store <dir>', 'checkpoint store (default <dataDir>/checkpoints)')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { store?: string; json?: boolean }) => {
      const dir = await resolveCheckpointDir(ref, () => CheckpointStore.open(opts.store ? { root: opts.store } : {}));
      const report = await verifyCheckpoint(dir);
      if (opts.json) printJson(report);
      else process.stdout.write(describe(report));
      process.exitCode = report.ok ? 0 : 1;
    });
}

/** The report in words, one problem per line. */
function describe(r: VerifyReport): string {
  const lines: string[] = [];
  if (r.manifest !== 'ok') {
    lines.push(`INCOMPLETE  ${r.dir}`, `  ${r.manifestProblem}`, '  this checkpoint was never completed and will not be restored');
    return lines.join('\n') + '\n';
  }
  for (const p of r.missing) lines.push(`  missing     ${p}`);
  for (const c of r.changed) {
    const why = c.actual.size !== c.expected.size ? `size ${c.actual.size}, expected ${c.expected.size}` : 'SHA-256 differs';
    lines.push(`  changed     ${c.path} (${why})`);
  }
  for (const p of r.unexpected) lines.push(`  unexpected  ${p}`);
  const head = r.ok
    ? `OK  checkpoint ${r.id} at ${r.dir}: ${r.checkedFiles} files, ${r.checkedBytes} bytes intact (${r.durationMs} ms)`
    : `CORRUPT  checkpoint ${r.id} at ${r.dir}: ${r.missing.length} missing, ${r.changed.length} changed, ${r.unexpected.length} unexpected`;
  return [head, ...lines].join('\n') + '\n';
}
