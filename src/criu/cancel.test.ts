// Cancellation leaves nothing behind: no fds, no criu child (zombie or alive), and the target
// neither frozen nor stopped, whether CRIU is stopped at a notification or has to be killed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCryoError } from '../errors/index.js';
import { CriuClient } from './client.js';
import { processState } from './process-state.js';
import { closeSync, lastCount, openAppend, startCounter, until } from './_test-workload.js';

const client = new CriuClient();
const fdCount = (): number => readdirSync('/proc/self/fd').length;
/** Our children (any state), from /proc/PID/stat's ppid. */
function children(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out.sort();
}

async function setup(t: { after(fn: () => void | Promise<void>): void }, memMb = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-criu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'out.log');
  const fd = openAppend(log);
  const c = await startCounter(fd, { intervalMs: 20, memMb });
  closeSync(fd);
  t.after(async () => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    await c.gone; // reaped before the next test takes its baseline
  });
  await client.featureCheck(); // warm the cache so it does not count as a child below
  return { dir, log, c, fds: fdCount(), kids: children() };
}

async function assertClean(s: Awaited<ReturnType<typeof setup>>): Promise<void> {
  assert.equal(fdCount(), s.fds, 'no leaked descriptors');
  assert.deepEqual(children(), s.kids, 'no criu child left (alive or zombie)');
  assert.match(processState(s.c.pid) ?? 'gone', /^[RS]$/, 'target running, not stopped');
  const n = lastCount(s.log);
  await until(() => lastCount(s.log) > n, 'the target to keep counting');
}

test('abort at a notification: CRIU stops cleanly, CRYO_ABORTED, nothing leaked', async (t) => {
  const s = await setup(t);
  const ac = new AbortController();
  await assert.rejects(
    client.dump({ pid: s.c.pid, imagesDir: join(s.dir, 'img'), signal: ac.signal, notify: { 'pre-dump': () => ac.abort() } }),
    (e: unknown) => isCryoError(e, 'CRYO_ABORTED') && /stopped cleanly/.test(e.message),
  );
  await assertClean(s);
});

test('timeoutMs in the middle of a 256 MiB dump: CRYO_CRIU_TIMEOUT, target unharmed', async (t) => {
  const s = await setup(t, 256);
  await assert.rejects(client.dump({ pid: s.c.pid, imagesDir: join(s.dir, 'img'), timeoutMs: 60 }), (e: unknown) => isCryoError(e, 'CRYO_CRIU_TIMEOUT'));
  await assertClean(s);
});

test('an already aborted signal starts nothing', async (t) => {
  const s = await setup(t);
  await assert.rejects(client.dump({ pid: s.c.pid, imagesDir: join(s.dir, 'img'), signal: AbortSignal.abort() }), (e: unknown) => isCryoError(e, 'CRYO_ABORTED'));
  await assertClean(s);
});

test('a hook that never returns while the tree is frozen: criu is killed, the tree resumes', async (t) => {
  const s = await setup(t);
  const ac = new AbortController();
  let frozen: string | undefined;
  await assert.rejects(
    client.dump({
      pid: s.c.pid, imagesDir: join(s.dir, 'img'), signal: ac.signal,
      notify: {
        'post-dump': () => {
          frozen = processState(s.c.pid);
          ac.abort();
          return new Promise<void>(() => undefined);
        },
      },
    }),
    (e: unknown) => isCryoError(e, 'CRYO_ABORTED') && /killed/.test(e.message),
  );
  assert.ok(frozen !== undefined, 'the hook ran with the tree frozen');
  await assertClean(s);
});
