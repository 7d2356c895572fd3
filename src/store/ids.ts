// Checkpoint ids: sortable by creation time (so listings and retention need no metadata read)
// and unique across processes and machines (a random tail), safe as a directory name.

import { randomBytes } from 'node:crypto';

/** `20261204T161947123Z-9f2c1a0b`: UTC time to the millisecond, then 8 random hex digits. */
export const CHECKPOINT_ID_RE = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

/** Makes a new id for a checkpoint created at `now`. */
export function newCheckpointId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-12-04T16:19:47.123Z
  const stamp = iso.slice(0, 19).replace(/[-:]/g, '') + iso.slice(20, 23) + 'Z';
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Whether a string has the shape of a checkpoint id (a directory name in the store). */
export function isCheckpointId(s: string): boolean {
  return CHECKPOINT_ID_RE.test(s);
}

/** The creation time encoded in an id. */
export function idTime(id: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(id);
  if (!m) return new Date(NaN);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}
