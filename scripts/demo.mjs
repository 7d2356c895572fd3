#!/usr/bin/env node
// cryo's main job in 20 seconds, through the daemon: a counter runs as a cryod job, `cryo dump`
// checkpoints it into the store (the process is gone), `cryo restore` brings it back as the same
// job, and `cryo logs` shows it continuing from where it was. A temporary cryod (own socket and
// data dir under /tmp) is started and stopped by the demo. Run after ./scripts/setup.sh:
//   npm run demo
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cryo = join(root, 'bin', 'cryo');
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s) => process.stdout.write(`\n${bold(`== ${s}`)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('demo: cryo is not built; run ./scripts/setup.sh first');
  process.exit(1);
}
if (process.getuid?.() !== 0) {
  console.error('demo: checkpoint/restore needs root; run it as root');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'cryo-demo-'));
const socket = join(dir, 'cryod.sock');
const dataDir = join(dir, 'data');
let daemon;

/** Runs `cryo ARGS` against the demo's cryod (CRYO_SOCKET), echoing the command and what it prints; resolves with {code, stdout}. */
function cli(args, { echo = true } = {}) {
  if (echo) process.stdout.write(`$ cryo ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cryo, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CRYO_SOCKET: socket } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; if (echo) process.stdout.write(d); });
    p.stderr.on('data', (d) => { stderr += d; if (echo) process.stdout.write(d); });
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
async function must(args, opts) {
  const r = await cli(args, opts);
  if (r.code !== 0) throw new Error(`cryo ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}
const numbers = async () => (await must(['logs', 'counter'], { echo: false })).stdout.trim().split('\n').filter(Boolean).map(Number);
async function until(check, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

try {
  // A tiny C counter: prints 1, 2, 3, ... every 200 ms. Its count lives only in memory.
  const src = join(dir, 'counter.c');
  const bin = join(dir, 'counter');
  writeFileSync(src, '#include <stdio.h>\n#include <unistd.h>\nint main(void){for(long i=1;;i++){printf("%ld\\n",i);fflush(stdout);usleep(200000);}}\n');
  execFileSync('gcc', ['-O2', '-o', bin, src]);

  say('0. start a temporary cryod (socket and data dir under ' + dir + ')');
  daemon = spawn(process.execPath, [cryo, 'daemon', '--socket', socket, '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  daemon.stderr.on('data', (d) => (log += d));
  await until(() => log.includes('cryod listening') || daemon.exitCode !== null, 'cryod to listen');
  if (daemon.exitCode !== null) throw new Error(`cryod did not start:\n${log}`);
  console.log(`cryod pid ${daemon.pid} listening on ${socket}`);

  say('1. run the counter as a job (its own PID namespace; cryod keeps its output)');
  await must(['run', '--name', 'counter', '--', bin]);
  await until(async () => (await numbers()).length >= 6, 'the counter');
  await must(['logs', 'counter']);

  say('2. checkpoint it with `cryo dump` (CRIU saves it into the store and stops it)');
  await must(['dump', 'counter']);
  const atDump = (await numbers()).at(-1);
  await must(['ps']);
  await must(['checkpoints']);
  await sleep(1000);
  const still = (await numbers()).at(-1);
  console.log(`the job is checkpointed: 1 s later its output still ends at ${still} (it ended at ${atDump} when dumped)`);
  if (still !== atDump) throw new Error('the counter kept running after the dump');

  say('3. restore it with `cryo restore` (the same job comes back; cryod is its parent again)');
  await must(['restore', 'counter']);
  await until(async () => (await numbers()).at(-1) >= atDump + 6, 'the restored counter');
  const all = await numbers();
  const around = all.slice(all.indexOf(atDump) - 2, all.indexOf(atDump) + 6);
  console.log(`$ cryo logs counter   (around the checkpoint)\n${around.join(' ')}`);
  if (all[all.indexOf(atDump) + 1] !== atDump + 1) throw new Error(`expected ${atDump + 1} after ${atDump}`);
  all.forEach((n, i) => { if (n !== i + 1) throw new Error(`output not consecutive at ${i + 1}: ${n}`); });
  console.log(`it continued from ${atDump} -> ${atDump + 1}: same memory, same state, nothing lost or repeated`);
  await must(['ps']);

  say('4. stop it; `cryo wait` reports how it ended');
  await must(['kill', 'counter']);
  const w = await cli(['wait', 'counter']);
  console.log(`cryo wait exited ${w.code} (128 + SIGTERM = 143)`);
  say('done');
} catch (e) {
  console.error(`demo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (daemon && daemon.exitCode === null) {
    await cli(['kill', 'counter', '--signal', 'KILL'], { echo: false }).catch(() => undefined);
    daemon.kill('SIGTERM');
    await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
  }
  rmSync(dir, { recursive: true, force: true });
}
