// Job records -> API messages (the state vocabulary of jobs/ mapped to the proto enums).

import { create } from '@bufbuild/protobuf';
import { IoMode, JobMode, JobSchema, JobState, type Job } from '../gen/cryo/v1/jobs_pb.js';
import type { JobRecord } from '../jobs/index.js';

const states: Record<JobRecord['state'], JobState> = {
  starting: JobState.STARTING, running: JobState.RUNNING, checkpointing: JobState.CHECKPOINTING,
  checkpointed: JobState.CHECKPOINTED, restoring: JobState.RESTORING, exited: JobState.EXITED,
  killed: JobState.KILLED, failed: JobState.FAILED, lost: JobState.LOST,
};
const modes: Record<JobRecord['mode'], JobMode> = { pidns: JobMode.PIDNS, host: JobMode.HOST, managed: JobMode.MANAGED };
const ios: Record<JobRecord['io'], IoMode> = { attachable: IoMode.ATTACHABLE, file: IoMode.FILE, none: IoMode.NONE };

/** The API view of a job. */
export function jobToProto(j: JobRecord): Job {
  return create(JobSchema, {
    id: j.id, name: j.name, state: states[j.state], mode: modes[j.mode], io: ios[j.io], command: j.command, cwd: j.cwd,
    rootPid: j.rootPid ?? 0, rootStartTime: BigInt(j.rootStartTime ?? 0),
    ...(j.exitCode !== null ? { exitCode: j.exitCode } : {}),
    signal: j.signal ?? '', logFile: j.logFile ?? '', createdAtMs: BigInt(j.createdAt),
    startedAtMs: BigInt(j.startedAt ?? 0), finishedAtMs: BigInt(j.finishedAt ?? 0),
    stdio: j.stdio.map((s) => ({ fd: s.fd, target: s.target, inode: BigInt(s.inode) })),
    jobDir: j.jobDir, note: j.note ?? '', error: j.error ?? '', latestCheckpoint: j.latestCheckpoint ?? '',
  });
}

/** The lower-case state name of a proto JobState ("running"). */
export function stateName(s: JobState): string {
  return (Object.entries(states).find(([, v]) => v === s)?.[0]) ?? 'unknown';
}
