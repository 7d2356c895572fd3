// `cryo dump`: checkpoint a process tree into a directory, without the daemon (`--pid N --dir D`),
// or a cryod job into the checkpoint store (`cryo dump JOB`, see dump-job.ts).

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { procStat, STAT } from '../../util/proc-stat.js';
import { join } from 'node:path';
import { CriuClient } from '../../criu/index.js';
import { writeDumpRecord, type DumpRecord } from '../../criu/dump-record.js';
import { CryoError } from '../../errors/index.js';
import { printJson } from '../output.js';
import { withDaemonOptions } from '../client.js';
import { collect } from './checkpoint-flags.js';
import { dumpJobViaDaemon, type DumpJobFlags } from './dump-job.js';

interface Flags extends DumpJobFlags {
  pid?: string; dir?: string; leaveRunning?: boolean; tcpEstablished?: boolean; shellJob?: boolean; fileLocks?: boolean;
  extUnixSk?: boolean; json?: boolean;
}

/** A process that is not its session's leader (started from a shell) needs shell_job. */
function isSessionLeader(pid: number): boolean | undefined {
  const f = procStat(pid);
  return f === undefined ? undefined : Number(f[STAT.session]) === pid;
}

export function register(program: Command): void {
  withDaemonOptions(program
    .command('dump')
    .description('checkpoint a job into the store (cryo dump JOB), or a process tree into a directory (--pid N --dir D, daemonless)')
    .argument('[job]', 'job id, id prefix or name (through cryod)')
    .option('--pid <pid>', 'daemonless: root of the process tree to checkpoint')
    .option('--dir <dir>', 'daemonless: directory for the images (created if missing)')
    .option('--ghost-limit <size>', 'largest deleted-but-open file to copy into the images (e.g. 10M)')
    .option('--hook <event=cmd>', 'run CMD at a CRIU notification (pre-dump, post-dump, ...; repeatable)', collect, [])
    .option('--hook-timeout <ms>', 'how long each hook may run (default: config hookTimeoutMs or 30000)')
    .option('--leave-running', 'keep the process running after the checkpoint')
    .option('--tcp-established', 'checkpoint established TCP connections')
    .option('--shell-job', 'the process was started from a shell (chosen automatically when it is not a session leader)')
    .option('--file-locks', 'checkpoint file locks')
    .option('--ext-unix-sk', 'allow unix sockets connected to processes outside the tree')
    .option('--json', 'machine-readable output'))
    .action(async (job: string | undefined, f: Flags) => {
      if (job !== undefined) {
        if (f.pid !== undefined || f.dir !== undefined) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--pid`/`--dir`: give either a JOB (through cryod) or --pid and --dir (daemonless)');
        return dumpJobViaDaemon(job, f);
      }
      if (f.pid === undefined || f.dir === undefined) {
        throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `job`: give a JOB to checkpoint through cryod, or --pid PID --dir DIR for a daemonless dump', { hint: 'usage: cryo dump JOB | cryo dump --pid PID --dir DIR' });
      }
      if (f.hook.length > 0 || f.ghostLimit !== undefined || f.hookTimeout !== undefined) {
        throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--hook`/`--ghost-limit`: they work with `cryo dump JOB` (through cryod), not with --pid/--dir');
      }
      const dir = f.dir;
      const pid = Number(f.pid);
      if (!Number.isInteger(pid) || pid <= 0) {
        throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--pid\` ${JSON.stringify(f.pid)}: give a positive integer`);
      }
      if (existsSync(join(f.dir, 'inventory.img'))) {
        throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--dir\` ${JSON.stringify(f.dir)}: it already holds a checkpoint`, {
          hint: 'give a new or empty directory (images of two dumps must not mix)',
        });
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
      if (!f.json) process.stderr.write(`cryo: dumping pid ${pid} into ${dir} (options: ${chosen.join(', ') || 'none'})\n`);
      const client = new CriuClient();
      const res = await client.dump({ pid, imagesDir: dir, ...options, ...(f.leaveRunning ? { leaveRunning: true } : {}) });
      writeDumpRecord(res.imagesDir, { version: 1, pid, dumpedAt: new Date().toISOString(), options });
      if (f.json) printJson({ pid, imagesDir: res.imagesDir, logPath: res.logPath, durationMs: Math.round(res.durationMs), options, leaveRunning: !!f.leaveRunning });
      else process.stderr.write(`cryo: dumped pid ${pid} in ${Math.round(res.durationMs)} ms${f.leaveRunning ? ' (still running)' : ''}; log ${res.logPath}\n`);
    });
}
