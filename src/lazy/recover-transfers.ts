// After a cryod restart: the lazy restores the previous cryod supervised. Their lazy-pages servers
// outlive cryod (own process group) but are no longer its children, the checkpoint pins lapsed
// with the old daemon's process, and nobody would ever update the job's "pages: transferring".
// Such a transfer is found by the marker lazyRestore leaves in the job's lazy work dir until the
// transfer is settled (not by the job's note: re-adoption rewrites the note of a job that ended
// meanwhile). A server still serving gets the checkpoint pinned again and is watched to its end;
// then (or at once if it is gone) its own log says how far the transfer got, and the job note, an
// event and the restored process's fate say so honestly.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobManager, JobRecord } from '../jobs/index.js';
import { isCheckpointId } from '../store/index.js';
import { procStat, STAT } from '../util/proc-stat.js';
import { LAZY_PAGES_LOG } from './lazy-pages-server.js';
import { TRANSFER_FILE, releaseWorkDir, type TransferMarker } from './lazy-restore.js';
import type { PinStore } from './lazy-options.js';
import { settleRestoredFate, type RestoredFate } from './restored-fate.js';
import { readTransferLog, type TransferPages } from './transfer-log.js';

/** The note a lazy restore leaves while its pages are still arriving (set by src/checkpoint). */
export const TRANSFERRING = /pages: transferring/;
/** How often a server that is not our child is checked for its end. */
export const SERVER_POLL_MS = 200;
/** How long a killed job's end may take to be recorded before the transfer's note is written anyway. */
const JOB_END_WAIT_MS = 3000;

/** What recovery uses of cryod: its jobs, the checkpoint store, a logger. */
export interface RecoverDeps {
  readonly jobs: Pick<JobManager, 'list' | 'resolve' | 'setState' | 'emit' | 'wait'>;
  readonly store: PinStore;
  readonly log?: { warn(o: object, msg: string): void; info(o: object, msg: string): void };
  readonly pollMs?: number;
}

/** How one interrupted transfer ended, as recorded on its job. */
export interface RecoveredTransfer {
  readonly job: string;
  readonly outcome: 'complete' | 'failed' | 'not-needed' | 'unknown';
  readonly resumed: boolean;
  readonly pages?: TransferPages;
  readonly fate?: RestoredFate;
  readonly note: string;
}

/** The lazy work dir of a job (the same place src/checkpoint/restore-lazy.ts gives lazyRestore). */
export function lazyWorkDirOf(jobDir: string): string {
  return join(jobDir, 'lazy-restore');
}

/** Finds the jobs whose lazy transfer nobody settled and settles each; resolves when all are done, never rejects. */
export async function recoverLazyTransfers(d: RecoverDeps): Promise<RecoveredTransfer[]> {
  let stuck: JobRecord[];
  try {
    stuck = d.jobs.list().filter((j) => existsSync(join(lazyWorkDirOf(j.jobDir), TRANSFER_FILE)));
  } catch (e) {
    d.log?.warn({ err: (e as Error).message }, 'cannot look for lazy transfers interrupted by a cryod restart');
    return [];
  }
  return Promise.all(stuck.map((j) => recoverOne(d, j).catch((e: unknown) => {
    d.log?.warn({ job: j.id, err: (e as Error).message }, 'could not settle an interrupted lazy transfer');
    return { job: j.name, outcome: 'unknown' as const, resumed: false, note: j.note ?? '' };
  })));
}

async function recoverOne(d: RecoverDeps, j: JobRecord): Promise<RecoveredTransfer> {
  const workDir = lazyWorkDirOf(j.jobDir);
  let marker: Partial<TransferMarker> = {};
  try {
    marker = JSON.parse(readFileSync(join(workDir, TRANSFER_FILE), 'utf8')) as TransferMarker;
  } catch {
    // unreadable: the note may still name the checkpoint
  }
  const from = marker.checkpoint ?? /restored from (\S+?);/.exec(j.note ?? '')?.[1] ?? marker.imagesDir ?? '';
  const server = liveServer(workDir);
  let pin: { release(): Promise<void> } | undefined;
  if (server !== undefined) {
    // Still serving: its checkpoint must not be removed until the last page has arrived.
    if (isCheckpointId(from)) {
      pin = await d.store.pin(from, `lazy restore of job ${j.name}: its memory pages are being served to the restored process (supervised again after a cryod restart)`)
        .catch((e: unknown) => {
          d.log?.warn({ job: j.id, checkpoint: from, err: (e as Error).message }, 'cannot pin the checkpoint of a resumed lazy transfer');
          return undefined;
        });
    }
    d.jobs.emit(j, 'restore.transfer-resumed', `job ${j.name}: cryod restarted during its lazy restore; the lazy-pages server (pid ${server}) still serves its pages and is watched again`, { checkpoint: from || null, serverPid: server });
    await serverGone(server, workDir, d.pollMs ?? SERVER_POLL_MS);
  }
  try {
    return await settle(d, j, from, workDir, server !== undefined);
  } finally {
    releaseWorkDir(workDir);
    await pin?.release().catch(() => undefined);
  }
}

async function settle(d: RecoverDeps, j: JobRecord, from: string, workDir: string, resumed: boolean): Promise<RecoveredTransfer> {
  const pages = await readTransferLog(join(workDir, LAZY_PAGES_LOG));
  // The server summarises each process it finished with ("UFFD transferred pages"); one that was
  // killed or failed leaves some unsummarised.
  const finished = pages !== undefined && pages.finishedProcesses >= pages.processes;
  const rootAlive = j.rootPid !== null && sameProcess(j.rootPid, j.rootStartTime);
  const count = pages ? `${pages.transferred} of ${pages.total} pages` : 'pages';
  const when = resumed ? 'supervised again after a cryod restart' : 'it ended while cryod was not running';
  let outcome: RecoveredTransfer['outcome'];
  let what: string;
  let fate: RestoredFate | undefined;
  if (finished && pages.transferred >= pages.total) {
    outcome = 'complete';
    what = `pages: complete (${count}; ${when})`;
  } else if (finished) {
    outcome = 'not-needed';
    what = `pages: not needed any more (the process ended after ${count} had arrived; ${when})`;
  } else if (pages === undefined) {
    // Nothing says how far it got: the process is left alone, and the note says what is unknown.
    outcome = 'unknown';
    what = `pages: unknown (the lazy-pages server's log ${join(workDir, LAZY_PAGES_LOG)} cannot be read; ${when})${rootAlive ? ': the process\'s memory may be incomplete, restore the checkpoint again to be sure' : ''}`;
  } else {
    // The server ended unfinished: missing pages read as zeros (see restored-fate.ts).
    outcome = 'failed';
    const how = resumed ? 'ended unfinished' : 'ended unfinished while cryod was not running';
    if (rootAlive) {
      fate = await settleRestoredFate(j.rootPid as number, 'kill');
      // Let the job manager record the end first, so its own note does not replace ours.
      await Promise.race([d.jobs.wait(j.id).catch(() => undefined), new Promise((r) => setTimeout(r, JOB_END_WAIT_MS).unref())]);
    } else {
      fate = {
        kind: 'exited', status: { code: null, signal: null },
        text: `the restored process had already ended${resumed ? '' : ' (while cryod was not running: its exit status is unknown)'}`,
      };
    }
    what = `pages: transfer FAILED (${count}; the lazy-pages server ${how}); ${fate.text}`;
  }
  const now = (() => {
    try {
      return d.jobs.resolve(j.id);
    } catch {
      return null;
    }
  })();
  const old = now?.note ?? j.note ?? '';
  const note = TRANSFERRING.test(old) ? old.replace(/pages: transferring.*$/, what) : `${old ? `${old}; ` : ''}${what}`;
  const job: JobRecord | null = now;
  try {
    if (job) d.jobs.setState(job.id, job.state, { note }, `job ${job.name}: ${what}`);
  } catch {
    // removed meanwhile: the event still tells
  }
  const ok = outcome === 'complete' || outcome === 'not-needed';
  d.jobs.emit(job, 'restore.transfer-done', ok ? `job ${j.name}: ${what}` : `lazy restore of job ${j.name}: ${what}`, {
    checkpoint: from || null, ok, pages: pages ?? null, recovered: true, resumed,
    code: outcome === 'failed' ? 'CRYO_LAZY_TRANSFER_FAILED' : null, fate: fate?.kind ?? null,
  });
  d.log?.info({ job: j.id, outcome }, 'settled a lazy transfer interrupted by a cryod restart');
  return { job: j.name, outcome, resumed, ...(pages ? { pages } : {}), ...(fate ? { fate } : {}), note };
}

/** The pid of the lazy-pages server still serving `workDir`, if any (not a zombie, not a reused pid). */
export function liveServer(workDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(workDir, 'lazy-pages.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
  return pid > 0 && isServerFor(pid, workDir) ? pid : undefined;
}

function isServerFor(pid: number, workDir: string): boolean {
  const st = procStat(pid);
  if (!st || st[STAT.state] === 'Z') return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('lazy-pages') && argv.includes(workDir);
  } catch {
    return false;
  }
}

/** Polls: the server is not our child, so no exit event reaches us. */
function serverGone(pid: number, workDir: string, pollMs: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (!isServerFor(pid, workDir)) {
        clearInterval(t);
        resolve();
      }
    }, pollMs);
    t.unref(); // never what keeps cryod from exiting
  });
}

function sameProcess(pid: number, startTime: number | null): boolean {
  const st = procStat(pid);
  if (!st || st[STAT.state] === 'Z') return false;
  return startTime === null || Number(st[STAT.starttime]) === startTime;
}
