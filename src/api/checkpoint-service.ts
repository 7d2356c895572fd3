// CheckpointService: thin adapters from API messages to the checkpoint flows (src/checkpoint):
// Dump, Restore, ListCheckpoints and RemoveCheckpoint. Requests are validated here, once.

import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { CheckpointSchema, CheckpointService, HookRunSchema, type Checkpoint } from '../gen/cryo/v1/checkpoints_pb.js';
import { CryoError } from '../errors/index.js';
import { validHookTimeout } from '../config/index.js';
import { dumpJob, restoreCheckpoint, mergeHooks, parseHookFlags, type CheckpointRecord, type FlowContext, type HookRunResult } from '../checkpoint/index.js';
import { jobToProto } from './convert.js';

/** How long `--health-cmd` / `--health-tcp` wait for the probe when no grace period is given. */
const DEFAULT_HEALTH_GRACE_MS = 3000;

const notYet = (what: string): never => {
  throw new CryoError('CRYO_UNIMPLEMENTED', `${what} is not implemented by this cryod yet`, { hint: 'use `criu` directly for now, or upgrade cryo' });
};

/** Placeholder CheckpointService: every RPC fails with CRYO_UNIMPLEMENTED. */
export function unimplementedCheckpointService(): ServiceImpl<typeof CheckpointService> {
  return {
    dump: () => notYet('dump'),
    restore: () => notYet('restore'),
    listCheckpoints: () => notYet('listing checkpoints'),
    removeCheckpoint: () => notYet('removing checkpoints'),
  };
}

function hooksOf(list: readonly string[], timeout: number): { hooks: ReturnType<typeof mergeHooks>['hooks']; timeoutMs: number } {
  const merged = mergeHooks(parseHookFlags(list));
  return { hooks: merged.hooks, timeoutMs: validHookTimeout(timeout, 'hook_timeout_ms') ?? merged.timeoutMs };
}

const hookToProto = (h: HookRunResult) => create(HookRunSchema, { ...h, durationMs: BigInt(h.durationMs) });

/** The API view of a checkpoint record. */
export function checkpointToProto(c: CheckpointRecord, pins: string[] = []): Checkpoint {
  return create(CheckpointSchema, {
    id: c.id, jobId: c.jobId, jobName: c.meta.jobName, dir: c.dir, createdAtMs: BigInt(c.createdAt),
    sizeBytes: BigInt(c.meta.imagesBytes ?? 0), leaveRunning: c.meta.leaveRunning, criuOptions: [...c.meta.chosen], state: c.state,
    stdio: c.meta.stdio.map((s) => ({ fd: s.fd, target: s.target, inode: BigInt(s.inode) })), pins,
  });
}

/** The CheckpointService over the checkpoint flows of one cryod. */
export function checkpointService(ctx: FlowContext): ServiceImpl<typeof CheckpointService> {
  return {
    async dump(req) {
      const h = hooksOf(req.hooks, req.hookTimeoutMs);
      const ghost = Number(req.ghostLimit);
      const r = await dumpJob(ctx, {
        job: req.job, leaveRunning: req.leaveRunning, tcpEstablished: req.tcpEstablished, fileLocks: req.fileLocks,
        shellJob: req.shellJob, extUnixSk: req.extUnixSk, ...(ghost > 0 ? { ghostLimit: ghost } : {}), hooks: h.hooks, hookTimeoutMs: h.timeoutMs,
      });
      return {
        checkpoint: checkpointToProto(r.checkpoint), job: jobToProto(r.job), durationMs: BigInt(Math.round(r.durationMs)),
        chosen: r.chosen, hooks: r.hooks.map(hookToProto), criuMs: BigInt(Math.round(r.criuMs)),
      };
    },
    async restore(req) {
      const h = hooksOf(req.hooks, req.hookTimeoutMs);
      if (req.io !== '' && req.io !== 'attachable' && req.io !== 'file') {
        throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`io\` ${JSON.stringify(req.io)}: use attachable or file`);
      }
      if (req.logFile !== '' && !req.logFile.startsWith('/')) {
        throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`log\` ${JSON.stringify(req.logFile)}: use an absolute path`);
      }
      const io: 'attachable' | 'file' | undefined = req.logFile ? 'file' : req.io === 'attachable' || req.io === 'file' ? req.io : undefined;
      const r = await restoreCheckpoint(ctx, {
        ref: req.checkpoint || req.job, name: req.name || undefined, copies: req.copies || 1, io, logFile: req.logFile || undefined,
        noVerify: req.noVerify, hooks: h.hooks, hookTimeoutMs: h.timeoutMs,
        lazy: req.lazy, ...(req.lazyFallbackEager ? { lazyFallback: 'eager' as const } : {}),
        force: req.force, timeoutMs: req.timeoutMs,
        health: req.healthGraceMs > 0 || req.healthCmd || req.healthTcpPort
          ? { cmd: req.healthCmd || undefined, tcpPort: req.healthTcpPort || undefined, graceMs: req.healthGraceMs || DEFAULT_HEALTH_GRACE_MS }
          : undefined,
      });
      return {
        jobs: r.jobs.map(jobToProto), durationMs: BigInt(Math.round(r.durationMs)), checkpoint: r.checkpoint, notes: r.notes,
        hooks: r.hooks.map(hookToProto), criuLogs: r.logs,
      };
    },
    async listCheckpoints(req) {
      let jobId: string | undefined;
      if (req.job) jobId = ctx.jobs.resolve(req.job).id;
      const list = ctx.records.list(jobId);
      const out: Checkpoint[] = [];
      for (const c of list) out.push(checkpointToProto(c, (await ctx.store.pins(c.id)).map((p) => `${p.reason}`)));
      return { checkpoints: out };
    },
    async removeCheckpoint(req) {
      const c = ctx.records.find(req.checkpoint);
      if (!c) throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `no checkpoint ${JSON.stringify(req.checkpoint)}`, { checkpoint: req.checkpoint, hint: 'list checkpoints with `cryo checkpoints`' });
      const r = await ctx.store.remove(c.id);
      ctx.records.delete(c.id);
      let job = null;
      try {
        job = ctx.jobs.resolve(c.jobId);
      } catch {
        // the job was removed; the checkpoint outlived it
      }
      if (job && job.latestCheckpoint === c.id) {
        const prev = ctx.records.latest(c.jobId);
        ctx.jobs.setState(job.id, job.state, { latestCheckpoint: prev?.id ?? null }, `checkpoint ${c.id} of job ${job.name} removed`);
      }
      ctx.jobs.emit(job, 'checkpoint.removed', `checkpoint ${c.id} removed (${r.bytes} bytes)`, { checkpoint: c.id, bytes: r.bytes });
      return { id: c.id, bytes: BigInt(r.bytes), warnings: r.warnings };
    },
  };
}
