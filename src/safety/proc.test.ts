// The /proc readers behind the port and pid checks: parsing of /proc/net tables, which bound
// addresses conflict, and who holds a pid (a zombie and its parent, a process group id), checked
// against real processes; plus the namespace rules (own netns / pidns: no conflicts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { CheckpointModel } from '../images/index.js';
import { until } from './_keeper.js';
import { checkPids } from './checks/pids.js';
import { addressesOverlap, checkPorts } from './checks/ports.js';
import { parseProcAddress, parseProcNet, readProcSockets, socketHolders, TCP_LISTEN } from './proc-net.js';
import { parseStat, pidHolders, readAllStats, readStat } from './proc-pids.js';

test('parses /proc/net addresses and rows', () => {
  assert.equal(parseProcAddress('0100007F'), '127.0.0.1');
  assert.equal(parseProcAddress('00000000000000000000000000000000'), '::');
  assert.equal(parseProcAddress('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
  assert.equal(parseProcAddress('00000000000000000000000001000000'), '0:0:0:0:0:0:0:1');
  const rows = parseProcNet(
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n',
    'tcp', 'inet');
  assert.deepEqual(rows, [{ protocol: 'tcp', family: 'inet', address: '127.0.0.1', port: 8080, state: TCP_LISTEN, inode: 12345 }]);
  assert.equal(parseStat('42 (a) b) c) S 1 42 42 0 -1')?.comm, 'a) b) c', 'comm with spaces and parentheses');
});

test('address overlap: wildcards and exact matches conflict, other addresses do not', () => {
  const want = (address: string, family: 'inet' | 'inet6' = 'inet') => ({ protocol: 'tcp' as const, family, address, port: 80, pids: [1] });
  const host = (address: string, family: 'inet' | 'inet6' = 'inet') => ({ protocol: 'tcp' as const, family, address, port: 80, state: TCP_LISTEN, inode: 1 });
  assert.equal(addressesOverlap(want('127.0.0.1'), host('127.0.0.1')), true);
  assert.equal(addressesOverlap(want('127.0.0.1'), host('0.0.0.0')), true);
  assert.equal(addressesOverlap(want('0.0.0.0'), host('127.0.0.2')), true);
  assert.equal(addressesOverlap(want('127.0.0.1'), host('127.0.0.2')), false);
  assert.equal(addressesOverlap(want('127.0.0.1'), host('::', 'inet6')), true);
  assert.equal(addressesOverlap(want('::1', 'inet6'), host('127.0.0.1')), false);
});

test('a listening socket of this process is found with its holder', async (t) => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => s.close());
  const port = (s.address() as { port: number }).port;
  const row = readProcSockets().find((x) => x.protocol === 'tcp' && x.port === port && x.state === TCP_LISTEN);
  assert.ok(row, 'found in /proc/net/tcp');
  assert.deepEqual(socketHolders(new Set([row.inode])).get(row.inode)?.map((h) => h.pid), [process.pid]);
});

/** A minimal model: the pid check needs processes and namespaces only. */
const modelWith = (pid: number, captured: string[] = []): CheckpointModel => ({
  processes: [{ pid, threads: [{ tid: pid }] }], namespaces: { captured }, files: [],
} as unknown as CheckpointModel);

test('a zombie holding a pid: named with its parent, and marked as likely to clear', async (t) => {
  // sh starts a short child, then becomes `sleep`, which never reaps it: a zombie of `sleep`.
  const sh = spawn('sh', ['-c', 'sleep 0.01 & exec sleep 30'], { stdio: 'ignore' });
  t.after(() => sh.kill('SIGKILL'));
  let zombie = 0;
  await until(() => {
    const kids = (() => { try { return readFileSync(`/proc/${sh.pid}/task/${sh.pid}/children`, 'utf8').trim(); } catch { return ''; } })();
    zombie = Number(kids.split(/\s+/)[0] ?? 0);
    return zombie > 0 && readStat(zombie)?.state === 'Z';
  }, 'the child to become a zombie');
  const holders = pidHolders(zombie, readAllStats());
  assert.deepEqual(holders, [{ pid: zombie, comm: 'sleep', state: 'Z', how: 'process', parent: { pid: sh.pid, comm: 'sleep' } }]);
  const c = checkPids(modelWith(zombie));
  assert.equal(c.status, 'fail');
  assert.equal(c.items[0]?.code, 'CRYO_PID_IN_USE');
  assert.equal(c.items[0]?.transient, true);
  assert.match(c.items[0]?.problem ?? '', new RegExp(`zombie until its parent sleep \\(pid ${sh.pid}\\) reaps it`));
});

test('a pid still used as a process group id by a survivor is held', async (t) => {
  const sh = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
  const leader = sh.pid!;
  t.after(() => { try { process.kill(-leader, 'SIGKILL'); } catch { /* gone */ } });
  // The forked child is `sh` until it has exec'd sleep: wait for `sleep` itself.
  await until(() => readAllStats().some((s) => s.pgid === leader && s.pid !== leader && s.comm === 'sleep'), 'the group member');
  sh.kill('SIGKILL');
  await new Promise((r) => sh.once('exit', r));
  await until(() => readStat(leader) === undefined, 'the leader to be reaped');
  const holders = pidHolders(leader, readAllStats());
  assert.equal(holders.length, 1);
  assert.equal(holders[0]?.how, 'process group');
  assert.equal(holders[0]?.comm, 'sleep');
  assert.match(checkPids(modelWith(leader)).items[0]?.problem ?? '', /the process group id of sleep/);
});

test('own namespaces: pids and ports cannot conflict', () => {
  const pidns = checkPids(modelWith(process.pid, ['pid']));
  assert.equal(pidns.status, 'ok');
  assert.match(pidns.detail, /own PID namespace/);
  const netModel = {
    processes: [{ pid: 1, threads: [{ tid: 1 }], fds: [{ fd: 3, fileId: 1 }] }],
    files: [{ id: 1, type: 'inet', description: '', socket: { family: 'inet', type: 'stream', protocol: 'tcp', state: 'LISTEN', localAddress: '0.0.0.0', localPort: 22 } }],
    namespaces: { captured: ['net', 'pid'] },
  } as unknown as CheckpointModel;
  const ports = checkPorts(netModel);
  assert.equal(ports.status, 'ok');
  assert.match(ports.detail, /own network namespace: its 1 ports cannot conflict/);
});
