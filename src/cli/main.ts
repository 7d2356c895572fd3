// The `cryo` command line: one commander program, one file per command under commands/.

import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';
import { register as doctor } from './commands/doctor.js';
import { register as explain } from './commands/explain.js';
import { register as inspect } from './commands/inspect.js';
import { register as dump } from './commands/dump.js';
import { register as restore } from './commands/restore.js';

const program = new Command('cryo')
  .description('checkpoint and restore Linux processes (built on CRIU)')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const register of [doctor, explain, inspect, dump, restore]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.exit(reportError(err, process.argv.includes('--json')));
}
