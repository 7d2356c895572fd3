// `cryo restore`: bring a `cryo dump` checkpoint back, without the daemon. The restored root
// becomes cryo's child (rst_sibling); cryo waits for it and exits with its exit code (128+signal
// when killed), so it behaves like the original command in a shell.

import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CriuClient, CriuError, shellExitCode, waitForExit, type RestoreResult } from '../../criu/index.js';
import { readDumpRecord, type DumpRecord } from '../../criu/dump-record.js';

// Right after a dump of a host-PID process, its pid can still be held for a moment (a zombie
// that PID 1 reaps lazily): CRIU reports that as transient, and a short bounded retry fixes it.
const RETRY_DELAYS_MS = [200, 400, 800, 1600];

async function restoreWithRetry(client: CriuClient, dir: string, options: DumpRecord['options'], talk: boolean): Promise<RestoreResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.restore({ imagesDir: dir, ...options });
    } catch (e) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (!(e instanceof CriuError) || !e.transient || delay === undefined) throw e;
      if (talk) process.stderr.write(`cryo: ${e.message}; retrying in ${delay} ms\n`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
import { printJson } from '../output.js';

function pgrp(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

interface Flags { dir: string; detach?: boolean; json?: boolean }

export function register(program: Command): void {
  program
    .command('restore')
    .description('restore a checkpoint made by `cryo dump`; waits for the process and exits with its code')
    .requiredOption('--dir <dir>', 'directory holding the images')
    .option('--detach', 'do not wait for the restored process')
    .option('--json', 'machine-readable output')
    .action(async (f: Flags) => {
      const rec = readDumpRecord(f.dir);
      const options = rec?.options ?? {};
      const chosen = Object.keys(options).join(', ') || 'none';
      if (!f.json) process.stderr.write(`cryo: restoring ${f.dir} (options: ${chosen}${rec ? '' : ', no cryo-dump.json: CRIU defaults'})\n`);
      const client = new CriuClient();
      const res = await restoreWithRetry(client, f.dir, options, !f.json);
      if (f.json) printJson({ pid: res.pid, imagesDir: res.imagesDir, logPath: res.logPath, durationMs: Math.round(res.durationMs), options });
      else process.stderr.write(`cryo: restored pid ${res.pid} in ${Math.round(res.durationMs)} ms\n`);
      if (f.detach) return;

      // Forward termination signals: cryo stands in for the process in the shell. A Ctrl-C reaches
      // the process itself when it shares our (foreground) process group: do not send it twice.
      const samePgrp = pgrp(res.pid) === pgrp(process.pid);
      const forward = (sig: NodeJS.Signals) => () => {
        if (sig === 'SIGINT' && samePgrp) return;
        try { process.kill(res.pid, sig); } catch { /* already gone */ }
      };
      for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(sig, forward(sig));
      const status = await waitForExit(res.pid);
      const code = shellExitCode(status);
      if (f.json) printJson({ pid: res.pid, exit: status, exitCode: code });
      else if (status.signal) process.stderr.write(`cryo: pid ${res.pid} was killed by ${status.signal}\n`);
      process.exitCode = code;
    });
}
