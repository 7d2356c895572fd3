// `cryo explain LOG`: reads a CRIU log (or the images directory holding one) and says how the
// operation ended, why it failed in plain words, which lines show it, and what to do.
// Exit status: 0 the log shows success, 1 it shows a failure (or a known cause was found),
// 2 the log has no verdict and nothing known was found in it (CRIU killed or still running?).

import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeCriuLog, type CriuLogAnalysis } from '../../criu/log/index.js';
import { CryoError } from '../../errors/index.js';
import { printJson } from '../output.js';

/** The log names CRIU writes for cryo, newest first when a directory holds several. */
const LOG_NAMES = ['criu-restore.log', 'criu-dump.log', 'restore.log', 'dump.log'];

/** A file is used as is; a directory means its most recently written CRIU log. */
export function resolveLogPath(arg: string): string {
  const path = resolve(arg);
  if (!existsSync(path)) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid argument LOG ${JSON.stringify(arg)}: no such file or directory`, {
      hint: 'give the path of a CRIU log (e.g. IMAGES_DIR/criu-restore.log) or of the images directory',
    });
  }
  if (!statSync(path).isDirectory()) return path;
  const found = LOG_NAMES.map((n) => join(path, n))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!found[0]) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid argument LOG ${JSON.stringify(arg)}: the directory holds no CRIU log`, {
      hint: `expected one of ${LOG_NAMES.join(', ')} in it; or give the log file itself`,
    });
  }
  return found[0];
}

/** The exit status for an analysis (see the header comment). */
export function explainExitCode(a: CriuLogAnalysis): number {
  if (a.outcome === 'success') return 0;
  if (a.outcome === 'failure' || a.hint) return 1;
  return 2;
}

function printHuman(a: CriuLogAnalysis, logPath: string): void {
  const out = (s = ''): boolean => process.stdout.write(s + '\n');
  const op = a.operation ? ` (${a.operation})` : '';
  const verdict = {
    success: `success${op}: CRIU finished the operation`,
    failure: `failure${op}: CRIU gave up`,
    unknown: 'unknown: the log has no closing line (CRIU was killed, is still running, or is not CRIU >= 4)',
  }[a.outcome];
  out(`outcome:    ${verdict}`);
  if (a.hint) {
    out(`cause:      ${a.hint.cause}`);
    out(`code:       ${a.hint.code}${a.hint.transient ? ' (often transient: a retry may work)' : ''}`);
  } else if (a.outcome !== 'success') {
    out('cause:      not one cryo recognises; the lines below are what CRIU reported');
  }
  if (a.relevant.length) {
    out('CRIU said:');
    for (const l of a.relevant) out(`  ${l}`);
  }
  if (a.hint) out(`what to do: ${a.hint.action}`);
  else if (a.outcome !== 'success') out('what to do: read the full log around these lines; `cryo doctor` checks the machine');
  out(`full log:   ${logPath}`);
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('explain a CRIU log: outcome, cause in plain words, the lines that show it, what to do')
    .argument('<log>', 'a CRIU log file, or an images directory holding criu-dump.log / criu-restore.log')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExit status: 0 success, 1 failure (explained or not), 2 no verdict in the log.')
    .action((arg: string, opts: { json?: boolean }) => {
      const logPath = resolveLogPath(arg);
      const a = analyzeCriuLog(readFileSync(logPath, 'utf8'));
      if (opts.json) printJson({ logPath, ...a });
      else printHuman(a, logPath);
      process.exitCode = explainExitCode(a);
    });
}
