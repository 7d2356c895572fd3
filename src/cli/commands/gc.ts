// `cryo gc`: deletes old checkpoints by retention (newest N per job), never a pinned one nor
// the newest of a job, and reports what it freed.

import type { Command } from 'commander';
import { CryoError } from '../../errors/index.js';
import { applyRetention, CheckpointStore } from '../../store/index.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  program
    .command('gc')
    .description('remove old checkpoints, keeping the newest N of each job (never pinned ones)')
    .option('--keep <n>', 'checkpoints to keep per job', '3')
    .option('--keep-total <n>', 'checkpoints to keep overall (the newest of each job is always kept)')
    .option('--dry-run', 'only show what would be removed')
    .option('--store <dir>', 'checkpoint store (default <dataDir>/checkpoints)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { keep: string; keepTotal?: string; dryRun?: boolean; store?: string; json?: boolean }) => {
      const keepPerJob = count('--keep', opts.keep);
      const keepGlobal = opts.keepTotal === undefined ? undefined : count('--keep-total', opts.keepTotal);
      const store = await CheckpointStore.open(opts.store ? { root: opts.store } : {});
      const plan = await applyRetention(store, { keepPerJob, ...(keepGlobal !== undefined ? { keepGlobal } : {}), dryRun: !!opts.dryRun });
      if (opts.json) return printJson(plan);
      const verb = plan.dryRun ? 'would remove' : 'removed';
      for (const r of plan.removed) process.stdout.write(`${verb} ${r.id}${r.job ? ` (job ${r.job})` : ''} ${r.bytes} bytes\n`);
      for (const s of plan.skipped) process.stdout.write(`kept ${s.id}: ${s.reason}\n`);
      process.stdout.write(`${verb} ${plan.removed.length} checkpoint(s), ${(plan.freedBytes / 1048576).toFixed(1)} MiB; ${plan.kept} kept\n`);
    });
}

function count(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${flag}\` ${JSON.stringify(v)}: use a whole number >= 1`);
  return n;
}
