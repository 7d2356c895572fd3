import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCryoError } from '../errors/index.js';
import { HookRunner, parseHookFlags } from './hooks.js';
import { inheritKey, planStdio } from './stdio.js';

test('parseHookFlags accepts EVENT=CMD and refuses unknown events', () => {
  assert.deepEqual(parseHookFlags(['post-restore=echo a=b']), [{ event: 'post-restore', command: 'echo a=b' }]);
  for (const bad of ['post-restore', 'later=echo', 'pre-dump=', '=echo']) {
    assert.throws(() => parseHookFlags([bad]), (e) => isCryoError(e, 'CRYO_INVALID_OPTION'));
  }
});

test('HookRunner runs an event\'s hooks in order with CRYO_* variables; a failure names the hook', async () => {
  const seen: string[] = [];
  const r = new HookRunner([
    { event: 'pre-dump', command: 'echo "one $CRYO_EVENT $CRYO_JOB_NAME"' },
    { event: 'post-dump', command: 'echo other' },
    { event: 'pre-dump', command: 'echo two; echo oops >&2; exit 7' },
    { event: 'pre-dump', command: 'echo never' },
  ], 5000, { CRYO_JOB_NAME: 'web' }, (x) => seen.push(x.outputTail.trim()));
  await assert.rejects(r.run('pre-dump'), (e) => isCryoError(e, 'CRYO_HOOK_FAILED') && /pre-dump hook `echo two.*exited with code 7.*oops/.test(e.message));
  assert.deepEqual(seen, ['one pre-dump web', 'two\noops']);
  assert.equal(r.runs.length, 2);
});

test('HookRunner kills a hook that outlives its timeout', async () => {
  const r = new HookRunner([{ event: 'post-restore', command: 'sleep 10' }], 200, {});
  const t0 = Date.now();
  await assert.rejects(r.run('post-restore'), (e) => isCryoError(e, 'CRYO_HOOK_FAILED') && /within 200 ms/.test(e.message));
  assert.ok(Date.now() - t0 < 5000);
});

test('stdio identities become CRIU inherit_fd keys (paths without the leading slash)', () => {
  assert.equal(inheritKey('/var/lib/cryo/jobs/x/stdout'), 'var/lib/cryo/jobs/x/stdout');
  assert.equal(inheritKey('pipe:[123]'), 'pipe:[123]');
  assert.equal(inheritKey('/dev/pts/3'), undefined);
  assert.equal(inheritKey('/tmp/gone (deleted)'), undefined);
  const plan = planStdio([
    { fd: 0, target: '/dev/null', inode: 1 }, { fd: 1, target: '/log', inode: 2 }, { fd: 2, target: '/log', inode: 2 },
  ], { stdin: 10, stdout: 11, stderr: 12 });
  assert.deepEqual(plan.inheritFds, [{ key: 'dev/null', fd: 10 }, { key: 'log', fd: 11 }]);
});
