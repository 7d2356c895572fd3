// `cryo kill JOB [--signal S]`: sends a signal to a job (default SIGTERM).

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { jobJson } from '../job-format.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  withDaemonOptions(program
    .command('kill')
    .description('send a signal to a job (tini forwards it to the command\'s process group)')
    .argument('<job>', 'job id, id prefix or name')
    .option('-s, --signal <signal>', 'signal name or number', 'SIGTERM')
    .option('--json', 'machine-readable output'))
    .action(async (job: string, f: { signal: string; json?: boolean; socket?: string }) => {
      const r = await connectDaemon({ socket: f.socket }).jobs.kill({ job, signal: f.signal });
      if (f.json && r.job) printJson(jobJson(r.job));
      else process.stdout.write(`${r.job?.name ?? job}\n`);
    });
}
