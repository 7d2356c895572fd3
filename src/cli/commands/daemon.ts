// `cryo daemon`: runs cryod in the foreground (systemd: packaging/cryod.service).

import type { Command } from 'commander';
import { loadConfig, type CryoConfig } from '../../config/index.js';
import { startCryod } from '../../daemon/index.js';

interface Flags { socket?: string; dataDir?: string; socketGroup?: string; logLevel?: string }

export function register(program: Command): void {
  program
    .command('daemon')
    .description('run the cryo daemon (cryod) in the foreground; logs go to stderr')
    .option('--socket <path>', 'unix socket to listen on')
    .option('--data-dir <dir>', 'where jobs, logs and the database live')
    .option('--socket-group <group>', 'group (name or gid) allowed to use the socket besides root')
    .option('--log-level <level>', 'trace, debug, info, warn or error')
    .action(async (f: Flags) => {
      const flags: Partial<CryoConfig> = {
        ...(f.socket !== undefined ? { socket: f.socket } : {}),
        ...(f.dataDir !== undefined ? { dataDir: f.dataDir } : {}),
        ...(f.socketGroup !== undefined ? { socketGroup: f.socketGroup } : {}),
        ...(f.logLevel !== undefined ? { logLevel: f.logLevel as CryoConfig['logLevel'] } : {}),
      };
      const d = await startCryod(loadConfig(flags));
      await new Promise<void>((resolve) => {
        const stop = (sig: string): void => {
          d.log.info({ signal: sig }, 'stopping');
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      await d.close();
      process.exit(0);
    });
}
