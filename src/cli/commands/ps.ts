// `cryo ps`: the jobs cryod knows, as a table or JSON.

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { age, jobJson, jobStateText } from '../job-format.js';
import { printJson, printTable } from '../output.js';
import { JobState } from '../../gen/cryo/v1/jobs_pb.js';

const live = new Set([JobState.STARTING, JobState.RUNNING, JobState.CHECKPOINTING, JobState.RESTORING]);

export function register(program: Command): void {
  withDaemonOptions(program
    .command('ps')
    .description('list jobs: id, name, state, pid, command, age')
    .option('--json', 'machine-readable output'))
    .action(async (f: { json?: boolean; socket?: string }) => {
      const { jobs } = await connectDaemon({ socket: f.socket }).jobs.listJobs({});
      if (f.json) return printJson(jobs.map(jobJson));
      printTable(['ID', 'NAME', 'STATE', 'PID', 'COMMAND', 'AGE'], jobs.map((j) => [
        j.id, j.name, `${jobStateText(j)}${pagesMark(j.note)}`, live.has(j.state) && j.rootPid ? j.rootPid : '-',
        truncate(j.command.join(' '), 40), age(j.createdAtMs),
      ]));
    });
}

/** A lazy restore's page transfer beside the state: " (pages transferring)", " (pages complete)", " (pages transfer FAILED)". */
function pagesMark(note: string): string {
  const m = /pages: (transferring|complete|transfer FAILED)/.exec(note);
  return m ? ` (pages ${m[1]})` : '';
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
