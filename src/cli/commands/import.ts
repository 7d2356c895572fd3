// `cryo import FILE`: unpacks an archive made by `cryo export` into the store, refusing unsafe
// entries and checking every file against the manifest; nothing is left behind on failure.

import type { Command } from 'commander';
import { CheckpointStore, importCheckpoint } from '../../store/index.js';
import { cancelOnSignals, progressReporter } from './export.js';

export function register(program: Command): void {
  program
    .command('import')
    .description('add a checkpoint archive (from `cryo export`) to the store')
    .argument('<file>', 'archive (zstd, gzip or plain tar: detected)')
    .option('--store <dir>', 'checkpoint store (default <dataDir>/checkpoints)')
    .option('--json', 'JSON progress lines and result on stdout')
    .action(async (file: string, opts: { store?: string; json?: boolean }) => {
      const store = await CheckpointStore.open(opts.store ? { root: opts.store } : {});
      const progress = progressReporter('import', !!opts.json);
      const interrupt = cancelOnSignals(progress.stop);
      try {
        const r = await interrupt.run(() => importCheckpoint(file, store, { onProgress: progress.update, signal: interrupt.signal }));
        progress.stop();
        const c = r.checkpoint;
        if (opts.json) {
          process.stdout.write(JSON.stringify({ event: 'done', id: c.id, dir: c.dir, bytes: c.bytes, compress: r.compress, archiveBytes: r.archiveBytes, durationMs: r.durationMs }) + '\n');
        } else {
          process.stdout.write(`imported checkpoint ${c.id}${c.job ? ` (job ${c.job})` : ''} into ${c.dir}: ${c.manifest?.totals.files ?? 0} files verified\n`);
        }
      } finally {
        progress.stop();
      }
    });
}
