// Issue 3 acceptance: checkpoint and restore, through CriuClient, a process tree holding most kinds
// of state (threads, children and a grandchild, a pipe with data queued in it, anonymous shared
// memory, a signal handler and a blocked pending signal, a file open at an offset, a listening TCP
// socket, a unix socket pair with a message queued), then check through the workload's own
// control port that every item still works and kept its state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient, CriuError, analyzeCriuLog, waitForExit } from './index.js';
import { childPids, killProcessTree, request, startWorkload } from '../testing/workloads.js';

interface RichStatus {
  pid: number; seq: number; threads: number; threadsAdvancing: boolean;
  childA: boolean; childB: boolean; grandchildC: boolean;
  pipeRead: string; pipeOk: boolean; shm: string; shmShared: boolean;
  handlerInstalled: boolean; handlerWorks: boolean; handlerCount: number; pendingUsr1: boolean;
  fileOffset: number; fileByte: string; socketpairRead: string; socketpairOk: boolean;
}

const status = async (port: number): Promise<RichStatus> => JSON.parse(await request(port, 'status')) as RichStatus;

/** Resolves when nothing accepts on the port any more (the dumped tree is gone). */
const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });

/** Every item of the rich workload working, as a status reports it. */
function assertHealthy(s: RichStatus, when: string): void {
  const healthy = {
    threads: 3, threadsAdvancing: true, childA: true, childB: true, grandchildC: true, pipeOk: true,
    shmShared: true, handlerInstalled: true, handlerWorks: true, pendingUsr1: true, fileOffset: 37,
    fileByte: '7', socketpairOk: true,
  };
  const actual = Object.fromEntries(Object.keys(healthy).map((k) => [k, s[k as keyof RichStatus]]));
  assert.deepEqual(actual, healthy, `${when}: ${JSON.stringify(s)}`);
}

test('issue 3: dump and restore a rich process tree; every kind of state survives', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const imagesDir = join(dir, 'images');
  mkdirSync(imagesDir);
  const client = new CriuClient();

  const w = await startWorkload('rich', ['--dir', dir], { pidns: true });
  t.after(() => w.kill());
  const ready = await w.ready;
  const port = ready.port ?? 0;

  // Before: everything works; this status queues "tok1" in the pipe, "sp1" in the socket pair,
  // and has child A write "v1" into the shared memory.
  const before = await status(port);
  assertHealthy(before, 'before the checkpoint');
  assert.equal(before.seq, 1);
  assert.equal(before.pipeRead, 'preloaded');
  assert.equal(before.shm, 'shm-initial');

  const dump = await client.dump({ pid: ready.rootPid, imagesDir });
  const dumpLog = analyzeCriuLog(readFileSync(dump.logPath, 'utf8'));
  assert.equal(dumpLog.outcome, 'success');
  assert.deepEqual(dumpLog.errors, []);
  // The original tree is gone: its namespace's init exited, nothing listens on the port.
  await w.exited;
  assert.equal(await refused(port), true);

  const restored = await client.restore({ imagesDir });
  const exit = waitForExit(restored.pid); // our child (rst_sibling): reap it whatever happens
  t.after(async () => {
    killProcessTree(restored.pid);
    await exit;
  });
  assert.equal(readFileSync(`/proc/${restored.pid}/comm`, 'utf8').trim(), 'tini');
  const restoreLog = analyzeCriuLog(readFileSync(restored.logPath, 'utf8'));
  assert.equal(restoreLog.outcome, 'success');
  assert.deepEqual(restoreLog.errors, []);

  // The same tree shape: tini -> program -> (A, B -> C).
  const [program, ...extra] = childPids(restored.pid);
  assert.ok(program !== undefined && extra.length === 0);
  const kids = childPids(program);
  assert.equal(kids.length, 2);
  assert.deepEqual(kids.map((k) => childPids(k).length).sort(), [0, 1]);

  // After: every item works, and holds the state it had at checkpoint time.
  const after = await status(port);
  assertHealthy(after, 'after the restore');
  assert.equal(after.pid, 2, 'same pid inside its namespace');
  assert.equal(after.seq, 2, 'in-memory counter kept');
  assert.equal(after.pipeRead, 'tok1', 'data queued in the pipe at checkpoint time');
  assert.equal(after.shm, 'v1', 'shared memory content written by child A before the checkpoint');
  assert.equal(after.socketpairRead, 'sp1', 'message queued in the socket pair at checkpoint time');
  assert.equal(after.handlerCount, 2, 'handler ran once before, once now: its count was kept');

  // And keeps working: new data goes through the pipe, shared memory and socket pair.
  const again = await status(port);
  assertHealthy(again, 'second status after the restore');
  assert.deepEqual([again.pipeRead, again.shm, again.socketpairRead], ['tok2', 'v2', 'sp2']);
  assert.equal(await request(port, 'ping'), 'pong', 'the TCP listener accepts new connections');

  // A second restore after the open file changed fails, and the client reports the cause found
  // in CRIU's log. (A second copy would NOT fail on the port: CRIU 4.2 restores a listener
  // beside the first copy's.)
  const dataFile = join(dir, 'rich-data.txt');
  appendFileSync(dataFile, 'more');
  const clash = await client.restore({ imagesDir, logFile: 'criu-restore-2.log' }).then(
    async (r) => {
      killProcessTree(r.pid);
      await waitForExit(r.pid);
      return assert.fail('a restore with the file grown should have failed');
    },
    (e: unknown) => e,
  );
  truncateSync(dataFile, 100);
  assert.ok(clash instanceof CriuError, String(clash));
  assert.equal(clash.code, 'CRYO_FILE_CHANGED');
  assert.equal(clash.transient, false);
  assert.match(clash.message, /rich-data\.txt.*size is 104, expected 100/);
  assert.match(clash.logLines.join('\n'), /has bad size 104 \(expect 100\)/);
  assert.equal(clash.logPath, join(imagesDir, 'criu-restore-2.log'));
  assert.equal((await status(port)).fileOffset, 37, 'the first copy is unaffected');

  // The restored tree exits with the code it is asked to, and we collect it.
  await request(port, 'exit 5').catch(() => '');
  assert.deepEqual(await exit, { code: 5, signal: null });
});

test('a restored counter continues where it stopped and exits 42, collected by us', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const imagesDir = join(dir, 'images');
  mkdirSync(imagesDir);
  const client = new CriuClient();
  const output = join(dir, 'out.log');
  const w = await startWorkload('counter', ['--interval-ms', '20', '--exit-after', '30', '--exit-code', '42'], { pidns: true, output });
  t.after(() => w.kill());
  const { rootPid } = await w.ready;
  await client.dump({ pid: rootPid, imagesDir });
  await w.exited;
  const printed = readFileSync(output, 'utf8').trim().split('\n').length;
  assert.ok(printed < 30, `the counter finished before the checkpoint (${printed} lines)`);

  const restored = await client.restore({ imagesDir });
  t.after(() => killProcessTree(restored.pid));
  assert.deepEqual(await waitForExit(restored.pid), { code: 42, signal: null });
  const text = readFileSync(output, 'utf8');
  const lines = text.trim().split('\n').map(Number);
  assert.deepEqual(lines, Array.from({ length: 30 }, (_, i) => i + 1), `each number once, in order, across the restore:\n${text}`);
});
