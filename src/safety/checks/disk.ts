// Pre-flight: room on disk for what a restore writes: CRIU's restore log beside the images, and
// deleted-but-open ("ghost") files, which CRIU recreates on their original file system.

import { statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckpointModel } from '../../images/index.js';
import { checkResult, type PreflightCheck, type PreflightItem } from '../preflight-types.js';
import { formatBytes } from './memory.js';

/** Room kept for criu-restore.log (log level 4 writes a few MiB for big trees). */
export const RESTORE_LOG_RESERVE = 8 * 1024 * 1024;

/** The closest existing directory at or above `path`. */
function existingDir(path: string): string {
  let p = path;
  while (p !== '/' && !statSync(p, { throwIfNoEntry: false })?.isDirectory()) p = dirname(p);
  return p;
}

/** Free bytes for unprivileged use on the file system of `path`. */
export function freeBytes(path: string): number {
  const s = statfsSync(existingDir(path));
  return s.bavail * s.bsize;
}

/** Checks each file system a restore writes to has room; lists every one that lacks it. */
export function checkDisk(model: CheckpointModel): PreflightCheck {
  const title = 'disk space';
  // Bytes needed per file system, keyed by device so two paths on one disk are summed.
  const need = new Map<number, { path: string; bytes: number; what: string[] }>();
  const add = (path: string, bytes: number, what: string): void => {
    const dir = existingDir(path);
    const dev = statSync(dir).dev;
    const e = need.get(dev) ?? { path: dir, bytes: 0, what: [] };
    e.bytes += bytes;
    e.what.push(what);
    need.set(dev, e);
  };
  add(model.dir, RESTORE_LOG_RESERVE, 'the restore log');
  for (const f of model.files) {
    const g = f.regular?.deleted?.ghostBytes;
    if (g && f.regular) add(dirname(f.regular.path), g, `deleted file ${f.regular.path}`);
  }
  const items: PreflightItem[] = [];
  for (const e of need.values()) {
    const free = freeBytes(e.path);
    if (free < e.bytes) {
      items.push({
        status: 'fail', code: 'CRYO_DISK_FULL', subject: e.path,
        problem: `has ${formatBytes(free)} free, the restore writes ${formatBytes(e.bytes)} there (${e.what.join(', ')})`,
        expected: e.bytes, actual: free,
      });
    }
  }
  return checkResult('disk', title, `room on ${need.size} file system${need.size === 1 ? '' : 's'}`, items);
}
