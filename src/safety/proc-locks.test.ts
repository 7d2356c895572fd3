// /proc/locks parsing and the kernel's lock conflict rules the pre-flight lock check relies on,
// checked against a lock this test really takes (flock through a child process).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devMajorMinor, parseProcLocks, readProcLocks } from './proc-locks.js';
import { locksConflict } from './checks/locks.js';

test('parses held locks, skips blocked waiters and leases', () => {
  const l = parseProcLocks([
    '1: FLOCK  ADVISORY  WRITE 1234 fe:00:2171601 0 EOF',
    '1: -> FLOCK  ADVISORY  WRITE 99 fe:00:2171601 0 EOF',
    '2: POSIX  ADVISORY  READ 55 08:01:77 10 19',
    '3: OFDLCK ADVISORY  WRITE -1 08:01:78 0 EOF',
    '4: LEASE  ACTIVE    READ 66 08:01:79 0 EOF',
  ].join('\n'));
  assert.deepEqual(l.map((x) => [x.kind, x.write, x.pid, x.major, x.minor, x.inode, x.start, x.end]), [
    ['flock', true, 1234, 0xfe, 0, 2171601, 0, undefined],
    ['posix', false, 55, 8, 1, 77, 10, 19],
    ['ofd', true, -1, 8, 1, 78, 0, undefined],
  ]);
});

test('conflicts: flock vs flock, POSIX/OFD on overlapping ranges, only with a write lock', () => {
  const held = (kind: 'flock' | 'posix' | 'ofd', write: boolean, start = 0, end?: number) =>
    ({ kind, write, pid: 1, major: 0, minor: 0, inode: 1, start, end });
  assert.equal(locksConflict({ kind: 'flock', write: true, start: 0, end: undefined }, held('flock', false)), true);
  assert.equal(locksConflict({ kind: 'flock', write: false, start: 0, end: undefined }, held('flock', false)), false);
  assert.equal(locksConflict({ kind: 'flock', write: true, start: 0, end: undefined }, held('posix', true)), false);
  assert.equal(locksConflict({ kind: 'posix', write: true, start: 0, end: 9 }, held('posix', true, 10, 19)), false);
  assert.equal(locksConflict({ kind: 'posix', write: true, start: 5, end: 10 }, held('ofd', false, 10, 19)), true);
  assert.equal(locksConflict({ kind: 'ofd', write: false, start: 20, end: undefined }, held('posix', true, 10)), true);
});

test('a real flock shows up with the file\'s device and inode', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-locks-'));
  const file = join(dir, 'f.lock');
  writeFileSync(file, '');
  const child = spawn('flock', ['-x', file, 'sh', '-c', 'echo ready; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise<void>((res) => child.stdout.once('data', () => res()));
  const st = statSync(file);
  const { major, minor } = devMajorMinor(st.dev);
  const mine = readProcLocks().filter((l) => l.inode === st.ino && l.major === major && l.minor === minor);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]?.kind, 'flock');
  assert.equal(mine[0]?.write, true);
});
