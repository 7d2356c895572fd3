// End to end through cryod: `cryo restore --check` reports without changing anything, `--force`
// goes past a failing pre-flight (CRIU then speaks for itself), and `--health-cmd` makes a restore
// fail when the restored job is not healthy, leaving the checkpoint intact; an exported archive
// restores directly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { buildWorkload } from '../testing/workloads.js';
import { countsOn } from './_test-progress.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';

interface ErrJson { error: { code: string; message: string; logPath?: string } }

let d: TestDaemon;

test('restore --check, --force and --health-cmd', async (t) => {
  d = await startDaemon();
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-rsafety-'));
  t.after(async () => {
    await d.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const env = { CRYO_DATA_DIR: d.dataDir };
  const api = apiClient(d.socket);
  const counter = await buildWorkload('counter');
  const lock = join(tmp, 'held.lock');
  assert.equal((await d.cli(['run', '--name', 'w', '--', counter, '--interval-ms', '50', '--lock', lock])).code, 0);
  await waitForOutput(api, 'w', '\n2\n');
  const dump = await d.cli(['dump', 'w', '--json']);
  assert.equal(dump.code, 0, dump.stderr);

  // --check on a restorable checkpoint: ok, and nothing restored.
  const okCheck = await d.cli(['restore', 'w', '--check', '--json'], { env });
  assert.equal(okCheck.code, 0, okCheck.stderr + okCheck.stdout);
  assert.equal((JSON.parse(okCheck.stdout) as { ok: boolean }).ok, true);
  assert.equal((await getJob(api, 'w')).state, JobState.CHECKPOINTED);

  // A file the job needs is gone: --check names it and exits 1, still nothing restored.
  rmSync(lock);
  const badCheck = await d.cli(['restore', 'w', '--check'], { env });
  assert.equal(badCheck.code, 1);
  assert.match(badCheck.stdout, /held\.lock/);
  assert.equal((await getJob(api, 'w')).state, JobState.CHECKPOINTED);

  // --force skips the pre-flight refusal: CRIU itself then fails, with its log.
  const forced = await d.cli(['restore', 'w', '--force', '--json']);
  assert.equal(forced.code, 1);
  const fe = (JSON.parse(forced.stderr) as ErrJson).error;
  assert.equal(fe.code, 'CRYO_FILE_MISSING', fe.message);
  assert.match(fe.logPath ?? '', /criu-restore\.\d+\.log$/, 'the failure came from CRIU, not from pre-flight');
  assert.equal((await getJob(api, 'w')).state, JobState.CHECKPOINTED);

  // Health: a probe that fails makes the restore fail; the checkpoint still verifies.
  writeFileSync(lock, '');
  const sick = await d.cli(['restore', 'w', '--name', 'sick', '--health-cmd', 'exit 3', '--health-grace', '800', '--json']);
  assert.equal(sick.code, 1, sick.stdout);
  const se = (JSON.parse(sick.stderr) as ErrJson).error;
  assert.equal(se.code, 'CRYO_RESTORE_UNHEALTHY', se.message);
  assert.match(se.message, /sick/);
  const cps = JSON.parse((await d.cli(['checkpoints', 'w', '--json'])).stdout) as { id: string }[];
  const verify = await d.cli(['verify', cps[0]!.id, '--store', join(d.dataDir, 'checkpoints')]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);

  // The unhealthy copy keeps running (nothing is lost); it holds the job's file lock, and a
  // restore of a lock holder waits for the lock: remove it first.
  assert.equal((await getJob(api, 'sick')).state, JobState.RUNNING);
  assert.equal((await d.cli(['rm', '--force', 'sick'])).code, 0);

  // A probe that passes: the restore succeeds and says so.
  const well = await d.cli(['restore', 'w', '--health-cmd', 'kill -0 "$CRYO_PID"', '--health-grace', '500', '--json']);
  assert.equal(well.code, 0, well.stderr);
  assert.ok((JSON.parse(well.stdout) as { notes: string[] }).notes.some((n) => /healthy after 500 ms \(probe passed\)/.test(n)));
  await waitForOutput(api, 'w', '\n8\n');

  // An exported archive restores directly: imported into the store, verified, restored.
  const archive = join(tmp, 'w.tar.zst');
  const exp = await d.cli(['export', cps[0]!.id, '-o', archive, '--store', join(d.dataDir, 'checkpoints')]);
  assert.equal(exp.code, 0, exp.stderr);
  await d.cli(['rm', '--force', 'w']);
  const fromFile = await d.cli(['restore', archive, '--name', 'fromfile', '--json']);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.ok((JSON.parse(fromFile.stdout) as { notes: string[] }).notes.some((n) => n.startsWith(`archive ${archive} holds checkpoint ${cps[0]!.id}, already in the store`)));
  await countsOn(api, 'fromfile');
  await d.cli(['rm', '--force', 'fromfile']);
  // As on another machine: the checkpoint is not in the store, so the archive is imported.
  const rmCp = await d.cli(['rm', cps[0]!.id]);
  assert.equal(rmCp.code, 0, rmCp.stderr);
  const imported = await d.cli(['restore', archive, '--name', 'imported', '--json']);
  assert.equal(imported.code, 0, imported.stderr);
  assert.ok((JSON.parse(imported.stdout) as { notes: string[] }).notes.some((n) => n === `imported archive ${archive} as checkpoint ${cps[0]!.id}`));
  await countsOn(api, 'imported');
  await d.cli(['rm', '--force', 'imported']);
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(zombieChildren(d.proc.pid as number), []);
});
