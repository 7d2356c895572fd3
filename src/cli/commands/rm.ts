// `cryo rm JOB [--force]`: forgets a finished job (and its kept output). `cryo rm CHECKPOINT`
// (an argument shaped like a checkpoint id) removes that checkpoint, unless it is in use.

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  withDaemonOptions(program
    .command('rm')
    .description('remove a job that has ended (--force kills a running one first), or a checkpoint')
    .argument('<job...>', 'job ids, id prefixes or names; or checkpoint ids (see `cryo checkpoints`)')
    .option('-f, --force', 'kill the job (SIGKILL) if it is running')
    .option('--json', 'machine-readable output'))
    .action(async (jobs: string[], f: { force?: boolean; json?: boolean; socket?: string }) => {
      const d = connectDaemon({ socket: f.socket });
      const removed: string[] = [];
      const warnings: string[] = [];
      for (const job of jobs) {
        if (/^\d{8}T\d/.test(job)) {
          const r = await d.checkpoints.removeCheckpoint({ checkpoint: job });
          removed.push(r.id);
          warnings.push(...r.warnings); // e.g. CRIU's network-lock table could not be deleted
        } else removed.push((await d.jobs.remove({ job, force: !!f.force })).id);
      }
      if (f.json) printJson({ removed, warnings });
      else process.stdout.write(removed.map((id) => `${id}\n`).join(''));
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    });
}
