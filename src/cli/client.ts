// The CLI's connection to cryod: gRPC over HTTP/2 on the daemon's unix socket, with every
// failure turned back into the CryoError the daemon raised (or a clear "daemon unreachable").

import type { DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import net from 'node:net';
import type { Command } from 'commander';
import { fromConnectError } from '../api/errors.js';
import { loadConfig } from '../config/index.js';
import { CryoError } from '../errors/index.js';
import { CheckpointService } from '../gen/cryo/v1/checkpoints_pb.js';
import { EventService } from '../gen/cryo/v1/events_pb.js';
import { JobService } from '../gen/cryo/v1/jobs_pb.js';

/** Clients for every cryod service over one HTTP/2 connection. */
export interface DaemonClient {
  readonly socket: string;
  readonly jobs: Client<typeof JobService>;
  readonly events: Client<typeof EventService>;
  readonly checkpoints: Client<typeof CheckpointService>;
}

/** Adds --socket to a command that talks to cryod. */
export function withDaemonOptions(cmd: Command): Command {
  return cmd.option('--socket <path>', 'cryod\'s unix socket (default: config / CRYO_SOCKET / /run/cryo/cryod.sock)');
}

/** Converts a transport or daemon error into a CryoError. */
export function toCryoError(e: unknown, socket: string): unknown {
  if (!(e instanceof ConnectError)) return e;
  const daemon = fromConnectError(e);
  if (daemon) return daemon;
  const text = `${e.message} ${String((e.cause as Error | undefined)?.message ?? '')}`;
  if (/EACCES|EPERM/.test(text)) {
    return new CryoError('CRYO_PERMISSION_DENIED', `permission denied opening cryod's socket ${socket}`, {
      hint: 'run cryo as root, or as a member of the socket group configured for cryod',
    });
  }
  if (e.code === Code.Unavailable || /ENOENT|ECONNREFUSED|ECONNRESET/.test(text)) {
    return new CryoError('CRYO_DAEMON_UNREACHABLE', `cannot reach cryod at ${socket}: ${e.rawMessage}`);
  }
  if (e.code === Code.Canceled) return e;
  return new CryoError('CRYO_DAEMON_ERROR', `cryod answered with an error: ${e.message}`);
}

function wrap<S extends DescService>(client: Client<S>, socket: string): Client<S> {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const fn = Reflect.get(target, prop, receiver) as unknown;
      if (typeof fn !== 'function') return fn;
      return (...args: unknown[]) => {
        const r = (fn as (...a: unknown[]) => unknown).apply(target, args);
        if (r instanceof Promise) return r.catch((e: unknown) => { throw toCryoError(e, socket); });
        if (r && typeof r === 'object' && Symbol.asyncIterator in r) {
          return (async function* () {
            try {
              yield* r as AsyncIterable<unknown>;
            } catch (e) {
              throw toCryoError(e, socket);
            }
          })();
        }
        return r;
      };
    },
  });
}

/** Connects to cryod at the socket from --socket, CRYO_SOCKET or the config file. */
export function connectDaemon(opts: { socket?: string | undefined } = {}): DaemonClient {
  const socket = opts.socket ?? loadConfig().socket;
  const transport = createGrpcTransport({
    baseUrl: 'http://cryod',
    nodeOptions: { createConnection: () => net.connect(socket) },
  });
  return {
    socket,
    jobs: wrap(createClient(JobService, transport), socket),
    events: wrap(createClient(EventService, transport), socket),
    checkpoints: wrap(createClient(CheckpointService, transport), socket),
  };
}
