// The criu wrapper written by scripts/provision-criu.sh keeps CRIU's kernel-probe cache valid per
// boot when /run is not a tmpfs; doctor reports it. These tests drive the live wrapper and real
// CRIU, each with a private /run (see isolated), and read CRIU's own log for whether it loaded
// the cache.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, locateCriu } from '../config/index.js';
import { runCommand } from '../util/run-command.js';
import { runCli } from '../testing/cli.js';
import { kdatCacheCheck, kdatFromLog, runIsTmpfs } from './kdat-cache.js';
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

/**
 * Runs the criu wrapper with a private, empty (non-tmpfs) /run: a bind mount in its own mount
 * namespace, so neither other CRIU users on the machine nor this test touch each other's cache.
 */
function isolated(t: { after(fn: () => void): void }): { run: string; criu(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; log: string }> } {
  const run = mkdtempSync(join(tmpdir(), 'cryo-kdat-run-'));
  const logs = mkdtempSync(join(tmpdir(), 'cryo-kdat-log-'));
  t.after(() => {
    rmSync(run, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  });
  let n = 0;
  return {
    run,
    async criu(args, env = process.env) {
      const log = join(logs, `criu-${++n}.log`);
      const r = await runCommand('/usr/bin/unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /run && exec "$@"', run, criu, ...args, '-v4', '-o', log], { env });
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        // criu did not start
      }
      return { code: r.code, out: r.stdout + r.stderr, log: text };
    },
  };
}

test('a missing cache is regenerated before CRIU runs, and CRIU loads it', { skip }, async (t) => {
  const box = isolated(t);
  const kdat = join(box.run, 'criu.kdat');
  const stamp = (): string => readFileSync(join(box.run, 'criu.kdat.cryo-boot'), 'utf8').trim();
  // CRIU's own leftover from a save it gave up on (non-tmpfs /run): removed on the way.
  writeFileSync(join(box.run, 'criu.kdat.tmp'), '');
  const r = await box.criu(['check', '--feature', 'uffd-noncoop']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.log, /Loaded kdat cache from \/run\/criu\.kdat/, 'CRIU should load the regenerated cache');
  assert.ok(statSync(kdat).size > 0);
  assert.ok(stamp().startsWith(want()), `stamp ${stamp()} should name this boot and kernel`);
  assert.equal(statSync(kdat).mode & 0o777, 0o600, 'same mode as CRIU gives it');
  assert.equal(existsSync(join(box.run, 'criu.kdat.tmp')), false);
  assert.deepEqual(readdirSync(box.run).filter((f) => f.startsWith('criu.kdat')).sort(), ['criu.kdat', 'criu.kdat.cryo-boot'], 'no temp files left');
  // Fast path: the next run loads the same file, untouched.
  utimesSync(kdat, 1, 1);
  assert.match((await box.criu(['check', '--feature', 'uffd-noncoop'])).log, /Loaded kdat cache/);
  assert.equal(statSync(kdat).mtimeMs, 1000, 'a valid cache is not rewritten');
});

test('a cache stamped for another boot is regenerated (never loaded as is)', { skip }, async (t) => {
  const box = isolated(t);
  const kdat = join(box.run, 'criu.kdat');
  const stampFile = join(box.run, 'criu.kdat.cryo-boot');
  await box.criu(['check', '--feature', 'uffd-noncoop']); // a valid cache to start from
  // Dated in the past, so a regenerated file is told apart (ext4 may reuse the inode number).
  utimesSync(kdat, 1, 1);
  const [, release, build] = readFileSync(stampFile, 'utf8').trim().split(' ');
  writeFileSync(stampFile, `00000000-0000-0000-0000-000000000000 ${release} ${build}\n`);
  const r = await box.criu(['check', '--feature', 'uffd-noncoop']);
  assert.match(r.log, /Loaded kdat cache/);
  assert.ok(statSync(kdat).mtimeMs > 1000, 'the cache file should be a new one');
  assert.ok(readFileSync(stampFile, 'utf8').startsWith(want()), 'the stamp names this boot again');
});

test('a failed regeneration never fails the CRIU call, drops the stale cache and is not retried this boot', { skip }, async (t) => {
  const box = isolated(t);
  const kdat = join(box.run, 'criu.kdat');
  const stampFile = join(box.run, 'criu.kdat.cryo-boot');
  await box.criu(['check', '--feature', 'uffd-noncoop']);
  assert.ok(existsSync(kdat));
  // `unshare` that always fails: the wrapper cannot make the cache. A stale stamp: it must try.
  const bin = mkdtempSync(join(tmpdir(), 'cryo-kdat-bin-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(join(bin, 'unshare'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(bin, 'unshare'), 0o755);
  writeFileSync(stampFile, 'stale-boot 0.0 x\n');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  const r = await box.criu(['check', '--feature', 'uffd-noncoop'], env);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /uffd-noncoop is supported/);
  assert.doesNotMatch(r.log, /Loaded kdat cache/, 'a cache from another boot must not be loaded');
  assert.equal(existsSync(kdat), false, 'a cache from another boot must not stay');
  assert.ok(readFileSync(stampFile, 'utf8').startsWith(`none ${want()}`), 'the failure is recorded for this boot');

  // Doctor says degraded, with the cost CRIU's log shows: a criu whose /run is this one.
  const wrapped = join(bin, 'criu-isolated');
  writeFileSync(wrapped, `#!/bin/sh\nexec /usr/bin/unshare -m --propagation private sh -c 'mount --bind "$0" /run && exec "$@"' ${box.run} ${criu} "$@"\n`);
  chmodSync(wrapped, 0o755);
  const c = await kdatCacheCheck(wrapped);
  assert.equal(c.status, 'degraded', JSON.stringify(c));
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
