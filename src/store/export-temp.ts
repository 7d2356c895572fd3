// The temporary file an export writes before renaming it to its final name. Its name says which
// process owns it (pid + kernel start time), so a later export into the same directory can tell
// the leftovers of a crashed or killed export (owner gone) from one still running, and remove them.

import { readdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { isAlive, selfIdentity } from './process-identity.js';

/** Marks cryo's export temp files: `.NAME.cryo-tmp-PID.STARTTIME.RANDOM`. */
const MARK = '.cryo-tmp-';

/** A fresh temp path next to `out`, owned by this process. */
export function exportTempPath(out: string): string {
  return join(dirname(out), `.${basename(out)}${MARK}${selfIdentity()}.${randomBytes(4).toString('hex')}`);
}

/** The owner identity (`PID.STARTTIME`) encoded in an export temp file name, if it is one. */
export function exportTempOwner(name: string): string | undefined {
  const i = name.lastIndexOf(MARK);
  if (!name.startsWith('.') || i < 0) return undefined;
  const m = /^(\d+\.\d+)\.[0-9a-f]{8}$/.exec(name.slice(i + MARK.length));
  return m?.[1];
}

/** Removes export temp files in `dir` whose owning process is gone (dryRun: only lists them); returns their paths. */
export async function removeStaleExportTemps(dir: string, opts: { dryRun?: boolean } = {}): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return []; // a missing directory fails later with a clear error from the export itself
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = exportTempOwner(name);
    if (owner === undefined || isAlive(owner)) continue;
    const path = join(dir, name);
    try {
      if (!opts.dryRun) await rm(path, { force: true });
      removed.push(path);
    } catch {
      // best effort (e.g. not ours to delete): it never blocks an export
    }
  }
  return removed;
}
