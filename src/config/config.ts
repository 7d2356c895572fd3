// cryo's settings, resolved in one place: defaults < config file < CRYO_* environment < flags.

import { existsSync, readFileSync } from 'node:fs';
import { CryoError } from '../errors/index.js';

/** Every setting cryo knows, fully resolved. */
export interface CryoConfig {
  /** CRIU binary to run; empty means "search" (see criu-binary.ts). */
  readonly criu: string;
  /** Where cryod keeps its database and checkpoints. */
  readonly dataDir: string;
  /** The daemon's unix socket. */
  readonly socket: string;
  /** Group (name or gid) whose members may use the socket besides root; empty: root only. */
  readonly socketGroup: string;
  /** Log level for cryo's own logs (pino levels). */
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** CRIU's log verbosity (0-4) for dumps and restores. */
  readonly criuLogLevel: number;
  /** Bytes of output cryod keeps per attachable job (oldest half dropped beyond this). */
  readonly jobLogMaxBytes: number;
  /** Extra restore attempts after a transient failure (a pid held by a dying process ...). */
  readonly restoreRetries: number;
  /** Delay before the first restore retry in ms; doubles per attempt, with jitter. */
  readonly restoreRetryDelayMs: number;
  /**
   * How long one restore attempt may take before CRIU is killed and the half-restored processes
   * removed (a backstop: CRIU can wait forever, e.g. for a file lock another process holds).
   * 0: no limit.
   */
  readonly restoreTimeoutMs: number;
}

export const defaults: CryoConfig = {
  criu: '',
  dataDir: '/var/lib/cryo',
  socket: '/run/cryo/cryod.sock',
  socketGroup: '',
  logLevel: 'info',
  criuLogLevel: 4,
  jobLogMaxBytes: 8 * 1024 * 1024,
  restoreRetries: 4,
  restoreRetryDelayMs: 200,
  // Eager restores read memory at ~0.3-1 GiB/s here: 5 minutes covers checkpoints of many GiB.
  restoreTimeoutMs: 300_000,
};

const envNames: Record<keyof CryoConfig, string> = {
  criu: 'CRYO_CRIU',
  dataDir: 'CRYO_DATA_DIR',
  socket: 'CRYO_SOCKET',
  socketGroup: 'CRYO_SOCKET_GROUP',
  logLevel: 'CRYO_LOG_LEVEL',
  criuLogLevel: 'CRYO_CRIU_LOG_LEVEL',
  jobLogMaxBytes: 'CRYO_JOB_LOG_MAX_BYTES',
  restoreRetries: 'CRYO_RESTORE_RETRIES',
  restoreRetryDelayMs: 'CRYO_RESTORE_RETRY_DELAY_MS',
  restoreTimeoutMs: 'CRYO_RESTORE_TIMEOUT_MS',
};

/** The config file: CRYO_CONFIG, else /etc/cryo/config.json (absent is fine). */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env['CRYO_CONFIG'] ?? '/etc/cryo/config.json';
}

/** Resolves the configuration from file, environment and flags; validates every value. */
export function loadConfig(flags: Partial<CryoConfig> = {}, env: NodeJS.ProcessEnv = process.env): CryoConfig {
  const file = configFilePath(env);
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new CryoError('CRYO_INVALID_OPTION', `config file ${file} is not valid JSON: ${(e as Error).message}`, {
        hint: `fix or remove ${file}`,
      });
    }
  }
  const merged: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof CryoConfig)[]) {
    if (fromFile[key] !== undefined) merged[key] = fromFile[key];
    const e = env[envNames[key]];
    if (e !== undefined && e !== '') merged[key] = typeof defaults[key] === 'number' ? Number(e) : e;
    if (flags[key] !== undefined) merged[key] = flags[key];
  }
  return validate(merged, file);
}

function validate(c: Record<string, unknown>, file: string): CryoConfig {
  const bad = (key: string, fix: string): never => {
    throw new CryoError(
      'CRYO_INVALID_OPTION',
      `Invalid setting \`${key}\` ${JSON.stringify(c[key])}: ${fix}`,
      { hint: `set it with a flag, ${envNames[key as keyof CryoConfig]} or in ${file}` },
    );
  };
  for (const k of ['criu', 'dataDir', 'socket', 'socketGroup'] as const) {
    if (typeof c[k] !== 'string') bad(k, 'it must be a string');
  }
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(c['logLevel'] as string)) {
    bad('logLevel', 'use one of trace, debug, info, warn, error');
  }
  const lvl = c['criuLogLevel'];
  if (typeof lvl !== 'number' || !Number.isInteger(lvl) || lvl < 0 || lvl > 4) bad('criuLogLevel', 'use 0 to 4');
  const cap = c['jobLogMaxBytes'];
  if (typeof cap !== 'number' || !Number.isInteger(cap) || cap < 4096) bad('jobLogMaxBytes', 'use a whole number of bytes >= 4096');
  for (const k of ['restoreRetries', 'restoreRetryDelayMs', 'restoreTimeoutMs'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(k, 'use a whole number >= 0');
  }
  return c as unknown as CryoConfig;
}
