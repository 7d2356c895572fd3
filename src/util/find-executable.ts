// Looking up programs the way a shell does, for the few places cryo runs tools by absolute path.

import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';

/** True when `path` is an executable regular file. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first `dir/name` that is executable, in the order given; undefined when none is. */
export function findExecutable(name: string, dirs: readonly string[]): string | undefined {
  return dirs.filter(Boolean).map((d) => join(d, name)).find(isExecutable);
}
