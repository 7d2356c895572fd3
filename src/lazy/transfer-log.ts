// How far a lazy-pages transfer got, read from the server's own log (level 4): per restored
// process "Found N pages to be handled by UFFD", each "uffd_copy: ADDR/LEN", and at the end
// "UFFD transferred pages: (copied/total)". CRIU has no other progress channel, hence parsing.

import { readFile } from 'node:fs/promises';

/** Pages of one transfer, summed over the restored processes. */
export interface TransferPages {
  /** Pages copied into the restored processes so far. */
  transferred: number;
  /** Pages the restored processes needed from the server. */
  total: number;
  /** Restored processes whose transfer CRIU reported as finished. */
  finishedProcesses: number;
  /** Restored processes that connected (one uffd each). */
  processes: number;
}

const PAGE = 4096;
// "(00.334502) uffd: 2-12: Found 65565 pages to be handled by UFFD"
const FOUND = /uffd: (\d+)-\d+: Found (\d+) pages to be handled by UFFD/;
// "(00.750361) uffd: 2-12: uffd_copy: 0x7ffd068cf000/4096"
const COPY = /uffd: (\d+)-\d+: uffd_copy: 0x[0-9a-f]+\/(\d+)/;
// "(00.750382) uffd: 2-12: UFFD transferred pages: (65565/65565)"
const DONE = /uffd: (\d+)-\d+: UFFD transferred pages: \((\d+)\/(\d+)\)/;

/** Reads the page counts out of a lazy-pages log text; undefined when it says nothing about pages. */
export function parseTransferLog(text: string): TransferPages | undefined {
  const total = new Map<string, number>();
  const copied = new Map<string, number>();
  const done = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.includes('uffd')) continue;
    let m = COPY.exec(line);
    if (m) {
      copied.set(m[1] ?? '', (copied.get(m[1] ?? '') ?? 0) + Math.floor(Number(m[2]) / PAGE));
      continue;
    }
    m = FOUND.exec(line);
    if (m) {
      total.set(m[1] ?? '', Number(m[2]));
      continue;
    }
    m = DONE.exec(line);
    if (m) {
      done.set(m[1] ?? '', Number(m[2]));
      total.set(m[1] ?? '', Number(m[3]));
    }
  }
  if (total.size === 0) return undefined;
  let transferred = 0;
  let sum = 0;
  for (const [pid, t] of total) {
    sum += t;
    // The final summary is authoritative; the copy lines are the running count before it.
    transferred += done.get(pid) ?? Math.min(t, copied.get(pid) ?? 0);
  }
  return { transferred, total: sum, finishedProcesses: done.size, processes: total.size };
}

/** parseTransferLog on a file; undefined when the file cannot be read. */
export async function readTransferLog(path: string): Promise<TransferPages | undefined> {
  try {
    return parseTransferLog(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}
