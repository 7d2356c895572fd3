// `cryo export CHECKPOINT -o FILE`: one archive (tar + zstd/gzip/none) to move a checkpoint to
// another machine; a progress bar on a terminal, JSON progress lines with --json.

import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { CryoError } from '../../errors/index.js';
import { CheckpointStore, exportCheckpoint, resolveCheckpointDir, type OnProgress } from '../../store/index.js';

export function register(program: Command): void {
  program
    .command('export')
    .description('write a checkpoint into one archive file (tar + zstd by default)')
    .argument('<checkpoint>', 'checkpoint directory, or id in the store')
    .requiredOption('-o, --output <file>', 'archive to write')
    .option('--compress <kind>', 'zstd, gzip or none', 'zstd')
    .option('--level <n>', 'compression level (zstd 1-19, gzip 1-9)')
    .option('--verify', 'also check every file\'s SHA-256 against the manifest while exporting (import always does)')
    .option('--store <dir>', 'checkpoint store (default <dataDir>/checkpoints)')
    .option('--json', 'JSON progress lines and result on stdout')
    .action(async (ref: string, opts: { output: string; compress: string; level?: string; verify?: boolean; store?: string; json?: boolean }) => {
      const level = opts.level === undefined ? undefined : Number(opts.level);
      if (level !== undefined && !Number.isInteger(level)) {
        throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--level\` ${JSON.stringify(opts.level)}: use a whole number`);
      }
      const dir = await resolveCheckpointDir(ref, () => CheckpointStore.open(opts.store ? { root: opts.store } : {}));
      const progress = progressReporter('export', !!opts.json);
      const interrupt = cancelOnSignals(progress.stop);
      try {
        const r = await interrupt.run(() =>
          exportCheckpoint(dir, opts.output, { compress: opts.compress, verify: !!opts.verify, ...(level !== undefined ? { level } : {}), onProgress: progress.update, signal: interrupt.signal }),
        );
        progress.stop();
        if (opts.json) process.stdout.write(JSON.stringify({ event: 'done', ...r }) + '\n');
        else process.stdout.write(`exported checkpoint ${r.id} to ${r.file}: ${mib(r.bytes)} -> ${mib(r.archiveBytes)} (${r.compress}) in ${(r.durationMs / 1000).toFixed(1)} s\n`);
      } finally {
        progress.stop();
      }
    });
}

/**
 * Ctrl-C / SIGTERM / SIGHUP during an export or import: cancel it (its temp file or ingest
 * directory is removed), then die of the same signal, as the shell expects.
 */
export function cancelOnSignals(beforeDying: () => void): { signal: AbortSignal; run: <T>(op: () => Promise<T>) => Promise<T> } {
  const abort = new AbortController();
  let got: NodeJS.Signals | undefined;
  const on = (sig: NodeJS.Signals): void => {
    got ??= sig;
    abort.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  return {
    signal: abort.signal,
    run: async (op) => {
      for (const s of signals) process.on(s, on);
      try {
        return await op();
      } catch (e) {
        if (got) {
          for (const s of signals) process.off(s, on);
          beforeDying();
          process.kill(process.pid, got); // no listener left: the default action ends the process
        }
        throw e;
      } finally {
        for (const s of signals) process.off(s, on);
      }
    },
  };
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

/** Progress for export/import: a bar (bytes, rate, ETA) on a TTY, JSON lines with --json, else quiet. */
export function progressReporter(phase: string, json: boolean): { update: OnProgress; stop: () => void } {
  let last = 0;
  if (json) {
    return {
      update: (e) => {
        const now = Date.now();
        if (now - last < 250 && e.bytes !== e.totalBytes) return;
        last = now;
        process.stdout.write(JSON.stringify({ event: 'progress', phase, bytes: e.bytes, totalBytes: e.totalBytes ?? null, file: e.file ?? null }) + '\n');
      },
      stop: () => undefined,
    };
  }
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${phase} [{bar}] {percentage}% | {done}/{all} MiB | {rate} MiB/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let running = false;
  return {
    update: (e) => {
      const total = e.totalBytes ?? 0;
      const payload = { done: (e.bytes / 1048576).toFixed(0), all: (total / 1048576).toFixed(0), rate: (e.bytes / 1048576 / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(0) };
      if (!running) {
        bar.start(total, e.bytes, payload);
        running = true;
      } else {
        bar.setTotal(total);
        bar.update(e.bytes, payload);
      }
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
