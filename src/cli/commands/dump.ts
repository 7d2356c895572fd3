// `cryo dump`: checkpoint a process tree into a directory, without the daemon.

import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CriuClient } from '../../criu/index.js';
import { writeDumpRecord, type DumpRecord } from '../../criu/dump-record.js';
import { CryoError } from '../../errors/index.js';
import { printJson } from '../output.js';

interface Flags {
  pid: string; dir: string; leaveRunning?: boolean; tcpEstablished?: boolean; shellJob?: boolean; fileLocks?: boolean;
  extUnixSk?: boolean; json?: boolean;
}

/** A process that is not its session's leader (started from a shell) needs shell_job. */
function isSessionLeader(pid: number): boolean | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[3]) === pid;
  } catch {
    return undefined;
  }
}

export function register(program: Command): void {
  program
    .command('dump')
    .description('checkpoint a running process tree into a directory (daemonless)')
    .requiredOption('--pid <pid>', 'root of the process tree to checkpoint')
    .requiredOption('--dir <dir>', 'directory for the images (created if missing)')
    .option('--leave-running', 'keep the process running after the checkpoint')
    .option('--tcp-established', 'checkpoint established TCP connections')
    .option('--shell-job', 'the process was started from a shell (chosen automatically when it is not a session leader)')
    .option('--file-locks', 'checkpoint file locks')
    .option('--ext-unix-sk', 'allow unix sockets connected to processes outside the tree')
    .option('--json', 'machine-readable output')
    .action(async (f: Flags) => {
      const pid = Number(f.pid);
      if (!Number.isInteger(pid) || pid <= 0) {
        throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--pid\` ${JSON.stringify(f.pid)}: give a positive integer`);
      }
      const options: DumpRecord['options'] = {};
      const why: string[] = [];
      if (f.shellJob) options.shellJob = true;
      else if (isSessionLeader(pid) === false) {
        options.shellJob = true;
        why.push('shell-job (not a session leader)');
      }
      if (f.tcpEstablished) options.tcpEstablished = true;
      if (f.fileLocks) options.fileLocks = true;
      if (f.extUnixSk) options.extUnixSk = true;
      const chosen = [...Object.keys(options).filter((k) => !(k === 'shellJob' && why.length)), ...why, ...(f.leaveRunning ? ['leave-running'] : [])];
      if (!f.json) process.stderr.write(`cryo: dumping pid ${pid} into ${f.dir} (options: ${chosen.join(', ') || 'none'})\n`);
      const client = new CriuClient();
      const res = await client.dump({ pid, imagesDir: f.dir, ...options, ...(f.leaveRunning ? { leaveRunning: true } : {}) });
      writeDumpRecord(res.imagesDir, { version: 1, pid, dumpedAt: new Date().toISOString(), options });
      if (f.json) printJson({ pid, imagesDir: res.imagesDir, logPath: res.logPath, durationMs: Math.round(res.durationMs), options, leaveRunning: !!f.leaveRunning });
      else process.stderr.write(`cryo: dumped pid ${pid} in ${Math.round(res.durationMs)} ms${f.leaveRunning ? ' (still running)' : ''}; log ${res.logPath}\n`);
    });
}
