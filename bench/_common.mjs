// Helpers shared by the benchmark scripts (not a benchmark itself).
import { execFile } from 'node:child_process';
import { waitForExit } from '../dist/criu/index.js';

/** Median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Milliseconds from a monotonic clock. */
export const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Runs a command to completion; rejects with its stderr. */
export function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

/** SIGKILLs a process this (subreaper) process will be the parent of, and reaps it. */
export async function killAndReap(pid) {
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  await waitForExit(pid);
}
