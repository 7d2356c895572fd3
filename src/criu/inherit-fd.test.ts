// inheritFds end to end: a process whose stdout is a pipe is dumped; on restore a NEW pipe of ours
// replaces it (CRIU looks inherit_fd numbers up in its own fd table; the client maps ours there),
// and its output continues on our pipe. The daemon's attachable jobs rely on exactly this.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuClient } from './client.js';
import { makePipe } from './libc.js';
import { waitForExit } from './reaper.js';
import { closeSync, fdIdentity, startCounter } from './_test-workload.js';

/** Reads numbers printed on a pipe's read end until `enough` says stop; the pipe stays open
 *  (closing it would kill the writer with SIGPIPE) until `sockets` are destroyed. */
const sockets: Socket[] = [];
function readNumbers(fd: number, enough: (nums: number[]) => boolean): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const s = new Socket({ fd, readable: true, writable: false });
    sockets.push(s);
    let text = '';
    const nums = (): number[] => text.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    s.on('data', (d: Buffer) => {
      text += d.toString();
      if (enough(nums())) resolve(nums());
    });
    s.on('end', () => resolve(nums()));
    s.on('error', reject);
  });
}

test('restore hands our new pipe to the process in place of its dumped stdout pipe', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-criu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  t.after(() => sockets.forEach((s) => s.destroy()));
  const [r1, w1] = makePipe();
  const c = await startCounter(w1, { intervalMs: 20 });
  closeSync(w1);
  t.after(() => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  const key = fdIdentity(c.pid, 1);
  assert.match(key, /^pipe:\[\d+\]$/);
  const before = await readNumbers(r1, (n) => n.length >= 3);

  const client = new CriuClient();
  await client.dump({ pid: c.pid, imagesDir: join(dir, 'img') });
  await c.gone;

  const [r2, w2] = makePipe();
  const restored = await client.restore({ imagesDir: join(dir, 'img'), inheritFds: [{ key, fd: w2 }] });
  closeSync(w2);
  t.after(async () => {
    try { process.kill(restored.pid, 'SIGKILL'); } catch { /* gone */ }
    await waitForExit(restored.pid);
  });
  assert.equal(fdIdentity(restored.pid, 1).startsWith('pipe:'), true);
  const after = await readNumbers(r2, (n) => n.length >= 3);
  assert.ok(after.length >= 3, 'output arrives on the new pipe');
  assert.ok((after[0] ?? 0) > (before.at(-1) ?? Infinity), `continues counting (${before.join(',')} then ${after.join(',')})`);
});
