// `cryo restore --dir D`: bring a `cryo dump --pid` checkpoint back, without the daemon.
// `cryo restore CHECKPOINT` (through cryod) and `--no-daemon` live in restore-job.ts. The restored root
// becomes cryo's child (rst_sibling); cryo waits for it and exits with its exit code (128+signal
// when killed), so it behaves like the original command in a shell.

import type { Command } from 'commander';
import { procStat, STAT } from '../../util/proc-stat.js';
import { CriuClient, shellExitCode, waitForExit, type ExitStatus, type RestoreResult } from '../../criu/index.js';
import { CryoError } from '../../errors/index.js';
import { withRetry } from '../../safety/index.js';
import { withDaemonOptions } from '../client.js';
import { collect } from './checkpoint-flags.js';
import { restoreInProcess, restoreViaDaemon, type RestoreFlags } from './restore-job.js';
import { preflightCommand } from './preflight.js';
import { readDumpRecord, type DumpRecord } from '../../criu/dump-record.js';

/**
 * Right after a dump of a host-PID process, its pid can still be held for a moment (a zombie that
 * PID 1 reaps lazily): CRIU reports that as transient, and a short bounded retry fixes it.
 */
function restoreWithRetry(client: CriuClient, dir: string, options: DumpRecord['options'], talk: boolean): Promise<RestoreResult> {
  // src/safety's policy (config restoreRetries / restoreRetryDelayMs); anything else fails at once.
  return withRetry(() => client.restore({ imagesDir: dir, ...options }), {
    onAttempt: (a) => {
      if (talk && a.nextDelayMs !== undefined) process.stderr.write(`cryo: ${(a.error as Error).message}; retrying in ${a.nextDelayMs} ms\n`);
    },
  });
}

/** JSON lines, not one pretty document: restore reports twice (restored, then exited). */
function jsonLine(v: unknown): void {
  process.stdout.write(JSON.stringify(v) + '\n');
}

function pgrp(pid: number): number | undefined {
  const f = procStat(pid);
  return f === undefined ? undefined : Number(f[STAT.pgrp]);
}

interface Flags extends RestoreFlags { dir?: string; detach?: boolean; json?: boolean }

/** Waits for the restored root like a foreground command (signals forwarded); sets the exit code. */
export async function waitAsForeground(pid: number, json: boolean | undefined, exited: Promise<ExitStatus> = waitForExit(pid)): Promise<void> {
  // Forward termination signals: cryo stands in for the process in the shell. A Ctrl-C reaches
  // the process itself when it shares our (foreground) process group: do not send it twice.
  const samePgrp = pgrp(pid) === pgrp(process.pid);
  const forward = (sig: NodeJS.Signals) => () => {
    if (sig === 'SIGINT' && samePgrp) return;
    try { process.kill(pid, sig); } catch { /* already gone */ }
  };
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(sig, forward(sig));
  const status = await exited;
  const code = shellExitCode(status);
  if (json) jsonLine({ event: 'exited', pid, exit: status, exitCode: code });
  else if (status.signal) process.stderr.write(`cryo: pid ${pid} was killed by ${status.signal}\n`);
  process.exitCode = code;
}

export function register(program: Command): void {
  withDaemonOptions(program
    .command('restore')
    .description('restore a checkpoint (id, job name or directory) as a cryod job, or in the foreground with --no-daemon / --dir')
    .argument('[checkpoint]', 'checkpoint id (or prefix), job name (its latest checkpoint) or checkpoint directory')
    .option('--dir <dir>', 'daemonless: directory holding images made by `cryo dump --pid` (waits, exits with its code)')
    .option('--detach', 'with --dir: do not wait for the restored process')
    .option('-a, --attach', 'attach to the restored job (detach with Ctrl-P Ctrl-Q)')
    .option('--log <file>', 'append the restored job\'s stdout and stderr to FILE')
    .option('--no-daemon', 'restore in this process, wired to this terminal; exit with the process\'s exit code')
    .option('--name <name>', 'name of the restored job (default: the checkpointed job itself, or JOB-rN)')
    .option('--copies <k>', 'restore K copies side by side, each in its own PID namespace', '1')
    .option('--no-verify', 'skip checking the images against the manifest')
    .option('--lazy', 'lazy pages: the process runs at once, its memory follows in the background (needs userfaultfd)')
    .option('--lazy-fallback', 'with --lazy: restore eagerly when the kernel lacks userfaultfd, instead of refusing')
    .option('--hook <event=cmd>', 'run CMD at a CRIU notification (pre-restore, post-restore, ...; repeatable)', collect, [])
    .option('--hook-timeout <ms>', 'how long each hook may run (default: config hookTimeoutMs or 30000)')
    .option('--check', 'only run the pre-flight checks and print the report; change nothing (exit 1 when a check fails)')
    .option('--force', 'restore even when pre-flight checks fail')
    .option('--timeout <ms>', 'cancel a restore attempt CRIU has not finished after MS (killing what it half-restored); 0: no limit (default: config restoreTimeoutMs, 300000)')
    .option('--health-cmd <cmd>', 'after restore, wait until CMD exits 0 (CRYO_PID is set); fail the restore if it does not within the grace period')
    .option('--health-tcp <port>', 'after restore, wait until 127.0.0.1:PORT accepts a connection')
    .option('--health-grace <ms>', 'how long the restored job must stay alive (and the probe has to pass); default 3000 with a probe')
    .option('--data-dir <dir>', 'with --no-daemon: cryo\'s data dir (checkpoint store and database)')
    .option('--json', 'machine-readable output: one JSON line once restored, one when it exits'))
    .action(async (checkpoint: string | undefined, f: Flags) => {
      if (checkpoint !== undefined) {
        if (f.dir !== undefined) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--dir`: give either CHECKPOINT or --dir DIR');
        if (f.check) return preflightCommand(checkpoint, { json: f.json === true, dataDir: f.dataDir });
        return f.daemon ? restoreViaDaemon(checkpoint, f) : restoreInProcess(checkpoint, f);
      }
      if (f.dir === undefined) {
        throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `checkpoint`: give a checkpoint id, job name or directory (or --dir DIR)', {
          hint: 'usage: cryo restore CHECKPOINT [-a] [--no-daemon] | cryo restore --dir DIR',
        });
      }
      const rec = readDumpRecord(f.dir);
      const options = rec?.options ?? {};
      const chosen = Object.keys(options).join(', ') || 'none';
      if (!f.json) process.stderr.write(`cryo: restoring ${f.dir} (options: ${chosen}${rec ? '' : ', no cryo-dump.json: CRIU defaults'})\n`);
      const client = new CriuClient();
      const res = await restoreWithRetry(client, f.dir, options, !f.json);
      if (f.json) jsonLine({ event: 'restored', pid: res.pid, imagesDir: res.imagesDir, logPath: res.logPath, durationMs: Math.round(res.durationMs), options });
      else process.stderr.write(`cryo: restored pid ${res.pid} in ${Math.round(res.durationMs)} ms\n`);
      if (f.detach) return;
      await waitAsForeground(res.pid, f.json);
    });
}
