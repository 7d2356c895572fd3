// Pins: a checkpoint in use (a running restore, a lazy-pages transfer, an export) must never be
// removed. A pin is a small file owned by a live process, so other processes (the CLI's gc while
// the daemon restores) see it, and a crashed owner's pins lapse by themselves.

import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isAlive, selfIdentity } from './process-identity.js';

/** A held pin; pass it to `unpin` (or call release) when the operation ends. */
export interface Pin {
  readonly id: string;
  readonly reason: string;
  readonly file: string;
  release(): Promise<void>;
}

/** A pin seen on disk, possibly held by another process. */
export interface PinInfo {
  readonly reason: string;
  readonly pid: number;
  readonly since: string;
}

/** Writes a pin file for checkpoint `id` under `pinsRoot`. */
export async function writePin(pinsRoot: string, id: string, reason: string): Promise<Pin> {
  const dir = join(pinsRoot, id);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${selfIdentity()}.${randomBytes(4).toString('hex')}`);
  await writeFile(file, JSON.stringify({ reason, pid: process.pid, since: new Date().toISOString() }));
  let released = false;
  return {
    id,
    reason,
    file,
    release: async () => {
      if (released) return;
      released = true;
      await rm(file, { force: true });
      await rmdir(dir).catch(() => undefined); // only succeeds when no other pin is left
    },
  };
}

/** Live pins of checkpoint `id`; pins of dead processes are deleted on the way. */
export async function readPins(pinsRoot: string, id: string): Promise<PinInfo[]> {
  const dir = join(pinsRoot, id);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: PinInfo[] = [];
  for (const n of names) {
    const owner = n.split('.').slice(0, 2).join('.');
    if (!isAlive(owner)) {
      await rm(join(dir, n), { force: true });
      continue;
    }
    try {
      out.push(JSON.parse(await readFile(join(dir, n), 'utf8')) as PinInfo);
    } catch {
      out.push({ reason: 'unknown (unreadable pin file)', pid: Number(n.split('.')[0]), since: '' });
    }
  }
  if (out.length === 0) await rmdir(dir).catch(() => undefined);
  return out;
}
