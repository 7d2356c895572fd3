// Instant restore: start and supervise `criu lazy-pages` for one restore, restore with
// lazy_pages so the process runs before its memory is copied, and report when the background
// transfer has ended. The checkpoint stays pinned while its pages are served; if the server dies
// mid-transfer the error says so, what became of the restored process, and that the checkpoint
// is intact.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient, pidExists, type PreparedSwrk } from '../criu/index.js';
import { CryoError, isCryoError } from '../errors/index.js';
import { normalizeLazyOptions, type LazyRestoreOptions, type NormalizedLazy } from './lazy-options.js';
import { LAZY_PAGES_SOCKET, describeExit, serverLogLines, startLazyPagesServer, type LazyPagesServer, type ServerExit } from './lazy-pages-server.js';
import { settleRestoredFate } from './restored-fate.js';
import { readTransferLog } from './transfer-log.js';
import type { LazyRestoreResult, TransferOutcome } from './transfer-outcome.js';

/** The file recording which server owns a work dir (so two copies never share one). */
const OWNER_FILE = 'lazy-pages.pid';
/**
 * Present from the server's start until the transfer was settled by its supervisor: a cryod that
 * finds one at start knows a transfer was left unsupervised (src/lazy/recover-transfers.ts).
 */
export const TRANSFER_FILE = 'lazy-transfer.json';

/** What TRANSFER_FILE holds. */
export interface TransferMarker {
  serverPid: number;
  checkpoint: string | null;
  job: string | null;
  imagesDir: string;
}

/** Restores lazily; resolves once the restored process runs, with `transfer` settling when all pages arrived. */
export async function lazyRestore(opts: LazyRestoreOptions): Promise<LazyRestoreResult> {
  const n = normalizeLazyOptions(opts);
  const client = n.client ?? new CriuClient();
  const workDir = n.workDir ?? mkdtempSync(join(tmpdir(), 'cryo-lazy-'));
  claimWorkDir(workDir);
  const pin = n.checkpoint
    ? await n.checkpoint.store.pin(n.checkpoint.id, `lazy restore${of(n)}: its memory pages are being served to the restored process`)
    : undefined;
  // The feature check (a criu run, ~0.1 s the first time per client) overlaps the server's start:
  // both probe the kernel, and a server on a kernel without userfaultfd just fails. So does the
  // caller's proceedWhen (e.g. cryod's pre-flight): only the restore itself must wait for it.
  const [feat, srv, pre, gate] = await Promise.allSettled([
    client.featureCheck(),
    startLazyPagesServer({
      criuPath: client.criuPath,
      imagesDir: n.restore.imagesDir,
      workDir,
      logLevel: n.restore.logLevel ?? 4,
      ...where(n),
    }),
    // The restore's `criu swrk` starts now too (exec, libraries, kdat cache: ~10 ms): the fds it
    // inherits exist already, only its request waits for the server and the gate.
    n.restore.prepared ?? client.prepareRestore(n.restore),
    // after the spawns above (array order), so its synchronous work overlaps their start
    n.proceedWhen?.(),
  ]);
  const server = srv.status === 'fulfilled' ? srv.value : undefined;
  // A failed pre-start is not fatal: the restore then starts its own criu (and reports its failure).
  const prepared = pre.status === 'fulfilled' ? pre.value : undefined;
  if (gate.status === 'rejected') {
    // Refused before anything was restored: no server, criu, pin or socket may outlive it.
    await prepared?.cancel();
    await server?.kill();
    await pin?.release();
    releaseWorkDir(workDir);
    throw gate.reason;
  }
  if (feat.status === 'rejected' || !feat.value.lazyPages || !server) {
    if (feat.status === 'rejected' || feat.value.lazyPages || n.fallback !== 'eager') await prepared?.cancel();
    await server?.kill();
    await pin?.release();
    releaseWorkDir(workDir);
    if (feat.status === 'rejected') throw feat.reason;
    if (feat.value.lazyPages) throw (srv as PromiseRejectedResult).reason;
    const why = 'this kernel lacks userfaultfd (criu check --feature uffd-noncoop fails)';
    if (n.fallback !== 'eager') {
      throw new CryoError('CRYO_FEATURE_UNSUPPORTED', `lazy restore${of(n)} is not possible: ${why}`, {
        operation: 'lazy restore',
        imagesDir: n.restore.imagesDir,
        ...where(n),
        hint: 'restore without --lazy (eagerly), or ask for fallback to eager; `cryo doctor` lists what this kernel supports',
      });
    }
    return eagerFallback(client, n, workDir, why, prepared);
  }
  const restoreStarted = performance.now();
  let restore;
  try {
    writeFileSync(join(workDir, OWNER_FILE), `${server.pid}\n`);
    const marker: TransferMarker = { serverPid: server.pid, checkpoint: n.checkpoint?.id ?? null, job: n.job ?? null, imagesDir: n.restore.imagesDir };
    writeFileSync(join(workDir, TRANSFER_FILE), JSON.stringify(marker));
    n.onServerReady?.({ pid: server.pid, workDir, logPath: server.logPath });
    restore = await client.restore({ ...n.restore, workDir, lazyPages: true, ...(prepared ? { prepared } : {}) });
  } catch (e) {
    await prepared?.cancel(); // no-op once the restore took it (it cleans up its own criu)
    const exit = server.exitStatus();
    await server.kill();
    await pin?.release();
    releaseWorkDir(workDir);
    if (exit && !serverSucceeded(exit) && (!isCryoError(e) || e.code === 'CRYO_CRIU_RESTORE_FAILED')) {
      throw new CryoError('CRYO_LAZY_SERVER_FAILED', `lazy restore${of(n)} failed: its lazy-pages server (pid ${server.pid}) ${describeExit(exit)} during the restore`, {
        operation: 'lazy restore',
        imagesDir: n.restore.imagesDir,
        ...where(n),
        logPath: server.logPath,
        logLines: serverLogLines(server.logPath, server.output()),
        hint: 'nothing was restored and the checkpoint is unchanged; restore again, or without --lazy',
        cause: e,
      });
    }
    throw e;
  }
  const restoredAt = performance.now();

  const transfer = watchTransfer(n, server, restore.pid, restoreStarted, restoredAt).then(async (outcome) => {
    await pin?.release().catch(() => undefined);
    releaseWorkDir(workDir);
    try {
      n.onTransferDone?.(outcome);
    } catch {
      // a listener's failure must not turn a finished transfer into an unhandled rejection
    }
    return outcome;
  });
  return { mode: 'lazy', restore, server: { pid: server.pid, workDir, logPath: server.logPath }, workDir, transfer };
}

function serverSucceeded(s: ServerExit): boolean {
  return s.signal === null && s.code === 0;
}

/** Waits for the server to finish; on failure decides the restored process's fate and builds the error. */
async function watchTransfer(n: NormalizedLazy, server: LazyPagesServer, pid: number, started: number, restoredAt: number): Promise<TransferOutcome> {
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  if (n.transferTimeoutMs !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      void server.kill();
    }, n.transferTimeoutMs);
  }
  const exit = await server.exited;
  clearTimeout(timer);
  const ended = performance.now();
  const pages = await readTransferLog(server.logPath);
  const base = {
    durationMs: ended - started,
    afterRestoreMs: ended - restoredAt,
    server: exit,
    ...(pages ? { pages } : {}),
  };
  if (serverSucceeded(exit) && !timedOut) return { ok: true, ...base };

  const fate = await settleRestoredFate(pid, n.onTransferFailure);
  const how = timedOut ? `was stopped by cryo after ${n.transferTimeoutMs} ms without finishing` : describeExit(exit).replace(/^exit code/, 'exited with code');
  const got = pages ? ` after ${pages.transferred} of ${pages.total} pages had arrived` : '';
  const what = n.checkpoint ? `checkpoint ${n.checkpoint.id}` : `the images in ${n.restore.imagesDir}`;
  const error = new CryoError(
    'CRYO_LAZY_TRANSFER_FAILED',
    `lazy restore${of(n)}: the lazy-pages server (pid ${server.pid}) ${how}${got}; ${fate.text}`,
    {
      operation: 'lazy restore',
      pid,
      imagesDir: n.restore.imagesDir,
      ...where(n),
      logPath: server.logPath,
      logLines: serverLogLines(server.logPath, server.output()),
      hint: `${what} is intact: restore it again (without --lazy for an eager restore)`,
    },
  );
  return { ok: false, ...base, error, fate };
}

/** The kernel cannot do lazy pages and the caller accepted an eager restore. */
async function eagerFallback(client: CriuClient, n: NormalizedLazy, workDir: string, why: string, prepared: PreparedSwrk | undefined): Promise<LazyRestoreResult> {
  const started = performance.now();
  const restore = await client.restore({ ...n.restore, workDir, ...(prepared ? { prepared } : {}) });
  const outcome: TransferOutcome = { ok: true, durationMs: performance.now() - started, afterRestoreMs: 0 };
  try {
    n.onTransferDone?.(outcome);
  } catch {
    // see lazyRestore
  }
  return { mode: 'eager', fallbackReason: why, restore, workDir, transfer: Promise.resolve(outcome) };
}

/** Refuses a work dir whose lazy-pages server still runs: each copy needs its own socket. */
function claimWorkDir(workDir: string): void {
  let owner: number | undefined;
  try {
    owner = Number(readFileSync(join(workDir, OWNER_FILE), 'utf8').trim());
  } catch {
    return;
  }
  if (owner && pidExists(owner) && isLazyPagesProcess(owner)) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`workDir\` ${JSON.stringify(workDir)}: lazy-pages server ${owner} is still serving another restore from it`, {
      hint: 'give each lazy restore (each copy) its own work dir',
    });
  }
}

function isLazyPagesProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('lazy-pages');
  } catch {
    return false;
  }
}

/** After the transfer: the socket, owner file and marker go, the logs stay. */
export function releaseWorkDir(workDir: string): void {
  for (const f of [LAZY_PAGES_SOCKET, OWNER_FILE, TRANSFER_FILE]) rmSync(join(workDir, f), { force: true });
}

function of(n: NormalizedLazy): string {
  return n.job !== undefined ? ` of job ${n.job}` : n.checkpoint ? ` of checkpoint ${n.checkpoint.id}` : '';
}

function where(n: NormalizedLazy): { job?: string; checkpoint?: string } {
  return {
    ...(n.job !== undefined ? { job: n.job } : {}),
    ...(n.checkpoint ? { checkpoint: n.checkpoint.id } : {}),
  };
}
