// Who may call cryod: root, or members of the configured socket group. The socket's own
// permissions (0660 root:group) already keep others out; this check, on the peer credentials of
// each connection (SO_PEERCRED), also covers a socket whose mode was loosened by hand, and gives
// a clear error instead of a bare EACCES.
// Note: whoever may use cryod can run any command as root through it (like the docker group), so
// the socket group must be treated as root-equivalent.

import { createContextKey, type Interceptor } from '@connectrpc/connect';
import { readFileSync } from 'node:fs';
import { CryoError } from '../errors/index.js';
import { toConnectError } from './errors.js';

/** The credentials of the process on the other end of the connection. */
export interface PeerCred { pid: number; uid: number; gid: number }

/** Context key under which the daemon stores each request's peer credentials. */
export const peerCredKey = createContextKey<PeerCred | undefined>(undefined);

/** Supplementary groups of a process (from /proc), for the group membership check. */
function groupsOf(pid: number): number[] {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Groups:'));
    return line ? line.slice(7).trim().split(/\s+/).filter(Boolean).map(Number) : [];
  } catch {
    return [];
  }
}

/** True when the peer may use cryod. */
export function isAllowedPeer(p: PeerCred, allowedGid: number | null): boolean {
  if (p.uid === 0) return true;
  if (allowedGid === null) return false;
  return p.gid === allowedGid || groupsOf(p.pid).includes(allowedGid);
}

/** Rejects requests from peers that are neither root nor in the socket group. */
export function authInterceptor(allowedGid: number | null, groupLabel: string): Interceptor {
  return (next) => async (req) => {
    const p = req.contextValues.get(peerCredKey);
    if (p && !isAllowedPeer(p, allowedGid)) {
      throw toConnectError(new CryoError('CRYO_PERMISSION_DENIED',
        `uid ${p.uid} may not use cryod: only root${allowedGid === null ? '' : ` and members of group ${groupLabel}`} may`, {
          hint: allowedGid === null
            ? 'run cryo as root (sudo), or set socketGroup in cryo\'s config so a group may use cryod'
            : `run cryo as root, or ask an administrator to add you to group ${groupLabel}`,
        }));
    }
    return next(req);
  };
}

/** Turns every thrown error into a ConnectError carrying the CryoError (also mid-stream). */
export const errorInterceptor: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    if (!res.stream) return res;
    const inner = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* inner;
        } catch (e) {
          throw toConnectError(e);
        }
      })(),
    };
  } catch (e) {
    throw toConnectError(e);
  }
};
