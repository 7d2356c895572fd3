// `cryo restore CHECKPOINT` through cryod: a job, attachable or writing to --log FILE, K copies
// with --copies.

import { resolve } from 'node:path';
import { connectDaemon } from '../client.js';
import { jobJson } from '../job-format.js';
import { printJson } from '../output.js';
import { attachTo } from './attach.js';
import { restoreFlagValues, type RestoreFlags } from './restore-flags.js';

export type { RestoreFlags } from './restore-flags.js';

/** A path-looking reference is sent as an absolute path (cryod has another cwd). */
export function refArg(ref: string): string {
  return ref.includes('/') || ref.startsWith('.') ? resolve(ref) : ref;
}

/** Asks cryod to restore; prints the new job ids, or attaches with -a. */
export async function restoreViaDaemon(ref: string, f: RestoreFlags): Promise<void> {
  const v = restoreFlagValues(f);
  const d = connectDaemon({ socket: f.socket });
  const r = await d.checkpoints.restore({
    checkpoint: refArg(ref), name: f.name ?? '', copies: v.copies, hooks: v.hooks, hookTimeoutMs: v.hookTimeoutMs,
    noVerify: !f.verify, logFile: f.log ? resolve(f.log) : '', io: f.attach ? 'attachable' : '',
    lazy: f.lazy === true, lazyFallbackEager: f.lazyFallback === true,
    force: f.force === true, healthCmd: f.healthCmd ?? '', healthTcpPort: v.healthTcpPort, healthGraceMs: v.healthGraceMs,
    ...(v.timeoutMs !== undefined ? { timeoutMs: v.timeoutMs } : {}),
  });
  if (f.json && !f.attach) {
    printJson({
      checkpoint: r.checkpoint, jobs: r.jobs.map(jobJson), durationMs: Number(r.durationMs), notes: r.notes, criuLogs: r.criuLogs,
      hooks: r.hooks.map((h) => ({ event: h.event, command: h.command, exitCode: h.exitCode, durationMs: Number(h.durationMs) })),
    });
    return;
  }
  for (const n of r.notes) process.stderr.write(`cryo: ${n}\n`);
  for (const h of r.hooks) process.stderr.write(`cryo: ${h.event} hook \`${h.command}\` exited ${h.exitCode} (${h.durationMs} ms)\n`);
  process.stderr.write(`cryo: restored ${r.checkpoint} as ${r.jobs.map((j) => `${j.name} (pid ${j.rootPid})`).join(', ')} in ${r.durationMs} ms\n`);
  const first = r.jobs[0];
  if (f.attach && first) {
    process.exitCode = await attachTo(d, first.id, { backlogBytes: 0 });
    return;
  }
  process.stdout.write(r.jobs.map((j) => `${j.id}\n`).join(''));
}
