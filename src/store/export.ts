// `cryo export`: one archive (tar + zstd/gzip/none) holding a checkpoint's manifest first, then
// cryo.json and the images. Streaming with backpressure (memory bounded for any size); sizes are
// checked against the manifest always, hashes with `verify` (import always checks every hash).
// The archive appears under its name only when complete (temp file, fsync, rename).

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { CryoError } from '../errors/index.js';
import { spawnZstd, type Compression } from './compression.js';
import { fsyncDir } from './durable.js';
import { rethrowFsError } from './fs-errors.js';
import { MANIFEST_NAME, readManifest, type Manifest } from './manifest.js';
import { normaliseExportOptions, type ExportOptions } from './export-options.js';

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
  const tmp = join(dirname(out), `.${basename(out)}.cryo-tmp-${randomBytes(4).toString('hex')}`);
  let outFh: FileHandle | undefined;
  const pack = tar.pack();
  let zstd: ReturnType<typeof spawnZstd> | undefined;
  let sinkResult: Promise<Error | undefined> = Promise.resolve(undefined);
  try {
    outFh = await open(tmp, 'wx', 0o644);
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
    await Promise.race([
      writeEntries(pack, dir, manifest, text, opts.verify, opts.onProgress),
      sinkResult.then((e) => {
        if (e) throw e;
      }),
    ]);
    const sinkError = await sinkResult;
    if (sinkError) throw sinkError;
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
    pack.destroy();
    zstd?.child.kill('SIGKILL');
    await sinkResult; // the writer must be done with the descriptor before it is closed
    await outFh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    rethrowFsError(e, `archive ${out}`, ctx);
  }
}

/** Adds manifest.json, then every file of the manifest, checking sizes and (verify) hashes as it streams. */
async function writeEntries(
  pack: tar.Pack,
  dir: string,
  manifest: Manifest,
  manifestText: string,
  verify: boolean,
  onProgress: ExportOptions['onProgress'],
): Promise<void> {
  const mtime = new Date(manifest.createdAt);
  await new Promise<void>((resolve, reject) => {
    pack.entry({ name: MANIFEST_NAME, mode: 0o644, mtime }, manifestText, (err) => (err ? reject(err) : resolve()));
  });
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
        const chunk = await next;
        if (chunk.length === 0) break;
        if (size + chunk.length > f.size) break; // grew: reported below without corrupting the tar
        next = readChunk();
        if (verify) hash.update(chunk);
        size += chunk.length;
        done += chunk.length;
        if (!entry.write(chunk)) await once(entry, 'drain');
        onProgress?.({ phase: 'export', bytes: done, totalBytes: manifest.totals.bytes, file: f.path });
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
      await entryDone;
    } finally {
      await fh.close();
    }
  }
  pack.finalize();
}
