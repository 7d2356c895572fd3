// A page server started over RPC (PAGE_SERVER_CHLD, then WAIT_PID for its exit) receives the
// memory of a dump sent to it; the dump's own directory gets everything but the pages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient } from './client.js';
import { closeSync, openAppend, startCounter } from './_test-workload.js';

test('dump through a page server; WAIT_PID reports the page server exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-criu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const client = new CriuClient();
  mkdirSync(join(dir, 'pages'));
  const ps = await client.pageServer({ imagesDir: join(dir, 'pages'), address: '127.0.0.1', port: 0 });
  t.after(() => ps.stop());
  assert.ok(ps.pid > 0);
  assert.ok(ps.port > 0, `a port was chosen (${ps.port})`);

  const fd = openAppend(join(dir, 'out.log'));
  const c = await startCounter(fd, { intervalMs: 50, memMb: 4 });
  closeSync(fd);
  t.after(() => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  await client.dump({ pid: c.pid, imagesDir: join(dir, 'img'), pageServer: { address: '127.0.0.1', port: ps.port } });
  assert.equal(await ps.exited, 0, 'the page server exits cleanly after the dump');
  assert.ok(readdirSync(join(dir, 'pages')).some((f) => f.startsWith('pages-')), 'pages landed at the page server');
  assert.ok(!readdirSync(join(dir, 'img')).some((f) => f.startsWith('pages-')), 'not in the dump directory');
});
