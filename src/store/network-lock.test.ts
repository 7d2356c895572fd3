// Removing a checkpoint also removes the nftables table CRIU's network lock left for it (only a
// restore would have removed it), and only that one: another stored checkpoint's table stays.
// Real cryod, real CRIU, real TCP connections kept across the dump.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { startDaemon } from '../testing/daemon.js';
import { buildWorkload } from '../testing/workloads.js';
import { dropNetworkLockTable, networkLockTable } from './network-lock.js';

function lockTables(): string[] {
  const out = execFileSync('nft', ['list', 'tables', 'inet'], { encoding: 'utf8' });
  return [...out.matchAll(/^table inet (CRIU-\S+)$/gm)].map((m) => m[1]!);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Connects (retrying until the job listens) and waits for one answered line: the connection is established. */
async function openClient(port: number): Promise<Socket> {
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      const sock = await new Promise<Socket>((res, rej) => {
        const s = connect(port, '127.0.0.1', () => res(s));
        s.once('error', rej);
      });
      sock.on('error', () => { /* the peer is dumped and gone: ignore */ });
      sock.setEncoding('utf8');
      const answered = new Promise<void>((r) => sock.once('data', () => r()));
      sock.write('hello\n');
      await answered;
      return sock;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('cryo rm CHECKPOINT deletes that dump\'s CRIU network-lock table, and only that one', async (t) => {
  const bin = await buildWorkload('tcpserver');
  const d = await startDaemon();
  const sockets: Socket[] = [];
  const made: string[] = [];
  t.after(async () => {
    for (const s of sockets) s.destroy();
    const left = lockTables();
    for (const tb of made) if (left.includes(tb)) execFileSync('nft', ['delete', 'table', 'inet', tb]);
    await d.stop();
  });

  const before = new Set(lockTables());
  const dumps: { id: string; table: string }[] = [];
  for (const name of ['srv-a', 'srv-b']) {
    const port = await freePort();
    const r = await d.cli(['run', '--name', name, '--', bin, '--port', String(port)]);
    assert.equal(r.code, 0, r.stderr);
    sockets.push(await openClient(port));
    const dump = await d.cli(['dump', name, '--tcp-established', '--json']);
    assert.equal(dump.code, 0, dump.stderr);
    const cp = (JSON.parse(dump.stdout) as { checkpoint: { id: string; dir: string } }).checkpoint;
    const table = await networkLockTable(cp.dir);
    assert.ok(table, `checkpoint ${cp.id} records an nftables network lock`);
    made.push(table);
    assert.ok(lockTables().includes(table), `CRIU left table inet ${table} after dumping ${name}`);
    dumps.push({ id: cp.id, table });
  }
  const [a, b] = dumps as [{ id: string; table: string }, { id: string; table: string }];
  assert.notEqual(a.table, b.table);

  const rmA = await d.cli(['rm', a.id]);
  assert.equal(rmA.code, 0, rmA.stderr);
  assert.doesNotMatch(rmA.stderr, /warning/);
  let now = lockTables();
  assert.ok(!now.includes(a.table), `table ${a.table} of the removed checkpoint is gone`);
  assert.ok(now.includes(b.table), `table ${b.table} of checkpoint ${b.id}, still stored, stays`);
  for (const tb of before) assert.ok(now.includes(tb), `unrelated table ${tb} stays`);

  const rmB = await d.cli(['rm', b.id, '--json']);
  assert.equal(rmB.code, 0, rmB.stderr);
  assert.deepEqual(JSON.parse(rmB.stdout), { removed: [b.id], warnings: [] });
  now = lockTables();
  assert.ok(!now.includes(b.table), `table ${b.table} is gone after removing ${b.id}`);
});

test('without the nft command, dropping a lock table gives a note instead of failing', async (t) => {
  const path = process.env['PATH'];
  t.after(() => { process.env['PATH'] = path; });
  process.env['PATH'] = '/nonexistent-cryo-test';
  const note = await dropNetworkLockTable('CRIU-00000000-0000-0000-0', '20261204T161947123Z-9f2c1a0b');
  assert.match(note ?? '', /checkpoint 20261204T161947123Z-9f2c1a0b: could not check .*`nft` command is not installed.*nft delete table inet CRIU-00000000-0000-0000-0/);
});

test('a dump without an nftables lock (or no CRIU images at all) has no lock table', async () => {
  assert.equal(await networkLockTable('/nonexistent-cryo-test'), undefined);
});
