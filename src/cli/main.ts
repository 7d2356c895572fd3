// The `cryo` command line: one commander program, one file per command under commands/.

import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';
import { register as doctor } from './commands/doctor.js';
import { register as explain } from './commands/explain.js';
import { register as inspect } from './commands/inspect.js';
import { register as dump } from './commands/dump.js';
import { register as restore } from './commands/restore.js';
import { register as preflight } from './commands/preflight.js';
import { register as daemon } from './commands/daemon.js';
import { register as run } from './commands/run.js';
import { register as ps } from './commands/ps.js';
import { register as attach } from './commands/attach.js';
import { register as logs } from './commands/logs.js';
import { register as kill } from './commands/kill.js';
import { register as rm } from './commands/rm.js';
import { register as wait } from './commands/wait.js';
import { register as events } from './commands/events.js';
import { register as manage } from './commands/manage.js';
import { register as verify } from './commands/verify.js';
import { register as exportCmd } from './commands/export.js';
import { register as importCmd } from './commands/import.js';
import { register as gc } from './commands/gc.js';
import { register as checkpoints } from './commands/checkpoints.js';

const program = new Command('cryo')
  .description('checkpoint and restore Linux processes (built on CRIU)')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const register of [doctor, explain, inspect, dump, restore, preflight, daemon, run, ps, attach, logs, kill, rm, wait, events, manage, verify, exportCmd, importCmd, gc, checkpoints]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.exit(reportError(err, process.argv.includes('--json')));
}
