// CriuClient: CRIU's operations as typed async functions over `criu swrk` (one criu process per
// operation). Options are validated in options.ts, the request/notify loop is protocol.ts, errors
// are built by criu-error.ts; this file wires them together and owns cancellation and cleanup.

import { closeSync, mkdirSync, openSync, readlinkSync, constants as fsc, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { create } from '@bufbuild/protobuf';
import { loadConfig, locateCriu } from '../config/index.js';
import { CryoError, invalidOption, isCryoError } from '../errors/index.js';
import { criu_featuresSchema, criu_req_type, criu_reqSchema, type criu_req, type criu_resp } from '../gen/criu/rpc_pb.js';
import { CriuError, criuFailure, type FailureFacts } from './criu-error.js';
import { normalizeOptions, type Normalized } from './options.js';
import { pidExists, resumeStoppedTree } from './process-state.js';
import { CriuConnectionLost, exchange, type Exchange } from './protocol.js';
import { startSwrk, type SwrkSession } from './swrk.js';
import type {
  CriuFeatures, CriuVersion, DumpOptions, DumpResult, NotifyEvent, PageServer, PageServerOptions, RestoreOptions, RestoreResult,
} from './types.js';

/** How long a cancelled operation may take to reach its next notification (a clean stop) before criu is killed. */
export const CANCEL_GRACE_MS = 1000;

/**
 * A `criu swrk` started ahead of its restore request (`client.prepareRestore`), so that its start
 * (exec, dynamic loading, kdat cache) overlaps the caller's own work (a pre-flight, a lazy-pages
 * server's start). Its inherited fds, stdin and monitor are fixed at spawn, so they must exist
 * already; pass it as RestoreOptions.prepared with the same inheritFds/monitor/shellJob (checked).
 * One use: the restore takes it over (and cleans it up like its own); unused, `cancel()` it: criu
 * (and its monitor) is killed and reaped, the socket closed. A retry needs a fresh one.
 */
export class PreparedSwrk {
  readonly #session: SwrkSession;
  readonly #key: string;
  #state: 'ready' | 'taken' | 'cancelled' = 'ready';
  #cancelled: Promise<void> | undefined;

  /** @internal made by CriuClient.prepareRestore */
  constructor(session: SwrkSession, key: string) {
    this.#session = session;
    this.#key = key;
  }

  /** The pid of the started process (criu, or its monitor). */
  get pid(): number {
    return this.#session.pid;
  }

  /** Whether it is still unused (neither taken by a restore nor cancelled). */
  get ready(): boolean {
    return this.#state === 'ready';
  }

  /** Kills and reaps the unused criu (and monitor), closes its socket; no-op once a restore took it. Idempotent. */
  cancel(): Promise<void> {
    if (this.#state === 'taken') return Promise.resolve();
    this.#state = 'cancelled';
    this.#cancelled ??= this.#session.destroy();
    return this.#cancelled;
  }

  /** @internal the restore takes the session over; refuses a used one or one spawned for other fds. */
  take(key: string): SwrkSession {
    if (this.#state !== 'ready') {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`prepared\`: that criu swrk (pid ${this.pid}) was already ${this.#state === 'taken' ? 'used by a restore' : 'cancelled'}`, {
        hint: 'prepare a fresh one (client.prepareRestore) for each restore attempt',
      });
    }
    if (key !== this.#key) {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`prepared\`: that criu swrk (pid ${this.pid}) was started for other inheritFds, stdin or monitor (${this.#key}) than this restore's (${key})`, {
        hint: 'pass the same inheritFds, shellJob and monitor to prepareRestore and restore',
      });
    }
    this.#state = 'taken';
    return this.#session;
  }
}

/** What a swrk's spawn fixes: inherited fds, stdin, monitor. */
function spawnKey(n: Normalized): string {
  return JSON.stringify({ fds: n.inheritFds.map((f) => f.fd), stdin: spawnStdin(n), monitor: n.monitor ?? null });
}

function spawnStdin(n: Normalized): 'inherit' | 'ignore' {
  return n.operation === 'restore' && n.shellJob ? 'inherit' : 'ignore';
}

const featureNames: Record<'memTrack' | 'lazyPages', string> = {
  memTrack: 'soft-dirty memory tracking (needed by pre-dump, trackMem and parentImg)',
  lazyPages: 'userfaultfd lazy pages',
};

/** Talks to CRIU; one instance can run many operations, each in its own `criu swrk`. */
export class CriuClient {
  /** The CRIU binary this client runs. */
  readonly criuPath: string;
  #features: Promise<CriuFeatures> | undefined;

  constructor(opts: { criuPath?: string } = {}) {
    this.criuPath = opts.criuPath ?? locateCriu(loadConfig().criu).path;
  }

  /** CRIU's version (VERSION request). */
  async version(): Promise<CriuVersion> {
    const { resp } = await this.#simple(create(criu_reqSchema, { type: criu_req_type.VERSION }), 'version');
    const v = resp.version;
    if (!v) throw new CryoError('CRYO_CRIU_BROKEN', `${this.criuPath} answered VERSION without a version`);
    const out: CriuVersion = { major: v.majorNumber, minor: v.minorNumber, text: `${v.majorNumber}.${v.minorNumber}` };
    if (v.sublevel !== undefined && v.sublevel !== 0) {
      out.sublevel = v.sublevel;
      out.text += `.${v.sublevel}`;
    }
    if (v.gitid !== undefined && v.gitid !== '') {
      out.gitid = v.gitid;
      out.text += ` (${v.gitid})`;
    }
    return out;
  }

  /** CRIU's self-check (`criu check`); throws CRYO_CRIU_BROKEN with CRIU's words on failure. */
  async check(): Promise<void> {
    await this.#simple(create(criu_reqSchema, { type: criu_req_type.CHECK }), 'check');
  }

  /** Which optional kernel features CRIU can use here (cached per client). */
  featureCheck(): Promise<CriuFeatures> {
    this.#features ??= (async () => {
      const req = create(criu_reqSchema, {
        type: criu_req_type.FEATURE_CHECK,
        features: create(criu_featuresSchema, { memTrack: true, lazyPages: true, pidfdStore: true }),
      });
      const { resp } = await this.#simple(req, 'feature-check');
      return {
        memTrack: resp.features?.memTrack === true,
        lazyPages: resp.features?.lazyPages === true,
        pidfdStore: resp.features?.pidfdStore === true,
      };
    })();
    this.#features.catch(() => (this.#features = undefined));
    return this.#features;
  }

  /** Checkpoints the process tree rooted at `pid` into imagesDir. */
  async dump(opts: DumpOptions): Promise<DumpResult> {
    const n = normalizeOptions('dump', opts);
    const { durationMs } = await this.#operation(n, criu_req_type.DUMP);
    return { imagesDir: n.imagesDir, logPath: join(n.workDir, n.logFile), durationMs };
  }

  /** A pre-dump (memory only, the tree keeps running); refused clearly without soft-dirty tracking. */
  async preDump(opts: DumpOptions): Promise<DumpResult> {
    const n = normalizeOptions('pre-dump', opts);
    const { durationMs } = await this.#operation(n, criu_req_type.PRE_DUMP);
    return { imagesDir: n.imagesDir, logPath: join(n.workDir, n.logFile), durationMs };
  }

  /**
   * Starts the `criu swrk` of a coming restore now (see PreparedSwrk); `opts` are that restore's
   * options (validated here; only inheritFds, shellJob and monitor matter for the spawn).
   */
  async prepareRestore(opts: RestoreOptions): Promise<PreparedSwrk> {
    const { prepared: _ignored, ...rest } = opts;
    const n = normalizeOptions('restore', rest);
    const session = await startSwrk(this.criuPath, n.inheritFds.map((f) => f.fd), spawnStdin(n), n.monitor);
    return new PreparedSwrk(session, spawnKey(n));
  }

  /** Restores a checkpoint; with rstSibling (default) the restored root is our child. */
  async restore(opts: RestoreOptions): Promise<RestoreResult> {
    const { prepared, ...rest } = opts;
    let n: Normalized;
    try {
      if (prepared !== undefined && !(prepared instanceof PreparedSwrk)) {
        invalidOption('prepared', prepared, 'give the result of client.prepareRestore()');
      }
      n = normalizeOptions('restore', rest);
      if (prepared) n.prepared = prepared;
    } catch (e) {
      await prepared?.cancel();
      throw e;
    }
    const { resp, durationMs, launcher } = await this.#operation(n, criu_req_type.RESTORE);
    const pid = resp.restore?.pid;
    if (pid === undefined || pid <= 0) throw new CryoError('CRYO_CRIU_BROKEN', 'CRIU reported a restore without a pid');
    return { pid, imagesDir: n.imagesDir, logPath: join(n.workDir, n.logFile), durationMs, ...(launcher ? { monitor: launcher } : {}) };
  }

  /** Starts a page server (a child of its criu, watched with WAIT_PID) serving imagesDir. */
  async pageServer(opts: PageServerOptions): Promise<PageServer> {
    const n = normalizeOptions('page-server', opts);
    await this.#requireFeatures(n);
    const dirs = openDirs(n, false);
    const session = await startSwrk(this.criuPath);
    const logPath = join(n.workDir, n.logFile);
    const facts: FailureFacts = { operation: 'page-server', imagesDir: n.imagesDir, logPath };
    let started: criu_resp;
    try {
      const req = create(criu_reqSchema, { type: criu_req_type.PAGE_SERVER_CHLD, opts: n.wire(dirs), keepOpen: true });
      ({ resp: started } = await exchange(session.transport, req));
    } catch (e) {
      await session.destroy();
      closeDirs(dirs);
      throw lostToError(e, facts, session);
    }
    closeDirs(dirs);
    if (!started.success || !started.ps?.pid) {
      await session.destroy();
      throw criuFailure({ ...facts, ...errFacts(started), stderr: session.output() });
    }
    const psPid = started.ps.pid;
    const exited = exchange(session.transport, create(criu_reqSchema, { type: criu_req_type.WAIT_PID, pid: psPid }))
      .then(({ resp }) => resp.status ?? 0)
      .finally(() => session.finish());
    exited.catch(() => undefined);
    return {
      pid: psPid,
      port: started.ps.port ?? 0,
      exited,
      async stop() {
        try {
          process.kill(psPid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited.catch(() => undefined);
        await session.destroy();
      },
    };
  }

  async #requireFeatures(n: Normalized): Promise<void> {
    if (n.needs.length === 0) return;
    const f = await this.featureCheck();
    for (const need of n.needs) {
      if (!f[need]) {
        throw new CryoError('CRYO_FEATURE_UNSUPPORTED', `${n.operation} needs ${featureNames[need]}, which is not supported on this kernel`, {
          operation: n.operation,
          ...(n.pid !== undefined ? { pid: n.pid } : {}),
          hint: need === 'memTrack'
            ? 'use a full dump (no pre-dump / trackMem / parentImg); `cryo doctor` lists what this kernel supports'
            : 'restore eagerly (without lazyPages); `cryo doctor` lists what this kernel supports',
        });
      }
    }
  }

  /** A request without options or notifications (version, check, feature check). */
  async #simple(req: criu_req, operation: FailureFacts['operation']): Promise<Exchange> {
    const session = await startSwrk(this.criuPath);
    try {
      const ex = await exchange(session.transport, req);
      if (!ex.resp.success) {
        await session.finish();
        const e = criuFailure({ operation, ...errFacts(ex.resp), stderr: session.output() });
        throw new CryoError('CRYO_CRIU_BROKEN', `CRIU ${operation} failed: ${e.context.logLines?.join('; ') ?? 'no details'}`, {
          ...e.context, hint: 'run `cryo doctor` to see what is wrong with CRIU on this machine',
        });
      }
      return ex;
    } catch (e) {
      throw lostToError(e, { operation }, session);
    } finally {
      await session.destroy();
    }
  }

  /** Dump / pre-dump / restore: the whole life of one operation, including cancellation. */
  async #operation(n: Normalized, type: criu_req_type): Promise<{ resp: criu_resp; durationMs: number; launcher?: ChildProcess }> {
    const facts: FailureFacts = {
      operation: n.operation,
      imagesDir: n.imagesDir,
      logPath: join(n.workDir, n.logFile),
      ...(n.pid !== undefined ? { pid: n.pid } : {}),
    };
    let dirs: DirFds;
    let session: SwrkSession;
    let started: number;
    try {
      if (n.signal?.aborted) throw cancelled('aborted', facts);
      await this.#requireFeatures(n);
      if (n.pid !== undefined && !pidExists(n.pid)) {
        throw new CriuError('CRYO_PID_NOT_FOUND', `cannot ${n.operation} pid ${n.pid}: no such process`, {
          operation: n.operation, pid: n.pid, imagesDir: n.imagesDir, hint: 'check the pid; the process may have exited',
        });
      }
      if (n.operation !== 'restore' && n.networkLock === undefined) n.networkLock = chooseNetworkLock(n);
      dirs = openDirs(n, n.operation !== 'restore');
    } catch (e) {
      // a prepared criu never got its request: it must not outlive this failure
      await n.prepared?.cancel();
      throw e;
    }
    try {
      started = performance.now();
      session = n.prepared
        ? n.prepared.take(spawnKey(n))
        : await startSwrk(this.criuPath, n.inheritFds.map((f) => f.fd), spawnStdin(n), n.monitor);
    } catch (e) {
      closeDirs(dirs);
      await n.prepared?.cancel();
      throw e;
    }

    // Cancellation: stop at CRIU's next notification (it then unwinds cleanly, unfreezing the
    // tree), or kill criu if it does not reach one within CANCEL_GRACE_MS.
    let why: 'aborted' | 'timeout' | undefined;
    let killed = false;
    let killTimer: NodeJS.Timeout | undefined;
    // Settles the wait below even when a handler never returns (the exchange would wait on it).
    let onKilled!: () => void;
    const killedP = new Promise<never>((_, reject) => (onKilled = () => reject(new CriuConnectionLost([]))));
    killedP.catch(() => undefined);
    const cancel = (reason: 'aborted' | 'timeout'): void => {
      if (why) return;
      why = reason;
      killTimer = setTimeout(() => {
        killed = true;
        void session.destroy().then(onKilled);
      }, CANCEL_GRACE_MS);
    };
    const onAbort = (): void => cancel('aborted');
    n.signal?.addEventListener('abort', onAbort, { once: true });
    if (n.signal?.aborted) cancel('aborted'); // aborted while criu was starting: no event will come
    const timeout = n.timeoutMs !== undefined ? setTimeout(() => cancel('timeout'), n.timeoutMs) : undefined;
    const seen: NotifyEvent[] = [];
    const handlers = n.notify ? { ...n.notify } : undefined;

    try {
      const wire = n.wire(dirs);
      // Notifications are CRIU's clean stopping points: turn them on whenever we may cancel.
      if (n.signal || n.timeoutMs !== undefined) wire.notifyScripts = true;
      const req = create(criu_reqSchema, { type, opts: wire });
      let ex: Exchange;
      try {
        ex = await Promise.race([
          exchange(session.transport, req, handlers, { cancelled: () => why !== undefined, observe: (ev) => seen.push(ev) }),
          killedP,
        ]);
      } catch (e) {
        if (e instanceof CriuConnectionLost && why) throw cancelled(why, facts, killed);
        throw lostToError(e, facts, session);
      }
      const durationMs = performance.now() - started;
      if (ex.resp.success) return { resp: ex.resp, durationMs, ...(n.monitor ? { launcher: session.child } : {}) };
      await session.finish();
      if (ex.refused && ex.refused.error === undefined && why) throw cancelled(why, facts, false);
      if (ex.refused) {
        const base = criuFailure({ ...facts, ...errFacts(ex.resp), stderr: session.output() });
        const err = ex.refused.error;
        const msg = err instanceof Error ? err.message : String(err);
        throw new CriuError('CRYO_HOOK_FAILED', `${n.operation} aborted: the '${ex.refused.script}' notification handler failed: ${msg}`, {
          ...base.context,
          hint: err instanceof CryoError
            ? `${err.action} (the ${n.operation} was abandoned by CRIU at '${ex.refused.script}')`
            : `fix the '${ex.refused.script}' hook; the ${n.operation} was abandoned by CRIU`,
          cause: err,
        });
      }
      throw criuFailure({ ...facts, ...errFacts(ex.resp), stderr: session.output() });
    } finally {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      n.signal?.removeEventListener('abort', onAbort);
      if (killed || why) await session.destroy();
      else await session.finish();
      closeDirs(dirs);
      // criu killed mid-dump: the kernel detached it, but a tree it had stopped may stay stopped.
      if (killed && n.pid !== undefined) resumeStoppedTree(n.pid);
      // criu killed mid-restore: processes it had created are half-restored; remove them.
      if (killed && n.operation === 'restore') {
        for (const ev of seen) if (ev.pid !== undefined) killQuietly(ev.pid);
      }
    }
  }
}

/** The lock only protects TCP connections (tcpEstablished) or a network namespace of the tree's
 *  own; anything else would only leave an nftables table behind when the dump is not restored. */
function chooseNetworkLock(n: Normalized): 'nftables' | 'skip' {
  if (n.tcpEstablished) return 'nftables';
  try {
    return readlinkSync(`/proc/${n.pid}/ns/net`) === readlinkSync('/proc/self/ns/net') ? 'skip' : 'nftables';
  } catch {
    return 'nftables';
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function errFacts(resp: criu_resp): Pick<FailureFacts, 'criuErrno' | 'criuErrmsg'> {
  const f: Pick<FailureFacts, 'criuErrno' | 'criuErrmsg'> = {};
  if (resp.crErrno !== undefined && resp.crErrno !== 0) f.criuErrno = resp.crErrno;
  if (resp.crErrmsg !== undefined && resp.crErrmsg !== '') f.criuErrmsg = resp.crErrmsg;
  return f;
}

function cancelled(why: 'aborted' | 'timeout', facts: FailureFacts, killed = false): CriuError {
  const how = killed ? 'criu was killed' : 'CRIU stopped cleanly';
  const ctx = {
    operation: facts.operation,
    ...(facts.pid !== undefined ? { pid: facts.pid } : {}),
    ...(facts.imagesDir !== undefined ? { imagesDir: facts.imagesDir } : {}),
    ...(facts.logPath !== undefined ? { logPath: facts.logPath } : {}),
  };
  return why === 'timeout'
    ? new CriuError('CRYO_CRIU_TIMEOUT', `${facts.operation} took longer than its timeout and was cancelled (${how})`, ctx)
    : new CriuError('CRYO_ABORTED', `${facts.operation} was cancelled (${how})`, ctx);
}

/** CRIU vanished mid-request (crash, OOM kill, ...): explain it from its log and output. */
function lostToError(e: unknown, facts: FailureFacts, session: SwrkSession): unknown {
  if (!(e instanceof CriuConnectionLost)) return e;
  const err = criuFailure({ ...facts, stderr: session.output() });
  if (err.logHint) return err;
  return new CriuError(isCryoError(e) ? err.code : 'CRYO_CRIU_BROKEN', `${e.message} during ${facts.operation}`, err.context);
}

interface DirFds {
  imagesDirFd: number;
  workDirFd?: number;
}

/** Opens imagesDir (and workDir) to pass as fds: CRIU opens /proc/<our pid>/fd/N. */
function openDirs(n: Normalized, create: boolean): DirFds {
  const open = (path: string, option: string): number => {
    if (create) mkdirSync(path, { recursive: true });
    try {
      if (!statSync(path).isDirectory()) throw new Error('not a directory');
      return openSync(path, fsc.O_RDONLY | fsc.O_DIRECTORY);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ENOENT' ? 'no such directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${option}\` ${JSON.stringify(path)}: ${why}`, {
        hint: `give an existing directory as ${option}`,
      });
    }
  };
  const imagesDirFd = open(n.imagesDir, 'imagesDir');
  if (n.workDir === n.imagesDir) return { imagesDirFd };
  try {
    return { imagesDirFd, workDirFd: open(n.workDir, 'workDir') };
  } catch (e) {
    closeSync(imagesDirFd);
    throw e;
  }
}

function closeDirs(d: DirFds): void {
  closeSync(d.imagesDirFd);
  if (d.workDirFd !== undefined) closeSync(d.workDirFd);
}
