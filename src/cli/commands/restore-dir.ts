// `cryo restore --dir D`: bring a `cryo dump --pid` checkpoint back, without the daemon. The
// restored root becomes cryo's child (rst_sibling); cryo waits for it and exits with its exit code
// (128+signal when killed), so it behaves like the original command in a shell.

import { CriuClient, type RestoreResult } from '../../criu/index.js';
import { readDumpRecord, type DumpRecord } from '../../criu/dump-record.js';
import { withRetry } from '../../safety/index.js';
import { jsonLine, waitAsForeground } from './restore-foreground.js';

/**
 * Right after a dump of a host-PID process, its pid can still be held for a moment (a zombie that
 * PID 1 reaps lazily): CRIU reports that as transient, and a short bounded retry fixes it.
 */
function restoreWithRetry(client: CriuClient, dir: string, options: DumpRecord['options'], talk: boolean): Promise<RestoreResult> {
  // src/safety's policy (config restoreRetries / restoreRetryDelayMs); anything else fails at once.
  return withRetry(() => client.restore({ imagesDir: dir, ...options }), {
    onAttempt: (a) => {
      if (talk && a.nextDelayMs !== undefined) process.stderr.write(`cryo: ${(a.error as Error).message}; retrying in ${a.nextDelayMs} ms\n`);
    },
  });
}

/** Restores the images in `dir` with the options recorded at dump; waits unless `detach`. */
export async function restoreDir(dir: string, f: { detach?: boolean; json?: boolean }): Promise<void> {
  const rec = readDumpRecord(dir);
  const options = rec?.options ?? {};
  const chosen = Object.keys(options).join(', ') || 'none';
  if (!f.json) process.stderr.write(`cryo: restoring ${dir} (options: ${chosen}${rec ? '' : ', no cryo-dump.json: CRIU defaults'})\n`);
  const client = new CriuClient();
  const res = await restoreWithRetry(client, dir, options, !f.json);
  if (f.json) jsonLine({ event: 'restored', pid: res.pid, imagesDir: res.imagesDir, logPath: res.logPath, durationMs: Math.round(res.durationMs), options });
  else process.stderr.write(`cryo: restored pid ${res.pid} in ${Math.round(res.durationMs)} ms\n`);
  if (f.detach) return;
  await waitAsForeground(res.pid, f.json);
}
