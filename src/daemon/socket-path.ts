// Preparing the daemon's unix socket: its directory (0750, created by us), a stale socket left by
// a crashed daemon (removed) versus a live one (refused), and the socket's owner and mode
// (0660 root:socketGroup, never world-accessible).

import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { CryoError } from '../errors/index.js';

/** The gid of socketGroup (a name or a number), or null when unset. */
export function resolveGroup(group: string): number | null {
  if (group === '') return null;
  if (/^\d+$/.test(group)) return Number(group);
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === group);
  if (!line) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid setting \`socketGroup\` ${JSON.stringify(group)}: no such group`, {
      hint: 'create the group (groupadd) or set socketGroup to an existing group name or gid',
    });
  }
  return Number(line.split(':')[2]);
}

/** Creates the socket's directory if needed and clears a stale socket; throws if a daemon answers. */
export async function prepareSocketPath(path: string, gid: number | null): Promise<void> {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    chmodSync(dir, 0o750);
    if (gid !== null) chownSync(dir, 0, gid);
  }
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid setting \`socket\` ${path}: a file that is not a socket is in the way`, {
      hint: `remove ${path} or choose another --socket`,
    });
  }
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new CryoError('CRYO_DAEMON_RUNNING', `another cryod is already listening on ${path}`);
  unlinkSync(path);
}

/** Restricts the listening socket to root and the socket group. */
export function secureSocket(path: string, gid: number | null): void {
  chownSync(path, 0, gid ?? 0);
  chmodSync(path, gid === null ? 0o600 : 0o660);
}
