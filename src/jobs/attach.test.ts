// End to end: attaching to a job through the real CLI (backlog, live output, stdin, detach keys).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cryoBin } from '../testing/cli.js';
import { startDaemon } from '../testing/daemon.js';
import { apiClient, getJob, waitForOutput } from '../testing/daemon-client.js';
import { JobState } from '../gen/cryo/v1/jobs_pb.js';

/** A `cryo attach` child with helpers to wait for output. */
function attachProc(socket: string, job: string): { proc: ChildProcessWithoutNullStreams; until: (text: string) => Promise<void>; exit: Promise<number | null>; err: () => string } {
  const proc = spawn(process.execPath, [cryoBin, 'attach', job], { env: { ...process.env, CRYO_SOCKET: socket }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<number | null>((res) => proc.on('exit', (c) => res(c)));
  const until = (text: string): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => {
      if (!out.includes(text)) return;
      proc.stdout.off('data', check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => reject(new Error(`attach never printed ${JSON.stringify(text)}; stdout=${JSON.stringify(out)} stderr=${err}`)), 10_000);
    proc.stdout.on('data', check);
    check();
  });
  return { proc, until, exit, err: () => err };
}

test('attach', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const api = apiClient(d.socket);

  await t.test('shows output printed while detached, then new output; stdin reaches the job; Ctrl-P Ctrl-Q detaches', async () => {
    // The job prints a line before anyone attaches, then echoes each input line.
    const r = await d.cli(['run', '--name', 'echoer', '--', 'sh', '-c', 'echo before-attach; while read l; do echo "echo:$l"; done']);
    assert.equal(r.code, 0, r.stderr);
    await waitForOutput(api, 'echoer', 'before-attach');

    // First attach: sees the backlog, sends a line, sees its echo, detaches with Ctrl-P Ctrl-Q.
    const a1 = attachProc(d.socket, 'echoer');
    await a1.until('before-attach');
    a1.proc.stdin.write('hello\n');
    await a1.until('echo:hello');
    a1.proc.stdin.write(Buffer.from([0x10, 0x11]));
    assert.equal(await a1.exit, 0);
    assert.match(a1.err(), /detached from job echoer/);
    assert.equal((await getJob(api, 'echoer')).state, JobState.RUNNING);

    // Printed while nobody was attached: the next attach shows it first, then live output.
    await d.cli(['attach', 'echoer'], { input: 'while-detached\n\x10\x11' });
    const a2 = attachProc(d.socket, 'echoer');
    await a2.until('before-attach\necho:hello\necho:while-detached\n');
    a2.proc.stdin.write('second\n');
    await a2.until('echo:second');
    a2.proc.stdin.write(Buffer.from([0x10, 0x11]));
    assert.equal(await a2.exit, 0);
    await waitForOutput(api, 'echoer', 'echo:second');
    await d.cli(['kill', 'echoer']);
    await d.cli(['wait', 'echoer']);
  });

  await t.test('on a terminal, Ctrl-C interrupts the job (SIGINT to its process group), not cryo', async () => {
    await d.cli(['run', '--name', 'trapper', '--', 'sh', '-c', 'trap "echo got-int; exit 3" INT; echo ready; while :; do sleep 0.1; done']);
    await waitForOutput(api, 'trapper', 'ready');
    // `script` gives `cryo attach` a pseudo-terminal, so it switches it to raw mode.
    const tty = spawn('script', ['-qfec', `${process.execPath} ${cryoBin} attach trapper`, '/dev/null'], {
      env: { ...process.env, CRYO_SOCKET: d.socket }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const seen = (text: string): Promise<void> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(out)}`)), 10_000);
      const check = (): void => {
        if (out.includes(text)) {
          clearTimeout(timer);
          tty.stdout.off('data', check);
          resolve();
        }
      };
      tty.stdout.on('data', check);
      check();
    });
    tty.stdout.setEncoding('utf8').on('data', (x: string) => (out += x));
    const exit = new Promise<number | null>((res) => tty.on('exit', (c) => res(c)));
    await seen('ready'); // the backlog arrived: cryo is attached and the terminal is raw
    tty.stdin.write('\x03');
    await seen('got-int');
    assert.equal(await exit, 3);
    const j = await getJob(api, 'trapper');
    assert.equal(j.state, JobState.EXITED);
    assert.equal(j.exitCode, 3);
  });

  await t.test('attach ends with the job and passes its exit code on', async () => {
    await d.cli(['run', '--name', 'short', '--', 'sh', '-c', 'read x; echo "bye $x"; exit 9']);
    const a = await d.cli(['attach', 'short'], { input: 'now\n' });
    assert.equal(a.code, 9, a.stderr);
    assert.match(a.stdout, /bye now/);
  });

  await t.test('run -a attaches right away', async () => {
    const a = await d.cli(['run', '-a', '--name', 'attached', '--', 'sh', '-c', 'read x; echo "got $x"; exit 4'], { input: 'it\n' });
    assert.equal(a.code, 4, a.stderr);
    assert.match(a.stdout, /got it/);
  });

  await t.test('the output log is size-capped', async () => {
    // 3 MiB through a job whose cap is the default 8 MiB: all kept; the cap itself is unit-tested.
    await d.cli(['run', '--name', 'big', '--', 'sh', '-c', 'head -c 3145728 /dev/zero | tr "\\0" x; echo; echo done-big']);
    await waitForOutput(api, 'big', 'done-big', 30_000);
    const logs = await d.cli(['logs', 'big', '--tail', '100']);
    assert.ok(logs.stdout.length <= 100);
    assert.match(logs.stdout, /done-big/);
  });
});
