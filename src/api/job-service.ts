// JobService handlers: thin adapters from API messages to the JobManager.

import { create } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  AttachResponse_Stream, AttachResponseSchema, JobService, LogChunkSchema,
  type AttachRequest, type AttachResponse, type LogChunk,
} from '../gen/cryo/v1/jobs_pb.js';
import { assertAllowed, type JobManager, type OutputChunk } from '../jobs/index.js';
import { AsyncQueue } from './async-queue.js';
import { jobToProto } from './convert.js';

/** What DaemonInfo reports. */
export interface DaemonFacts { version: string; dataDir: string; socket: string; startedAt: number }

const defaultBacklog = 64 * 1024;

/** The JobService implementation over one JobManager. */
export function jobService(jobs: JobManager, facts: DaemonFacts): ServiceImpl<typeof JobService> {
  return {
    async run(req) {
      const job = await jobs.run({
        command: req.command, name: req.name || undefined, cwd: req.cwd || undefined, env: req.env,
        noPidns: req.noPidns, logFile: req.logFile || undefined,
      });
      return { job: jobToProto(job) };
    },
    manage(req) {
      return { job: jobToProto(jobs.manage(req.pid, req.name || undefined)) };
    },
    listJobs() {
      return { jobs: jobs.list().map(jobToProto) };
    },
    getJob(req) {
      return { job: jobToProto(jobs.resolve(req.job)) };
    },
    kill(req) {
      return { job: jobToProto(jobs.kill(req.job, req.signal || 'SIGTERM')) };
    },
    async remove(req) {
      return { id: await jobs.remove(req.job, req.force) };
    },
    async wait(req) {
      return { job: jobToProto(await jobs.wait(req.job)) };
    },
    async *logs(req, ctx): AsyncIterable<LogChunk> {
      const feed = jobs.output(req.job, Number(req.tailBytes));
      const q = new AsyncQueue<Buffer>();
      const off = req.follow && feed.subscribe ? feed.subscribe((c) => q.push(c.data)) : undefined;
      const offEnd = req.follow && off ? jobs.onEnd(req.job, () => q.end()) : undefined;
      ctx.signal.addEventListener('abort', () => q.end());
      try {
        if (feed.backlog.length) yield create(LogChunkSchema, { data: feed.backlog });
        if (!off) return;
        for await (const d of q) yield create(LogChunkSchema, { data: d });
      } finally {
        off?.();
        offEnd?.();
      }
    },
    attach: (reqs, ctx) => attach(jobs, reqs, ctx),
    daemonInfo() {
      return {
        version: facts.version, pid: process.pid, dataDir: facts.dataDir, socket: facts.socket,
        startedAtMs: BigInt(facts.startedAt),
      };
    },
  };
}

/**
 * Attach: backlog first, then live output; stdin and signals from the client go to the job. The
 * client detaches by closing its request stream (after its last input is delivered, the response
 * stream ends); the job keeps running.
 */
async function* attach(jobs: JobManager, reqs: AsyncIterable<AttachRequest>, ctx: HandlerContext): AsyncIterable<AttachResponse> {
  const it = reqs[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const ref = first.value.job;
  assertAllowed(jobs.resolve(ref), 'attach');
  const feed = jobs.output(ref, Number(first.value.backlogBytes) || defaultBacklog);
  const q = new AsyncQueue<AttachResponse>();
  const streams = { stdout: AttachResponse_Stream.STDOUT, stderr: AttachResponse_Stream.STDERR };
  const off = feed.subscribe?.((c: OutputChunk) => q.push(create(AttachResponseSchema, { data: c.data, stream: streams[c.stream] })));
  const offEnd = jobs.onEnd(ref, (j) => {
    q.push(create(AttachResponseSchema, { ended: jobToProto(j) }));
    q.end();
  });
  ctx.signal.addEventListener('abort', () => q.end());
  const input = (r: AttachRequest): void => {
    if (r.signal) jobs.signalGroup(ref, r.signal);
    if (r.stdin.length) jobs.writeStdin(ref, Buffer.from(r.stdin));
  };
  // Client input is consumed concurrently with the output we stream back.
  const pump = (async () => {
    input(first.value);
    for (let r = await it.next(); !r.done; r = await it.next()) input(r.value);
  })();
  // The client closing its side means "detach": end the stream once its input is delivered.
  pump.then(() => q.end(), (e: unknown) => {
    q.push(create(AttachResponseSchema, { data: Buffer.from(`cryo: ${(e as Error).message}\n`), stream: AttachResponse_Stream.STDERR }));
    q.end();
  });
  try {
    if (feed.backlog.length) yield create(AttachResponseSchema, { data: feed.backlog, stream: AttachResponse_Stream.BACKLOG });
    yield* q;
  } finally {
    off?.();
    offEnd();
  }
}
