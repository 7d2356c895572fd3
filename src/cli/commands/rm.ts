// `cryo rm JOB [--force]`: forgets a finished job (and its kept output).

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  withDaemonOptions(program
    .command('rm')
    .description('remove a job that has ended; --force kills a running one first')
    .argument('<job...>', 'job ids, id prefixes or names')
    .option('-f, --force', 'kill the job (SIGKILL) if it is running')
    .option('--json', 'machine-readable output'))
    .action(async (jobs: string[], f: { force?: boolean; json?: boolean; socket?: string }) => {
      const d = connectDaemon({ socket: f.socket });
      const removed: string[] = [];
      for (const job of jobs) removed.push((await d.jobs.remove({ job, force: !!f.force })).id);
      if (f.json) printJson({ removed });
      else process.stdout.write(removed.map((id) => `${id}\n`).join(''));
    });
}
