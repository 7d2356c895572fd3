// Pre-flight: listening TCP ports and bound UDP ports the checkpoint will bind again must be free
// in this network namespace, unless the checkpoint carries its own network namespace. Names the
// process holding each port when /proc lets us see it.

import { listeningPorts, type BoundPort, type CheckpointModel } from '../../images/index.js';
import { readProcSockets, socketHolders, TCP_LISTEN, type ProcSocket } from '../proc-net.js';
import { checkResult, type PreflightCheck, type PreflightItem } from '../preflight-types.js';

const isWildcard = (a: string): boolean => a === '0.0.0.0' || a === '::';
const v4 = (a: string): string => a.replace(/^::ffff:/, '');

/** Whether a socket bound on `host` blocks binding `want` (same port assumed). */
export function addressesOverlap(want: BoundPort, host: ProcSocket): boolean {
  if (host.address === '::' || want.address === '::') return true; // dual-stack wildcard (v6only unknown)
  if (want.family !== host.family && !(host.address.startsWith('::ffff:') || want.address.startsWith('::ffff:'))) {
    return false;
  }
  return isWildcard(want.address) || isWildcard(host.address) || v4(want.address) === v4(host.address);
}

/** The sockets of this namespace that would make binding `want` fail. */
export function conflictsFor(want: BoundPort, host: readonly ProcSocket[]): ProcSocket[] {
  return host.filter(
    (s) => s.protocol === want.protocol && s.port === want.port && (s.protocol === 'udp' || s.state === TCP_LISTEN) && addressesOverlap(want, s),
  );
}

/**
 * Checks every port the checkpoint binds; lists each taken one with who holds it. `host`: this
 * namespace's sockets when the caller read them already (readProcSocketsAsync), else read here.
 */
export function checkPorts(model: CheckpointModel, host?: readonly ProcSocket[]): PreflightCheck {
  const title = 'ports the processes listen on';
  const wanted = listeningPorts(model).filter((p) => p.port !== 0);
  if (model.namespaces.captured.includes('net')) {
    return { id: 'ports', status: 'ok', title, items: [], detail: `the checkpoint has its own network namespace: its ${wanted.length} ports cannot conflict` };
  }
  if (wanted.length === 0) return { id: 'ports', status: 'ok', title, items: [], detail: 'no listening ports' };
  const sockets = host ?? readProcSockets();
  const found = wanted.map((w) => ({ w, conflicts: conflictsFor(w, sockets) })).filter((x) => x.conflicts.length > 0);
  const holders = socketHolders(new Set(found.flatMap((x) => x.conflicts.map((c) => c.inode))));
  const items: PreflightItem[] = found.map(({ w, conflicts }) => {
    const who = conflicts.flatMap((c) => holders.get(c.inode) ?? []);
    const byWhom = who.length ? `by ${who.map((h) => `${h.comm} (pid ${h.pid})`).join(', ')}` : 'by a process cryo cannot see (another user or namespace)';
    const on = conflicts.map((c) => `${c.address}:${c.port}`).join(', ');
    return {
      status: 'fail', code: 'CRYO_PORT_IN_USE', subject: `${w.protocol} ${w.address}:${w.port}`,
      problem: `is taken ${byWhom} (bound on ${on}); the checkpoint's pid ${w.pids.join(', ')} listened there`,
      details: { port: w.port, protocol: w.protocol, address: w.address, holders: who, checkpointPids: w.pids },
    };
  });
  return checkResult('ports', title, `${wanted.length} port${wanted.length === 1 ? '' : 's'} free`, items,
    `${items.length} of ${wanted.length} ports are taken`);
}
