// watchHealth with real restored processes: one that exits at once after the restore (a flag file
// it checks is there), one whose probe port never opens, and a healthy one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { processState, waitForExit } from '../criu/index.js';
import { isCryoError } from '../errors/index.js';
import { client, checkpoint, stillVerifies } from './_checkpoint.js';
import { killRestoredAfter, startKeeper, tempDir, type Keeper } from './_keeper.js';
import { UnhealthyError, watchHealth } from './index.js';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function restoredKeeper(t: Parameters<typeof tempDir>[0], args: string[], beforeRestore?: (dir: string) => void): Promise<{ k: Keeper; pid: number; cp: string; exited: ReturnType<typeof waitForExit> }> {
  const dir = tempDir(t);
  const k = await startKeeper(t, dir, args.map((a) => a.replace('DIR', dir)));
  const cp = await checkpoint(dir, k);
  beforeRestore?.(dir);
  const r = await client.restore({ imagesDir: cp });
  const exited = waitForExit(r.pid);
  killRestoredAfter(t, r.pid);
  return { k, pid: r.pid, cp, exited };
}

test('a restored process that exits at once: CRYO_RESTORE_UNHEALTHY with its exit status and output', async (t) => {
  const { k, pid, cp, exited } = await restoredKeeper(t, ['--exit-if', 'DIR/stop', '--exit-code', '3'], (dir) => writeFileSync(join(dir, 'stop'), ''));
  await assert.rejects(watchHealth(pid, { graceMs: 3000, waitExit: exited, outputTail: () => k.output().split('\n').slice(-5).join('\n') }), (e: unknown) => {
    assert.ok(e instanceof UnhealthyError);
    assert.ok(isCryoError(e, 'CRYO_RESTORE_UNHEALTHY'));
    assert.equal(e.reason, 'exited');
    assert.deepEqual(e.exit, { code: 3, signal: null });
    assert.equal(e.context.pid, pid);
    assert.match(e.message, /exited with code 3/);
    assert.match(e.outputTail, /flag .*stop found, exiting with 3/);
    assert.match(e.message, /flag .*stop found/);
    return true;
  });
  assert.ok(await stillVerifies(cp), 'the checkpoint is intact for another try');
});

test('a probe port that never opens: CRYO_RESTORE_UNHEALTHY naming the port; the process still runs', async (t) => {
  const { pid, exited } = await restoredKeeper(t, ['--listen']);
  const port = await closedPort();
  const started = Date.now();
  await assert.rejects(watchHealth(pid, { graceMs: 800, probe: { tcpPort: port, intervalMs: 100 }, waitExit: exited }), (e: unknown) => {
    assert.ok(e instanceof UnhealthyError);
    assert.equal(e.reason, 'probe-failed');
    assert.equal(e.exit, undefined);
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port} never accepted`));
    return true;
  });
  assert.ok(Date.now() - started >= 800, 'the whole grace period was given');
  assert.match(processState(pid) ?? 'gone', /^[RS]$/, 'watchHealth reports; the caller decides what to kill');
});

test('a healthy restored process: its port accepts and the probe command exits 0', async (t) => {
  const { k, pid, exited } = await restoredKeeper(t, ['--listen']);
  const h = await watchHealth(pid, { graceMs: 600, probe: { tcpPort: k.port, cmd: 'kill -0 "$CRYO_PID"' }, waitExit: exited });
  assert.equal(h.healthy, true);
  assert.equal(h.pid, pid);
  assert.ok(h.probePassedAfterMs !== undefined && h.probePassedAfterMs < 600);
  assert.ok(h.durationMs >= 600);
  assert.match(processState(pid) ?? 'gone', /^[RS]$/);
});

test('a probe command that fails, and bad options', async (t) => {
  const { pid, exited } = await restoredKeeper(t, []);
  await assert.rejects(watchHealth(pid, { graceMs: 300, probe: { cmd: 'exit 1' }, waitExit: exited }), (e: unknown) =>
    e instanceof UnhealthyError && /probe command `exit 1` never exited 0/.test(e.message));
  await assert.rejects(watchHealth(pid, { graceMs: -1, waitExit: exited }), (e: unknown) => isCryoError(e, 'CRYO_INVALID_OPTION') && /graceMs/.test(e.message));
  await assert.rejects(watchHealth(pid, { graceMs: 10, probe: {}, waitExit: exited }), (e: unknown) => isCryoError(e, 'CRYO_INVALID_OPTION'));
});

test('a restored process killed during the grace period: its signal is reported', async (t) => {
  const { pid, exited } = await restoredKeeper(t, []);
  const watching = watchHealth(pid, { graceMs: 5000, waitExit: exited });
  process.kill(pid, 'SIGKILL');
  await assert.rejects(watching, (e: unknown) => {
    assert.ok(e instanceof UnhealthyError);
    assert.deepEqual(e.exit, { code: null, signal: 'SIGKILL' });
    assert.match(e.message, /was killed by SIGKILL \d+ ms into the 5000 ms grace period/);
    return true;
  });
});
