// User hooks from the config file: `"hooks": {"post-restore": ["cmd", ...]}` and
// `"hookTimeoutMs": 30000` (CRYO_HOOK_TIMEOUT_MS overrides it). Read apart from loadConfig so
// the flat settings stay simple; the checkpoint flows merge these with per-call --hook flags.

import { existsSync, readFileSync } from 'node:fs';
import { CryoError } from '../errors/index.js';
import { configFilePath } from './config.js';

/** Hooks configured globally, by CRIU notification name, and how long each may run. */
export interface HookConfig {
  readonly hooks: Readonly<Record<string, readonly string[]>>;
  readonly timeoutMs: number;
}

/** Default time one hook command may run before it is killed and counted as failed. */
export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

/** Validates a hook timeout (flag, env or file); 0 or undefined means "use the default". */
export function validHookTimeout(v: unknown, where: string): number | undefined {
  if (v === undefined || v === 0 || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 3_600_000) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${where}\` ${JSON.stringify(v)}: give milliseconds between 1 and 3600000`, {
      hint: `fix ${where}`,
    });
  }
  return n;
}

/** Reads `hooks` and `hookTimeoutMs` from the config file (absent file or keys: none, default). */
export function loadHookConfig(env: NodeJS.ProcessEnv = process.env): HookConfig {
  const file = configFilePath(env);
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new CryoError('CRYO_INVALID_OPTION', `config file ${file} is not valid JSON: ${(e as Error).message}`, { hint: `fix or remove ${file}` });
    }
  }
  const hooks: Record<string, string[]> = {};
  const h = raw['hooks'];
  if (h !== undefined) {
    if (typeof h !== 'object' || h === null || Array.isArray(h)) {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid setting \`hooks\` in ${file}: use {"post-restore": ["command", ...], ...}`);
    }
    for (const [event, cmds] of Object.entries(h as Record<string, unknown>)) {
      const list = typeof cmds === 'string' ? [cmds] : cmds;
      if (!Array.isArray(list) || list.some((c) => typeof c !== 'string' || c === '')) {
        throw new CryoError('CRYO_INVALID_OPTION', `Invalid setting \`hooks.${event}\` in ${file}: use a list of command strings`);
      }
      hooks[event] = list as string[];
    }
  }
  const timeoutMs = validHookTimeout(env['CRYO_HOOK_TIMEOUT_MS'], 'CRYO_HOOK_TIMEOUT_MS')
    ?? validHookTimeout(raw['hookTimeoutMs'], `hookTimeoutMs in ${file}`)
    ?? DEFAULT_HOOK_TIMEOUT_MS;
  return { hooks, timeoutMs };
}
