// Runs a short command to completion and returns its output; never throws on a non-zero exit,
// because callers (doctor, feature probes) treat failure as data.

import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit code; null when killed by a signal or when the command could not start. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the command could not be started at all (ENOENT, EACCES, ...). */
  readonly spawnError?: NodeJS.ErrnoException;
}

export function runCommand(
  file: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: number | string };
        if (typeof e.code === 'string') return resolve({ code: null, stdout, stderr, spawnError: e });
        resolve({ code: typeof e.code === 'number' ? e.code : null, stdout, stderr });
      },
    );
  });
}
