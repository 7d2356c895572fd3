// withRetry: unit tests of the policy (what is retried, backoff bounds, reporting), then the real
// transient case: a host-pid checkpoint restored while the original still holds its pid for
// ~1.5 s more; it first fails with the transient CRYO_PID_IN_USE, then succeeds on retry. A
// non-transient failure (a file deleted) is tried exactly once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriuError, processState } from '../criu/index.js';
import { CryoError, isCryoError } from '../errors/index.js';
import { client, checkpoint, stillVerifies } from './_checkpoint.js';
import { keeperBinary, killRestoredAfter, startKeeper, tempDir } from './_keeper.js';
import { backoffDelay, isTransientFailure, runPreflight, withRetry, type AttemptInfo } from './index.js';

const transientError = () => new CriuError('CRYO_PID_IN_USE', 'pid taken', { operation: 'restore' }, {
  code: 'CRYO_PID_IN_USE', cause: 'zombie', action: 'retry', transient: true, matched: "Can't fork for 1: File exists",
});

test('isTransientFailure: the log table\'s transient flag, EAGAIN; nothing else', () => {
  assert.equal(isTransientFailure(transientError()), true);
  assert.equal(isTransientFailure(new CryoError('CRYO_FILE_MISSING', 'gone')), false);
  assert.equal(isTransientFailure(new CryoError('CRYO_CRIU_RESTORE_FAILED', 'x', { criuErrno: 11 })), true);
  assert.equal(isTransientFailure(Object.assign(new Error('again'), { code: 'EAGAIN' })), true);
  assert.equal(isTransientFailure(new Error('boom')), false);
});

test('backoff doubles, is capped, and jitters within [d/2, d]', () => {
  assert.equal(backoffDelay(1, 100, 1000, () => 1), 100);
  assert.equal(backoffDelay(1, 100, 1000, () => 0), 50);
  assert.equal(backoffDelay(3, 100, 1000, () => 1), 400);
  assert.equal(backoffDelay(10, 100, 1000, () => 1), 1000);
});

test('transient failures are retried up to `attempts`, each reported; then the last error is thrown', async () => {
  const seen: AttemptInfo[] = [];
  let calls = 0;
  await assert.rejects(
    withRetry(() => { calls++; return Promise.reject(transientError()); }, { attempts: 3, baseDelayMs: 1, maxDelayMs: 2, onAttempt: (a) => seen.push(a) }),
    (e: unknown) => isCryoError(e, 'CRYO_PID_IN_USE'),
  );
  assert.equal(calls, 3);
  assert.deepEqual(seen.map((a) => [a.attempt, a.transient, a.nextDelayMs !== undefined]), [[1, true, true], [2, true, true], [3, true, false]]);
  let n = 0;
  assert.equal(await withRetry((attempt) => { n = attempt; return attempt < 2 ? Promise.reject(transientError()) : Promise.resolve('ok'); }, { attempts: 5, baseDelayMs: 1 }), 'ok');
  assert.equal(n, 2);
});

test('bad options are refused naming the option', async () => {
  await assert.rejects(withRetry(() => Promise.resolve(1), { attempts: 0 }), (e: unknown) => isCryoError(e, 'CRYO_INVALID_OPTION') && /attempts/.test(e.message));
  await assert.rejects(withRetry(() => Promise.resolve(1), { attempts: 2, baseDelayMs: 500, maxDelayMs: 10 }), (e: unknown) => isCryoError(e, 'CRYO_INVALID_OPTION') && /maxDelayMs/.test(e.message));
});

test('real transient failure: the original holds the pid for ~1.5 s after the dump; retry succeeds', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'data.txt'), 'x\n');
  const k = await startKeeper(t, dir, ['--file', join(dir, 'data.txt')]);
  const cp = await checkpoint(dir, k, { leaveRunning: true });
  const exitAt = Date.now() + 1500;
  const timer = setTimeout(() => { try { process.kill(k.pid, 'SIGKILL'); } catch { /* gone */ } }, 1500);
  t.after(() => clearTimeout(timer));
  const seen: AttemptInfo[] = [];
  const r = await withRetry(
    (attempt) => client.restore({ imagesDir: cp, logFile: `criu-restore-${attempt}.log` }),
    { attempts: 12, baseDelayMs: 150, maxDelayMs: 600, onAttempt: (a) => seen.push(a) },
  );
  killRestoredAfter(t, r.pid);
  assert.ok(Date.now() >= exitAt, 'it can only succeed once the original is gone');
  assert.equal(r.pid, k.pid, 'host-pid restore keeps the pid');
  assert.match(processState(r.pid) ?? 'gone', /^[RS]$/);
  assert.ok(seen.length >= 1);
  const first = seen[0]!;
  assert.ok(isCryoError(first.error, 'CRYO_PID_IN_USE'), String(first.error));
  assert.equal(first.transient, true);
  assert.ok(seen.every((a) => a.transient && a.nextDelayMs !== undefined));
  for (let i = 1; i <= seen.length + 1; i++) assert.ok(existsSync(join(cp, `criu-restore-${i}.log`)), `attempt ${i} kept its CRIU log`);
  assert.ok(await stillVerifies(cp), 'restore logs are side files: the checkpoint still verifies');
});

test('a non-transient failure (a file deleted) is tried exactly once', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'data.txt'), 'x\n');
  const k = await startKeeper(t, dir, ['--file', join(dir, 'data.txt')]);
  const cp = await checkpoint(dir, k);
  unlinkSync(join(dir, 'data.txt'));
  let calls = 0;
  const seen: AttemptInfo[] = [];
  await assert.rejects(
    withRetry(() => { calls++; return client.restore({ imagesDir: cp }); }, { attempts: 5, baseDelayMs: 10, onAttempt: (a) => seen.push(a) }),
    (e: unknown) => isCryoError(e, 'CRYO_FILE_MISSING') && e.message.includes(join(dir, 'data.txt').slice(1)),
  );
  assert.equal(calls, 1);
  assert.deepEqual(seen.map((a) => [a.attempt, a.transient, a.nextDelayMs]), [[1, false, undefined]]);
  assert.ok(await stillVerifies(cp));
});

test('real transient failure: the dumped process lingers as a zombie of a parent that reaps it late', async (t) => {
  const dir = tempDir(t);
  const out = openSync(join(dir, 'out.log'), 'a');
  // keeper's parent becomes `sleep 2`, which never reaps it: once CRIU kills keeper, its pid stays
  // held by a zombie until sleep exits and init reaps the orphan.
  const sh = spawn('sh', ['-c', `"${keeperBinary()}" --setsid & exec sleep 2`], { detached: true, stdio: ['ignore', out, out, 'pipe'] });
  closeSync(out);
  const shGone = new Promise((r) => sh.once('exit', r));
  t.after(async () => { try { process.kill(sh.pid!, 'SIGKILL'); } catch { /* gone */ } await shGone; });
  const line = await new Promise<string>((resolve) => {
    let got = '';
    (sh.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => { got += d.toString(); if (got.includes('\n')) resolve(got); });
  });
  (sh.stdio[3] as unknown as { destroy(): void }).destroy();
  const pid = Number(/pid=(\d+)/.exec(line)?.[1]);
  const img = join(dir, 'img');
  await client.dump({ pid, imagesDir: img });
  assert.equal(processState(pid), 'Z', 'killed by CRIU, not reaped by its parent');

  const pre = await runPreflight(img, { skip: ['cpu'] });
  const item = pre.checks.find((c) => c.id === 'pids')?.items[0];
  assert.equal(item?.code, 'CRYO_PID_IN_USE');
  assert.equal(item?.transient, true);
  assert.match(item?.problem ?? '', new RegExp(`zombie until its parent sleep \\(pid ${sh.pid}\\) reaps it`));

  const seen: AttemptInfo[] = [];
  const r = await withRetry((attempt) => client.restore({ imagesDir: img, logFile: `criu-restore-${attempt}.log` }), {
    attempts: 14, baseDelayMs: 150, maxDelayMs: 600, onAttempt: (a) => seen.push(a),
  });
  killRestoredAfter(t, r.pid);
  assert.equal(r.pid, pid);
  assert.ok(seen.length >= 1 && isCryoError(seen[0]?.error, 'CRYO_PID_IN_USE'));
  assert.match(processState(r.pid) ?? 'gone', /^[RS]$/);
});
