// The job record: what cryod knows about one job, as stored in SQLite and shown by the API.

/** Every job state; the legal moves between them live in state-machine.ts. */
export type JobState =
  | 'starting' | 'running' | 'checkpointing' | 'checkpointed' | 'restoring'
  | 'exited' | 'killed' | 'failed' | 'lost';

/** pidns: own PID+IPC namespace under tini; host: host PIDs; managed: adopted with `cryo manage`. */
export type JobMode = 'pidns' | 'host' | 'managed';

/** attachable: FIFOs held by cryod + output log; file: appended to a file; none: unknown (managed). */
export type IoMode = 'attachable' | 'file' | 'none';

/** What one of the root's fds 0/1/2 is; restore reconnects stdio by these. */
export interface StdioIdentity {
  readonly fd: number;
  readonly target: string;
  readonly inode: number;
}

export interface JobRecord {
  id: string;
  name: string;
  state: JobState;
  mode: JobMode;
  io: IoMode;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** Host pid a dump starts from (tini for pidns jobs). */
  rootPid: number | null;
  rootStartTime: number | null;
  /** The exit-status keeper cryod spawned (see spawn.ts); null for managed/restored jobs. */
  monitorPid: number | null;
  monitorStartTime: number | null;
  exitCode: number | null;
  signal: string | null;
  /** file io: the user's file; attachable: cryod's output log. */
  logFile: string | null;
  jobDir: string;
  stdio: StdioIdentity[];
  note: string | null;
  error: string | null;
  /** Signals cryo delivered to the job, so an exit status of 128+N can be read as killed(N). */
  sentSignals: string[];
  latestCheckpoint: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** States in which the job's processes may be alive and cryod must watch them. */
export const liveStates: ReadonlySet<JobState> = new Set(['starting', 'running', 'checkpointing', 'restoring']);

/** States after which nothing happens to a job by itself. */
export const finalStates: ReadonlySet<JobState> = new Set(['exited', 'killed', 'failed', 'lost']);
