// client.prepareRestore: a `criu swrk` started ahead of its restore. Used, it restores exactly like
// a fresh one (inherited fds mapped, the output continues on our new pipe); unused, cancel() kills
// and reaps it (and its exit-status monitor's criu), closing its socket; misuse is refused and
// cleans up too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient, PreparedSwrk } from './client.js';
import { makePipe } from './libc.js';
import { waitForExit } from './reaper.js';
import { closeSync, fdIdentity, startCounter } from './_test-workload.js';
import { restoreMonitorArgv } from '../jobs/restore-monitor.js';
import { isCryoError } from '../errors/index.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** True once pid is gone (reaped, not a zombie); polls a condition, with a deadline. */
async function gone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** The child of pid (from /proc) running `criu swrk`, waiting until it has exec'd it. */
async function swrkChildOf(pid: number, ms = 5000): Promise<number | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const c = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const p of c ? c.split(/\s+/).map(Number) : []) {
      try {
        if (cmdline(p).includes('swrk')) return p;
      } catch {
        // gone
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return undefined;
}

const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

/** Whether pid runs `criu swrk` within `ms` (it may not have exec'd yet right after spawn). */
async function execsSwrk(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cmdline(pid).includes('swrk')) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

test('a prepared criu swrk restores like a fresh one (inherited pipe mapped) and is used once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-prep-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [r1, w1] = makePipe();
  const c = await startCounter(w1, { intervalMs: 20 });
  closeSync(w1);
  t.after(() => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    closeSync(r1); // kept open until then: the counter would die of SIGPIPE before its dump
  });
  const key = fdIdentity(c.pid, 1);
  const client = new CriuClient();
  await client.dump({ pid: c.pid, imagesDir: join(dir, 'img') });
  await c.gone;

  const [r2, w2] = makePipe();
  const opts = { imagesDir: join(dir, 'img'), inheritFds: [{ key, fd: w2 }] };
  const prepared = await client.prepareRestore(opts);
  // If an assertion fails before the restore takes it, the waiting criu must not outlive the test
  // (it would keep this file's process alive); a no-op once a restore has taken it.
  t.after(() => prepared.cancel());
  assert.ok(prepared.ready);
  // spawn() returns once the child is forked; its exec of criu may still be under way.
  assert.ok(await execsSwrk(prepared.pid), cmdline(prepared.pid).join(' '));
  const restored = await client.restore({ ...opts, prepared });
  // Used once: a second restore with it is refused, naming the option.
  await assert.rejects(client.restore({ ...opts, prepared }), (e) => isCryoError(e, 'CRYO_INVALID_OPTION') && /already used/.test(e.message));
  closeSync(w2);
  const s = new Socket({ fd: r2, readable: true, writable: false });
  t.after(async () => {
    s.destroy();
    try { process.kill(restored.pid, 'SIGKILL'); } catch { /* gone */ }
    await waitForExit(restored.pid);
  });
  assert.equal(prepared.ready, false);
  assert.ok(await gone(prepared.pid), 'the prepared criu exited after its restore');
  const text = await new Promise<string>((resolve) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.split('\n').length > 3) resolve(got);
    });
  });
  assert.match(text, /\d+\n\d+\n/, 'the restored counter writes on our new pipe');
});

test('cancel() kills and reaps a prepared criu (and a monitor\'s criu) and closes its socket; misuse cleans up too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-prep-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const client = new CriuClient();
  const fdsBefore = openFds();

  const plain = await client.prepareRestore({ imagesDir: dir });
  assert.ok(plain instanceof PreparedSwrk);
  await plain.cancel();
  await plain.cancel(); // idempotent
  assert.equal(plain.ready, false);
  assert.ok(await gone(plain.pid), `criu swrk ${plain.pid} still exists after cancel()`);

  const monitor = restoreMonitorArgv(join(dir, 'exit'));
  if (monitor) {
    const m = await client.prepareRestore({ imagesDir: dir, monitor });
    const criu = await swrkChildOf(m.pid);
    assert.ok(criu !== undefined, 'the monitor started criu swrk');
    await m.cancel();
    assert.ok(await gone(m.pid), 'the monitor is gone');
    assert.ok(await gone(criu), `criu ${criu} under the monitor is gone (PDEATHSIG)`);
  } else {
    t.diagnostic('perl missing: the monitor case was not run');
  }

  // Given to a restore it does not fit (other inheritFds): refused, and killed.
  const [r, w] = makePipe();
  const mismatch = await client.prepareRestore({ imagesDir: dir, inheritFds: [{ key: 'pipe:[1]', fd: w }] });
  await assert.rejects(client.restore({ imagesDir: dir, prepared: mismatch }), (e) => isCryoError(e, 'CRYO_INVALID_OPTION') && /inheritFds/.test(e.message));
  assert.ok(await gone(mismatch.pid), 'a refused prepared criu is killed');

  // A restore that fails before its request (a bad option; an aborted signal) cancels it as well.
  const bad = await client.prepareRestore({ imagesDir: dir });
  await assert.rejects(client.restore({ imagesDir: join(dir, 'nope'), prepared: bad }), (e) => isCryoError(e, 'CRYO_INVALID_OPTION'));
  assert.ok(await gone(bad.pid));
  const aborted = await client.prepareRestore({ imagesDir: dir });
  await assert.rejects(client.restore({ imagesDir: dir, prepared: aborted, signal: AbortSignal.abort() }), (e) => isCryoError(e, 'CRYO_ABORTED'));
  assert.ok(await gone(aborted.pid));

  closeSync(r);
  closeSync(w);
  assert.equal(openFds(), fdsBefore, 'no descriptor (socket, pipe) outlives the prepared criu');
});
