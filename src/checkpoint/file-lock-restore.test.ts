// End to end: a checkpoint of a job holding a file lock, restored while a first restored copy
// still holds that lock. Pre-flight refuses it (CRYO_FILE_LOCK_HELD, naming the file and the
// holder); forced past pre-flight, CRIU would wait for the lock forever, so the restore timeout
// cancels it (CRYO_RESTORE_TIMEOUT with CRIU's last log lines), kills and reaps what was
// half-restored, and leaves the checkpoint intact: once the lock is free it restores.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processTree } from '../criu/index.js';
import { parseProcLocks } from '../safety/index.js';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { countsOn } from './_test-progress.js';

interface ErrJson { error: { code: string; message: string; logPath?: string; logLines?: string[]; failures?: { details?: { holders?: { pid: number }[] } }[] } }

/** /proc/locks lines on this inode: [held, blocked waiters]. */
function locksOn(path: string): { held: number; waiting: number } {
  const ino = statSync(path).ino;
  const text = readFileSync('/proc/locks', 'utf8');
  const held = parseProcLocks(text).filter((l) => l.inode === ino).length;
  const waiting = text.split('\n').filter((l) => l.includes('->') && l.includes(`:${ino} `)).length;
  return { held, waiting };
}

let d: TestDaemon;

test('a lock held by another process: pre-flight refuses, the timeout backstops, the checkpoint survives', async (t) => {
  d = await startDaemon();
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-flock-'));
  t.after(async () => {
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const api = apiClient(d.socket);
  const counter = await buildWorkload('counter');
  const lock = join(tmp, 'held.lock');
  assert.equal((await d.cli(['run', '--name', 'locker', '--', counter, '--interval-ms', '50', '--lock', lock])).code, 0);
  await waitForOutput(api, 'locker', '\n2\n');
  const dump = await d.cli(['dump', 'locker', '--json']);
  assert.equal(dump.code, 0, dump.stderr);

  // A first copy takes the lock again.
  const first = await d.cli(['restore', 'locker', '--name', 'first', '--json']);
  assert.equal(first.code, 0, first.stderr);
  await countsOn(api, 'first');
  const firstTree = processTree((await getJob(api, 'first')).rootPid);

  // A second copy: refused before CRIU runs, naming the file and the process holding the lock.
  const second = await d.cli(['restore', 'locker', '--name', 'second', '--json']);
  assert.equal(second.code, 1, second.stdout);
  const se = (JSON.parse(second.stderr) as ErrJson).error;
  t.diagnostic(se.message);
  assert.equal(se.code, 'CRYO_FILE_LOCK_HELD', se.message);
  assert.match(se.message, /held\.lock/);
  assert.match(se.message, /flock write lock held by counter \(pid \d+\)/);
  const holder = Number(/held by counter \(pid (\d+)\)/.exec(se.message)?.[1]);
  assert.ok(firstTree.includes(holder), `the holder ${holder} is the first copy's process (${firstTree.join(' ')})`);
  assert.equal(se.logPath, undefined, 'refused by pre-flight, CRIU never ran');

  // Forced past pre-flight, CRIU waits in flock(): the timeout cancels it and cleans up.
  const started = Date.now();
  const forced = await d.cli(['restore', 'locker', '--name', 'third', '--force', '--timeout', '1500', '--json']);
  const took = Date.now() - started;
  assert.equal(forced.code, 1, forced.stdout);
  const fe = (JSON.parse(forced.stderr) as ErrJson).error;
  t.diagnostic(`${fe.message}\n${(fe.logLines ?? []).join('\n')}`);
  assert.equal(fe.code, 'CRYO_RESTORE_TIMEOUT', fe.message);
  assert.match(fe.message, /did not finish within 1\.5 s/);
  assert.match(fe.message, /checkpoint is unchanged/);
  assert.match(fe.logPath ?? '', /criu-restore\.\d+\.log$/);
  assert.ok((fe.logLines ?? []).some((l) => /\(flock\)/.test(l)), 'the CRIU log line of the task stuck in flock() is shown');
  assert.ok(took < 15_000, `cancelled promptly (${took} ms)`);
  await assert.rejects(getJob(api, 'third'), 'no job is left from the cancelled restore');
  assert.deepEqual(locksOn(lock), { held: 1, waiting: 0 }, 'only the first copy holds the lock; nobody waits for it');
  assert.deepEqual(zombieChildren(d.proc.pid as number), []);

  // The lock is free again: the same checkpoint restores (it is intact and verifies).
  assert.equal((await d.cli(['kill', 'first', '--signal', 'KILL'])).code, 0);
  await d.cli(['wait', 'first']);
  const again = await d.cli(['restore', 'locker', '--name', 'fourth', '--json']);
  assert.equal(again.code, 0, again.stderr);
  await countsOn(api, 'fourth');
  assert.equal((await d.cli(['kill', 'fourth', '--signal', 'KILL'])).code, 0);
  await d.cli(['wait', 'fourth']);
  assert.deepEqual(zombieChildren(d.proc.pid as number), []);
});
