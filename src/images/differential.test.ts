// Differential test: cryo's decoder against CRIU's own (crit / pycriu) on checkpoints of real
// processes dumped by the raw CRIU CLI during the test. Every image file, entry and field must
// agree (normalisation rules: _crit-compare.ts). Also checks the checkpoint model built from them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { provisionedCritPath } from '../config/index.js';
import { compareDir, type Oracle } from './_crit-compare.js';
import {
  buildRich, cleanup, critOracle, criuDump, criuPath, dropNetworkLock, pycriuPath, startRich, startRichInPidns, type Started,
} from './_image-workloads.js';
import { buildCheckpointModel } from './model/build-model.js';
import { listeningPorts, regularFiles, totalResidentBytes } from './model/queries.js';

const run = promisify(execFile);
const canRun = process.getuid?.() === 0 && existsSync(pycriuPath) && existsSync(criuPath());

test('decoder agrees with crit on real checkpoints, field by field', { skip: canRun ? false : 'needs root, CRIU and pycriu' }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-images-'));
  const started: Started[] = [];
  t.after(() => {
    started.forEach(cleanup);
    rmSync(tmp, { recursive: true, force: true });
  });
  const bin = await buildRich(tmp);

  // 1. A process tree in its own session: threads, child, pipes, sockets, files, fds of every kind.
  const plain = await startRich(bin, join(tmp, 'w1'));
  started.push(plain);
  const d1 = join(tmp, 'd1');
  await criuDump(plain.pid, d1, ['--file-locks']);
  await run(criuPath(), ['cpuinfo', 'dump', '-D', d1, '-o', 'cpuinfo.log']); // cpuinfo.img

  // 2. The same under tini in its own pid and ipc namespaces (dumped by tini's host pid), plus an
  //    established TCP connection with queued data (tcp-stream images).
  const ns = await startRichInPidns(bin, join(tmp, 'w2'), ['tcp']);
  started.push(ns);
  const d2 = join(tmp, 'd2');
  const tcpOpts = ['--file-locks', '--tcp-established', '--network-lock', 'nftables'];
  await criuDump(ns.pid, d2, tcpOpts);
  const runId = buildCheckpointModel(d2, { scanUnknown: false }).criu.runId;
  t.after(() => dropNetworkLock(runId));

  // 3. Restore (2) once, so stats-restore exists too; then stop the restored tree.
  const pidfile = join(tmp, 'restored.pid');
  await run(criuPath(), ['restore', '-D', d2, '-d', ...tcpOpts, '-o', 'restore.log', '--pidfile', pidfile]);
  process.kill(Number(readFileSync(pidfile, 'utf8')), 'SIGKILL');

  const seen = new Set<string>();
  const diffs = [...(await compareDir(d1, seen)), ...(await compareDir(d2, seen))];
  t.diagnostic(`image types compared: ${[...seen].sort().join(' ')}`);
  assert.deepEqual(diffs, [], `cryo and crit disagree:\n${diffs.slice(0, 40).join('\n')}`);
  for (const type of ['INVENTORY', 'PSTREE', 'CORE', 'IDS', 'MM', 'PAGEMAP', 'FILES', 'FDINFO', 'FS', 'TTY_INFO',
    'REMAP_FPATH', 'GHOST_FILE', 'SECCOMP', 'TIMENS', 'STATS', 'PIPES_DATA', 'FIFO_DATA', 'SK_QUEUES', 'FILE_LOCKS',
    'MEMFD_INODE', 'TCP_STREAM', 'IPC_VAR', 'UTSNS', 'IPCNS_SHM', 'IPCNS_SEM', 'IPCNS_MSG', 'CPUINFO']) {
    assert.ok(seen.has(type), `no ${type} image was compared (seen: ${[...seen].join(' ')})`);
  }
  assert.ok(existsSync(join(d2, 'stats-restore')), 'restore wrote stats-restore');

  // The oracle is crit itself: its output equals `crit decode -i FILE --pretty` for a sample file.
  const { stdout } = await run(provisionedCritPath(), ['decode', '-i', join(d1, 'files.img'), '--pretty'], { maxBuffer: 64 << 20 });
  const viaOracle = (JSON.parse(await critOracle(d1, ['files.img'])) as Oracle).images['files.img']!.image;
  // (crit prints integers beyond 2^53 as bare numbers; quote them as the oracle does before parsing.)
  const exact = stdout.replace(/(?<=[[:,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, (n) =>
    (BigInt(n) > BigInt(Number.MAX_SAFE_INTEGER) || BigInt(n) < -BigInt(Number.MAX_SAFE_INTEGER) ? `"${n}"` : n));
  assert.deepEqual(JSON.parse(exact), viaOracle);

  // The model built from the same images.
  const m1 = buildCheckpointModel(d1);
  assert.equal(m1.processes.length, 2);
  const root = m1.processes[0]!;
  assert.equal(root.pid, plain.pid);
  assert.equal(root.threads.length, 2);
  assert.equal(root.command, 'rich-workload');
  assert.equal(m1.processes[1]!.ppid, plain.pid);
  assert.deepEqual(listeningPorts(m1).map((p) => [p.protocol, p.address, p.port]).filter((p) => p[0] === 'tcp'),
    [['tcp', '127.0.0.1', plain.port]]);
  assert.ok(listeningPorts(m1).some((p) => p.protocol === 'udp' && p.address === '::1'));
  const data = regularFiles(m1).find((f) => f.path === join(tmp, 'w1', 'data.txt'));
  assert.equal(data?.size, 10);
  assert.equal(m1.files.find((f) => f.regular?.path === join(tmp, 'w1', 'data.txt'))?.regular?.pos, 4);
  assert.ok(regularFiles(m1).some((f) => f.deleted && f.path.endsWith('deleted.txt')));
  const fdTypes = new Set(root.fds.map((f) => f.type));
  for (const ty of ['reg', 'pipe', 'fifo', 'inet', 'unix', 'eventfd', 'eventpoll', 'signalfd', 'timerfd', 'memfd', 'tty']) {
    assert.ok(fdTypes.has(ty), `fd type ${ty} in ${[...fdTypes].join(' ')}`);
  }
  assert.ok(totalResidentBytes(m1) >= 8 << 20, 'the 8 MiB the workload touched is resident');
  assert.ok((m1.stats.dump?.pagesWritten ?? 0) > 2048);
  assert.equal(m1.unknownImages.length, 0);

  const m2 = buildCheckpointModel(d2);
  assert.equal(m2.processes[0]!.pid, 1, 'tasks are recorded by their pid inside the new namespace');
  assert.equal(m2.processes[0]!.command, 'tini');
  assert.ok(m2.namespaces.captured.includes('pid') && m2.namespaces.captured.includes('ipc'), m2.namespaces.captured.join());
  assert.ok(m2.stats.restore !== undefined);
  const established = m2.files.filter((f) => f.socket?.state === 'ESTABLISHED' && f.socket.protocol === 'tcp');
  assert.equal(established.length, 2, 'both ends of the TCP connection');
  assert.ok(established.every((f) => f.socket?.remotePort !== 0 && f.socket?.remoteAddress === '127.0.0.1'));
});
