// `cryo restore JOB --lazy` end to end: a real cryod, real CRIU, a 256 MiB memhog job. The job
// runs again before its memory arrived, `cryo ps` shows the transfer, the event
// restore.transfer-done arrives, and every byte of the memory is checked afterwards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload, request } from '../testing/workloads.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriuClient } from '../criu/index.js';
import { verifyCheckpoint } from '../store/index.js';

const skip = (await new CriuClient().featureCheck()).lazyPages ? false : 'this kernel lacks userfaultfd (criu check --feature uffd-noncoop)';

test('cryo restore --lazy: running at once, pages complete later (cryo ps, event), memory intact', { skip }, async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const api = apiClient(d.socket);
  const memhog = await buildWorkload('memhog');
  const run = await d.cli(['run', '--name', 'hog', '--', memhog, '--mib', '256', '--seed', '3']);
  assert.equal(run.code, 0, run.stderr);
  const port = Number(/port=(\d+)/.exec(await waitForOutput(api, 'hog', ' mib=256'))?.[1]);
  assert.ok(port > 0);
  const dump = await d.cli(['dump', 'hog', '--json']);
  assert.equal(dump.code, 0, dump.stderr);

  // Subscribe before restoring, so the transfer's end cannot be missed.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 60_000);
  const transferDone = (async () => {
    for await (const e of api.events.events({ job: 'hog', replay: false, sinceSeq: 0n }, { signal: abort.signal })) {
      if (e.type === 'restore.transfer-done') return e;
    }
    throw new Error('event stream ended without restore.transfer-done');
  })();
  transferDone.catch(() => undefined);

  const restore = await d.cli(['restore', 'hog', '--lazy', '--json']);
  assert.equal(restore.code, 0, restore.stderr);
  const rj = JSON.parse(restore.stdout) as { jobs: { name: string; state: string }[]; notes: string[] };
  assert.equal(rj.jobs[0]?.state, 'running');
  assert.ok(rj.notes.some((n) => /pages follow in the background/.test(n)), rj.notes.join('\n'));
  assert.equal(await request(port, 'ping'), 'pong');

  const ev = await transferDone;
  clearTimeout(timer);
  abort.abort();
  const data = JSON.parse(ev.dataJson) as { ok: boolean; pages: { transferred: number; total: number } | null };
  assert.equal(data.ok, true, ev.message);
  assert.ok(data.pages && data.pages.total >= 65536 && data.pages.transferred === data.pages.total, ev.dataJson);
  assert.match((await getJob(api, 'hog')).note, /pages: complete/);
  const ps = await d.cli(['ps']);
  assert.match(ps.stdout, /running \(pages complete\)/);
  assert.equal(await request(port, 'verify', 30_000), 'ok 256');

  // --lazy-fallback means nothing without --lazy, with or without cryod (a daemonless lazy
  // restore is tested in src/cli/commands/dump-restore.test.ts).
  for (const mode of [[], ['--no-daemon']]) {
    const r = await d.cli(['restore', 'hog', '--lazy-fallback', ...mode]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CRYO_INVALID_OPTION/);
  }
});

test('cryo restore --lazy whose lazy-pages server dies: rm refused meanwhile, transfer FAILED in ps and events, checkpoint restores again', { skip }, async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const api = apiClient(d.socket);
  const memhog = await buildWorkload('memhog');
  const run = await d.cli(['run', '--name', 'hog2', '--', memhog, '--mib', '256', '--seed', '5']);
  assert.equal(run.code, 0, run.stderr);
  const port = Number(/port=(\d+)/.exec(await waitForOutput(api, 'hog2', ' mib=256'))?.[1]);
  const dump = await d.cli(['dump', 'hog2', '--json']);
  assert.equal(dump.code, 0, dump.stderr);
  const dj = JSON.parse(dump.stdout) as { checkpoint: { id: string; dir: string } };
  const serverPidFile = join((await getJob(api, 'hog2')).jobDir, 'lazy-restore', 'lazy-pages.pid');

  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 60_000);
  const transferDone = (async () => {
    for await (const e of api.events.events({ job: 'hog2', replay: false, sinceSeq: 0n }, { signal: abort.signal })) {
      if (e.type === 'restore.transfer-done') return e;
    }
    throw new Error('event stream ended without restore.transfer-done');
  })();
  transferDone.catch(() => undefined);

  // A hook freezes the server before CRIU lets it push the remaining pages (post-restore).
  const restore = await d.cli(['restore', 'hog2', '--lazy', '--json', '--hook', `post-restore=kill -STOP $(cat ${serverPidFile})`]);
  assert.equal(restore.code, 0, restore.stderr);
  const serverPid = Number(readFileSync(serverPidFile, 'utf8'));
  assert.match((await d.cli(['ps'])).stdout, /\(pages transferring\)/);
  const rm = await d.cli(['rm', dj.checkpoint.id]);
  assert.notEqual(rm.code, 0, 'a checkpoint whose pages are being served cannot be removed');
  assert.match(rm.stderr, /CRYO_CHECKPOINT_PINNED|in use/);
  assert.match(rm.stderr, /lazy restore of job hog2/);

  process.kill(serverPid, 'SIGKILL');
  const ev = await transferDone;
  clearTimeout(timer);
  abort.abort();
  const data = JSON.parse(ev.dataJson) as { ok: boolean; code: string | null; fate: string | null };
  assert.equal(data.ok, false);
  assert.equal(data.code, 'CRYO_LAZY_TRANSFER_FAILED');
  assert.ok(data.fate === 'killed' || data.fate === 'exited', ev.dataJson);
  assert.match(ev.message, /lazy-pages server \(pid \d+\) killed by SIGKILL/);
  assert.match((await getJob(api, 'hog2')).note, /pages: transfer FAILED/);
  assert.match((await d.cli(['ps'])).stdout, /\(pages transfer FAILED\)/);
  assert.equal((await verifyCheckpoint(dj.checkpoint.dir)).ok, true, 'the checkpoint is intact');

  // ... so it restores again, eagerly, with all of its memory.
  const again = await d.cli(['restore', dj.checkpoint.id, '--name', 'hog2-again', '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await request(port, 'verify', 30_000), 'ok 256');
});
