// End to end: `cryo restore DIR --no-daemon --no-verify` on plain images made by the daemonless
// `cryo dump --pid --dir` (no cryo.json, no manifest): the stdio is read from CRIU's images and
// wired to the caller's stdout; an unverified directory is refused without --no-verify.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/cli.js';
import { startWorkload } from '../testing/workloads.js';

test('plain images restored in the foreground get this terminal as stdout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-plain-'));
  const w = await startWorkload('counter', ['--interval-ms', '30', '--exit-after', '150', '--exit-code', '42']);
  t.after(async () => {
    await w.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  await w.ready;
  for (let i = 0; i < 200 && w.output().split('\n').filter((l) => /^\d+$/.test(l)).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  const img = join(dir, 'img');
  const d = await runCli(['dump', '--pid', String(w.pid), '--dir', img]);
  assert.equal(d.code, 0, d.stderr);
  await w.exited;
  const atDump = Number(w.output().trim().split('\n').filter((l) => /^\d+$/.test(l)).at(-1));

  const refused = await runCli(['restore', img, '--no-daemon', '--json']);
  assert.equal(refused.code, 1);
  assert.equal((JSON.parse(refused.stderr) as { error: { code: string } }).error.code, 'CRYO_CHECKPOINT_INCOMPLETE');

  const r = await runCli(['restore', img, '--no-daemon', '--no-verify'], { timeoutMs: 30_000 });
  assert.equal(r.code, 42, r.stderr);
  const got = r.stdout.trim().split('\n').map(Number);
  assert.equal(got[0], atDump + 1, 'continues on our stdout, not in its old output file');
  assert.equal(got.at(-1), 150);
  assert.match(r.stderr, /reconnected .*fd 1 \(.*output\.log\)/);
});
