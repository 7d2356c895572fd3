// EventService: stored events (on request) followed by live ones.

import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { EventSchema, EventService, type Event } from '../gen/cryo/v1/events_pb.js';
import type { JobManager } from '../jobs/index.js';
import type { CryoEvent, EventStore } from '../state/index.js';
import { AsyncQueue } from './async-queue.js';

function toProto(e: CryoEvent): Event {
  return create(EventSchema, {
    seq: BigInt(e.seq), timeMs: BigInt(e.time), type: e.type, jobId: e.jobId ?? '', jobName: e.jobName ?? '',
    state: e.state ?? '', message: e.message, dataJson: JSON.stringify(e.data),
  });
}

/** The EventService implementation. */
export function eventService(events: EventStore, jobs: JobManager): ServiceImpl<typeof EventService> {
  return {
    async *events(req, ctx) {
      const jobId = req.job ? jobs.resolve(req.job).id : undefined;
      const q = new AsyncQueue<CryoEvent>();
      // Subscribe before reading stored events so nothing falls in between; dedupe by seq.
      const off = events.subscribe((e) => q.push(e));
      ctx.signal.addEventListener('abort', () => q.end());
      let last = 0;
      const wanted = (e: CryoEvent): boolean => jobId === undefined || e.jobId === jobId;
      try {
        if (req.replay || req.sinceSeq > 0n) {
          for (const e of events.since(Number(req.sinceSeq))) {
            last = e.seq;
            if (wanted(e)) yield toProto(e);
          }
        }
        for await (const e of q) {
          if (e.seq <= last) continue;
          last = e.seq;
          if (wanted(e)) yield toProto(e);
        }
      } finally {
        off();
      }
    },
  };
}
