// Test helper: real checkpoints made by dumping a real process with the raw `criu` CLI (never a
// mock), plus the workload's log so tests can see that a restored process carries on.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCriuPath } from './versions.js';

/** A temp dir under os.tmpdir() with the cryo- prefix; removed by the returned cleanup. */
export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `cryo-store-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A counter workload: one python process appending 1, 2, 3... to `log` (O_APPEND), ready first. */
const WORKLOAD = `
import sys, time
out = open(sys.argv[1], 'a', buffering=1)
mb = int(sys.argv[2])
buf = bytearray(mb * 1024 * 1024)
for i in range(0, len(buf), 4096):
    buf[i] = (i >> 12) & 0xff
out.write('ready\\n')
i = 0
while True:
    i += 1
    out.write('%d\\n' % i)
    time.sleep(0.02)
`;

/** Waits until `log` holds a line "ready" (the workload's handshake), up to `ms`. */
export async function waitForLine(log: string, pred: (lines: string[]) => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    let lines: string[] = [];
    try {
      lines = readFileSync(log, 'utf8').split('\n');
    } catch {
      // not created yet
    }
    if (pred(lines)) return;
    if (Date.now() > end) throw new Error(`timed out waiting on ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The last counter value the workload wrote. */
export function lastCount(log: string): number {
  const nums = readFileSync(log, 'utf8').split('\n').filter((l) => /^\d+$/.test(l));
  return Number(nums[nums.length - 1] ?? 0);
}

/**
 * Starts the workload (own session, stdio away from us), dumps it into `imagesDir` with
 * `criu dump -t PID -D DIR --shell-job`, and returns once the original process is gone.
 */
export async function dumpRealProcess(imagesDir: string, log: string, opts: { memoryMiB?: number } = {}): Promise<{ pid: number }> {
  const child = spawn('/usr/bin/python3', ['-c', WORKLOAD, log, String(opts.memoryMiB ?? 1)], { detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid ?? 0;
  try {
    await waitForLine(log, (l) => l.includes('2'));
    const r = spawnSync(defaultCriuPath(), ['dump', '-t', String(pid), '-D', imagesDir, '--shell-job', '-o', 'criu-dump.log', '-v4'], { encoding: 'utf8' });
    if (r.status !== 0) {
      let tail = '';
      try {
        tail = readFileSync(join(imagesDir, 'criu-dump.log'), 'utf8').split('\n').filter((l) => /Error/.test(l)).slice(-5).join('\n');
      } catch {
        // no log
      }
      throw new Error(`criu dump failed (${r.status}): ${r.stderr}\n${tail}`);
    }
    await exited; // reaped by Node: its pid is free for a restore
    return { pid };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** Restores with `criu restore -D DIR --restore-detached --shell-job`; returns the restored pid. */
export function restoreDetached(imagesDir: string, pidFile: string): number {
  const r = spawnSync(defaultCriuPath(), ['restore', '-D', imagesDir, '--restore-detached', '--shell-job', '--pidfile', pidFile, '-o', 'criu-restore.log', '-v4'], { encoding: 'utf8' });
  if (r.status !== 0) {
    let tail = '';
    try {
      tail = readFileSync(join(imagesDir, 'criu-restore.log'), 'utf8').split('\n').filter((l) => /Error/.test(l)).slice(-5).join('\n');
    } catch {
      // no log
    }
    throw new Error(`criu restore failed (${r.status}): ${r.stderr}\n${tail}`);
  }
  return Number(readFileSync(pidFile, 'utf8').trim());
}

/** Kills a process by pid and waits until it is gone (restored processes are init's children). */
export async function killAndWait(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) Z /.test(st)) return; // a zombie of init: dead, reaped soon
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when the child prints `word` (its readiness handshake); fails if it exits first. */
export function waitForOutput(child: ChildProcess, word: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(word)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before "${word}": ${err}`)));
  });
}
