// `cryo manage --pid N`: adopts a process tree cryo did not start, so it can be listed,
// signalled and checkpointed. cryod is not its parent, so its exit code will be unknown.

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { jobJson } from '../job-format.js';
import { printJson } from '../output.js';
import { CryoError } from '../../errors/index.js';

export function register(program: Command): void {
  withDaemonOptions(program
    .command('manage')
    .description('adopt a running process tree as a job (its exit code cannot be known)')
    .requiredOption('--pid <pid>', 'pid of the root process to adopt')
    .option('--name <name>', 'a unique name for the job')
    .option('--json', 'machine-readable output'))
    .action(async (f: { pid: string; name?: string; json?: boolean; socket?: string }) => {
      const pid = Number(f.pid);
      if (!/^\d+$/.test(f.pid)) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--pid\` ${JSON.stringify(f.pid)}: give a number`);
      const { job } = await connectDaemon({ socket: f.socket }).jobs.manage({ pid, name: f.name ?? '' });
      if (!job) return;
      if (f.json) printJson(jobJson(job));
      else {
        process.stdout.write(`${job.id}\n`);
        process.stderr.write(`cryo: managing pid ${pid} as job ${job.name}; cryod is not its parent, so its exit code will be unknown\n`);
      }
    });
}
