// Pre-flight: a checkpoint taken with host PIDs is restored with the same PIDs, so each must be
// free here. Names who holds a taken pid (comm, state, and a zombie's parent, which must reap it).
// A checkpoint of a job in its own PID namespace gets a new namespace and cannot conflict.

import { pids, type CheckpointModel } from '../../images/index.js';
import { pidHolders, readAllStats, type PidHolder } from '../proc-pids.js';
import { checkResult, type PreflightCheck, type PreflightItem } from '../preflight-types.js';

function describe(h: PidHolder): string {
  const what = h.how === 'process' ? '' : h.how === 'thread' ? 'a thread of ' : `the ${h.how} id of `;
  const zombie = h.state === 'Z' ? `, a zombie until its parent ${h.parent?.comm ?? '?'} (pid ${h.parent?.pid ?? '?'}) reaps it` : '';
  return `${what}${h.comm} (pid ${h.pid}, state ${h.state}${zombie})`;
}

/** Checks every pid and thread id of the checkpoint is free; lists each taken one and its holders. */
export function checkPids(model: CheckpointModel): PreflightCheck {
  const title = 'process ids';
  const { pids: ps, tids } = pids(model);
  const all = [...new Set([...ps, ...tids])].sort((a, b) => a - b);
  if (model.namespaces.captured.includes('pid')) {
    return { id: 'pids', status: 'ok', title, items: [], detail: `the checkpoint has its own PID namespace: its ${all.length} pids cannot conflict` };
  }
  const stats = readAllStats();
  const items: PreflightItem[] = [];
  for (const pid of all) {
    const holders = pidHolders(pid, stats);
    if (holders.length === 0) continue;
    // A pid held only by zombies (or by their group/session ids) frees itself once they are reaped.
    const transient = holders.every((h) => h.state === 'Z');
    items.push({
      status: 'fail', code: 'CRYO_PID_IN_USE', subject: `pid ${pid}`,
      problem: `is taken: held by ${holders.map(describe).join('; ')}`, transient,
      details: { pid, holders },
    });
  }
  return checkResult('pids', title, `${all.length} host pid${all.length === 1 ? '' : 's'} free`, items,
    `${items.length} of the checkpoint's ${all.length} pids are taken`);
}
