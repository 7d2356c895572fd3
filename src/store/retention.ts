// Retention: which checkpoints `cryo gc` may delete. Never a pinned one, never the newest of a
// job (the last way back to it), and never an incomplete one that a writer may still own.

import type { CheckpointInfo, CheckpointStore } from './store.js';

/** How many checkpoints to keep; unset means no limit of that kind. */
export interface RetentionPolicy {
  /** Newest N of each job are kept (at least 1 is always kept). */
  readonly keepPerJob?: number;
  /** Newest N overall are kept (the newest of each job is kept regardless). */
  readonly keepGlobal?: number;
  /** Only plan: delete nothing. */
  readonly dryRun?: boolean;
}

/** What retention selected (and, unless dry-run, removed). */
export interface RetentionPlan {
  readonly removed: { readonly id: string; readonly job: string | null; readonly bytes: number }[];
  /** Selected but kept because pinned (or removal failed), with the reason. */
  readonly skipped: { readonly id: string; readonly reason: string }[];
  readonly kept: number;
  readonly freedBytes: number;
  readonly dryRun: boolean;
  /** Cleanup that failed without failing a removal (e.g. a CRIU network-lock table left behind). */
  readonly warnings: string[];
}

/** Checkpoints without a job are grouped together under this key. */
const NO_JOB = '';

/** Picks checkpoints beyond the limits and removes them (unless dryRun). */
export async function applyRetention(store: CheckpointStore, policy: RetentionPolicy): Promise<RetentionPlan> {
  const all = (await store.list()).filter((c) => c.complete); // oldest first
  const newestFirst = [...all].reverse();
  const perJob = new Map<string, CheckpointInfo[]>();
  for (const c of newestFirst) {
    const k = c.job ?? NO_JOB;
    perJob.set(k, [...(perJob.get(k) ?? []), c]);
  }
  const protectedIds = new Set([...perJob.values()].map((list) => list[0]?.id ?? ''));
  const selected = new Set<string>();
  if (policy.keepPerJob !== undefined) {
    const keep = Math.max(1, policy.keepPerJob);
    for (const list of perJob.values()) list.slice(keep).forEach((c) => selected.add(c.id));
  }
  if (policy.keepGlobal !== undefined) newestFirst.slice(Math.max(0, policy.keepGlobal)).forEach((c) => selected.add(c.id));
  const removed: RetentionPlan['removed'] = [];
  const skipped: RetentionPlan['skipped'] = [];
  const warnings: string[] = [];
  for (const c of all) {
    if (!selected.has(c.id) || protectedIds.has(c.id)) continue;
    const pins = await store.pins(c.id);
    if (pins.length) {
      skipped.push({ id: c.id, reason: `pinned: ${pins.map((p) => p.reason).join('; ')}` });
      continue;
    }
    if (!policy.dryRun) {
      try {
        warnings.push(...(await store.remove(c.id)).warnings);
      } catch (e) {
        skipped.push({ id: c.id, reason: (e as Error).message });
        continue;
      }
    }
    removed.push({ id: c.id, job: c.job ?? null, bytes: c.bytes });
  }
  return {
    removed,
    skipped,
    kept: all.length - removed.length,
    freedBytes: removed.reduce((a, r) => a + r.bytes, 0),
    dryRun: policy.dryRun ?? false,
    warnings,
  };
}
