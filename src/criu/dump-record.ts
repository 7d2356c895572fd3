// A small record written beside a daemonless dump (cryo-dump.json): the options the dump needed,
// so `cryo restore --dir` repeats them (CRIU needs e.g. shellJob / tcpEstablished on both sides).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CryoError } from '../errors/index.js';

/** File name of the record inside the images directory. */
export const DUMP_RECORD = 'cryo-dump.json';

/** Options that must match between dump and restore. */
export interface DumpRecord {
  version: 1;
  pid: number;
  dumpedAt: string;
  options: { shellJob?: boolean; tcpEstablished?: boolean; fileLocks?: boolean; extUnixSk?: boolean; linkRemap?: boolean };
}

/** Writes the record (after a successful dump). */
export function writeDumpRecord(dir: string, rec: DumpRecord): void {
  writeFileSync(join(dir, DUMP_RECORD), JSON.stringify(rec, null, 2) + '\n');
}

/** Reads the record; undefined when the dump was not made by `cryo dump` (plain CRIU images). */
export function readDumpRecord(dir: string): DumpRecord | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, DUMP_RECORD), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const rec = JSON.parse(text) as DumpRecord;
    if (rec.version !== 1 || typeof rec.options !== 'object') throw new Error('unknown format');
    return rec;
  } catch (e) {
    throw new CryoError('CRYO_INVALID_OPTION', `${join(dir, DUMP_RECORD)} is not a cryo dump record: ${(e as Error).message}`, {
      hint: `remove ${DUMP_RECORD} to restore with default options`,
    });
  }
}
