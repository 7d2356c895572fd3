// How jobs look in the CLI: the state in words, the age, and the JSON shape of --json.

import { toJson } from '@bufbuild/protobuf';
import { stateName } from '../api/convert.js';
import { JobSchema, JobState, type Job } from '../gen/cryo/v1/jobs_pb.js';

/** "running", "exited (42)", "killed (SIGTERM)". */
export function jobStateText(j: Job): string {
  if (j.state === JobState.EXITED) return `exited (${j.exitCode ?? '?'})`;
  if (j.state === JobState.KILLED) return `killed (${j.signal || '?'})`;
  return stateName(j.state);
}

/** "12s", "3m", "2h", "4d" since ms. */
export function age(ms: bigint): string {
  const s = Math.max(0, Math.floor((Date.now() - Number(ms)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** A job as plain JSON for --json (state as a lower-case word, numbers as numbers). */
export function jobJson(j: Job): Record<string, unknown> {
  const o = toJson(JobSchema, j, { alwaysEmitImplicit: true }) as Record<string, unknown>;
  return {
    ...o, state: stateName(j.state), mode: ['', 'pidns', 'host', 'managed'][j.mode] ?? '', io: ['', 'attachable', 'file', 'none'][j.io] ?? '',
    rootPid: j.rootPid, rootStartTime: Number(j.rootStartTime), stdio: j.stdio.map((s) => ({ fd: s.fd, target: s.target, inode: Number(s.inode) })),
    exitCode: j.exitCode ?? null, createdAtMs: Number(j.createdAtMs), startedAtMs: Number(j.startedAtMs),
    finishedAtMs: Number(j.finishedAtMs),
  };
}

/** The exit code `cryo wait` / `cryo attach` pass on: the job's own, 128+N for signals. */
export function jobExitCode(j: Job): number | null {
  if (j.exitCode !== undefined) return j.exitCode;
  return null;
}
