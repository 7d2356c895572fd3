// The library against the rich workload (threads, children, a pipe between children, shared
// memory, signals, a file at an offset, a listening TCP socket, socket pairs), run the way cryo
// runs jobs: its own PID+IPC namespace under tini. Everything must work after the restore, and
// restore notifications arrive in the order seen for namespaced jobs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startWorkload } from '../testing/workloads.js';
import { CriuClient } from './client.js';
import { waitForExit } from './reaper.js';

test('rich workload in its own PID namespace: dump, restore, every item still works', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-criu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const w = await startWorkload('rich', ['--dir', dir], { pidns: true });
  t.after(() => w.kill());
  const r = await w.ready;
  const port = r.port ?? 0;
  const before = JSON.parse(await request(port, 'status')) as Record<string, unknown>;
  assert.equal(before['pipeOk'], true);

  const client = new CriuClient();
  const dumpOrder: string[] = [];
  await client.dump({ pid: r.rootPid, imagesDir: join(dir, 'img'), notify: { '*': (ev) => void dumpOrder.push(ev.script) } });
  assert.deepEqual(dumpOrder.filter((s) => s !== 'network-lock' && s !== 'network-unlock'), ['pre-dump', 'query-ext-files', 'post-dump']);
  await w.exited; // dump killed tini; unshare reaps it and exits

  const restoreOrder: string[] = [];
  const restored = await client.restore({ imagesDir: join(dir, 'img'), notify: { '*': (ev) => void restoreOrder.push(ev.script) } });
  t.after(async () => {
    try { process.kill(restored.pid, 'SIGKILL'); } catch { /* gone */ }
    await waitForExit(restored.pid);
  });
  assert.deepEqual(restoreOrder, ['pre-restore', 'setup-namespaces', 'post-setup-namespaces', 'post-restore', 'pre-resume', 'post-resume']);
  assert.equal(readFileSync(`/proc/${restored.pid}/comm`, 'utf8').trim(), 'tini');

  const after = JSON.parse(await request(port, 'status')) as Record<string, unknown>;
  assert.deepEqual(
    { ...after, pid: 0 },
    {
      pid: 0, seq: 2, threads: 3, threadsAdvancing: true, childA: true, childB: true, grandchildC: true,
      pipeRead: 'tok1', pipeOk: true, shm: 'v1', shmShared: true, handlerInstalled: true,
      handlerWorks: true, handlerCount: 2, pendingUsr1: true, fileOffset: 37, fileByte: '7',
      socketpairRead: 'sp1', socketpairOk: true,
    },
  );
  await request(port, 'exit 5').catch(() => '');
  assert.deepEqual(await waitForExit(restored.pid), { code: 5, signal: null }, 'tini passes the exit code through');
});
