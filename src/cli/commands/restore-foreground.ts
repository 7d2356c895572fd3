// Waiting for a process restored in the CLI's own process (`--dir`, `--no-daemon`): cryo stands in
// for it in the shell, forwards termination signals and exits with its exit code.

import { procStat, STAT } from '../../util/proc-stat.js';
import { shellExitCode, waitForExit, type ExitStatus } from '../../criu/reaper.js';

/** JSON lines, not one pretty document: restore reports twice (restored, then exited). */
export function jsonLine(v: unknown): void {
  process.stdout.write(JSON.stringify(v) + '\n');
}

function pgrp(pid: number): number | undefined {
  const f = procStat(pid);
  return f === undefined ? undefined : Number(f[STAT.pgrp]);
}

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
