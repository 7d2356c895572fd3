// End to end, part 2: robustness, output modes, adoption, events and reaping, against a real cryod.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, zombieChildren, type TestDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';
import { parseJson as json } from '../testing/cli.js';

interface JobJson { id: string; name: string; state: string; rootPid: number; exitCode: number | null; signal: string; mode: string; io: string; stdio: { fd: number; target: string; inode: number }[]; logFile: string }
interface ErrJson { error: { code: string; message: string } }

let d: TestDaemon;

test('cryod robustness, output modes, adoption, events, reaping', async (t) => {
  d = await startDaemon();
  t.after(() => d.stop());
  const api = apiClient(d.socket);
  // A finished job for the event replay check below.
  await d.cli(['run', '--name', 'sleeper', '--', 'sh', '-c', 'echo ready; exec sleep 1000']);
  await waitForOutput(api, 'sleeper', 'ready');
  await api.jobs.kill({ job: 'sleeper', signal: 'SIGINT' });
  await api.jobs.wait({ job: 'sleeper' });

  await t.test('garbage on the socket never crashes the daemon', async () => {
    for (const payload of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(4096, 0xff),
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x08\x00\x00\x00\x00\x00garbage')]) {
      await new Promise<void>((resolve) => {
        const s = net.connect(d.socket, () => s.end(payload));
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.resume();
      });
    }
    assert.equal(d.proc.exitCode, null);
    assert.equal((await d.cli(['ps'])).code, 0);
  });

  await t.test('--log FILE appends output to the file (O_APPEND), no FIFOs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cryo-log-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // Through a symlinked directory: cryod must still recognise the job's stdout as this file.
    symlinkSync(dir, join(dir, 'link'));
    const file = join(dir, 'link', 'job.log');
    const r = await d.cli(['run', '--name', 'filed', '--log', file, '--json', '--', 'sh', '-c', 'echo one; echo two >&2; sleep 0.1']);
    assert.equal(r.code, 0, r.stderr);
    const job = json<JobJson>(r.stdout);
    assert.equal(job.io, 'file');
    assert.ok(job.stdio.some((s) => s.fd === 1 && s.target === join(dir, 'job.log')), JSON.stringify(job.stdio));
    assert.equal((await d.cli(['wait', 'filed'])).code, 0);
    assert.equal(readFileSync(file, 'utf8'), 'one\ntwo\n');
    assert.equal((await d.cli(['logs', 'filed'])).stdout, 'one\ntwo\n');
  });

  await t.test('--no-pidns runs with host pids in its own session', async () => {
    const r = await d.cli(['run', '--no-pidns', '--name', 'hostpid', '--json', '--', 'sh', '-c', 'echo pid=$$; exec sleep 1000']);
    const job = json<JobJson>(r.stdout);
    assert.equal(job.mode, 'host');
    const out = await waitForOutput(api, 'hostpid', 'pid=');
    assert.match(out, new RegExp(`pid=${job.rootPid}\\b`));
    const stat = readFileSync(`/proc/${job.rootPid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(f[3]), job.rootPid, 'session id is its own pid');
    const k = await d.cli(['kill', 'hostpid']);
    assert.equal(k.code, 0, k.stderr);
    assert.equal((await d.cli(['wait', 'hostpid'], { timeoutMs: 15_000 })).code, 143);
  });

  await t.test('manage adopts a foreign process; its exit code is unknown (lost)', async () => {
    const { spawn } = await import('node:child_process');
    const p = spawn('sleep', ['1000'], { stdio: 'ignore' });
    t.after(() => p.kill('SIGKILL'));
    const r = await d.cli(['manage', '--pid', String(p.pid), '--name', 'adopted', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const job = json<JobJson>(r.stdout);
    assert.equal(job.mode, 'managed');
    assert.equal(job.rootPid, p.pid);
    assert.match((await d.cli(['ps'])).stdout, /adopted\s+running/);
    const bad = await d.cli(['manage', '--pid', '999999999', '--json']);
    assert.equal(json<ErrJson>(bad.stderr).error.code, 'CRYO_PID_NOT_FOUND');
    p.kill('SIGKILL');
    const w = await d.cli(['wait', 'adopted', '--json']);
    assert.equal(w.code, 1);
    assert.match(w.stderr, /CRYO_EXIT_CODE_UNKNOWN/);
    assert.equal((await getJob(api, 'adopted')).state, JobState.LOST);
  });

  await t.test('events streams lifecycle events live', async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    const stream = (async () => {
      try {
        // replay: stored events first, so nothing is missed whenever the stream becomes live.
        for await (const e of api.events.events({ replay: true }, { signal: abort.signal })) {
          if (e.jobName === 'evt') seen.push(e.type);
          if (e.type === 'job.removed' && e.jobName === 'evt') return;
        }
      } catch {
        // aborted
      }
    })();
    await d.cli(['run', '--name', 'evt', '--', 'sh', '-c', 'read x; exit 3']);
    assert.equal((await d.cli(['attach', 'evt'], { input: 'x\n' })).code, 3);
    await d.cli(['rm', 'evt']);
    await Promise.race([stream, new Promise((r) => setTimeout(r, 10_000))]);
    abort.abort();
    assert.deepEqual(seen, ['job.created', 'job.started', 'job.exited', 'job.removed']);
    const cli = await d.cli(['events', '--replay', '--json', '--job', 'sleeper'], { timeoutMs: 2500 });
    const types = cli.stdout.trim().split('\n').filter(Boolean).map((l) => json<{ type: string }>(l).type);
    assert.deepEqual(types.slice(0, 4), ['job.created', 'job.started', 'job.signaled', 'job.killed']);
  });

  await t.test('orphans reparented to cryod (child subreaper) are reaped', async () => {
    // A host-pid job whose background child outlives the job's root: the child is reparented to
    // cryod (the nearest subreaper) and must be reaped by it when it exits.
    const r = await d.cli(['run', '--no-pidns', '--name', 'orphaner', '--json', '--', 'sh', '-c',
      'sh -c "read x </dev/null; exec sleep 0.5" & echo "child=$!"; echo ready; exec sleep 1000']);
    const job = json<JobJson>(r.stdout);
    const out = await waitForOutput(api, 'orphaner', 'ready');
    const child = Number(/child=(\d+)/.exec(out)?.[1]);
    assert.ok(child > 0);
    const childStart = readFileSync(`/proc/${child}/stat`, 'utf8');
    await api.jobs.kill({ job: 'orphaner', signal: 'SIGKILL' });
    await api.jobs.wait({ job: 'orphaner' });
    // The parent of `child`, or null once it is gone (or its pid was reused by another process).
    const startField = (st: string): string => st.slice(st.lastIndexOf(')') + 2).split(' ')[19] ?? '';
    const ppid = (pid: number): number | null => {
      try {
        const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (startField(st) !== startField(childStart)) return null;
        return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      } catch {
        return null;
      }
    };
    assert.notEqual(job.rootPid, child);
    const p = ppid(child);
    assert.ok(p === null || p === d.proc.pid, `orphan's parent is ${p}, expected cryod ${d.proc.pid}`);
    // It exits after 0.5 s; cryod reaps it: the pid disappears entirely (no zombie left).
    const deadline = Date.now() + 10_000;
    while (ppid(child) !== null && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.equal(ppid(child), null, 'the orphan was not reaped');
  });

  await t.test('a killed monitor does not end the job: it is still watched, its exit code unknown', async () => {
    const { job } = await api.jobs.run({ command: ['sh', '-c', 'echo ready; exec sleep 1000'], name: 'nomonitor', cwd: '/' });
    await waitForOutput(api, 'nomonitor', 'ready');
    const ppid = (pid: number): number => {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
    };
    const monitor = ppid(ppid(job!.rootPid)); // tini <- unshare <- monitor sh
    assert.match(readFileSync(`/proc/${monitor}/cmdline`, 'utf8'), /cryo-monitor/);
    process.kill(monitor, 'SIGKILL');
    const ended = api.jobs.wait({ job: 'nomonitor' });
    // cryod notices (event), and the job stays running.
    for await (const e of api.events.events({ job: 'nomonitor', replay: true })) if (e.type === 'job.monitor-lost') break;
    assert.equal((await getJob(api, 'nomonitor')).state, JobState.RUNNING);
    process.kill(job!.rootPid, 'SIGKILL');
    const j = (await ended).job!;
    assert.equal(j.state, JobState.LOST);
    assert.match(j.note, /exit code unknown/);
  });

  await t.test('no zombies under cryod or the test', () => {
    assert.deepEqual(zombieChildren(d.proc.pid!), []);
    assert.deepEqual(zombieChildren(process.pid), []);
  });
});
