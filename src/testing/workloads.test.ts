import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request, startWorkload } from './workloads.js';

test('counter: ready, counts, exits with the given code after K lines', async (t) => {
  const w = await startWorkload('counter', ['--interval-ms', '5', '--exit-after', '5', '--exit-code', '42']);
  t.after(() => w.kill());
  const r = await w.ready;
  assert.equal(r.info['pid'], String(w.pid));
  assert.deepEqual(await w.exited, { code: 42, signal: null });
  assert.equal(w.output(), '1\n2\n3\n4\n5\n');
});

test('counter: SIGTERM exits with --term-code', async (t) => {
  const w = await startWorkload('counter', ['--interval-ms', '1000', '--term-code', '7']);
  t.after(() => w.kill());
  await w.ready;
  process.kill(w.pid, 'SIGTERM');
  assert.equal((await w.exited).code, 7);
});

test('rich: reports every item healthy, queued data moves one step per status, exits on command', async (t) => {
  const w = await startWorkload('rich', []);
  t.after(() => w.kill());
  const r = await w.ready;
  assert.ok(r.port);
  const s1 = JSON.parse(await request(r.port, 'status')) as Record<string, unknown>;
  assert.deepEqual(
    { ...s1, pid: 0 },
    {
      pid: 0, seq: 1, threads: 3, threadsAdvancing: true, childA: true, childB: true, grandchildC: true,
      pipeRead: 'preloaded', pipeOk: true, shm: 'shm-initial', shmShared: true, handlerInstalled: true,
      handlerWorks: true, handlerCount: 1, pendingUsr1: true, fileOffset: 37, fileByte: '7',
      socketpairRead: 'sp-preloaded', socketpairOk: true,
    },
  );
  const s2 = JSON.parse(await request(r.port, 'status')) as Record<string, unknown>;
  assert.equal(s2['pipeRead'], 'tok1');
  assert.equal(s2['shm'], 'v1');
  assert.equal(s2['socketpairRead'], 'sp1');
  assert.equal(s2['pipeOk'], true);
  // The tree: the program has two children, one of which has its own child.
  const stat = readFileSync(`/proc/${r.programPid}/task/${r.programPid}/children`, 'utf8').trim().split(/\s+/);
  assert.equal(stat.length, 2);
  await request(r.port, 'exit 3').catch(() => ''); // the program exits without answering
  assert.equal((await w.exited).code, 3);
});

test('rich in its own PID namespace: tini is the root, the program is pid 2 inside', async (t) => {
  const w = await startWorkload('rich', [], { pidns: true });
  t.after(() => w.kill());
  const r = await w.ready;
  assert.equal(readFileSync(`/proc/${r.rootPid}/comm`, 'utf8').trim(), 'tini');
  assert.equal(r.info['pid'], '2');
  assert.notEqual(r.programPid, r.rootPid);
  const s = JSON.parse(await request(r.port ?? 0, 'status')) as Record<string, unknown>;
  assert.equal(s['pid'], 2);
  assert.equal(s['threadsAdvancing'], true);
  await w.kill();
  assert.throws(() => readFileSync(`/proc/${r.programPid}/comm`));
});

test('memhog: verifies its pattern and can rewrite it', async (t) => {
  const w = await startWorkload('memhog', ['--mib', '8', '--seed', '9']);
  t.after(() => w.kill());
  const r = await w.ready;
  const port = r.port ?? 0;
  assert.equal(r.info['mib'], '8');
  assert.equal(await request(port, 'verify'), 'ok 8');
  assert.equal(await request(port, 'rewrite 10'), 'ok');
  assert.equal(await request(port, 'verify'), 'ok 8');
  assert.equal(await request(port, 'ping'), 'pong');
});

test('tcpserver: answers several lines on one kept connection, and status', async (t) => {
  const w = await startWorkload('tcpserver', ['--mib', '4']);
  t.after(() => w.kill());
  const port = (await w.ready).port ?? 0;
  const sock = connect({ host: '127.0.0.1', port });
  t.after(() => sock.destroy());
  sock.setEncoding('utf8');
  const lines: string[] = [];
  let buf = '';
  const next = (): Promise<string> =>
    new Promise((resolve) => {
      const check = (): void => {
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          const l = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          sock.off('data', onData);
          resolve(l);
        }
      };
      const onData = (d: string): void => {
        buf += d;
        check();
      };
      sock.on('data', onData);
      check();
    });
  sock.write('ping\n');
  lines.push(await next());
  sock.write('echo hi there\n');
  lines.push(await next());
  sock.write('ping\n');
  lines.push(await next());
  assert.deepEqual(lines, ['pong 1', 'hi there', 'pong 3']);
  const s = JSON.parse(await request(port, 'status')) as Record<string, unknown>;
  assert.equal(s['memOk'], true);
  assert.equal(s['mib'], 4);
});
