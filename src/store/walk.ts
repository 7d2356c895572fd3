// Lists the files of a checkpoint directory as sorted relative paths, refusing anything that is
// not a plain file or directory (a checkpoint never holds links or devices).

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** One entry found in a checkpoint directory. */
export interface WalkedFile {
  /** Path relative to the checkpoint directory, with `/` separators. */
  readonly path: string;
  readonly size: number;
  /** 'file' for regular files, 'other' for links, devices, sockets, fifos. */
  readonly kind: 'file' | 'other';
}

/** Every non-directory entry under `dir`, sorted by path. */
export async function walkFiles(dir: string): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await visit(p);
      else if (e.isFile()) out.push({ path: p, size: (await lstat(join(dir, p))).size, kind: 'file' });
      else out.push({ path: p, size: 0, kind: 'other' });
    }
  };
  await visit('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
