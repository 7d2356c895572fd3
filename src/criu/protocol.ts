// The one protocol loop (go-criu style): send a request, read answers; a NOTIFY answer runs the
// handler for that script (then the '*' catch-all) and is acknowledged, then the loop reads on
// until the final response. Transport-agnostic, so it is unit-tested with recorded messages.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { CryoError } from '../errors/index.js';
import { criu_req_type, criu_reqSchema, criu_respSchema, type criu_req, type criu_resp } from '../gen/criu/rpc_pb.js';
import type { Transport } from './transport.js';
import type { NotifyEvent, NotifyHandlers } from './types.js';

/** Why a notification was answered with notify_success=false. */
export interface RefusedNotify {
  script: string;
  /** The handler's error; undefined when the refusal was a cancellation. */
  error?: unknown;
}

/** The outcome of one request: CRIU's final response and what happened on the way. */
export interface Exchange {
  resp: criu_resp;
  /** Notifications in the order CRIU sent them. */
  notifications: NotifyEvent[];
  /** Set when a handler failed or the operation was cancelled at a notification. */
  refused?: RefusedNotify;
}

/** Hooks the client uses to cancel at a clean point. */
export interface ExchangeControl {
  /** Checked at each notification: when true, it is refused without running handlers. */
  cancelled?: () => boolean;
  /** Sees each notification as it arrives (before handlers), e.g. to learn restored pids. */
  observe?: (ev: NotifyEvent) => void;
}

/** Thrown when CRIU's side goes away before the final response (it died or was killed). */
export class CriuConnectionLost extends CryoError {
  constructor(notifications: readonly NotifyEvent[]) {
    super('CRYO_CRIU_BROKEN', `CRIU exited before answering${notifications.length ? ` (last notification: ${notifications.at(-1)?.script})` : ''}`);
  }
}

async function runHandlers(handlers: NotifyHandlers | undefined, ev: NotifyEvent): Promise<void> {
  if (!handlers) return;
  const specific = handlers[ev.script];
  if (specific) await specific(ev);
  const all = handlers['*'];
  if (all) await all(ev);
}

/** Sends `req` and runs the loop until CRIU's final (non-NOTIFY) response. */
export async function exchange(t: Transport, req: criu_req, handlers?: NotifyHandlers, control: ExchangeControl = {}): Promise<Exchange> {
  await t.send(toBinary(criu_reqSchema, req));
  const notifications: NotifyEvent[] = [];
  let refused: RefusedNotify | undefined;
  for (;;) {
    const bytes = await t.recv();
    if (bytes === null) throw new CriuConnectionLost(notifications);
    const resp = fromBinary(criu_respSchema, bytes);
    if (resp.type !== criu_req_type.NOTIFY) return refused ? { resp, notifications, refused } : { resp, notifications };

    const ev: NotifyEvent = { script: resp.notify?.script ?? '' };
    if (resp.notify?.pid !== undefined && resp.notify.pid !== 0) ev.pid = resp.notify.pid;
    notifications.push(ev);
    control.observe?.(ev);
    let ok = true;
    if (refused === undefined) {
      if (control.cancelled?.()) {
        refused = { script: ev.script };
        ok = false;
      } else {
        try {
          await runHandlers(handlers, ev);
        } catch (error) {
          refused = { script: ev.script, error };
          ok = false;
        }
        // A cancel that arrived while a handler ran still stops CRIU here, the earliest clean point.
        if (ok && control.cancelled?.()) {
          refused = { script: ev.script };
          ok = false;
        }
      }
    }
    // After a refusal CRIU is cleaning up; later notifications (e.g. network-unlock) are acked
    // without running handlers, so no hook acts on an operation that is already failing.
    await t.send(toBinary(criu_reqSchema, create(criu_reqSchema, { type: criu_req_type.NOTIFY, notifySuccess: ok })));
  }
}
