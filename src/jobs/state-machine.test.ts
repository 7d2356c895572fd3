import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCryoError } from '../errors/index.js';
import type { JobRecord } from './job.js';
import { interpretStatus } from './job-manager.js';
import { assertAllowed, transition } from './state-machine.js';

const job = (state: JobRecord['state'], extra: Partial<JobRecord> = {}): JobRecord => ({
  id: 'abc', name: 'web-1', state, mode: 'pidns', io: 'attachable', command: ['x'], cwd: '/', env: {}, rootPid: 1,
  rootStartTime: 1, monitorPid: null, monitorStartTime: null, exitCode: null, signal: null, logFile: null, jobDir: '/x',
  stdio: [], note: null, error: null, sentSignals: [], latestCheckpoint: null, createdAt: 0, startedAt: 0, finishedAt: null,
  ...extra,
});

test('illegal actions name the job and its state', () => {
  assert.throws(() => assertAllowed(job('exited', { exitCode: 0 }), 'dump'), (e: unknown) =>
    isCryoError(e, 'CRYO_INVALID_STATE') && e.message === 'cannot dump job web-1: it is exited (code 0)');
  assert.throws(() => assertAllowed(job('running'), 'remove'), /cannot remove job web-1: it is running/);
  assert.throws(() => assertAllowed(job('checkpointing'), 'force-remove'), /it is checkpointing/);
  assert.throws(() => assertAllowed(job('running'), 'restore'), /cannot restore job web-1: it is running/);
  assertAllowed(job('running'), 'dump');
  assertAllowed(job('checkpointed'), 'restore');
  assertAllowed(job('killed', { signal: 'SIGTERM' }), 'remove');
});

test('transitions follow the lifecycle', () => {
  const j = job('starting');
  transition(j, 'running');
  transition(j, 'checkpointing');
  transition(j, 'checkpointed');
  transition(j, 'restoring');
  transition(j, 'running');
  transition(j, 'exited');
  assert.throws(() => transition(j, 'running'), (e: unknown) => isCryoError(e, 'CRYO_INVALID_STATE'));
  transition(j, 'restoring');
});

test('exit statuses: 128+N is killed only when cryo sent N (or N is SIGKILL)', () => {
  assert.deepEqual(interpretStatus({ mode: 'pidns', sentSignals: [] }, 42), { state: 'exited', exitCode: 42, signal: null });
  assert.deepEqual(interpretStatus({ mode: 'pidns', sentSignals: [] }, 130), { state: 'exited', exitCode: 130, signal: null });
  assert.deepEqual(interpretStatus({ mode: 'pidns', sentSignals: ['SIGINT'] }, 130), { state: 'killed', exitCode: 130, signal: 'SIGINT' });
  assert.deepEqual(interpretStatus({ mode: 'host', sentSignals: [] }, 137), { state: 'killed', exitCode: 137, signal: 'SIGKILL' });
  assert.deepEqual(interpretStatus({ mode: 'pidns', sentSignals: ['SIGKILL'] }, 1), { state: 'killed', exitCode: 1, signal: 'SIGKILL' });
  assert.deepEqual(interpretStatus({ mode: 'pidns', sentSignals: [] }, null), { state: 'lost', exitCode: null, signal: null });
});
