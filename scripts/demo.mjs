#!/usr/bin/env node
// cryo's main job in 20 seconds: a counter runs, `cryo dump` checkpoints it to disk (the process
// is gone), `cryo restore` brings it back and it continues counting from where it was.
// Run after ./scripts/setup.sh:  npm run demo
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const log = join(dir, 'counter.log');
const images = join(dir, 'checkpoint');
let restoredPid;
let original;

/** Runs the cryo CLI, echoing what it prints; resolves with its exit code. */
function runCryo(args, { onStderr } = {}) {
  process.stdout.write(`$ cryo ${args.join(' ')}\n`);
  const p = spawn(process.execPath, [cryo, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
  p.stderr.on('data', (d) => {
    process.stdout.write(d);
    onStderr?.(d.toString());
  });
  return { proc: p, done: new Promise((resolve) => p.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? 15 : 0)))) };
}

const numbers = () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map(Number);
async function until(check, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

try {
  // A tiny C counter: prints 1, 2, 3, ... every 200 ms. It runs in its own session (setsid via
  // detached) with its output in a file opened O_APPEND, the way cryo jobs are started.
  const src = join(dir, 'counter.c');
  const bin = join(dir, 'counter');
  writeFileSync(src, '#include <stdio.h>\n#include <unistd.h>\nint main(void){for(long i=1;;i++){printf("%ld\\n",i);fflush(stdout);usleep(200000);}}\n');
  execFileSync('gcc', ['-O2', '-o', bin, src]);

  say('1. start a counter (prints 1, 2, 3, ... every 200 ms into counter.log)');
  const fd = openSync(log, 'a');
  original = spawn(bin, [], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const originalGone = new Promise((r) => original.on('exit', r));
  await until(() => numbers().length >= 6, 'the counter');
  console.log(`counter pid ${original.pid}, counting: ${numbers().join(' ')}`);

  say('2. checkpoint it with `cryo dump` (CRIU freezes it, saves it to disk, and stops it)');
  const dumpCode = await runCryo(['dump', '--pid', String(original.pid), '--dir', images]).done;
  if (dumpCode !== 0) throw new Error(`cryo dump exited ${dumpCode}`);
  await originalGone;
  const atDump = numbers().at(-1);
  await sleep(1000);
  console.log(`process ${original.pid} is gone: ${existsSync(`/proc/${original.pid}`) ? 'NO (still there!)' : 'yes'}; ` +
    `the log stopped at ${numbers().at(-1)} (1 s later it still says ${atDump})`);
  if (numbers().at(-1) !== atDump) throw new Error('the counter kept running after the dump');

  say('3. restore it with `cryo restore` (it becomes cryo\'s child; cryo waits for it)');
  const restore = runCryo(['restore', '--dir', images], {
    onStderr: (s) => {
      const m = /restored pid (\d+)/.exec(s);
      if (m) restoredPid = Number(m[1]);
    },
  });
  await until(() => restoredPid !== undefined || restore.proc.exitCode !== null, 'the restore');
  if (restoredPid === undefined) throw new Error('cryo restore failed');
  await until(() => numbers().at(-1) >= atDump + 6, 'the restored counter');
  const after = numbers().filter((n, i, all) => i >= all.lastIndexOf(atDump));
  console.log(`counting again: ${after.join(' ')}`);
  if (after[1] !== atDump + 1) throw new Error(`expected ${atDump + 1} after ${atDump}, got ${after[1]}`);
  console.log(`it continued from ${atDump} -> ${atDump + 1}: same memory, same state, not started over from 1`);

  say('4. stop it (SIGTERM); cryo restore exits with the process\'s status');
  process.kill(restoredPid, 'SIGTERM');
  const code = await restore.done;
  console.log(`cryo restore exited ${code} (128 + SIGTERM = 143)`);
  restoredPid = undefined;
  say('done');
} catch (e) {
  console.error(`demo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  for (const pid of [restoredPid, original?.exitCode === null ? original.pid : undefined]) {
    if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  rmSync(dir, { recursive: true, force: true });
}
