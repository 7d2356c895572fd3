import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/cli.js';
import { runCommand } from '../util/run-command.js';
import { loadConfig, locateCriu } from '../config/index.js';
import { compareVersions, parseCriuVersion, featureProbes, type CheckResult } from './checks.js';

interface DoctorJson { usable: boolean; checks: CheckResult[] }

test('doctor reports the working CRIU, and each feature exactly as criu itself answers', async () => {
  const r = await runCli(['doctor', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as DoctorJson;
  assert.equal(out.usable, true);
  const criu = out.checks.find((c) => c.id === 'criu');
  assert.equal(criu?.status, 'ok');
  const version = /^(\S+)/.exec(criu.detail)?.[1] ?? '';
  assert.ok(compareVersions(version, '4.2') >= 0, `CRIU ${version} should be >= 4.2`);
  assert.equal(out.checks.find((c) => c.id === 'criu-check')?.status, 'ok');
  // Differential: doctor's verdict on each probe agrees with raw `criu check --feature`.
  const bin = locateCriu(loadConfig().criu).path;
  for (const p of featureProbes) {
    const raw = await runCommand(bin, ['check', '--feature', p.feature]);
    const mine = out.checks.find((c) => c.id === `feature:${p.feature}`);
    assert.equal(mine?.status, raw.code === 0 ? 'ok' : 'degraded', p.feature);
    if (raw.code !== 0) assert.match(mine.impact, /unavailable|cannot|need|falls back|jump/);
  }
  // Harmless noise is never presented as a problem.
  assert.doesNotMatch(r.stdout, /RLIMIT_NOFILE for self/);
});

test('doctor says so plainly, and exits non-zero, when CRYO_CRIU does not exist', async () => {
  const r = await runCli(['doctor'], { env: { CRYO_CRIU: '/nonexistent/criu' } });
  assert.equal(r.code, 3);
  assert.match(r.stdout, /missing\s+CRIU\s+\/nonexistent\/criu: not found/);
  assert.match(r.stdout, /cryo cannot work here: CRIU/);
});

test('doctor reports a CRIU binary that fails to run, with its words', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-doctor-'));
  const fake = join(dir, 'criu');
  writeFileSync(fake, '#!/bin/sh\necho "criu: error while loading shared libraries: libprotobuf-c.so.1" >&2\nexit 127\n');
  chmodSync(fake, 0o755);
  const r = await runCli(['doctor', '--json'], { env: { CRYO_CRIU: fake } });
  assert.equal(r.code, 3);
  const out = JSON.parse(r.stdout) as DoctorJson;
  assert.equal(out.usable, false);
  const criu = out.checks.find((c) => c.id === 'criu');
  assert.equal(criu?.status, 'missing');
  assert.match(criu.detail, /libprotobuf-c/);
});

test('version helpers', () => {
  assert.equal(parseCriuVersion('Version: 4.2.1\nGitID: x\n'), '4.2.1');
  assert.ok(compareVersions('4.1.1', '4.2') < 0);
  assert.ok(compareVersions('6.18.44-fc', '6.16') > 0);
  assert.equal(compareVersions('4.2', '4.2.0'), 0);
});
