// The job lifecycle in one place: which state may follow which, and which user actions each
// state allows. Everything that changes a job's state goes through `transition`, and every action
// is checked with `assertAllowed`, so an illegal action gets one clear error naming the state.

import { CryoError } from '../errors/index.js';
import type { JobRecord, JobState } from './job.js';

const next: Record<JobState, readonly JobState[]> = {
  starting: ['running', 'exited', 'killed', 'failed', 'lost'],
  running: ['checkpointing', 'exited', 'killed', 'lost', 'failed'],
  // A dump ends with the job running (leave-running or dump failed), checkpointed (stopped), or
  // the job died meanwhile.
  checkpointing: ['running', 'checkpointed', 'exited', 'killed', 'lost', 'failed'],
  checkpointed: ['restoring', 'lost'],
  // A failed restore leaves the checkpoint intact: the job returns to checkpointed (or failed
  // when it had ended before).
  restoring: ['running', 'checkpointed', 'failed', 'exited', 'killed', 'lost'],
  exited: ['restoring'],
  killed: ['restoring'],
  failed: ['restoring'],
  lost: ['restoring'],
};

/** What users (and the restore flow) can ask of a job. */
export type JobAction = 'kill' | 'attach' | 'stdin' | 'dump' | 'restore' | 'remove' | 'force-remove';

const allowed: Record<JobAction, readonly JobState[]> = {
  kill: ['running', 'starting'],
  attach: ['running', 'starting', 'checkpointing', 'restoring'],
  stdin: ['running'],
  dump: ['running'],
  restore: ['checkpointed', 'exited', 'killed', 'failed', 'lost'],
  remove: ['checkpointed', 'exited', 'killed', 'failed', 'lost'],
  'force-remove': ['running', 'starting', 'checkpointed', 'exited', 'killed', 'failed', 'lost'],
};

const verbs: Record<JobAction, string> = {
  kill: 'signal', attach: 'attach to', stdin: 'write to', dump: 'dump', restore: 'restore',
  remove: 'remove', 'force-remove': 'remove',
};

const hints: Partial<Record<JobAction, string>> = {
  remove: 'stop it first with `cryo kill`, or use `cryo rm --force`',
  attach: 'the job is not running; `cryo logs JOB` shows what it printed',
  kill: 'the job is not running',
};

/** The state in words: "exited (code 42)", "killed (SIGTERM)", "running". */
export function describeState(j: Pick<JobRecord, 'state' | 'exitCode' | 'signal'>): string {
  if (j.state === 'exited') return `exited (code ${j.exitCode ?? '?'})`;
  if (j.state === 'killed') return `killed (${j.signal ?? 'signal'})`;
  if (j.state === 'lost') return 'lost (ended, exit code unknown)';
  return j.state;
}

/** Throws CRYO_INVALID_STATE unless `action` is allowed in the job's current state. */
export function assertAllowed(j: JobRecord, action: JobAction): void {
  if (allowed[action].includes(j.state)) return;
  const hint = action === 'remove' && allowed['force-remove'].includes(j.state) ? hints.remove : hints[action];
  throw new CryoError('CRYO_INVALID_STATE', `cannot ${verbs[action]} job ${j.name}: it is ${describeState(j)}`, {
    job: j.name, operation: action, ...(hint ? { hint } : {}),
  });
}

/** True when `action` is allowed now. */
export function isAllowed(j: JobRecord, action: JobAction): boolean {
  return allowed[action].includes(j.state);
}

/** Moves the job to `to` (mutating it); throws CRYO_INVALID_STATE for an impossible move. */
export function transition(j: JobRecord, to: JobState): void {
  if (j.state === to) return;
  if (!next[j.state].includes(to)) {
    throw new CryoError('CRYO_INVALID_STATE', `job ${j.name} cannot become ${to}: it is ${describeState(j)}`, {
      job: j.name,
    });
  }
  j.state = to;
}
