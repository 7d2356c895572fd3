// End-to-end: the client drives real CRIU against a real counter process (own session, output
// in an O_APPEND file): round trip, notification order, a failing hook, and the failures a user
// meets most (no such pid, pid taken, file gone) with their codes and hints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCryoError } from '../errors/index.js';
import { CriuClient } from './client.js';
import { CriuError } from './criu-error.js';
import { processState } from './process-state.js';
import { waitForExit } from './reaper.js';
import { closeSync, lastCount, openAppend, startCounter, until, type Counter } from './_test-workload.js';

const client = new CriuClient();

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-criu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a counter logging to dir/out.log; kills it (or its restored copy) after the test. */
async function counter(t: { after(fn: () => Promise<void> | void): void }, dir: string): Promise<{ c: Counter; log: string }> {
  const log = join(dir, 'out.log');
  const fd = openAppend(log);
  const c = await startCounter(fd, { intervalMs: 20 });
  closeSync(fd);
  t.after(() => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  return { c, log };
}

async function killRestored(pid: number): Promise<void> {
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  await waitForExit(pid);
}

test('version and feature check answer over RPC', async () => {
  const v = await client.version();
  assert.ok(v.major >= 4, v.text);
  const f = await client.featureCheck();
  assert.equal(typeof f.memTrack, 'boolean');
});

test('dump and restore round trip; notifications arrive in CRIU order', async (t) => {
  const dir = tempDir(t);
  const { c, log } = await counter(t, dir);
  await until(() => lastCount(log) >= 3, 'the counter to count');
  const dumpOrder: string[] = [];
  const res = await client.dump({ pid: c.pid, imagesDir: join(dir, 'img'), notify: { '*': (ev) => void dumpOrder.push(ev.script) } });
  assert.deepEqual(dumpOrder, ['pre-dump', 'query-ext-files', 'post-dump']);
  assert.match(res.logPath, /criu-dump\.log$/);
  await c.gone; // dump kills the original; Node reaps it, freeing its pid for the restore
  const atDump = lastCount(log);

  const restoreOrder: string[] = [];
  let postRestorePid: number | undefined;
  const r = await client.restore({
    imagesDir: join(dir, 'img'),
    notify: { '*': (ev) => void restoreOrder.push(ev.script), 'post-restore': (ev) => void (postRestorePid = ev.pid) },
  });
  t.after(() => killRestored(r.pid));
  assert.equal(r.pid, c.pid, 'host-PID restore keeps the pid');
  assert.equal(postRestorePid, r.pid);
  assert.deepEqual(restoreOrder, ['pre-restore', 'post-restore', 'pre-resume', 'post-resume']);
  await until(() => lastCount(log) >= atDump + 3, 'the restored counter to continue');
  assert.ok(lastCount(log) > atDump);
});

test('a failing notification handler aborts the dump and the target keeps running', async (t) => {
  const dir = tempDir(t);
  const { c, log } = await counter(t, dir);
  await assert.rejects(
    client.dump({ pid: c.pid, imagesDir: join(dir, 'img'), notify: { 'post-dump': () => { throw new Error('storage is full'); } } }),
    (e: unknown) => {
      assert.ok(e instanceof CriuError);
      assert.equal(e.code, 'CRYO_HOOK_FAILED');
      assert.match(e.message, /'post-dump'.*storage is full/);
      assert.equal(e.pid, c.pid);
      return true;
    },
  );
  assert.match(processState(c.pid) ?? 'gone', /^[RS]$/);
  const before = lastCount(log);
  await until(() => lastCount(log) > before, 'the target to keep counting');
});

test('dump of a pid that does not exist: CRYO_PID_NOT_FOUND', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(client.dump({ pid: 2 ** 22 + 12345, imagesDir: join(dir, 'img') }), (e: unknown) => {
    assert.ok(isCryoError(e, 'CRYO_PID_NOT_FOUND'));
    assert.match(e.action, /pid/);
    return true;
  });
});

test('restore while the original still runs: CRYO_PID_IN_USE with a hint', async (t) => {
  const dir = tempDir(t);
  const { c } = await counter(t, dir);
  await client.dump({ pid: c.pid, imagesDir: join(dir, 'img'), leaveRunning: true });
  assert.match(processState(c.pid) ?? 'gone', /^[RS]$/);
  await assert.rejects(client.restore({ imagesDir: join(dir, 'img') }), (e: unknown) => {
    assert.ok(e instanceof CriuError);
    assert.equal(e.code, 'CRYO_PID_IN_USE');
    assert.equal(e.transient, true);
    assert.ok(e.logLines.some((l) => /File exists/.test(l)), e.logLines.join('\n'));
    assert.match(e.logPath ?? '', /criu-restore\.log$/);
    assert.match(e.explain(), /what to do: .*pid/);
    return true;
  });
});

test('restore after a file the process had open was deleted: CRYO_FILE_MISSING', async (t) => {
  const dir = tempDir(t);
  const { c, log } = await counter(t, dir);
  await client.dump({ pid: c.pid, imagesDir: join(dir, 'img') });
  await c.gone;
  unlinkSync(log);
  await assert.rejects(client.restore({ imagesDir: join(dir, 'img') }), (e: unknown) => {
    assert.ok(e instanceof CriuError);
    assert.equal(e.code, 'CRYO_FILE_MISSING');
    assert.ok(e.logLines.some((l) => l.includes('out.log')), e.logLines.join('\n'));
    return true;
  });
});

test('pre-dump and trackMem are refused clearly when the kernel lacks soft-dirty tracking', async (t) => {
  const f = await client.featureCheck();
  if (f.memTrack) return t.skip('this kernel has soft-dirty tracking');
  const dir = tempDir(t);
  await assert.rejects(client.dump({ pid: process.pid, imagesDir: dir, trackMem: true }), (e: unknown) => {
    assert.ok(isCryoError(e, 'CRYO_FEATURE_UNSUPPORTED'));
    assert.match(e.message, /not supported on this kernel/);
    return true;
  });
  await assert.rejects(client.preDump({ pid: process.pid, imagesDir: dir }), (e: unknown) => isCryoError(e, 'CRYO_FEATURE_UNSUPPORTED'));
});

test('a plain dump (no TCP connections kept, host network) leaves no network lock behind', async (t) => {
  const nftTables = (): string[] | undefined => {
    try {
      return execFileSync('nft', ['list', 'tables']).toString().split('\n').map((l) => l.split(' ').at(-1) ?? '').filter((n) => n.startsWith('CRIU-'));
    } catch {
      return undefined;
    }
  };
  if (!nftTables()) return t.skip('nft is not installed: cannot list nftables tables');
  // CRIU names its lock table after the dump's run id ("CRIU-" + a prefix of it); the log names
  // the swrk service's run id first, then the dump's.
  const tableOf = (img: string): string | undefined => {
    const ids = [...readFileSync(join(img, 'criu-dump.log'), 'utf8').matchAll(/CRIU run id = ([0-9a-f-]+)/g)];
    const id = ids.at(-1)?.[1] ?? 'none';
    return nftTables()?.find((n) => n.startsWith(`CRIU-${id.slice(0, 18)}`));
  };
  const dir = tempDir(t);
  const first = await counter(t, dir);
  await client.dump({ pid: first.c.pid, imagesDir: join(dir, 'img') });
  assert.equal(tableOf(join(dir, 'img')), undefined, 'no CRIU nftables table left by a plain dump');

  // Control: with the lock forced, the table is there (so the check above can fail); remove it.
  const second = await counter(t, tempDir(t));
  await client.dump({ pid: second.c.pid, imagesDir: join(dir, 'img2'), networkLock: 'nftables' });
  const left = tableOf(join(dir, 'img2'));
  assert.ok(left, 'a forced nftables lock leaves its table until a restore unlocks it');
  execFileSync('nft', ['delete', 'table', 'inet', left]);
});
