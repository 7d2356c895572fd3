// sock_diag's listening TCP sockets are exactly /proc/net/tcp{,6}'s LISTEN rows (addresses in the
// same text form, same inodes), for IPv4, IPv6, IPv4-mapped and dual-stack listeners.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readProcSockets, TCP_LISTEN, type ProcSocket } from './proc-net.js';
import { listeningTcpSockets, readBoundSockets } from './sock-diag.js';

const key = (s: ProcSocket): string => `${s.protocol} ${s.family} ${s.address}:${s.port} state ${s.state} inode ${s.inode}`;

test('listeningTcpSockets matches /proc/net/tcp{,6} LISTEN rows', async (t) => {
  const servers: net.Server[] = [];
  t.after(() => servers.forEach((s) => s.close()));
  for (const host of ['127.0.0.1', '::', '::1', '::ffff:127.0.0.2']) {
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen({ host, port: 0 }, resolve));
    servers.push(s);
  }
  const diag = listeningTcpSockets();
  assert.ok(diag, 'sock_diag answered');
  const proc = readProcSockets().filter((s) => s.protocol === 'tcp' && s.state === TCP_LISTEN);
  assert.deepEqual(diag.map(key).sort(), proc.map(key).sort());
  for (const s of servers) {
    const port = (s.address() as net.AddressInfo).port;
    assert.ok(diag.some((d) => d.port === port), `listener on port ${port} found`);
  }
  // A connected socket is not a listener: neither side of one shows up.
  const port = (servers[0]!.address() as net.AddressInfo).port;
  const c = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => c.once('connect', resolve));
  t.after(() => c.destroy());
  assert.ok(listeningTcpSockets()!.every((s) => s.state === TCP_LISTEN));
  // UDP sockets come from /proc/net/udp{,6}.
  const bound = await readBoundSockets();
  assert.deepEqual(bound.filter((s) => s.protocol === 'udp').map(key).sort(), readProcSockets().filter((s) => s.protocol === 'udp').map(key).sort());
});
