// Pre-flight against real checkpoints of real processes: each failure mode a user meets after a
// dump (a file deleted, grown or chmod-ed; a port taken; a pid taken; damaged images) is found
// before CRIU runs, named (file / port / pid), given its code, and the checkpoint stays intact.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, copyFileSync, existsSync, openSync, statSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync, closeSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isCryoError } from '../errors/index.js';
import { runCli } from '../testing/cli.js';
import { startWorkload } from '../testing/workloads.js';
import { client, checkpoint, stillVerifies } from './_checkpoint.js';
import { keeperBinary, startKeeper, tempDir } from './_keeper.js';
import { elfBuildId } from './elf-build-id.js';
import { preflightError, runPreflight, type PreflightReport } from './index.js';

const failures = (r: PreflightReport) => r.checks.flatMap((c) => c.items.filter((i) => i.status === 'fail'));
const check = (r: PreflightReport, id: string) => r.checks.find((c) => c.id === id);

/** A keeper holding dir/data.txt open read-write, checkpointed into a store. */
async function keeperCheckpoint(t: Parameters<typeof tempDir>[0], args: string[] = [], leaveRunning = false) {
  const dir = tempDir(t);
  const data = join(dir, 'data.txt');
  writeFileSync(data, 'state at checkpoint time\n');
  const k = await startKeeper(t, dir, ['--file', data, ...args]);
  const cp = await checkpoint(dir, k, { leaveRunning });
  return { dir, data, k, cp };
}

/** Names, sizes, modes and mtimes of every file in a directory: pre-flight must change none. */
function snapshot(dir: string): string {
  return readdirSync(dir).sort().map((n) => {
    const st = statSync(join(dir, n));
    return `${n} ${st.size} ${st.mode} ${st.mtimeMs}`;
  }).join('\n');
}

test('a clean checkpoint passes every check, and nothing changes; cryo preflight exits 0', async (t) => {
  const { cp } = await keeperCheckpoint(t);
  const before = snapshot(cp);
  const r = await runPreflight(cp);
  assert.equal(snapshot(cp), before, 'pre-flight (and criu cpuinfo check) only read the checkpoint');
  assert.equal(r.ok, true, JSON.stringify(failures(r)));
  assert.deepEqual(r.checks.map((c) => c.id), ['integrity', 'images', 'files', 'locks', 'ports', 'pids', 'memory', 'disk', 'cpu']);
  assert.equal(check(r, 'integrity')?.status, 'ok');
  assert.equal(check(r, 'cpu')?.status, 'ok', check(r, 'cpu')?.detail);
  assert.equal(preflightError(r), undefined);
  const cli = await runCli(['preflight', cp]);
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  assert.match(cli.stdout, /ready to restore/);
});

test('cryo preflight of something that does not exist: CRYO_CHECKPOINT_NOT_FOUND, no store created', async (t) => {
  const dataDir = join(tempDir(t), 'data');
  const cli = await runCli(['preflight', 'no-such-checkpoint', '--json'], { env: { CRYO_DATA_DIR: dataDir } });
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /CRYO_CHECKPOINT_NOT_FOUND/);
  assert.equal(existsSync(dataDir), false, 'a read-only command creates nothing');
});

test('a file deleted after the dump: CRYO_FILE_MISSING names it, the checkpoint still verifies', async (t) => {
  const { data, cp } = await keeperCheckpoint(t);
  unlinkSync(data);
  const r = await runPreflight(cp);
  assert.equal(r.ok, false);
  const [f, ...rest] = failures(r);
  assert.equal(rest.length, 0, JSON.stringify(rest));
  assert.equal(f?.code, 'CRYO_FILE_MISSING');
  assert.equal(f?.subject, data);
  const e = preflightError(r);
  assert.ok(isCryoError(e, 'CRYO_FILE_MISSING'));
  assert.match(e.message, new RegExp(data));
  // CRIU agrees (real restore), and nothing about the checkpoint changed.
  await assert.rejects(client.restore({ imagesDir: cp }), (err: unknown) => isCryoError(err, 'CRYO_FILE_MISSING'));
  assert.ok(await stillVerifies(cp));
});

test('a file grown after the dump: CRYO_FILE_CHANGED with expected and actual size', async (t) => {
  const { data, cp } = await keeperCheckpoint(t);
  const before = readFileSync(data).length;
  appendFileSync(data, 'written later\n');
  const r = await runPreflight(cp);
  const [f] = failures(r);
  assert.equal(f?.code, 'CRYO_FILE_CHANGED');
  assert.equal(f?.subject, data);
  assert.equal(f?.expected, before);
  assert.equal(f?.actual, before + 'written later\n'.length);
  await assert.rejects(client.restore({ imagesDir: cp }), (err: unknown) => isCryoError(err, 'CRYO_FILE_CHANGED'));
  assert.ok(await stillVerifies(cp));
});

test('a file chmod-ed after the dump: CRYO_FILE_CHANGED with expected and actual mode', async (t) => {
  const { data, cp } = await keeperCheckpoint(t);
  chmodSync(data, 0o600);
  const r = await runPreflight(cp);
  const [f] = failures(r);
  assert.equal(f?.code, 'CRYO_FILE_CHANGED');
  assert.equal(f?.subject, data);
  assert.equal(f?.expected, '0100644');
  assert.equal(f?.actual, '0100600');
  assert.ok(await stillVerifies(cp));
});

test('an executable rebuilt with the same size: its ELF build-id differs, CRYO_FILE_CHANGED', async (t) => {
  const dir = tempDir(t);
  const bin = join(dir, 'keeper');
  copyFileSync(keeperBinary(), bin);
  chmodSync(bin, 0o755);
  const k = await startKeeper(t, dir, [], bin);
  const cp = await checkpoint(dir, k);
  // "Rebuild" it: same size and mode, another build-id (one byte of the note changed).
  const id = elfBuildId(bin)!;
  const bytes = readFileSync(bin);
  const at = bytes.indexOf(id);
  assert.ok(at > 0);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  writeFileSync(bin, bytes);
  const r = await runPreflight(cp);
  const [f, ...rest] = failures(r);
  assert.equal(rest.length, 0, JSON.stringify(rest));
  assert.equal(f?.code, 'CRYO_FILE_CHANGED');
  assert.equal(f?.subject, bin);
  assert.equal(f?.details?.['field'], 'build-id');
  assert.equal(f?.expected, id.toString('hex'));
  assert.equal(f?.actual, elfBuildId(bin)?.toString('hex'));
  // CRIU refuses it too.
  await assert.rejects(client.restore({ imagesDir: cp }), (err: unknown) => isCryoError(err));
  assert.ok(await stillVerifies(cp));
});

test('every problem is listed at once, in one error; cryo preflight --json exits 1', async (t) => {
  const { dir, data, cp } = await keeperCheckpoint(t);
  appendFileSync(data, 'grown\n');
  chmodSync(data, 0o640);
  unlinkSync(join(dir, 'out.log'));
  const r = await runPreflight(cp);
  const f = failures(r);
  assert.deepEqual(f.map((i) => [i.code, i.subject]).sort(), [
    ['CRYO_FILE_CHANGED', data], ['CRYO_FILE_CHANGED', data], ['CRYO_FILE_MISSING', join(dir, 'out.log')],
  ].sort());
  const e = preflightError(r);
  assert.ok(isCryoError(e, 'CRYO_PREFLIGHT_FAILED'), 'two kinds of failure: the generic code');
  // A file the caller replaces through inherit_fd is not needed on disk.
  const handedOver = await runPreflight(cp, { ignoreFiles: [join(dir, 'out.log')], skip: ['integrity', 'cpu'] });
  assert.deepEqual(failures(handedOver).map((i) => i.subject), [data, data]);
  assert.deepEqual(handedOver.checks.map((c) => c.id), ['images', 'files', 'locks', 'ports', 'pids', 'memory', 'disk']);
  assert.equal(e.failures.length, 3);
  assert.match(e.message, /3 problems/);
  assert.match(e.explain(), /what to do: .*put the file back/);
  assert.match(e.explain(), /what to do: .*restore the file to its state/);
  const cli = await runCli(['preflight', cp, '--json']);
  assert.equal(cli.code, 1, cli.stderr);
  const json = JSON.parse(cli.stdout) as PreflightReport;
  assert.equal(json.ok, false);
  assert.equal(json.checks.find((c) => c.id === 'files')?.items.length, 3);
  assert.ok(await stillVerifies(cp));
});

test('a port taken by another process: CRYO_PORT_IN_USE names the port and the holder', async (t) => {
  const { dir, cp, k } = await keeperCheckpoint(t, ['--listen']);
  assert.ok(k.port > 0);
  // Another process now listens on the checkpoint's port.
  const other = await startKeeper(t, tempDir(t), ['--port', String(k.port)]);
  const r = await runPreflight(cp);
  const [f, ...rest] = failures(r);
  assert.equal(rest.length, 0, JSON.stringify(rest));
  assert.equal(f?.code, 'CRYO_PORT_IN_USE');
  assert.equal(f?.subject, `tcp 127.0.0.1:${k.port}`);
  assert.match(f?.problem ?? '', new RegExp(`pid ${other.pid}\\b`));
  assert.deepEqual((f?.details?.['holders'] as { pid: number }[]).map((h) => h.pid), [other.pid]);
  await assert.rejects(client.restore({ imagesDir: cp }), (err: unknown) => isCryoError(err, 'CRYO_PORT_IN_USE'));
  assert.ok(await stillVerifies(cp));
  void dir;
});

test('a host-pid checkpoint while the original still runs: CRYO_PID_IN_USE names the pid and its holder', async (t) => {
  const { cp, k } = await keeperCheckpoint(t, [], true);
  const r = await runPreflight(cp);
  const [f, ...rest] = failures(r);
  assert.equal(rest.length, 0, JSON.stringify(rest));
  assert.equal(f?.code, 'CRYO_PID_IN_USE');
  assert.equal(f?.subject, `pid ${k.pid}`);
  assert.match(f?.problem ?? '', /keeper-[0-9a-f]+ \(pid \d+, state [RS]\)|held by keeper/);
  assert.equal(f?.transient, false, 'a live process is not about to free it');
  assert.ok(await stillVerifies(cp));
});

test('a job in its own PID namespace has no pid conflicts, even with the original running', async (t) => {
  const w = await startWorkload('counter', ['--interval-ms', '50'], { pidns: true });
  t.after(() => w.kill());
  const ready = await w.ready;
  const dir = tempDir(t);
  await client.dump({ pid: ready.rootPid, imagesDir: join(dir, 'img'), leaveRunning: true });
  const r = await runPreflight(join(dir, 'img'));
  const pids = check(r, 'pids');
  assert.equal(pids?.status, 'ok');
  assert.match(pids?.detail ?? '', /own PID namespace/);
  assert.equal(r.ok, true, JSON.stringify(failures(r)));
});

test('a byte flipped in a pages image: the integrity check names the file', async (t) => {
  const { cp } = await keeperCheckpoint(t);
  const pages = readdirSync(cp).find((n) => /^pages-\d+\.img$/.test(n))!;
  const fd = openSync(join(cp, pages), 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, 100);
  b[0] = (b[0] ?? 0) ^ 0xff;
  writeSync(fd, b, 0, 1, 100);
  closeSync(fd);
  const r = await runPreflight(cp);
  const f = failures(r);
  assert.deepEqual(f.map((i) => [i.code, i.subject]), [['CRYO_CHECKPOINT_CORRUPT', pages]]);
  assert.match(f[0]?.problem ?? '', /SHA-256/);
  assert.equal(check(r, 'images')?.status, 'ok', 'same size: only the digest can tell');
  assert.ok(isCryoError(preflightError(r), 'CRYO_CHECKPOINT_CORRUPT'));
});

test('a truncated image: found by the manifest and by decoding it', async (t) => {
  const { cp } = await keeperCheckpoint(t);
  truncateSync(join(cp, 'files.img'), 20);
  const r = await runPreflight(cp);
  assert.deepEqual(check(r, 'integrity')?.items.map((i) => i.subject), ['files.img']);
  const img = check(r, 'images');
  assert.equal(img?.status, 'fail');
  assert.deepEqual(img?.items.map((i) => [i.code, i.subject]), [['CRYO_IMAGE_CORRUPT', 'files.img']]);
});

test('a truncated pages image without a manifest: found from the pagemap', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'data.txt'), 'x\n');
  const k = await startKeeper(t, dir, ['--file', join(dir, 'data.txt')]);
  await client.dump({ pid: k.pid, imagesDir: join(dir, 'img') });
  const pages = readdirSync(join(dir, 'img')).find((n) => /^pages-\d+\.img$/.test(n))!;
  truncateSync(join(dir, 'img', pages), 4096);
  const r = await runPreflight(join(dir, 'img'));
  assert.equal(check(r, 'integrity')?.status, 'warn');
  const [f] = failures(r);
  assert.equal(f?.code, 'CRYO_IMAGE_CORRUPT');
  assert.equal(f?.subject, pages);
  assert.equal(f?.actual, 4096);
});

test('an image of a type this cryo does not know: a warning, not a failure', async (t) => {
  const dir = tempDir(t);
  const k = await startKeeper(t, dir);
  await client.dump({ pid: k.pid, imagesDir: join(dir, 'img') });
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x54564319, 0);
  head.writeUInt32LE(0x1badcafe, 4);
  writeFileSync(join(dir, 'img', 'future-1.img'), head);
  const r = await runPreflight(join(dir, 'img'));
  const img = check(r, 'images');
  assert.equal(img?.status, 'warn', JSON.stringify(img));
  assert.deepEqual(img?.items.map((i) => [i.status, i.code, i.subject]), [['warn', 'CRYO_IMAGE_UNKNOWN', 'future-1.img']]);
  assert.equal(r.ok, true, JSON.stringify(failures(r)));
});

test('a missing image file: named by both checks', async (t) => {
  const { k, cp } = await keeperCheckpoint(t);
  rmSync(join(cp, `mm-${k.pid}.img`));
  const r = await runPreflight(cp);
  assert.deepEqual(check(r, 'integrity')?.items.map((i) => [i.subject, i.problem]), [[`mm-${k.pid}.img`, 'is missing']]);
  assert.ok(check(r, 'images')?.items.some((i) => i.subject === `mm-${k.pid}.img`), JSON.stringify(check(r, 'images')));
});

test('not enough memory: CRYO_INSUFFICIENT_MEMORY with needed and available bytes', async (t) => {
  const { cp } = await keeperCheckpoint(t, ['--mib', '4']);
  const r = await runPreflight(cp, { memAvailable: 1024 * 1024 });
  const [f] = failures(r);
  assert.equal(f?.code, 'CRYO_INSUFFICIENT_MEMORY');
  assert.ok(typeof f?.expected === 'number' && f.expected > 4 * 1024 * 1024, String(f?.expected));
  assert.equal(f?.actual, 1024 * 1024);
});
