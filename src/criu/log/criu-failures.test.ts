// The pattern table against REAL CRIU: each test makes CRIU 4.2 fail for a known reason with
// the raw `criu` command line, then checks that analyzeCriuLog names the right cause.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawn } from 'node:child_process';
import { loadConfig, locateCriu } from '../../config/index.js';
import { runCommand } from '../../util/run-command.js';
import { buildWorkload, childPids, killProcessTree, request, startWorkload, type Workload } from '../../testing/workloads.js';
import { analyzeCriuLog, type CriuLogAnalysis } from './analyze.js';
import { setChildSubreaper, waitForExit } from '../reaper.js';

const criuBin = locateCriu(loadConfig().criu).path;
// `criu restore -d` leaves the restored tree orphaned: as subreaper we adopt it and reap it.
setChildSubreaper();

interface Run extends CriuLogAnalysis {
  readonly ok: boolean;
  readonly log: string;
}

function tempDir(t: { after: (fn: () => void) => void }, what: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cryo-logtest-${what}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let runNo = 0;
/** Runs `criu OP -D dir -o LOG -v4 ...` and analyses the log it wrote. */
async function criu(op: 'dump' | 'restore', dir: string, extra: string[] = []): Promise<Run> {
  const logName = `${op}-${++runNo}.log`;
  const args = [op, '-D', dir, '-o', logName, '-v4', ...(op === 'restore' ? ['-d'] : []), ...extra];
  const r = await runCommand(criuBin, args, { timeoutMs: 60_000 });
  const log = readFileSync(join(dir, logName), 'utf8');
  // CRYO_KEEP_CRIU_LOGS=DIR keeps every log this file produces (to refresh captured fixtures).
  const keep = process.env['CRYO_KEEP_CRIU_LOGS'];
  if (keep) writeFileSync(join(keep, `${basename(dir)}-${logName}`), log);
  return { ok: r.code === 0, log, ...analyzeCriuLog(log) };
}

/** Restores expecting success; kills the restored tree when the test ends. */
async function restoreOk(t: { after: (fn: () => Promise<void>) => void }, dir: string): Promise<Run> {
  const r = await criu('restore', dir, ['--pidfile', join(dir, 'restored.pid')]);
  if (r.ok) {
    const pid = Number(readFileSync(join(dir, 'restored.pid'), 'utf8'));
    t.after(async () => {
      killProcessTree(pid);
      await waitForExit(pid);
    });
  }
  return r;
}

/** Checks the analysis names `code`; reports the matched line so a reader sees what CRIU really said. */
function expectHint(t: TestContext, r: Run, code: string, outcome: 'failure' | 'success' = 'failure'): void {
  if (r.hint) t.diagnostic(`criu said: ${r.hint.matched}`);
  const msg = `expected ${code}; analysis: ${JSON.stringify({ ...r, log: undefined }, null, 1)}\nlog tail:\n${r.log.split('\n').slice(-25).join('\n')}`;
  assert.equal(r.outcome, outcome, msg);
  assert.equal(r.hint?.code, code, msg);
  assert.ok(r.relevant.includes(r.hint.matched), msg);
  if (/\bError \(/.test(r.hint.matched)) assert.ok(r.errors.includes(r.hint.matched), msg);
  assert.ok(!r.errors.some((e) => /RLIMIT_NOFILE for self/.test(e)), 'rlimit noise reported as an error');
}

/** Polls `probe` every 10 ms until it returns a value (5 s at most). */
async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out waiting for a condition');
}

async function started(t: { after: (fn: () => Promise<void>) => void }, w: Workload): Promise<Awaited<Workload['ready']>> {
  t.after(() => w.kill());
  return w.ready;
}

test('dump of a pid that does not exist: CRYO_PID_NOT_FOUND', async (t) => {
  const dir = tempDir(t, 'nopid');
  const gone = spawn('true');
  await new Promise((r) => gone.once('exit', r));
  const r = await criu('dump', dir, ['-t', String(gone.pid)]);
  assert.equal(r.ok, false);
  expectHint(t, r, 'CRYO_PID_NOT_FOUND');
  assert.match(r.hint?.cause ?? '', new RegExp(`process ${gone.pid} does not exist`));
});

test('restore while the original still runs: CRYO_PID_IN_USE, transient', async (t) => {
  const dir = tempDir(t, 'pidinuse');
  const w = await startWorkload('counter', ['--interval-ms', '1000']);
  const { rootPid } = await started(t, w);
  const d = await criu('dump', dir, ['-t', String(rootPid), '--leave-running']);
  assert.equal(d.outcome, 'success', d.log);
  assert.deepEqual(d.errors, []);
  const r = await criu('restore', dir);
  expectHint(t, r, 'CRYO_PID_IN_USE');
  assert.equal(r.hint?.transient, true);
  assert.match(r.hint?.cause ?? '', new RegExp(`pid ${rootPid}`));
});

test('restore after the open file changed size, mode, or vanished: CRYO_FILE_CHANGED / CRYO_FILE_MISSING', async (t) => {
  const dir = tempDir(t, 'files');
  const data = join(dir, 'rich-data.txt');
  const w = await startWorkload('rich', ['--dir', dir], { pidns: true });
  const { rootPid, port } = await started(t, w);
  const images = join(dir, 'img');
  await runCommand('mkdir', [images]);
  const d = await criu('dump', images, ['-t', String(rootPid)]);
  assert.equal(d.outcome, 'success', d.log);

  appendFileSync(data, 'grown');
  const size = await criu('restore', images);
  expectHint(t, size, 'CRYO_FILE_CHANGED');
  assert.match(size.hint?.cause ?? '', /rich-data\.txt.*size is 105, expected 100/);
  truncateSync(data, 100);

  chmodSync(data, 0o600);
  const mode = await criu('restore', images);
  expectHint(t, mode, 'CRYO_FILE_CHANGED');
  assert.match(mode.hint?.cause ?? '', /mode/);
  chmodSync(data, 0o644);

  renameSync(data, data + '.away');
  const missing = await criu('restore', images);
  expectHint(t, missing, 'CRYO_FILE_MISSING');
  assert.match(missing.hint?.cause ?? '', /rich-data\.txt.*No such file/);
  renameSync(data + '.away', data);

  // With the file as it was, the same images restore, and the log reads as a clean success.
  const ok = await restoreOk(t, images);
  assert.equal(ok.outcome, 'success', ok.log);
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.hint, undefined);
  const s = JSON.parse(await request(port ?? 0, 'status')) as { fileOffset: number };
  assert.equal(s.fileOffset, 37);
});

test('restore while another process holds the port: CRYO_PORT_IN_USE, transient', async (t) => {
  const dir = tempDir(t, 'port');
  const w = await startWorkload('tcpserver', [], { pidns: true });
  const { rootPid, port } = await started(t, w);
  const d = await criu('dump', dir, ['-t', String(rootPid)]);
  assert.equal(d.outcome, 'success', d.log);
  const holder: Server = createServer();
  await new Promise<void>((res) => holder.listen(port, '127.0.0.1', res));
  t.after(() => holder.close());
  const r = await criu('restore', dir);
  expectHint(t, r, 'CRYO_PORT_IN_USE');
  assert.equal(r.hint?.transient, true);
});

test('established TCP connection: CRYO_NEEDS_TCP_ESTABLISHED; with it but no iptables: CRYO_NETWORK_LOCK_UNAVAILABLE', async (t) => {
  const dir = tempDir(t, 'tcp');
  const w = await startWorkload('tcpserver', [], { pidns: true });
  const { rootPid, port } = await started(t, w);
  const client = connect({ host: '127.0.0.1', port: port ?? 0 });
  t.after(() => client.destroy());
  client.setEncoding('utf8');
  await new Promise<void>((res) => {
    client.once('data', () => res());
    client.write('ping\n');
  });
  const plain = await criu('dump', dir, ['-t', String(rootPid)]);
  expectHint(t, plain, 'CRYO_NEEDS_TCP_ESTABLISHED');
  const iptables = await criu('dump', dir, ['-t', String(rootPid), '--tcp-established']);
  expectHint(t, iptables, 'CRYO_NETWORK_LOCK_UNAVAILABLE');
  // Positive control: the advice works.
  const fixed = await criu('dump', dir, ['-t', String(rootPid), '--tcp-established', '--network-lock', 'nftables', '--leave-running']);
  assert.equal(fixed.outcome, 'success', fixed.log);
  assert.equal(fixed.hint, undefined);
});

test('unix socket connected to a process outside the tree: CRYO_EXTERNAL_UNIX_SOCKET', async (t) => {
  const dir = tempDir(t, 'unix');
  const path = join(dir, 'peer.sock');
  const peer = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((res) => peer.listen(path, res));
  t.after(() => peer.close());
  const w = await startWorkload('counter', ['--interval-ms', '1000', '--connect-unix', path]);
  const { rootPid } = await started(t, w);
  const r = await criu('dump', dir, ['-t', String(rootPid)]);
  expectHint(t, r, 'CRYO_EXTERNAL_UNIX_SOCKET');
});

test('file lock held: CRYO_NEEDS_FILE_LOCKS', async (t) => {
  const dir = tempDir(t, 'locks');
  const w = await startWorkload('counter', ['--interval-ms', '1000', '--lock', join(dir, 'lockfile')]);
  const { rootPid } = await started(t, w);
  const r = await criu('dump', dir, ['-t', String(rootPid)]);
  expectHint(t, r, 'CRYO_NEEDS_FILE_LOCKS');
});

test('not a session leader, no --shell-job: CRYO_NEEDS_SHELL_JOB', async (t) => {
  const dir = tempDir(t, 'shelljob');
  const w = await startWorkload('counter', ['--interval-ms', '1000'], { childOfSessionLeader: true });
  const { rootPid } = await started(t, w);
  assert.notEqual(rootPid, w.pid, 'the program runs under its session leader');
  const r = await criu('dump', dir, ['-t', String(rootPid)]);
  expectHint(t, r, 'CRYO_NEEDS_SHELL_JOB');
  assert.match(r.hint?.cause ?? '', new RegExp(`process ${rootPid} is not a session leader`));
});

test('own PID namespace, session leader outside it: CRYO_NEEDS_SHELL_JOB with the setsid advice', async (t) => {
  const dir = tempDir(t, 'shelljob-ns');
  const bin = await buildWorkload('counter');
  // Like a job, minus the setsid: tini keeps the session of whoever started it, outside the namespace.
  const unshare = spawn('unshare', ['--pid', '--fork', 'tini', '--', bin, '--interval-ms', '1000'], { stdio: 'ignore', detached: true });
  t.after(() => killProcessTree(unshare.pid ?? -1));
  const tini = await waitFor(() => childPids(unshare.pid ?? -1)[0]);
  const r = await criu('dump', dir, ['-t', String(tini)]);
  expectHint(t, r, 'CRYO_NEEDS_SHELL_JOB');
  assert.match(r.hint?.cause ?? '', new RegExp(`process ${tini} lives in its own PID namespace but its session leader is outside it`));
  assert.match(r.hint?.action ?? '', /setsid/);
});

test('deleted open file over the ghost limit: CRYO_GHOST_LIMIT', async (t) => {
  const dir = tempDir(t, 'ghost');
  const w = await startWorkload('counter', ['--interval-ms', '1000', '--deleted-file', join(dir, 'ghost'), '--deleted-mib', '2']);
  const { rootPid } = await started(t, w);
  const r = await criu('dump', dir, ['-t', String(rootPid), '--ghost-limit', '1M']);
  expectHint(t, r, 'CRYO_GHOST_LIMIT');
});

test('System V shared memory outside its own IPC namespace: CRYO_NEEDS_IPC_NAMESPACE', async (t) => {
  const dir = tempDir(t, 'sysv');
  const w = await startWorkload('counter', ['--interval-ms', '1000', '--sysv-shm']);
  const { rootPid } = await started(t, w);
  const r = await criu('dump', dir, ['-t', String(rootPid)]);
  expectHint(t, r, 'CRYO_NEEDS_IPC_NAMESPACE');
});

test('a task that changed its uid (CAP_SYS_RESOURCE missing here): CRYO_UID_CHANGED', async (t) => {
  const dir = tempDir(t, 'uid');
  const w = await startWorkload('counter', ['--interval-ms', '1000', '--setuid', '65534']);
  const { rootPid } = await started(t, w);
  const r = await criu('dump', dir, ['-t', String(rootPid)]);
  if (r.ok) {
    t.skip('CRIU dumped a task that changed uid: this machine has CAP_SYS_RESOURCE');
    return;
  }
  expectHint(t, r, 'CRYO_UID_CHANGED');
});

test('a task already traced by another process: CRYO_PTRACE_DENIED', async (t) => {
  const dir = tempDir(t, 'ptrace');
  const w = await startWorkload('counter', ['--interval-ms', '1000', '--seize-child']);
  const { info } = await started(t, w);
  const traced = Number(info['traced']);
  t.after(() => waitForExit(traced).then(() => undefined)); // orphaned when counter is killed: reap it
  const r = await criu('dump', dir, ['-t', String(traced), '--shell-job']);
  expectHint(t, r, 'CRYO_PTRACE_DENIED');
});

test('root task with a parent-death signal: restore "succeeds" but CRYO_PDEATHSIG is reported', async (t) => {
  const dir = tempDir(t, 'pdeath');
  const w = await startWorkload('counter', ['--interval-ms', '1000', '--pdeathsig'], { pidns: false });
  const { rootPid } = await started(t, w);
  const d = await criu('dump', dir, ['-t', String(rootPid)]);
  assert.equal(d.outcome, 'success', d.log);
  await w.exited;
  const r = await restoreOk(t, dir);
  expectHint(t, r, 'CRYO_PDEATHSIG', 'success');
});

test('restore without enough address space: CRYO_OUT_OF_MEMORY', async (t) => {
  const dir = tempDir(t, 'nomem');
  const w = await startWorkload('memhog', ['--mib', '128'], { pidns: true });
  const { rootPid } = await started(t, w);
  const d = await criu('dump', dir, ['-t', String(rootPid)]);
  assert.equal(d.outcome, 'success', d.log);
  // RLIMIT_AS is inherited by the tasks CRIU forks: too small for 128 MiB, plenty for CRIU itself.
  const logName = 'restore-nomem.log';
  await runCommand('prlimit', ['--as=100000000', criuBin, 'restore', '-D', dir, '-o', logName, '-v4', '-d']);
  const log = readFileSync(join(dir, logName), 'utf8');
  expectHint(t, { ok: false, log, ...analyzeCriuLog(log) }, 'CRYO_OUT_OF_MEMORY');
});
