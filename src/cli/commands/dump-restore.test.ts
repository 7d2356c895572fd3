// `cryo dump` / `cryo restore` as a user runs them: the restored process continues, cryo waits
// for it and exits with its exit code; failures explain themselves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { cryoBin, runCli } from '../../testing/cli.js';
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

test('cryo restore --no-daemon --lazy: the process runs at once, pages follow, exit code passed through', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-cli-lazy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'out.log');
  const fd = openAppend(log);
  const c = await startCounter(fd, { intervalMs: 20, memMb: 64 });
  closeSync(fd);
  t.after(() => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  await until(() => lastCount(log) >= 2, 'the counter');
  const d = await runCli(['dump', '--pid', String(c.pid), '--dir', join(dir, 'img')]);
  assert.equal(d.code, 0, d.stderr);
  await c.gone;
  const atDump = lastCount(log);

  // Plain CRIU images (no manifest): --no-verify. Their stdio is wired to this terminal, here a pipe.
  const child = spawn(process.execPath, [cryoBin, 'restore', join(dir, 'img'), '--no-daemon', '--no-verify', '--lazy'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const closed = new Promise<number | null>((res) => child.on('close', res));
  await until(() => stdout.trim().split('\n').length >= 3 && /all pages arrived/.test(stderr), `the lazily restored counter (stderr: ${stderr})`, 20_000);
  process.kill(c.pid, 'SIGUSR1'); // host pids: the restored counter has its old pid; exits 42
  assert.equal(await closed, 42, stderr);
  const first = Number(stdout.trim().split('\n')[0]);
  assert.equal(first, atDump + 1, `counting continued from ${atDump}, not from scratch`);
  assert.match(stderr, /all pages arrived \d+ ms after the process started/);
});
