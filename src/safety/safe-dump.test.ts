// safeDump against real CRIU: a dump into a tiny tmpfs that fills up (the process keeps running,
// not stopped; CRYO_DISK_FULL names the directory; nothing half-written stays visible), a failing
// step while frozen (CRIU resumes the process), a failing step after CRIU killed the process (it
// is restored from the images just written), and the plain success path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processState } from '../criu/index.js';
import { CryoError, isCryoError } from '../errors/index.js';
import { CheckpointStore, verifyCheckpoint } from '../store/index.js';
import { client } from './_checkpoint.js';
import { killRestoredAfter, startKeeper, tempDir, until } from './_keeper.js';
import { DumpRecoveryError, safeDump, type Recovery } from './index.js';

const ticks = (out: string): number => out.split('\n').filter((l) => l.startsWith('tick')).length;

test('a dump into a tiny tmpfs that fills up: the process survives running, CRYO_DISK_FULL names the directory, nothing half-written is visible', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cryo-safety-tmpfs-'));
  const mnt = join(root, 'tiny');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', mnt]);
  t.after(() => {
    spawnSync('umount', [mnt]);
    rmSync(root, { recursive: true, force: true });
  });
  if (m.status !== 0) return t.skip(`cannot mount a tmpfs here (needs root): ${String(m.stderr).trim()}`);

  const dir = tempDir(t);
  const k = await startKeeper(t, dir, ['--mib', '8']);
  const store = await CheckpointStore.open({ root: join(mnt, 'store') });
  const ingest = await store.beginIngest();
  const recoveries: Recovery[] = [];
  await assert.rejects(
    safeDump({
      client, dump: { pid: k.pid, imagesDir: ingest.dir }, failedLogDir: dir,
      afterDump: () => store.commit(ingest, {}), discard: () => store.abort(ingest),
      onRecovery: (r) => recoveries.push(r.recovery),
    }),
    (e: unknown) => {
      assert.ok(e instanceof DumpRecoveryError, String(e));
      assert.equal(e.code, 'CRYO_DISK_FULL');
      assert.equal(e.recovery, 'resumed');
      assert.ok(e.message.includes(ingest.dir), e.message);
      assert.match(e.message, new RegExp(`pid ${k.pid} was not lost: CRIU resumed it`));
      assert.match(e.explain(), /what to do: free space on the file system of/);
      return true;
    },
  );
  assert.deepEqual(recoveries, ['resumed']);
  // Running, not stopped (state from /proc/PID/stat), and still working.
  assert.match(processState(k.pid) ?? 'gone', /^[RS]$/);
  const before = ticks(k.output());
  await until(() => ticks(k.output()) > before + 2, 'the process to keep ticking');
  // Nothing half-written remains: no checkpoint, no ingest directory.
  assert.deepEqual(await store.list(), []);
  assert.deepEqual(readdirSync(store.ingestRoot), []);
});

test('a failing step while the tree is frozen (post-dump): CRIU resumes it, nothing is kept', async (t) => {
  const dir = tempDir(t);
  const k = await startKeeper(t, dir);
  const img = join(dir, 'img');
  await assert.rejects(
    safeDump({ client, dump: { pid: k.pid, imagesDir: img }, failedLogDir: dir, beforeRelease: () => { throw new Error('fsync of the images failed: EIO'); } }),
    (e: unknown) => {
      assert.ok(e instanceof DumpRecoveryError);
      assert.equal(e.code, 'CRYO_DUMP_WRITE_FAILED');
      assert.equal(e.recovery, 'resumed');
      assert.match(e.message, /fsync of the images failed: EIO/);
      const log = e.context.logPath ?? '';
      assert.ok(log.startsWith(dir), `CRIU's log is kept outside the discarded images: ${log}`);
      assert.match(readFileSync(log, 'utf8'), /post-dump/);
      return true;
    },
  );
  assert.match(processState(k.pid) ?? 'gone', /^[RS]$/);
  assert.throws(() => readdirSync(img), /ENOENT/);
});

test('a failing step after CRIU killed the process: it is restored from the images just written', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'data.txt'), 'x\n');
  const k = await startKeeper(t, dir, ['--file', join(dir, 'data.txt')]);
  const img = join(dir, 'img');
  let restoredPid: number | undefined;
  await assert.rejects(
    safeDump({
      client, dump: { pid: k.pid, imagesDir: img },
      afterDump: () => { throw new CryoError('CRYO_HOOK_FAILED', "post-dump hook 'upload' exited with 1"); },
    }),
    (e: unknown) => {
      assert.ok(e instanceof DumpRecoveryError);
      assert.equal(e.code, 'CRYO_HOOK_FAILED');
      assert.equal(e.recovery, 'restored');
      restoredPid = e.restoredPid;
      assert.match(e.message, /restored from the images just written and runs as pid \d+/);
      return true;
    },
  );
  assert.ok(restoredPid !== undefined);
  killRestoredAfter(t, restoredPid);
  assert.equal(restoredPid, k.pid, 'host-pid restore: same pid');
  await k.gone; // the original was killed by CRIU...
  assert.match(processState(restoredPid) ?? 'gone', /^[RS]$/); // ...and the restored copy runs
  const before = ticks(k.output());
  await until(() => ticks(k.output()) > before + 2, 'the restored process to keep ticking');
  assert.throws(() => readdirSync(img), /ENOENT/, 'the partial checkpoint was removed');
});

test('success: afterDump\'s value is returned and the committed checkpoint verifies', async (t) => {
  const dir = tempDir(t);
  const k = await startKeeper(t, dir);
  const store = await CheckpointStore.open({ root: join(dir, 'store') });
  const ingest = await store.beginIngest();
  const r = await safeDump({ client, dump: { pid: k.pid, imagesDir: ingest.dir, leaveRunning: true }, afterDump: () => store.commit(ingest, {}) });
  assert.ok(r.value);
  assert.equal((await verifyCheckpoint(r.value.dir)).ok, true);
  assert.match(processState(k.pid) ?? 'gone', /^[RS]$/);
  assert.ok(!isCryoError(r));
});

test('the disk fills up after CRIU (the commit): the process is restored, CRYO_DISK_FULL', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cryo-safety-tmpfs-'));
  const mnt = join(root, 'small');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6M', 'tmpfs', mnt]);
  t.after(() => {
    spawnSync('umount', [mnt]);
    rmSync(root, { recursive: true, force: true });
  });
  if (m.status !== 0) return t.skip(`cannot mount a tmpfs here (needs root): ${String(m.stderr).trim()}`);
  const dir = tempDir(t);
  const k = await startKeeper(t, dir);
  const img = join(mnt, 'img');
  let restoredPid: number | undefined;
  await assert.rejects(
    safeDump({
      client, dump: { pid: k.pid, imagesDir: img },
      // Stands for a store copying the images elsewhere on the same disk: fills it for real.
      afterDump: () => writeFileSync(join(mnt, 'copy'), Buffer.alloc(16 * 1024 * 1024, 1)),
    }),
    (e: unknown) => {
      assert.ok(e instanceof DumpRecoveryError, String(e));
      assert.equal(e.code, 'CRYO_DISK_FULL');
      assert.equal(e.recovery, 'restored');
      assert.ok(e.message.includes(img), e.message);
      restoredPid = e.restoredPid;
      return true;
    },
  );
  assert.ok(restoredPid !== undefined);
  killRestoredAfter(t, restoredPid);
  assert.match(processState(restoredPid) ?? 'gone', /^[RS]$/);
  const before = ticks(k.output());
  await until(() => ticks(k.output()) > before + 2, 'the restored process to keep ticking');
});
