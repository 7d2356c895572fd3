// `cryo export`: one archive (tar + zstd/gzip/none) holding a checkpoint's manifest first, then
// cryo.json and the images. Streaming with backpressure (memory bounded for any size); sizes are
// checked against the manifest always, hashes with `verify` (import always checks every hash).
// The archive appears under its name only when complete (temp file, fsync, rename); the temp file
// is removed when the export fails or is cancelled (options.signal), and a later export into the
// same directory removes those a killed export left (export-temp.ts).

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { CryoError } from '../errors/index.js';
import { spawnZstd, type Compression } from './compression.js';
import { EarlyWriteback, fsyncDir } from './durable.js';
import { exportTempPath, removeStaleExportTemps } from './export-temp.js';
import { rethrowFsError } from './fs-errors.js';
import { MANIFEST_NAME, readManifest, type Manifest } from './manifest.js';
import { normaliseExportOptions, type ExportOptions } from './export-options.js';
import type { ProgressEvent } from './progress.js';

/** What an export wrote. */
export interface ExportResult {
  readonly file: string;
  readonly id: string;
  readonly compress: Compression;
  /** Size of the archive. */
  readonly archiveBytes: number;
  /** Uncompressed checkpoint bytes (manifest totals). */
  readonly bytes: number;
  readonly files: number;
  readonly durationMs: number;
}

const CHUNK = 2 * 1024 * 1024;

/** Writes the checkpoint in `dir` to the archive `out`. */
export async function exportCheckpoint(dir: string, out: string, options: ExportOptions = {}): Promise<ExportResult> {
  const opts = normaliseExportOptions(options);
  const started = Date.now();
  const m = await readManifest(dir);
  if ('problem' in m) {
    throw new CryoError('CRYO_CHECKPOINT_INCOMPLETE', `cannot export ${dir}: ${m.detail}`, { operation: 'export', imagesDir: dir });
  }
  const { manifest, text } = m;
  const ctx = { operation: 'export', checkpoint: manifest.id, imagesDir: dir };
  // Stops everything at once: the caller's signal, or a failure on either side of the pipe.
  const stop = new AbortController();
  const cancel = (): void => stop.abort(new CryoError('CRYO_ABORTED', `export of checkpoint ${manifest.id} to ${out} was cancelled; no archive was written`, ctx));
  if (opts.signal?.aborted) cancel();
  opts.signal?.addEventListener('abort', cancel, { once: true });
  const cancelled = new Promise<never>((_, reject) => {
    if (stop.signal.aborted) reject(stop.signal.reason as Error);
    stop.signal.addEventListener('abort', () => reject(stop.signal.reason as Error), { once: true });
  });
  cancelled.catch(() => undefined); // raced below; unobserved when the export succeeds
  await removeStaleExportTemps(dirname(out));
  const tmp = exportTempPath(out);
  let outFh: FileHandle | undefined;
  let writeback: EarlyWriteback | undefined;
  let writing: Promise<void> = Promise.resolve();
  const pack = tar.pack();
  let zstd: ReturnType<typeof spawnZstd> | undefined;
  let sinkResult: Promise<Error | undefined> = Promise.resolve(undefined);
  try {
    outFh = await open(tmp, 'wx', 0o644);
    const wb = new EarlyWriteback(outFh);
    writeback = wb;
    let sink: Promise<unknown>;
    if (opts.compress === 'zstd') {
      zstd = spawnZstd(['-q', '-T0', `-${opts.level}`, '-c'], ['pipe', outFh.fd, 'pipe']);
      const stdin = zstd.child.stdin;
      if (!stdin) throw new Error('zstd has no stdin');
      const z = zstd;
      sink = Promise.all([pipeline(pack, stdin), z.done.then((why) => {
        if (why) throw new CryoError('CRYO_COMPRESSOR_FAILED', `zstd failed while exporting checkpoint ${manifest.id}: ${why}`, ctx);
      })]);
    } else {
      const ws = createWriteStream('', { fd: outFh.fd, autoClose: false, highWaterMark: 4 * CHUNK });
      sink = opts.compress === 'gzip' ? pipeline(pack, createGzip({ level: opts.level }), ws) : pipeline(pack, ws);
    }
    // The sink may fail first (zstd died, disk full): then stop feeding it at once.
    sinkResult = sink.then(() => undefined, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    // The archive's disk writes start early (it is fsynced before the rename): counted in
    // uncompressed bytes, close enough for a hint.
    writing = writeEntries(pack, dir, manifest, text, opts.verify, stop.signal, (n, e) => {
      wb.wrote(n);
      opts.onProgress?.(e);
    });
    writing.catch(() => undefined); // raced below
    await Promise.race([
      writing,
      cancelled,
      sinkResult.then((e) => {
        if (e) throw e;
      }),
    ]);
    const sinkError = await Promise.race([sinkResult, cancelled]);
    if (sinkError) throw sinkError;
    await wb.settle();
    await outFh.sync();
    await outFh.close();
    outFh = undefined;
    await rename(tmp, out);
    await fsyncDir(dirname(out));
    return {
      file: out,
      id: manifest.id,
      compress: opts.compress,
      archiveBytes: (await stat(out)).size,
      bytes: manifest.totals.bytes,
      files: manifest.totals.files + 1,
      durationMs: Date.now() - started,
    };
  } catch (e) {
    if (!stop.signal.aborted) stop.abort(e);
    pack.destroy();
    zstd?.child.kill('SIGKILL');
    await sinkResult; // the writer must be done with the descriptor before it is closed
    await writing.catch(() => undefined); // and the reader with its source files
    await writeback?.settle().catch(() => undefined);
    await outFh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    return rethrowFsError(e, `archive ${out}`, ctx);
  } finally {
    opts.signal?.removeEventListener('abort', cancel);
  }
}

/** Waits for `p`, or rejects as soon as `signal` is aborted (a destroyed packer never calls back). */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Adds manifest.json, then every file of the manifest, checking sizes and (verify) hashes as it streams. */
async function writeEntries(
  pack: tar.Pack,
  dir: string,
  manifest: Manifest,
  manifestText: string,
  verify: boolean,
  signal: AbortSignal,
  onBytes: (n: number, e: ProgressEvent) => void,
): Promise<void> {
  const mtime = new Date(manifest.createdAt);
  await unlessAborted(
    new Promise<void>((resolve, reject) => {
      pack.entry({ name: MANIFEST_NAME, mode: 0o644, mtime }, manifestText, (err) => (err ? reject(err) : resolve()));
    }),
    signal,
  );
  let done = 0;
  for (const f of manifest.files) {
    const ctx = { operation: 'export', checkpoint: manifest.id, imagesDir: dir };
    let fh: FileHandle;
    try {
      fh = await open(join(dir, f.path), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CryoError('CRYO_CHECKPOINT_CORRUPT', `cannot export checkpoint ${manifest.id}: ${f.path} is missing`, ctx);
      }
      throw e;
    }
    try {
      let entry!: ReturnType<tar.Pack['entry']>;
      const entryDone = new Promise<void>((resolve, reject) => {
        entry = pack.entry({ name: f.path, size: f.size, mode: 0o644, mtime }, (err) => (err ? reject(err) : resolve()));
      });
      entryDone.catch(() => undefined); // awaited below; when we bail out first, pack.destroy() rejects it
      const hash = createHash('sha256');
      let size = 0;
      // Fresh buffer per chunk (the packer keeps it until written); the next read is issued before
      // waiting for the compressor to drain, so disk reads overlap with compression.
      const readChunk = (): Promise<Buffer> => {
        const buf = Buffer.allocUnsafe(CHUNK);
        return fh.read(buf, 0, CHUNK, null).then((r) => buf.subarray(0, r.bytesRead));
      };
      let next = readChunk();
      for (;;) {
        signal.throwIfAborted();
        const chunk = await next;
        if (chunk.length === 0) break;
        if (size + chunk.length > f.size) break; // grew: reported below without corrupting the tar
        next = readChunk();
        if (verify) hash.update(chunk);
        size += chunk.length;
        done += chunk.length;
        if (!entry.write(chunk)) await once(entry, 'drain', { signal });
        onBytes(chunk.length, { phase: 'export', bytes: done, totalBytes: manifest.totals.bytes, file: f.path });
      }
      await next.catch(() => undefined); // never leave a read in flight on a descriptor about to close
      if (size !== f.size || (verify && hash.digest('hex') !== f.sha256)) {
        throw new CryoError(
          'CRYO_CHECKPOINT_CORRUPT',
          `cannot export checkpoint ${manifest.id}: ${f.path} differs from its manifest (${size !== f.size ? `size ${size}, expected ${f.size}` : 'SHA-256 differs'})`,
          { ...ctx, hint: `run \`cryo verify ${dir}\` to see every damaged file` },
        );
      }
      entry.end(undefined);
      await unlessAborted(entryDone, signal);
    } finally {
      await fh.close();
    }
  }
  pack.finalize();
}
