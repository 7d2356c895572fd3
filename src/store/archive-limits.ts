// What `cryo import` refuses in an archive before writing a byte of it: archives come from other
// machines and must not write outside the ingest directory, create links or devices, or fill the disk.

import { CryoError } from '../errors/index.js';
import type { Header } from 'tar-stream';
import { unsafePathReason } from './safe-path.js';

/** Limits for one import; defaults fit any real checkpoint. */
export interface ArchiveLimits {
  /** Most entries accepted (a checkpoint of N processes has about 10N files). */
  readonly maxEntries: number;
  /** Largest single entry, in bytes. */
  readonly maxEntryBytes: number;
  /** Largest manifest.json, in bytes (it is read into memory). */
  readonly maxManifestBytes: number;
}

export const defaultArchiveLimits: ArchiveLimits = {
  maxEntries: 200_000,
  maxEntryBytes: 1024 ** 4, // 1 TiB
  maxManifestBytes: 64 * 1024 * 1024,
};

/** Checks one tar entry; returns its normalised name (no trailing '/') or throws CRYO_ARCHIVE_UNSAFE. */
export function checkEntry(h: Header, seen: Set<string>, limits: ArchiveLimits, archive: string): string {
  const refuse = (why: string): never => {
    throw new CryoError('CRYO_ARCHIVE_UNSAFE', `archive ${archive} has an unsafe entry ${JSON.stringify(h.name)}: ${why}; nothing was imported`, {
      operation: 'import',
    });
  };
  if (seen.size >= limits.maxEntries) refuse(`more than ${limits.maxEntries} entries`);
  if (h.type !== 'file' && h.type !== 'directory') {
    refuse(h.type === 'symlink' || h.type === 'link' ? `${h.type} to ${JSON.stringify(h.linkname)} (links are not allowed)` : `entry type ${h.type} is not allowed`);
  }
  const name = h.type === 'directory' ? h.name.replace(/\/+$/, '') : h.name;
  const unsafe = unsafePathReason(name);
  if (unsafe) refuse(unsafe);
  if (seen.has(name)) refuse('duplicate name');
  if (!(h.size >= 0) || h.size > limits.maxEntryBytes) refuse(`size ${h.size} exceeds the limit of ${limits.maxEntryBytes} bytes`);
  seen.add(name);
  return name;
}
