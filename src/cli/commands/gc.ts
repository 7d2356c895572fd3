// `cryo gc`: deletes old checkpoints by retention (newest N per job), never a pinned one nor
// the newest of a job, and reports what it freed. `--export-temps DIR` also removes the temp files
// that killed `cryo export` runs left in DIR (those of live exports are kept).

import type { Command } from 'commander';
import { CryoError } from '../../errors/index.js';
import { applyRetention, CheckpointStore, removeStaleExportTemps } from '../../store/index.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  program
    .command('gc')
    .description('remove old checkpoints, keeping the newest N of each job (never pinned ones)')
    .option('--keep <n>', 'checkpoints to keep per job', '3')
    .option('--keep-total <n>', 'checkpoints to keep overall (the newest of each job is always kept)')
    .option('--dry-run', 'only show what would be removed')
    .option('--export-temps <dir>', 'also remove temp files of killed `cryo export` runs in this directory')
    .option('--store <dir>', 'checkpoint store (default <dataDir>/checkpoints)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { keep: string; keepTotal?: string; dryRun?: boolean; exportTemps?: string; store?: string; json?: boolean }) => {
      const keepPerJob = count('--keep', opts.keep);
      const keepGlobal = opts.keepTotal === undefined ? undefined : count('--keep-total', opts.keepTotal);
      const store = await CheckpointStore.open(opts.store ? { root: opts.store } : {});
      const plan = await applyRetention(store, { keepPerJob, ...(keepGlobal !== undefined ? { keepGlobal } : {}), dryRun: !!opts.dryRun });
      const temps = opts.exportTemps !== undefined ? await removeStaleExportTemps(opts.exportTemps, { dryRun: !!opts.dryRun }) : [];
      if (opts.json) return printJson(opts.exportTemps !== undefined ? { ...plan, removedExportTemps: temps } : plan);
      for (const f of temps) process.stdout.write(`${opts.dryRun ? 'would remove' : 'removed'} stale export temp file ${f}\n`);
      const verb = plan.dryRun ? 'would remove' : 'removed';
      for (const r of plan.removed) process.stdout.write(`${verb} ${r.id}${r.job ? ` (job ${r.job})` : ''} ${r.bytes} bytes\n`);
      for (const s of plan.skipped) process.stdout.write(`kept ${s.id}: ${s.reason}\n`);
      for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${verb} ${plan.removed.length} checkpoint(s), ${(plan.freedBytes / 1048576).toFixed(1)} MiB; ${plan.kept} kept\n`);
    });
}

function count(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${flag}\` ${JSON.stringify(v)}: use a whole number >= 1`);
  return n;
}
