// One cryod per data directory: two daemons sharing jobs and FIFOs would fight over them. The
// lock is a pid file holding pid and start time, so a pid reused after a crash is not mistaken
// for a live daemon.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CryoError } from '../errors/index.js';
import { isSameProcess, startTimeOf } from '../jobs/proc.js';

/** Takes the data dir's lock; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'cryod.pid');
  try {
    const [pid, st] = readFileSync(path, 'utf8').trim().split(' ').map(Number);
    if (pid && pid !== process.pid && isSameProcess(pid, st ?? null)) {
      throw new CryoError('CRYO_DAEMON_RUNNING', `another cryod (pid ${pid}) is using data directory ${dataDir}`, {
        hint: 'stop that daemon first, or give this one another --data-dir',
      });
    }
  } catch (e) {
    if (e instanceof CryoError) throw e;
  }
  writeFileSync(path, `${process.pid} ${startTimeOf(process.pid) ?? 0}\n`, { mode: 0o640 });
  return () => rmSync(path, { force: true });
}
