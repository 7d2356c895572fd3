// lazyPages on restore: memory is served on demand by a `criu lazy-pages` daemon (userfaultfd);
// the restored counter continues. Skipped, saying so, where the kernel lacks userfaultfd.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient } from './client.js';
import { waitForExit } from './reaper.js';
import { closeSync, lastCount, openAppend, startCounter, until } from './_test-workload.js';

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

test('restore with lazyPages from a lazy-pages daemon', async (t) => {
  const client = new CriuClient();
  if (!(await client.featureCheck()).lazyPages) return t.skip('kernel lacks userfaultfd (lazy pages)');
  const dir = mkdtempSync(join(tmpdir(), 'cryo-criu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'out.log');
  const fd = openAppend(log);
  const c = await startCounter(fd, { intervalMs: 20, memMb: 32 });
  closeSync(fd);
  t.after(() => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  await client.dump({ pid: c.pid, imagesDir: join(dir, 'img') });
  await c.gone;
  const atDump = lastCount(log);

  // The page daemon is CRIU's own command (the RPC has no request for it).
  const lazy = spawn(client.criuPath, ['lazy-pages', '-D', join(dir, 'img'), '-o', 'lazy-pages.log', '-v4'], { stdio: 'ignore' });
  const lazyExit = new Promise<number | null>((resolve) => lazy.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (lazy.exitCode === null) lazy.kill('SIGKILL');
  });
  // It listens on DIR/lazy-pages.socket; restore connects to it.
  await until(() => isSocket(join(dir, 'img', 'lazy-pages.socket')), 'the lazy-pages socket');
  const r = await client.restore({ imagesDir: join(dir, 'img'), lazyPages: true });
  t.after(async () => {
    try { process.kill(r.pid, 'SIGKILL'); } catch { /* gone */ }
    await waitForExit(r.pid);
  });
  await until(() => lastCount(log) >= atDump + 3, 'the lazily restored counter to continue');
  assert.equal(await lazyExit, 0, 'the daemon served every page and exited');
});
