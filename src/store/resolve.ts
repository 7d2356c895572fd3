// What a CLI argument CHECKPOINT means until the daemon resolves names: an existing directory, or
// an id (or, through the store's hook, a name) in the store.

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CheckpointStore } from './store.js';

/** The checkpoint directory for `arg`: a path if one exists, else a store lookup. */
export async function resolveCheckpointDir(arg: string, store: () => Promise<CheckpointStore>): Promise<string> {
  try {
    if ((await stat(arg)).isDirectory()) return resolve(arg);
  } catch {
    // not a path: look it up in the store
  }
  return (await (await store()).get(arg)).dir;
}
