// Test helper (private): checkpoints a keeper with the real CRIU client into a real store, so
// tests can corrupt the world around it and check the checkpoint still verifies afterwards.

import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { CriuClient } from '../criu/index.js';
import { CheckpointStore, verifyCheckpoint } from '../store/index.js';
import type { Keeper } from './_keeper.js';

export const client = new CriuClient();

/** Dumps `k` into a new store under `dir` and commits it; returns the checkpoint directory. */
export async function checkpoint(dir: string, k: Keeper, opts: { leaveRunning?: boolean } = {}): Promise<string> {
  const store = await CheckpointStore.open({ root: join(dir, 'store') });
  const ingest = await store.beginIngest();
  await client.dump({ pid: k.pid, imagesDir: ingest.dir, ...(opts.leaveRunning ? { leaveRunning: true } : {}) });
  const info = await store.commit(ingest, {});
  if (!opts.leaveRunning) await k.gone; // CRIU killed it; Node reaped it: its pid is free again
  return info.dir;
}

/** True when the checkpoint still matches its manifest (restore logs beside it are ignored). */
export async function stillVerifies(dir: string): Promise<boolean> {
  // A successful restore adds CRIU's stats-restore beside the images (not damage): set it aside
  // as the restore flow does.
  if (existsSync(join(dir, 'stats-restore'))) renameSync(join(dir, 'stats-restore'), join(dir, 'criu-restore.stats.log'));
  const r = await verifyCheckpoint(dir);
  if (!r.ok) console.error('verify:', JSON.stringify({ missing: r.missing, changed: r.changed, unexpected: r.unexpected }));
  return r.ok;
}
