// `cryo wait JOB`: blocks until the job ends and exits with its exit code.

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { jobJson, jobStateText } from '../job-format.js';
import { printJson } from '../output.js';
import { CryoError } from '../../errors/index.js';
import { JobState } from '../../gen/cryo/v1/jobs_pb.js';

export function register(program: Command): void {
  withDaemonOptions(program
    .command('wait')
    .description('wait for a job to end; exits with its exit code (128+N when killed by signal N)')
    .argument('<job>', 'job id, id prefix or name')
    .option('--json', 'print the job as JSON too'))
    .action(async (ref: string, f: { json?: boolean; socket?: string }) => {
      const { job } = await connectDaemon({ socket: f.socket }).jobs.wait({ job: ref });
      if (!job) throw new CryoError('CRYO_DAEMON_ERROR', 'cryod returned no job');
      if (f.json) printJson(jobJson(job));
      if (job.exitCode !== undefined) {
        process.exitCode = job.exitCode;
        return;
      }
      if (job.state === JobState.LOST) {
        throw new CryoError('CRYO_EXIT_CODE_UNKNOWN', `job ${job.name} ended but its exit code is unknown: ${job.note}`, { job: job.name });
      }
      throw new CryoError('CRYO_INVALID_STATE', `job ${job.name} stopped without an exit code: it is ${jobStateText(job)}`, {
        job: job.name, ...(job.error ? { hint: job.error } : {}),
      });
    });
}
