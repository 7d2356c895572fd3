// `cryo restore CHECKPOINT`: through cryod (a job, attachable or writing to --log FILE, K copies
// with --copies), or with --no-daemon in this process, wired to this terminal.

import { resolve } from 'node:path';
import { restoreLocal } from '../../checkpoint/index.js';
import { loadConfig } from '../../config/index.js';
import { connectDaemon } from '../client.js';
import { jobJson } from '../job-format.js';
import { printJson } from '../output.js';
import { attachTo } from './attach.js';
import { restoreFlagValues, type RestoreFlags } from './restore-flags.js';
import { mergeHooks, parseHookFlags } from '../../checkpoint/index.js';
import { waitAsForeground } from './restore.js';

export type { RestoreFlags } from './restore-flags.js';

/** A path-looking reference is sent as an absolute path (cryod has another cwd). */
function refArg(ref: string): string {
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

/** --no-daemon: restore here with this terminal as stdio, wait, exit with its code. */
export async function restoreInProcess(ref: string, f: RestoreFlags): Promise<void> {
  const v = restoreFlagValues(f);
  const merged = mergeHooks(parseHookFlags(v.hooks));
  const timeout = v.hookTimeoutMs || merged.timeoutMs;
  const config = loadConfig(f.dataDir !== undefined ? { dataDir: f.dataDir } : {});
  const talk = (s: string): void => {
    if (!f.json) process.stderr.write(`cryo: ${s}\n`);
  };
  const r = await restoreLocal({
    ref: refArg(ref), dataDir: config.dataDir, noVerify: !f.verify, hooks: merged.hooks, hookTimeoutMs: timeout,
    logLevel: config.criuLogLevel as 0 | 1 | 2 | 3 | 4, onNote: talk,
    ...(f.lazy ? { lazy: true } : {}), ...(f.lazyFallback ? { lazyFallback: 'eager' as const } : {}),
    ...(v.timeoutMs !== undefined ? { timeoutMs: v.timeoutMs } : {}), force: f.force === true,
  });
  // Lazy: this process supervises the page transfer; say when it ends (the process may go on).
  void r.transfer?.then((t) => {
    if (t.ok) talk(`all pages arrived ${Math.round(t.afterRestoreMs)} ms after the process started`);
    else process.stderr.write(`${t.error?.explain() ?? 'cryo: the page transfer failed'}\n`);
  });
  for (const h of r.hooks) talk(`${h.event} hook \`${h.command}\` exited ${h.exitCode} (${h.durationMs} ms)`);
  talk(`restored ${r.checkpoint} as pid ${r.pid} in ${Math.round(r.criuMs)} ms (log ${r.logs.at(-1) ?? '?'}); waiting for it`);
  await waitAsForeground(r.pid, f.json, r.exited);
}
