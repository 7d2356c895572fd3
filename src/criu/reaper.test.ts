// waitForExit for a child libuv does not know: a restored root (rst_sibling makes it our child).

import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient } from './client.js';
import { setChildSubreaper, shellExitCode, waitForExit } from './reaper.js';
import { closeSync, openAppend, startCounter } from './_test-workload.js';

/** Our zombie children (state Z with ppid = us). */
function ourZombies(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' && Number(f[1]) === process.pid) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

test('waitForExit reaps a restored root that exits 42, and one killed by a signal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-criu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const client = new CriuClient();
  const fd = openAppend(join(dir, 'out.log'));
  const c = await startCounter(fd, { intervalMs: 50 });
  closeSync(fd);
  t.after(() => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  await client.dump({ pid: c.pid, imagesDir: join(dir, 'img') });
  await c.gone;

  const r1 = await client.restore({ imagesDir: join(dir, 'img') });
  const exit1 = waitForExit(r1.pid);
  assert.equal(waitForExit(r1.pid), exit1, 'one watch per pid');
  process.kill(r1.pid, 'SIGUSR1'); // the counter exits 42 on SIGUSR1
  assert.deepEqual(await exit1, { code: 42, signal: null });
  assert.equal(shellExitCode(await exit1), 42);

  const r2 = await client.restore({ imagesDir: join(dir, 'img') });
  process.kill(r2.pid, 'SIGTERM');
  // Registered after the exit may already have happened: the first check catches it.
  const exit2 = await waitForExit(r2.pid);
  assert.deepEqual(exit2, { code: null, signal: 'SIGTERM' });
  assert.equal(shellExitCode(exit2), 143);
  assert.deepEqual(ourZombies(), []);
});

test('as child subreaper we adopt an orphaned grandchild and collect its exit code', async () => {
  setChildSubreaper();
  // sh starts a subshell in the background and exits at once: the subshell is orphaned to us.
  const { stdout } = await promisify(execFile)('sh', ['-c', '(sleep 0.2; exit 7) & echo $!']);
  const orphan = Number(stdout.trim());
  assert.ok(orphan > 0);
  assert.deepEqual(await waitForExit(orphan), { code: 7, signal: null });
  assert.deepEqual(ourZombies(), []);
});
