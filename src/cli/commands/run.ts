// `cryo run [options] -- CMD...`: starts a job under cryod (own PID namespace by default).

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { jobJson } from '../job-format.js';
import { printJson } from '../output.js';
import { CryoError } from '../../errors/index.js';
import { attachTo } from './attach.js';

interface Flags { name?: string; attach?: boolean; log?: string; cwd?: string; env: string[]; pidns: boolean; json?: boolean; socket?: string }

/** Parses repeated --env K=V into a map (the daemon validates names). */
export function parseEnv(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--env\` ${JSON.stringify(kv)}: use KEY=VALUE`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

export function register(program: Command): void {
  withDaemonOptions(program
    .command('run')
    .description('start a job: cryo run [options] -- CMD [ARGS...]')
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--name <name>', 'a unique name for the job')
    .option('-a, --attach', 'attach to the job right away (detach with Ctrl-P Ctrl-Q)')
    .option('--log <file>', 'append stdout and stderr to FILE instead of keeping them for attach')
    .option('--cwd <dir>', 'working directory (default: the current one)')
    .option('--env <K=V>', 'set an environment variable (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--no-pidns', 'run with host PIDs instead of an own PID namespace')
    .option('--json', 'machine-readable output'))
    .action(async (command: string[], f: Flags) => {
      const d = connectDaemon({ socket: f.socket });
      const env = { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin', ...parseEnv(f.env) };
      const { job } = await d.jobs.run({
        command, name: f.name ?? '', cwd: f.cwd ? resolvePath(f.cwd) : process.cwd(), env,
        noPidns: !f.pidns, logFile: f.log ? resolvePath(f.log) : '',
      });
      if (!job) throw new CryoError('CRYO_DAEMON_ERROR', 'cryod returned no job');
      if (f.attach) {
        process.exitCode = await attachTo(d, job.id, { backlogBytes: 0 });
        return;
      }
      if (f.json) printJson(jobJson(job));
      else process.stdout.write(`${job.id}\n`);
    });
}

function resolvePath(p: string): string {
  return p.startsWith('/') ? p : `${process.cwd()}/${p}`;
}
