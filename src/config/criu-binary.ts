// Finding the CRIU binary: CRYO_CRIU / the `criu` setting, else the copy that scripts/setup.sh
// provisions, else `criu` on PATH.

import { findExecutable, isExecutable } from '../util/find-executable.js';
import { delimiter, join } from 'node:path';

/** Where scripts/provision-criu.sh puts its wrapper (CRYO_PREFIX moves it). */
export function provisionedCriuPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['CRYO_PREFIX'] ?? '/opt/cryo', 'bin', 'criu');
}

/** Where crit (CRIU's Python image tool, a test oracle) is provisioned. */
export function provisionedCritPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['CRYO_PREFIX'] ?? '/opt/cryo', 'bin', 'crit');
}

/** How the binary was chosen, so `cryo doctor` can say it. */
export interface CriuLocation {
  readonly path: string;
  readonly source: 'setting' | 'provisioned' | 'PATH' | 'none';
}

/** Resolves the CRIU binary; `source: 'none'` when nothing was found (path is then "criu"). */
export function locateCriu(setting: string, env: NodeJS.ProcessEnv = process.env): CriuLocation {
  if (setting) return { path: setting, source: 'setting' };
  const provisioned = provisionedCriuPath(env);
  if (isExecutable(provisioned)) return { path: provisioned, source: 'provisioned' };
  const onPath = findExecutable('criu', (env['PATH'] ?? '').split(delimiter));
  if (onPath) return { path: onPath, source: 'PATH' };
  return { path: 'criu', source: 'none' };
}
