import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../testing/cli.js';
import { runCommand } from '../../util/run-command.js';
import { loadConfig, locateCriu } from '../../config/index.js';
import { startWorkload } from '../../testing/workloads.js';

const criuBin = locateCriu(loadConfig().criu).path;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-explain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('explain: a real failed dump (pid gone) is explained in plain words, exit 1', async (t) => {
  const dir = tempDir(t);
  const gone = spawn('true');
  await new Promise((r) => gone.once('exit', r));
  const dump = await runCommand(criuBin, ['dump', '-t', String(gone.pid), '-D', dir, '-o', 'criu-dump.log', '-v4']);
  assert.notEqual(dump.code, 0);
  const log = join(dir, 'criu-dump.log');

  const r = await runCli(['explain', log]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^outcome:\s+failure \(dump\)/m);
  assert.match(r.stdout, new RegExp(`^cause:\\s+process ${gone.pid} does not exist`, 'm'));
  assert.match(r.stdout, /^code:\s+CRYO_PID_NOT_FOUND/m);
  assert.match(r.stdout, /^ {2}Warn .*Unable to interrupt task: \d+ \(No such process\)/m);
  assert.match(r.stdout, /^what to do: check the pid/m);
  assert.match(r.stdout, new RegExp(`^full log:\\s+${log}$`, 'm'));
  assert.doesNotMatch(r.stdout, /RLIMIT_NOFILE/);

  // --json, and a directory argument finds the log inside.
  const j = await runCli(['explain', dir, '--json']);
  assert.equal(j.code, 1, j.stderr);
  const a = JSON.parse(j.stdout) as { logPath: string; outcome: string; operation: string; hint: { code: string; transient: boolean } };
  assert.equal(a.logPath, log);
  assert.equal(a.outcome, 'failure');
  assert.equal(a.operation, 'dump');
  assert.equal(a.hint.code, 'CRYO_PID_NOT_FOUND');
  assert.equal(a.hint.transient, false);
});

test('explain: a real successful dump exits 0 and shows no errors', async (t) => {
  const dir = tempDir(t);
  const w = await startWorkload('counter', ['--interval-ms', '1000']);
  t.after(() => w.kill());
  const { rootPid } = await w.ready;
  const dump = await runCommand(criuBin, ['dump', '-t', String(rootPid), '-D', dir, '-o', 'criu-dump.log', '-v4', '--leave-running']);
  assert.equal(dump.code, 0, dump.stderr);
  const r = await runCli(['explain', join(dir, 'criu-dump.log')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^outcome:\s+success \(dump\)/m);
  assert.doesNotMatch(r.stdout, /CRIU said|cause:|RLIMIT/);
});

test('explain: a log without a verdict exits 2; a missing file is a clear CRYO_INVALID_OPTION', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['explain', join(dir, 'nope.log')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CRYO_INVALID_OPTION.*no such file/);
  const empty = await runCli(['explain', dir, '--json']);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /holds no CRIU log/);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'partial.log'), '(00.000001) Version: 4.2.1\n(00.1) Dumping task (pid: 1)\n');
  const partial = await runCli(['explain', join(dir, 'partial.log')]);
  assert.equal(partial.code, 2);
  assert.match(partial.stdout, /^outcome:\s+unknown/m);
});
