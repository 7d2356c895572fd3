// cryod restarting during a lazy restore: real cryod, real CRIU, a 256 MiB memhog job whose
// lazy-pages server is held back from a post-restore hook so the transfer is surely unfinished
// when cryod goes down: slowed to 0.1% of a CPU by a cgroup (a server that must go on; SIGSTOP
// cannot be used there: CRIU's epoll_wait fails with EINTR after SIGCONT and the server quits) or
// stopped and then killed (a server that dies). The new cryod must pin the checkpoint again while
// the server serves, and settle the job's "pages: transferring" honestly either way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload, request } from '../testing/workloads.js';
import { CriuClient, processTree } from '../criu/index.js';
import { verifyCheckpoint } from '../store/index.js';
import { procStat, STAT } from '../util/proc-stat.js';

const skip = (await new CriuClient().featureCheck()).lazyPages ? false : 'this kernel lacks userfaultfd (criu check --feature uffd-noncoop)';
const CPU_CGROUP = '/sys/fs/cgroup/cpu';
const skipSlow = skip || (existsSync(join(CPU_CGROUP, 'cpu.cfs_quota_us')) ? false : `no cgroup v1 cpu controller at ${CPU_CGROUP} to slow the lazy-pages server with`);
if (skipSlow) console.log(`# skipped: ${skipSlow}`);

interface Ev { type: string; message: string; dataJson: string }

/** Waits for an event of `type` on `job` (replayed too: it may come before we subscribe). */
async function eventOf(d: TestDaemon, job: string, type: string, timeoutMs = 60_000): Promise<Ev> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    for await (const e of apiClient(d.socket).events.events({ job, replay: true, sinceSeq: 0n }, { signal: abort.signal })) {
      if (e.type === type) return e;
    }
    throw new Error(`event stream ended without ${type}`);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** A memhog job, checkpointed, restored lazily with its lazy-pages server held by `hold` (a post-restore hook); cryod then stopped. */
async function heldLazyRestore(
  d1: TestDaemon, name: string, seed: number, hold: (pidFile: string) => string, stopTree = false,
): Promise<{ port: number; checkpoint: { id: string; dir: string }; serverPid: number; rootPid: number }> {
  const api = apiClient(d1.socket);
  const memhog = await buildWorkload('memhog');
  const run = await d1.cli(['run', '--name', name, '--', memhog, '--mib', '256', '--seed', String(seed)]);
  assert.equal(run.code, 0, run.stderr);
  const port = Number(/port=(\d+)/.exec(await waitForOutput(api, name, ' mib=256'))?.[1]);
  assert.ok(port > 0);
  const dump = await d1.cli(['dump', name, '--json']);
  assert.equal(dump.code, 0, dump.stderr);
  const { checkpoint } = JSON.parse(dump.stdout) as { checkpoint: { id: string; dir: string } };
  const pidFile = join((await getJob(api, name)).jobDir, 'lazy-restore', 'lazy-pages.pid');
  const restore = await d1.cli(['restore', name, '--lazy', '--json', '--hook', `post-restore=${hold(pidFile)}`]);
  assert.equal(restore.code, 0, restore.stderr);
  assert.match((await getJob(api, name)).note, /pages: transferring/);
  const serverPid = Number(readFileSync(pidFile, 'utf8'));
  const rootPid = (await getJob(api, name)).rootPid;
  // Stopped, the restored tree cannot touch a missing page (and crash) before the new cryod decides.
  if (stopTree) for (const p of processTree(rootPid)) process.kill(p, 'SIGSTOP');
  await d1.stopDaemonOnly();
  assert.ok(process.kill(serverPid, 0), 'the lazy-pages server outlives cryod');
  return { port, checkpoint, serverPid, rootPid };
}

test('cryod restarts while a lazy-pages server still serves: checkpoint pinned again, transfer completes, pin released', { skip: skipSlow }, async (t) => {
  const cg = join(CPU_CGROUP, `cryo-test-lazy-${process.pid}`);
  mkdirSync(cg);
  writeFileSync(join(cg, 'cpu.cfs_period_us'), '1000000');
  writeFileSync(join(cg, 'cpu.cfs_quota_us'), '1000');
  const d1 = await startDaemon();
  let d = d1;
  let serverPid = 0;
  const release = (): void => {
    try {
      writeFileSync(join(CPU_CGROUP, 'cgroup.procs'), String(serverPid));
    } catch {
      // gone already
    }
  };
  t.after(async () => {
    release();
    await d.stop();
    rmdirSync(cg);
  });
  const r = await heldLazyRestore(d1, 'lz', 7, (pidFile) => `cat ${pidFile} > ${join(cg, 'cgroup.procs')}`);
  serverPid = r.serverPid;

  d = await d1.restart();
  const resumed = await eventOf(d, 'lz', 'restore.transfer-resumed');
  assert.match(resumed.message, new RegExp(`lazy-pages server \\(pid ${serverPid}\\) still serves`));
  // The old cryod's pin lapsed with it; the new one pinned the checkpoint again.
  const rm = await d.cli(['rm', r.checkpoint.id]);
  assert.notEqual(rm.code, 0, 'a checkpoint whose pages are still being served cannot be removed');
  assert.match(rm.stderr, /lazy restore of job lz/);
  assert.match((await d.cli(['ps'])).stdout, /\(pages transferring\)/);

  release(); // full speed again
  const done = await eventOf(d, 'lz', 'restore.transfer-done');
  const data = JSON.parse(done.dataJson) as { ok: boolean; recovered: boolean; pages: { transferred: number; total: number } | null };
  assert.equal(data.ok, true, done.message);
  assert.equal(data.recovered, true);
  assert.ok(data.pages && data.pages.total >= 65536 && data.pages.transferred === data.pages.total, done.dataJson);
  assert.match((await getJob(apiClient(d.socket), 'lz')).note, /pages: complete \(\d+ of \d+ pages; supervised again after a cryod restart\)/);
  assert.match((await d.cli(['ps'])).stdout, /running \(pages complete\)/);
  assert.equal(await request(r.port, 'verify', 30_000), 'ok 256', 'every byte arrived');
  // The pin went with the transfer: the checkpoint can be removed now.
  const rm2 = await d.cli(['rm', r.checkpoint.id]);
  assert.equal(rm2.code, 0, rm2.stderr);
});

test('cryod restarts after the lazy-pages server died unfinished: transfer FAILED, process killed, checkpoint intact', { skip }, async (t) => {
  const d1 = await startDaemon();
  let d = d1;
  t.after(() => d.stop());
  const r = await heldLazyRestore(d1, 'lz2', 9, (pidFile) => `kill -STOP $(cat ${pidFile})`, true);
  const root = r.rootPid;
  process.kill(r.serverPid, 'SIGKILL');

  d = await d1.restart();
  const done = await eventOf(d, 'lz2', 'restore.transfer-done');
  const data = JSON.parse(done.dataJson) as { ok: boolean; code: string | null; fate: string | null; pages: { transferred: number; total: number } | null };
  assert.equal(data.ok, false, done.message);
  assert.equal(data.code, 'CRYO_LAZY_TRANSFER_FAILED');
  assert.equal(data.fate, 'killed', done.dataJson);
  assert.ok(data.pages && data.pages.transferred < data.pages.total, done.dataJson);
  assert.match(done.message, /pages: transfer FAILED \(\d+ of \d+ pages; the lazy-pages server ended unfinished while cryod was not running\)/);
  // Alive (stopped) when the new cryod came: it would run on zeros, so cryod killed it.
  assert.match(done.message, new RegExp(`restored process ${root} was killed by cryo: part of its memory never arrived`));
  const job = await getJob(apiClient(d.socket), 'lz2');
  assert.match(job.note, /pages: transfer FAILED/);
  assert.doesNotMatch(job.note, /pages: transferring/);
  // Gone, or a zombie waiting for init (the old cryod was its parent).
  assert.ok(['Z', undefined].includes(procStat(root)?.[STAT.state]), 'the restored process is gone');
  assert.equal((await verifyCheckpoint(r.checkpoint.dir)).ok, true, 'the checkpoint is intact');
  // Nothing pins it any more.
  const rm = await d.cli(['rm', r.checkpoint.id]);
  assert.equal(rm.code, 0, rm.stderr);
});
