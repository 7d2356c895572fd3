// The `cryo` command line: one commander program, one file per command under commands/.
// Only the command being run is imported: each pulls in heavy modules (protobuf schemas, the
// daemon client, the image decoder), and a CLI that loads all of them starts several times slower.

import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';

type Register = (program: Command) => void;
const commands: Record<string, () => Promise<{ register: Register }>> = {
  doctor: () => import('./commands/doctor.js'),
  explain: () => import('./commands/explain.js'),
  inspect: () => import('./commands/inspect.js'),
  dump: () => import('./commands/dump.js'),
  restore: () => import('./commands/restore.js'),
  preflight: () => import('./commands/preflight.js'),
  daemon: () => import('./commands/daemon.js'),
  run: () => import('./commands/run.js'),
  ps: () => import('./commands/ps.js'),
  attach: () => import('./commands/attach.js'),
  logs: () => import('./commands/logs.js'),
  kill: () => import('./commands/kill.js'),
  rm: () => import('./commands/rm.js'),
  wait: () => import('./commands/wait.js'),
  events: () => import('./commands/events.js'),
  manage: () => import('./commands/manage.js'),
  verify: () => import('./commands/verify.js'),
  export: () => import('./commands/export.js'),
  import: () => import('./commands/import.js'),
  gc: () => import('./commands/gc.js'),
  checkpoints: () => import('./commands/checkpoints.js'),
};

const program = new Command('cryo')
  .description('checkpoint and restore Linux processes (built on CRIU)')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

try {
  // The first word that is not a flag names the command; help and typos need them all.
  const word = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const versionOnly = word === undefined && process.argv.some((a) => a === '-V' || a === '--version');
  const wanted = word !== undefined && word in commands ? [word] : versionOnly ? [] : Object.keys(commands);
  for (const mod of await Promise.all(wanted.map((name) => commands[name]!()))) mod.register(program);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.exit(reportError(err, process.argv.includes('--json')));
}
