// The criu wrapper written by scripts/provision-criu.sh keeps CRIU's kernel-probe cache valid per
// boot when /run is not a tmpfs; doctor reports it. These tests drive the live wrapper and real
// CRIU, and read CRIU's own log for whether it loaded the cache.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, locateCriu } from '../config/index.js';
import { runCommand } from '../util/run-command.js';
import { runCli } from '../testing/cli.js';
import { KDAT_FILE, KDAT_STAMP, criuRunLog, kdatCacheCheck, kdatFromLog, runIsTmpfs } from './kdat-cache.js';
import type { CheckResult } from './checks.js';

const criu = locateCriu(loadConfig().criu).path;
const wrapperKeepsCache = ((): boolean => {
  try {
    return readFileSync(criu, 'utf8').includes('cryo_kdat_refresh');
  } catch {
    return false;
  }
})();
const skip = process.getuid?.() !== 0
  ? 'needs root (CRIU keeps /run/criu.kdat only for root)'
  : runIsTmpfs()
    ? '/run is a tmpfs here: CRIU keeps its cache itself and the wrapper leaves it alone'
    : !wrapperKeepsCache
      ? `${criu} is not cryo's criu wrapper (run ./scripts/provision-criu.sh)`
      : false;
if (skip) console.log(`# skipped kdat-cache wrapper tests: ${skip}`);

const want = (): string =>
  `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`;
const stamp = (): string => readFileSync(KDAT_STAMP, 'utf8').trim();

test('a missing cache is regenerated before CRIU runs, and CRIU loads it', { skip }, async () => {
  rmSync(KDAT_FILE, { force: true });
  const log = await criuRunLog(criu);
  assert.match(log, /Loaded kdat cache from \/run\/criu\.kdat/, 'CRIU should load the regenerated cache');
  assert.ok(statSync(KDAT_FILE).size > 0);
  assert.ok(stamp().startsWith(want()), `stamp ${stamp()} should name this boot and kernel`);
  assert.equal(statSync(KDAT_FILE).mode & 0o777, 0o600, 'same mode as CRIU gives it');
  // CRIU's own leftover (an empty criu.kdat.tmp) is gone after a regeneration.
  assert.equal(existsSync(`${KDAT_FILE}.tmp`) && statSync(`${KDAT_FILE}.tmp`).size === 0, false);
  // Fast path: the next run loads the same file, untouched.
  utimesSync(KDAT_FILE, 1, 1);
  assert.match(await criuRunLog(criu), /Loaded kdat cache/);
  assert.equal(statSync(KDAT_FILE).mtimeMs, 1000, 'a valid cache is not rewritten');
});

test('a cache stamped for another boot is regenerated (never loaded as is)', { skip }, async () => {
  await criuRunLog(criu); // a valid cache to start from
  // Dated in the past, so a regenerated file is told apart (ext4 may reuse the inode number).
  utimesSync(KDAT_FILE, 1, 1);
  const [, release, build] = stamp().split(' ');
  writeFileSync(KDAT_STAMP, `00000000-0000-0000-0000-000000000000 ${release} ${build}\n`);
  const log = await criuRunLog(criu);
  assert.match(log, /Loaded kdat cache/);
  assert.ok(statSync(KDAT_FILE).mtimeMs > 1000, 'the cache file should be a new one');
  assert.ok(stamp().startsWith(want()), `stamp ${stamp()} should name this boot again`);
});

test('a failed regeneration never fails the CRIU call, drops the stale cache and is not retried this boot', { skip }, async (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'cryo-kdat-bin-'));
  t.after(async () => {
    rmSync(bin, { recursive: true, force: true });
    rmSync(KDAT_STAMP, { force: true });
    await criuRunLog(criu); // back to a valid cache for everyone else
  });
  // `unshare` that always fails: the wrapper cannot make the cache.
  writeFileSync(join(bin, 'unshare'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(bin, 'unshare'), 0o755);
  writeFileSync(KDAT_STAMP, 'stale-boot 0.0 x\n');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  const r = await runCommand(criu, ['check', '--feature', 'uffd-noncoop'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /uffd-noncoop is supported/);
  assert.equal(existsSync(KDAT_FILE), false, 'a cache from another boot must not stay to be loaded');
  assert.ok(stamp().startsWith(`none ${want()}`), `stamp ${stamp()} should record the failure for this boot`);

  // Doctor says degraded, with the cost CRIU's log shows.
  const c = await kdatCacheCheck(criu);
  assert.equal(c.status, 'degraded');
  assert.match(c.detail, /could not make \/run\/criu\.kdat/);
  assert.match(c.impact, /probes the kernel again: ~\d+ ms each/);
});

test('doctor reports the cache as ok when CRIU loads it', { skip }, async () => {
  const r = await runCli(['doctor', '--json']);
  const out = JSON.parse(r.stdout) as { checks: CheckResult[] };
  const c = out.checks.find((x) => x.id === 'kdat-cache');
  assert.equal(c?.status, 'ok', JSON.stringify(c));
  assert.match(c.detail, /CRIU loads \/run\/criu\.kdat/);
});

test('kdatFromLog reads CRIU log lines', () => {
  assert.deepEqual(kdatFromLog('(00.000944) Loaded kdat cache from /run/criu.kdat\n'), { loaded: true });
  const probed = kdatFromLog('(00.000107) File /run/criu.kdat does not exist\n(00.041200) cpu: x86_family 25\n');
  assert.equal(probed.loaded, false);
  assert.ok(Math.abs((probed.probeMs ?? 0) - 41.2) < 0.01);
  assert.deepEqual(kdatFromLog(''), { loaded: false });
});
