// `cryo dump` / `cryo restore` as a user runs them: the restored process continues, cryo waits
// for it and exits with its exit code; failures explain themselves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../testing/cli.js';
import { closeSync, lastCount, openAppend, startCounter, until } from '../../criu/_test-workload.js';

test('cryo dump then cryo restore: counting continues, cryo exits with the process code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'out.log');
  const fd = openAppend(log);
  const c = await startCounter(fd, { intervalMs: 20 });
  closeSync(fd);
  t.after(() => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  await until(() => lastCount(log) >= 2, 'the counter');

  const d = await runCli(['dump', '--pid', String(c.pid), '--dir', join(dir, 'img'), '--json']);
  assert.equal(d.code, 0, d.stderr);
  const out = JSON.parse(d.stdout) as { pid: number; durationMs: number; logPath: string };
  assert.equal(out.pid, c.pid);
  assert.ok(out.durationMs >= 0);
  await c.gone;
  const atDump = lastCount(log);

  const restore = runCli(['restore', '--dir', join(dir, 'img')]);
  await until(() => lastCount(log) >= atDump + 2, 'the restored counter');
  process.kill(c.pid, 'SIGUSR1'); // host pids: the restored counter has its old pid; exits 42
  const r = await restore;
  assert.equal(r.code, 42, r.stderr);
  assert.match(r.stderr, /restored pid \d+ in \d+ ms/);
});

test('cryo dump of a missing pid explains itself with a stable code', async () => {
  const r = await runCli(['dump', '--pid', '4194000', '--dir', join(tmpdir(), 'cryo-cli-none')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CRYO_PID_NOT_FOUND/);
  assert.match(r.stderr, /what to do:/);
  const j = await runCli(['dump', '--pid', '4194000', '--dir', join(tmpdir(), 'cryo-cli-none'), '--json']);
  assert.equal((JSON.parse(j.stderr) as { error: { code: string } }).error.code, 'CRYO_PID_NOT_FOUND');
});
