// `cryo checkpoints [JOB]`: the checkpoints cryod has, newest last (id, job, age, size, state).

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { age } from '../job-format.js';
import { printJson, printTable } from '../output.js';
import { humanBytes } from './checkpoint-flags.js';

export function register(program: Command): void {
  withDaemonOptions(program
    .command('checkpoints')
    .description('list checkpoints (of one job, or all)')
    .argument('[job]', 'only this job\'s checkpoints')
    .option('--json', 'machine-readable output'))
    .action(async (job: string | undefined, f: { json?: boolean; socket?: string }) => {
      const { checkpoints } = await connectDaemon({ socket: f.socket }).checkpoints.listCheckpoints({ job: job ?? '' });
      if (f.json) {
        printJson(checkpoints.map((c) => ({
          id: c.id, jobId: c.jobId, job: c.jobName, dir: c.dir, createdAtMs: Number(c.createdAtMs), sizeBytes: Number(c.sizeBytes),
          state: c.state, leaveRunning: c.leaveRunning, options: c.criuOptions, pins: c.pins,
          stdio: c.stdio.map((s) => ({ fd: s.fd, target: s.target, inode: Number(s.inode) })),
        })));
        return;
      }
      printTable(['CHECKPOINT', 'JOB', 'CREATED', 'SIZE', 'STATE'], checkpoints.map((c) => [
        c.id, c.jobName, `${age(c.createdAtMs)} ago`, humanBytes(Number(c.sizeBytes)), c.pins.length ? `${c.state}, in use` : c.state,
      ]));
    });
}
