// `cryo dump JOB`: checkpoint a cryod job into the checkpoint store (the daemon form of dump.ts).

import { connectDaemon } from '../client.js';
import { jobJson } from '../job-format.js';
import { printJson } from '../output.js';
import { CryoError } from '../../errors/index.js';
import { checkHookFlags, hookTimeoutFlag, humanBytes, parseSize } from './checkpoint-flags.js';

/** The flags of the daemon form. */
export interface DumpJobFlags {
  leaveRunning?: boolean; tcpEstablished?: boolean; shellJob?: boolean; fileLocks?: boolean; extUnixSk?: boolean;
  ghostLimit?: string; hook: string[]; hookTimeout?: string; json?: boolean; socket?: string;
}

/** Asks cryod to checkpoint `job`; prints the checkpoint id (or JSON). */
export async function dumpJobViaDaemon(job: string, f: DumpJobFlags): Promise<void> {
  const hooks = checkHookFlags(f.hook);
  const ghostLimit = f.ghostLimit !== undefined ? parseSize(f.ghostLimit, '--ghost-limit') : 0;
  const d = connectDaemon({ socket: f.socket });
  const r = await d.checkpoints.dump({
    job, leaveRunning: !!f.leaveRunning, tcpEstablished: !!f.tcpEstablished, shellJob: !!f.shellJob, fileLocks: !!f.fileLocks,
    extUnixSk: !!f.extUnixSk, ghostLimit: BigInt(ghostLimit), hooks, hookTimeoutMs: hookTimeoutFlag(f.hookTimeout),
  });
  const cp = r.checkpoint;
  if (!cp || !r.job) throw new CryoError('CRYO_DAEMON_ERROR', 'cryod returned no checkpoint');
  if (f.json) {
    printJson({
      checkpoint: { id: cp.id, dir: cp.dir, sizeBytes: Number(cp.sizeBytes), options: cp.criuOptions, leaveRunning: cp.leaveRunning },
      job: jobJson(r.job), chosen: r.chosen, durationMs: Number(r.durationMs), criuMs: Number(r.criuMs),
      hooks: r.hooks.map((h) => ({ event: h.event, command: h.command, exitCode: h.exitCode, durationMs: Number(h.durationMs) })),
    });
    return;
  }
  process.stderr.write(`cryo: CRIU options: ${r.chosen.join(', ') || 'none needed'}\n`);
  for (const h of r.hooks) process.stderr.write(`cryo: ${h.event} hook \`${h.command}\` exited ${h.exitCode} (${h.durationMs} ms)\n`);
  process.stderr.write(`cryo: job ${r.job.name} checkpointed in ${r.durationMs} ms (${humanBytes(Number(cp.sizeBytes))}, ${r.criuMs} ms in CRIU)` +
    `${cp.leaveRunning ? '; it keeps running' : '; its processes are stopped (`cryo restore ' + r.job.name + '` brings it back)'}\n`);
  process.stdout.write(`${cp.id}\n`);
}
