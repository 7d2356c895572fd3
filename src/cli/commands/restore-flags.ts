// The flags of `cryo restore CHECKPOINT`, checked once for both paths (through cryod and
// --no-daemon): which combinations make sense, which need cryod, and the numbers in range.

import { CryoError } from '../../errors/index.js';
import { checkHookFlags, hookTimeoutFlag } from './checkpoint-flags.js';

/** The flags as commander gives them. */
export interface RestoreFlags {
  attach?: boolean; log?: string; daemon: boolean; name?: string; copies: string; verify: boolean;
  hook: string[]; hookTimeout?: string; dataDir?: string; json?: boolean; socket?: string;
  lazy?: boolean; lazyFallback?: boolean; timeout?: string;
  check?: boolean; force?: boolean; healthCmd?: string; healthTcp?: string; healthGrace?: string;
}

/** Validated restore flags; numbers parsed, 0 meaning "not given" where the API uses 0 so. */
export interface RestoreFlagValues {
  readonly copies: number;
  readonly hooks: string[];
  /** 0: the configured default. */
  readonly hookTimeoutMs: number;
  /** undefined: config restoreTimeoutMs; 0: no limit. */
  readonly timeoutMs: number | undefined;
  readonly healthTcpPort: number;
  readonly healthGraceMs: number;
}

/** A whole number in range, or a clear error naming the flag (undefined when not given). */
function intFlag(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${name}\` ${JSON.stringify(v)}: give a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Flags that only a restore through cryod can honour, by flag name. */
function daemonOnly(f: RestoreFlags, copies: number): string[] {
  const used: [string, boolean][] = [
    ['--copies', copies !== 1], ['--name', f.name !== undefined], ['--log', f.log !== undefined], ['--attach', f.attach === true],
    ['--health-cmd', f.healthCmd !== undefined], ['--health-tcp', f.healthTcp !== undefined], ['--health-grace', f.healthGrace !== undefined],
  ];
  return used.filter(([, on]) => on).map(([name]) => name);
}

/** Checks every flag of `cryo restore CHECKPOINT` for the path `f.daemon` selects. */
export function restoreFlagValues(f: RestoreFlags): RestoreFlagValues {
  const copies = intFlag('--copies', f.copies, 1, 64) ?? 1;
  if (f.lazyFallback && !f.lazy) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--lazy-fallback`: it only applies to --lazy', { hint: 'add --lazy, or drop --lazy-fallback' });
  if (!f.daemon) {
    const needD = daemonOnly(f, copies);
    if (needD.length > 0) {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid option with \`--no-daemon\`: ${needD.join(', ')} need${needD.length === 1 ? 's' : ''} cryod`, {
        hint: 'drop --no-daemon to restore through cryod',
      });
    }
  }
  if (f.attach && copies > 1) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--attach`: cannot attach to several copies at once', { hint: 'attach to each with `cryo attach NAME`' });
  if (f.attach && f.log) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `--attach` with `--log`: output going to a file cannot be attached to');
  return {
    copies,
    hooks: checkHookFlags(f.hook),
    hookTimeoutMs: hookTimeoutFlag(f.hookTimeout),
    timeoutMs: intFlag('--timeout', f.timeout, 0, 86_400_000),
    healthTcpPort: intFlag('--health-tcp', f.healthTcp, 1, 65535) ?? 0,
    healthGraceMs: intFlag('--health-grace', f.healthGrace, 1, 600_000) ?? 0,
  };
}
