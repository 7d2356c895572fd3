// `cryo restore CHECKPOINT --no-daemon`: restore in this process, wired to this terminal, wait,
// exit with the restored process's exit code.

import { restoreLocal } from '../../checkpoint/restore-local.js';
import { mergeHooks, parseHookFlags } from '../../checkpoint/hooks.js';
import { loadConfig } from '../../config/index.js';
import { refArg } from './restore-job.js';
import { restoreFlagValues, type RestoreFlags } from './restore-flags.js';
import { waitAsForeground } from './restore-foreground.js';

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
