// A job in its own network (and PID) namespace, checkpointed with real CRIU: its listening port
// is taken on the host afterwards, yet pre-flight finds no conflict and CRIU restores it, because
// the restore recreates the namespace. Started as cryo's jobs are (unshare + setsid + tini).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitForExit } from '../criu/index.js';
import { client } from './_checkpoint.js';
import { keeperBinary, killRestoredAfter, tempDir, until } from './_keeper.js';
import { runPreflight } from './index.js';

test('ports of a checkpoint with its own network namespace do not conflict with the host', async (t) => {
  if (spawnSync('ip', ['-V']).status !== 0) return t.skip('the `ip` command is missing (needed to bring up lo in the new namespace)');
  const dir = tempDir(t);
  const fifo = join(dir, 'ready.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const out = openSync(join(dir, 'out.log'), 'a');
  const u = spawn('unshare', ['--net', '--pid', '--ipc', '--fork', 'setsid', 'tini', '--', 'sh', '-c', `ip link set lo up && exec "${keeperBinary()}" --listen`], {
    stdio: ['ignore', out, out], env: { ...process.env, CRYO_READY_PATH: fifo },
  });
  closeSync(out);
  const uGone = new Promise((r) => u.once('exit', r));
  t.after(async () => { try { process.kill(u.pid!, 'SIGKILL'); } catch { /* gone */ } await uGone; });
  const line = await new Promise<string>((resolve, reject) => {
    let got = '';
    const s = createReadStream(fifo, { encoding: 'utf8' });
    s.on('data', (d) => { got += String(d); if (got.includes('\n')) { s.destroy(); resolve(got); } });
    s.on('error', reject);
  });
  const port = Number(/port=(\d+)/.exec(line)?.[1]);
  let tini = 0;
  await until(() => (tini = Number(readFileSync(`/proc/${u.pid}/task/${u.pid}/children`, 'utf8').trim().split(/\s+/)[0] ?? 0)) > 0, 'tini');

  const img = join(dir, 'img');
  await client.dump({ pid: tini, imagesDir: img });
  await uGone;
  // The host now listens on the very port the job listened on inside its namespace.
  const host = createServer();
  await new Promise<void>((r) => host.listen(port, '127.0.0.1', r));
  t.after(() => host.close());

  const r = await runPreflight(img);
  const ports = r.checks.find((c) => c.id === 'ports');
  assert.equal(ports?.status, 'ok');
  assert.match(ports?.detail ?? '', /own network namespace: its 1 ports cannot conflict/);
  assert.equal(r.checks.find((c) => c.id === 'pids')?.status, 'ok');
  assert.equal(r.ok, true, JSON.stringify(r.checks.filter((c) => c.status === 'fail')));

  const restored = await client.restore({ imagesDir: img });
  killRestoredAfter(t, restored.pid);
  assert.notEqual(restored.pid, tini);
  const ended = await Promise.race([waitForExit(restored.pid), new Promise((res) => setTimeout(() => res('running'), 300))]);
  assert.equal(ended, 'running', 'the restored job keeps running beside the host listener');
});
