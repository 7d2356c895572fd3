// `cryo events`: a live stream of job lifecycle events (CRIU notifications join it on restore).

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';

export function register(program: Command): void {
  withDaemonOptions(program
    .command('events')
    .description('stream job lifecycle events as they happen')
    .option('--job <job>', 'only events of this job')
    .option('--replay', 'first print the stored events')
    .option('--since <seq>', 'first print stored events after sequence number SEQ', (v) => Number(v))
    .option('--json', 'one JSON object per line'))
    .action(async (f: { job?: string; replay?: boolean; since?: number; json?: boolean; socket?: string }) => {
      const d = connectDaemon({ socket: f.socket });
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      try {
        for await (const e of d.events.events({ job: f.job ?? '', replay: !!f.replay, sinceSeq: BigInt(f.since ?? 0) }, { signal: abort.signal })) {
          const line = f.json
            ? JSON.stringify({
              seq: Number(e.seq), time: new Date(Number(e.timeMs)).toISOString(), type: e.type, jobId: e.jobId,
              jobName: e.jobName, state: e.state, message: e.message, data: JSON.parse(e.dataJson || '{}') as unknown,
            })
            : `${new Date(Number(e.timeMs)).toISOString()}  ${e.type.padEnd(14)} ${e.jobName.padEnd(16)} ${e.message}`;
          process.stdout.write(line + '\n');
        }
      } catch (e) {
        if (!abort.signal.aborted) throw e;
      }
    });
}
