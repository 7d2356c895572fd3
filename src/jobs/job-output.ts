// A job's output for `cryo logs` and attach: the tail kept so far and, while the job runs, new
// output as it comes. Attachable jobs: cryod's own log of the relayed FIFOs. File jobs: the job
// writes its log file itself, so cryod follows it by polling its size.

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { CryoError } from '../errors/index.js';
import type { Live } from './job-core.js';
import type { OutputChunk } from './job-io.js';
import type { JobRecord } from './job.js';
import { outputLogPath, readTail } from './output-log.js';

/** A read-only stream of output for `logs -f` and attach. */
export interface OutputFeed {
  /** Output kept so far (tail). */
  backlog: Buffer;
  /** Subscribes to new output; returns unsubscribe. Absent when the job cannot produce more. */
  subscribe?: (fn: (c: OutputChunk) => void) => () => void;
}

/** The kept output plus, while the job runs (`entry` present), a live subscription. */
export function jobOutput(j: JobRecord, entry: Live | undefined, tailBytes: number): OutputFeed {
  if (j.io === 'file' && j.logFile) {
    return { backlog: tailOfFile(j.logFile, tailBytes), ...(entry ? { subscribe: followFile(j.logFile) } : {}) };
  }
  if (j.io === 'none') {
    throw new CryoError('CRYO_INVALID_STATE', `job ${j.name} has no output kept by cryo: it was adopted with \`cryo manage\``, { job: j.name });
  }
  const io = entry?.io;
  return {
    backlog: readTail(outputLogPath(j.jobDir), tailBytes),
    ...(io ? { subscribe: (fn: (c: OutputChunk) => void) => io.subscribe(fn) } : {}),
  };
}

function tailOfFile(path: string, n: number): Buffer {
  if (!existsSync(path)) return Buffer.alloc(0);
  const size = statSync(path).size;
  const start = n > 0 && size > n ? size - n : 0;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - start);
    const r = readSync(fd, buf, 0, buf.length, start);
    return buf.subarray(0, r);
  } finally {
    closeSync(fd);
  }
}

/** Follows a file-output job's log by polling its size (the job writes it, not cryod). */
function followFile(path: string): (fn: (c: OutputChunk) => void) => () => void {
  return (fn) => {
    let pos = existsSync(path) ? statSync(path).size : 0;
    const t = setInterval(() => {
      try {
        const size = statSync(path).size;
        if (size < pos) pos = 0;
        if (size > pos) {
          const fd = openSync(path, 'r');
          const buf = Buffer.alloc(size - pos);
          const r = readSync(fd, buf, 0, buf.length, pos);
          closeSync(fd);
          pos += r;
          fn({ stream: 'stdout', data: buf.subarray(0, r) });
        }
      } catch {
        // file removed: nothing to follow
      }
    }, 200);
    return () => clearInterval(t);
  };
}
