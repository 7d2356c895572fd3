// `cryo doctor`: can cryo work on this machine, and what will the user miss?

import type { Command } from 'commander';
import { loadConfig, locateCriu } from '../../config/index.js';
import { runChecks, type CheckResult } from '../../doctor/checks.js';
import { printJson } from '../output.js';

const mark: Record<CheckResult['status'], string> = { ok: 'ok      ', degraded: 'degraded', missing: 'missing ' };

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check whether cryo can checkpoint and restore on this machine')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const results = await runChecks(locateCriu(config.criu));
      const fatal = results.filter((r) => r.essential && r.status !== 'ok');
      if (opts.json) {
        printJson({ usable: fatal.length === 0, checks: results });
      } else {
        for (const r of results) {
          process.stdout.write(`${mark[r.status]}  ${r.title.padEnd(26)} ${r.detail}\n`);
          if (r.impact) process.stdout.write(`          ${' '.repeat(26)} -> ${r.impact}\n`);
        }
        process.stdout.write(
          fatal.length === 0
            ? '\ncryo can checkpoint and restore on this machine.\n'
            : `\ncryo cannot work here: ${fatal.map((f) => f.title).join(', ')} (see above).\n`,
        );
      }
      process.exitCode = fatal.length === 0 ? 0 : 3;
    });
}
