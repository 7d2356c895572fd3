// cryod: the job daemon. Serves the cryo.v1 API (ConnectRPC, gRPC-compatible, HTTP/2) on a unix
// socket, keeps state in SQLite under the data dir, is the child subreaper of its jobs, and on
// start re-adopts the jobs a previous cryod left running.

import { createContextValues } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { mkdirSync, rmSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import {
  authInterceptor, checkpointService, errorInterceptor, eventService, jobService, peerCredKey,
  type PeerCred,
} from '../api/index.js';
import { createFlowContext } from '../checkpoint/index.js';
import type { CryoConfig } from '../config/index.js';
import { CryoError } from '../errors/index.js';
import { CheckpointService } from '../gen/cryo/v1/checkpoints_pb.js';
import { EventService } from '../gen/cryo/v1/events_pb.js';
import { JobService } from '../gen/cryo/v1/jobs_pb.js';
import { JobManager, startReaper } from '../jobs/index.js';
import { EventStore, JobStore, openDb } from '../state/index.js';
import { lockDataDir } from './data-dir-lock.js';
import { peerCredOf } from './peer-cred.js';
import { prepareSocketPath, resolveGroup, secureSocket } from './socket-path.js';

/** The version cryod reports. */
export const cryodVersion = '0.1.0';

/** A running daemon. */
export interface Cryod {
  readonly jobs: JobManager;
  readonly events: EventStore;
  readonly log: Logger;
  /** Stops serving; jobs keep running (they are re-adopted by the next cryod). */
  close(): Promise<void>;
}

const credSym = Symbol('cryo.peerCred');

/** Starts cryod with a resolved configuration. */
export async function startCryod(config: CryoConfig, log: Logger = pino({ level: config.logLevel }, pino.destination({ fd: 2, sync: true }))): Promise<Cryod> {
  if (process.getuid?.() !== 0) {
    // Jobs get their own PID namespaces and CRIU needs root: a non-root cryod could do neither.
    throw new CryoError('CRYO_NOT_PRIVILEGED', `cryod must run as root (running as uid ${process.getuid?.() ?? '?'})`, {
      hint: 'start it with sudo or as the systemd service packaging/cryod.service',
    });
  }
  const gid = resolveGroup(config.socketGroup);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  await prepareSocketPath(config.socket, gid);
  const unlock = lockDataDir(config.dataDir);
  const db = openDb(config.dataDir);
  const store = new JobStore(db);
  const events = new EventStore(db);
  const jobs = new JobManager(store, events, { dataDir: config.dataDir, logMaxBytes: config.jobLogMaxBytes, log });

  startReaper((pid, s) => log.debug({ pid, status: s }, 'reaped orphan'));
  // A bug in one request or job must not take the daemon (and every attached client) down.
  process.on('unhandledRejection', (e) => log.error({ err: e instanceof Error ? e.stack : String(e) }, 'unhandled rejection'));
  jobs.readopt();
  const flows = await createFlowContext({ jobs, db, dataDir: config.dataDir, criuLogLevel: config.criuLogLevel, log });

  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(JobService, jobService(jobs, { version: cryodVersion, dataDir: config.dataDir, socket: config.socket, startedAt: Date.now() }));
      router.service(EventService, eventService(events, jobs));
      router.service(CheckpointService, checkpointService(flows));
    },
    interceptors: [errorInterceptor, authInterceptor(gid, config.socketGroup)],
    contextValues: (req) => {
      const sock = (req as unknown as { socket: Socket }).socket as Socket & { [credSym]?: PeerCred | null };
      // A connection whose credentials cannot be read is treated as an unknown non-root peer.
      return createContextValues().set(peerCredKey, sock[credSym] ?? { pid: 0, uid: -1 >>> 0, gid: -1 >>> 0 });
    },
  });
  const server = http2.createServer({}, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('connection', (sock: Socket & { [credSym]?: PeerCred | null }) => {
    sock[credSym] = peerCredOf(sock);
    sock.on('error', () => undefined);
  });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('error', (e: Error) => log.debug({ err: e.message }, 'client session error'));
    s.on('close', () => sessions.delete(s));
  });
  // Garbage on the socket ends that session, never the daemon.
  server.on('sessionError', (e: Error) => log.debug({ err: e.message }, 'bad client connection'));
  server.on('error', (e: Error) => log.error({ err: e.message }, 'server error'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  secureSocket(config.socket, gid);
  log.info({ socket: config.socket, dataDir: config.dataDir }, 'cryod listening');

  let closed = false;
  return {
    jobs, events, log,
    async close() {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((r) => server.close(() => r()));
      for (const s of sessions) s.destroy();
      await done;
      jobs.close();
      db.close();
      rmSync(config.socket, { force: true });
      unlock();
      log.info('cryod stopped; jobs keep running');
    },
  };
}
