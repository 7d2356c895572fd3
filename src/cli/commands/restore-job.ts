// `cryo restore CHECKPOINT`: through cryod (a job, attachable or writing to --log FILE, K copies
// with --copies), or with --no-daemon in this process, wired to this terminal.

import { resolve } from 'node:path';
import { restoreLocal } from '../../checkpoint/index.js';
import { loadConfig } from '../../config/index.js';
import { CryoError } from '../../errors/index.js';
import { connectDaemon } from '../client.js';
import { jobJson } from '../job-format.js';
import { printJson } from '../output.js';
import { attachTo } from './attach.js';
import { checkHookFlags, hookTimeoutFlag } from './checkpoint-flags.js';
import { mergeHooks, parseHookFlags } from '../../checkpoint/index.js';
import { waitAsForeground } from './restore.js';

/** The flags of the checkpoint forms. */
export interface RestoreFlags {
  attach?: boolean; log?: string; daemon: boolean; name?: string; copies: string; verify: boolean;
  hook: string[]; hookTimeout?: string; dataDir?: string; json?: boolean; socket?: string;
  lazy?: boolean; lazyFallback?: boolean;
  check?: boolean; force?: boolean; healthCmd?: string; healthTcp?: string; healthGrace?: string;
}

/** `--health-tcp` / `--health-grace`: whole numbers in range, or a clear error. */
function intFlag(name: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${name}\` ${JSON.stringify(v)}: give a whole number from ${min} to ${max}`);
  return n;
}

/** A path-looking reference is sent as an absolute path (cryod has another cwd). */
function refArg(ref: string): string {
  return ref.includes('/') || ref.startsWith('.') ? resolve(ref) : ref;
}

function copiesFlag(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--copies\` ${JSON.stringify(v)}: give a whole number from 1 to 64`);
  return n;
}

/** Asks cryod to restore; prints the new job ids, or attaches with -a. */
export async function restoreViaDaemon(ref: string, f: RestoreFlags): Promise<void> {
  const hooks = checkHookFlags(f.hook);
  const copies = copiesFlag(f.copies);
  if (f.lazyFallback && !f.lazy) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--lazy-fallback`: it only applies to --lazy', { hint: 'add --lazy, or drop --lazy-fallback' });
  if (f.attach && copies > 1) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--attach`: cannot attach to several copies at once', { hint: 'attach to each with `cryo attach NAME`' });
  if (f.attach && f.log) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--attach` with `--log`: output going to a file cannot be attached to');
  const d = connectDaemon({ socket: f.socket });
  const r = await d.checkpoints.restore({
    checkpoint: refArg(ref), name: f.name ?? '', copies, hooks, hookTimeoutMs: hookTimeoutFlag(f.hookTimeout),
    noVerify: !f.verify, logFile: f.log ? resolve(f.log) : '', io: f.attach ? 'attachable' : '',
    lazy: f.lazy === true, lazyFallbackEager: f.lazyFallback === true,
    force: f.force === true, healthCmd: f.healthCmd ?? '', healthTcpPort: intFlag('--health-tcp', f.healthTcp, 1, 65535),
    healthGraceMs: intFlag('--health-grace', f.healthGrace, 1, 600_000),
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
  if (f.lazyFallback && !f.lazy) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--lazy-fallback`: it only applies to --lazy', { hint: 'add --lazy, or drop --lazy-fallback' });
  if (copiesFlag(f.copies) !== 1 || f.name || f.log || f.attach) {
    throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option with `--no-daemon`: --copies, --name, --log and --attach need cryod', {
      hint: 'drop --no-daemon to restore through cryod',
    });
  }
  const merged = mergeHooks(parseHookFlags(f.hook));
  const timeout = hookTimeoutFlag(f.hookTimeout) || merged.timeoutMs;
  const config = loadConfig(f.dataDir !== undefined ? { dataDir: f.dataDir } : {});
  const talk = (s: string): void => {
    if (!f.json) process.stderr.write(`cryo: ${s}\n`);
  };
  const r = await restoreLocal({
    ref: refArg(ref), dataDir: config.dataDir, noVerify: !f.verify, hooks: merged.hooks, hookTimeoutMs: timeout,
    logLevel: config.criuLogLevel as 0 | 1 | 2 | 3 | 4, onNote: talk,
    ...(f.lazy ? { lazy: true } : {}), ...(f.lazyFallback ? { lazyFallback: 'eager' as const } : {}),
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
