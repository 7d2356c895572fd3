// `cryo logs JOB [-f]`: what the job printed (kept by cryod, or its --log file).

import type { Command } from 'commander';
import { connectDaemon, withDaemonOptions } from '../client.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  withDaemonOptions(program
    .command('logs')
    .description('print a job\'s output; -f keeps following it while the job runs')
    .argument('<job>', 'job id, id prefix or name')
    .option('-f, --follow', 'keep printing new output until the job ends')
    .option('--tail <bytes>', 'only the last BYTES of what was kept', (v) => Number(v))
    .option('--json', 'print {"output": "..."} (not with -f)'))
    .action(async (job: string, f: { follow?: boolean; tail?: number; json?: boolean; socket?: string }) => {
      const d = connectDaemon({ socket: f.socket });
      const chunks: Buffer[] = [];
      for await (const c of d.jobs.logs({ job, follow: !!f.follow && !f.json, tailBytes: BigInt(f.tail ?? 0) })) {
        if (f.json) chunks.push(Buffer.from(c.data));
        else await new Promise<void>((r) => process.stdout.write(c.data, () => r()));
      }
      if (f.json) printJson({ job, output: Buffer.concat(chunks).toString('utf8') });
    });
}
