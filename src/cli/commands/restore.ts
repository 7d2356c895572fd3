// `cryo restore`: the command and its flags. Each way of restoring is its own module, imported only
// when used (the daemonless ones load CRIU, the store and the safety checks; a restore through cryod
// needs none of that, and Node's start-up of a command grows with every module it loads):
// restore-job.ts (through cryod), restore-in-process.ts (--no-daemon), restore-dir.ts (--dir D),
// preflight.ts (--check).

import type { Command } from 'commander';
import { CryoError } from '../../errors/index.js';
import { withDaemonOptions } from '../client.js';
import { collect } from './checkpoint-flags.js';
import { restoreViaDaemon, type RestoreFlags } from './restore-job.js';

interface Flags extends RestoreFlags { dir?: string; detach?: boolean; json?: boolean }

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
        if (f.check) return (await import('./preflight.js')).preflightCommand(checkpoint, { json: f.json === true, dataDir: f.dataDir });
        return f.daemon ? restoreViaDaemon(checkpoint, f) : (await import('./restore-in-process.js')).restoreInProcess(checkpoint, f);
      }
      if (f.dir === undefined) {
        throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `checkpoint`: give a checkpoint id, job name or directory (or --dir DIR)', {
          hint: 'usage: cryo restore CHECKPOINT [-a] [--no-daemon] | cryo restore --dir DIR',
        });
      }
      const { restoreDir } = await import('./restore-dir.js');
      await restoreDir(f.dir, f);
    });
}
