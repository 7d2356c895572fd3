// Durable file-system steps (containerd content-store style): data reaches the disk before the
// name that makes it visible does, so a crash leaves either the old state or the new one.

import { open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsyncs a file's data and metadata. */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsyncs a directory, so renames and creations inside it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir);
}

/** Writes a file atomically: temp file, fsync, rename over the target, fsync the directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** Writes and fsyncs a small file (not atomic: used inside an ingest directory nobody sees yet). */
export async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(path, data, { mode: 0o644 });
  await fsyncPath(path);
}
