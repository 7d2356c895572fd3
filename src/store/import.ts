// `cryo import`: unpacks an archive made by `cryo export` into an ingest directory, refusing hostile
// entries before writing them, checking every file against the manifest inside while streaming,
// then commits. Any failure (unsafe, corrupt, truncated, disk full) leaves nothing behind.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, statfs, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { CryoError, isCryoError } from '../errors/index.js';
import { checkEntry, defaultArchiveLimits, type ArchiveLimits } from './archive-limits.js';
import { EarlyWriteback } from './durable.js';
import { detectCompression, spawnZstd, type Compression } from './compression.js';
import { isDiskFull, rethrowFsError } from './fs-errors.js';
import { childOutputPipe } from './zstd-pipe.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from './manifest.js';
import type { OnProgress } from './progress.js';
import type { CheckpointInfo, CheckpointStore, Ingest } from './store.js';

/** Options of importCheckpoint. */
export interface ImportOptions {
  readonly limits?: Partial<ArchiveLimits>;
  readonly onProgress?: OnProgress;
  /** Cancels the import (CRYO_ABORTED); nothing is left behind. */
  readonly signal?: AbortSignal;
}

/** What an import added to the store. */
export interface ImportResult {
  readonly checkpoint: CheckpointInfo;
  readonly compress: Compression;
  readonly archiveBytes: number;
  readonly durationMs: number;
}

/** Imports the archive `file` into `store`; returns the new checkpoint. */
export async function importCheckpoint(file: string, store: CheckpointStore, options: ImportOptions = {}): Promise<ImportResult> {
  const started = Date.now();
  const limits = { ...defaultArchiveLimits, ...options.limits };
  const corrupt = (why: string, cause?: unknown): CryoError =>
    new CryoError('CRYO_ARCHIVE_CORRUPT', `archive ${file} is damaged or not a cryo checkpoint archive: ${why}; nothing was imported`, {
      operation: 'import',
      ...(cause !== undefined ? { cause } : {}),
    });
  const compress = await sniff(file, corrupt);
  const archiveBytes = (await stat(file)).size;

  // Source of tar bytes: zstd reads the file itself (fastest), gzip/none through node streams.
  let source: Readable;
  let zstd: ReturnType<typeof spawnZstd> | undefined;
  let inFh: Awaited<ReturnType<typeof open>> | undefined;
  if (compress === 'zstd') {
    inFh = await open(file, 'r');
    const out = childOutputPipe();
    try {
      zstd = spawnZstd(['-q', '-d', '-c'], [inFh.fd, out?.childEnd ?? 'pipe', 'pipe']);
    } catch (e) {
      out?.stream.destroy();
      await inFh.close();
      throw e;
    } finally {
      out?.spawned();
    }
    const stdout = out?.stream ?? zstd.child.stdout;
    if (!stdout) throw new Error('zstd has no stdout');
    source = stdout;
  } else {
    const raw = createReadStream(file, { highWaterMark: 1024 * 1024 });
    source = compress === 'gzip' ? raw.pipe(createGunzip()) : raw;
    raw.on('error', (e) => source.destroy(e));
  }
  const extract = tar.extract();
  const piping = pipeline(source, extract).then(() => undefined, (e: unknown) => e);
  const aborted = (): CryoError =>
    new CryoError('CRYO_ABORTED', `import of ${file} was cancelled; nothing was imported`, { operation: 'import' });
  const cancel = (): void => {
    extract.destroy(aborted());
    source.destroy();
  };
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });

  let ingest: Ingest | undefined;
  try {
    const r = await unpack(extract, file, store, limits, corrupt, options.onProgress, (i) => (ingest = i));
    const pipeErr = await piping;
    const zstdErr = zstd ? await zstd.done : undefined;
    if (zstdErr) throw corrupt(`zstd: ${zstdErr}`);
    if (pipeErr) throw corrupt(String((pipeErr as Error).message ?? pipeErr), pipeErr);
    const checkpoint = await store.commitVerified(r.ingest, r.manifestText, r.manifest);
    ingest = undefined;
    return { checkpoint, compress, archiveBytes, durationMs: Date.now() - started };
  } catch (e) {
    extract.destroy();
    source.destroy();
    zstd?.child.kill('SIGKILL');
    // When the stream broke first, the decompressor's own words explain it best.
    let notRun: Error | undefined;
    const zstdErr = zstd ? await zstd.done.catch((why: unknown) => void (notRun = why instanceof Error ? why : new Error(String(why)))) : undefined;
    if (options.signal?.aborted) throw aborted();
    if (notRun) throw notRun; // zstd could not be started: say so, not "damaged archive"
    if (isCryoError(e) || isDiskFull(e)) rethrowFsError(e, `checkpoint from ${file} into ${store.root}`, { operation: 'import' });
    if (zstdErr && !/killed by SIG(KILL|PIPE)/.test(zstdErr)) throw corrupt(`zstd: ${zstdErr}`, e);
    throw corrupt((e as Error).message ?? String(e), e);
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    await inFh?.close().catch(() => undefined);
    if (ingest) await store.abort(ingest);
  }
}

async function sniff(file: string, corrupt: (why: string) => CryoError): Promise<Compression> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `no archive at ${file}`, { operation: 'import', hint: 'check the path of the archive' });
  }
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    const c = detectCompression(head.subarray(0, bytesRead));
    if (!c) throw corrupt('unknown format (not zstd, gzip or tar)');
    return c;
  } finally {
    await fh.close();
  }
}

interface Unpacked {
  readonly ingest: Ingest;
  readonly manifest: Manifest;
  readonly manifestText: string;
}

/** Walks the entries: manifest first, then each listed file written (its disk writes started early), hashed and fsynced. */
async function unpack(
  extract: tar.Extract,
  file: string,
  store: CheckpointStore,
  limits: ArchiveLimits,
  corrupt: (why: string, cause?: unknown) => CryoError,
  onProgress: OnProgress | undefined,
  began: (i: Ingest) => void,
): Promise<Unpacked> {
  const seen = new Set<string>();
  let manifest: Manifest | undefined;
  let manifestText = '';
  let ingest: Ingest | undefined;
  const expected = new Map<string, Manifest['files'][number]>();
  let done = 0;
  const syncs: Promise<void>[] = [];
  try {
    return await unpackEntries();
  } finally {
    await Promise.allSettled(syncs); // no descriptor outlives the import, whatever happened
  }

  async function unpackEntries(): Promise<Unpacked> {
    for await (const entry of extract) {
      const name = checkEntry(entry.header, seen, limits, file);
      if (!manifest) {
        if (name !== MANIFEST_NAME || entry.header.type !== 'file') throw corrupt(`first entry is ${JSON.stringify(name)}, expected ${MANIFEST_NAME}`);
        if (entry.header.size > limits.maxManifestBytes) {
          throw new CryoError('CRYO_ARCHIVE_UNSAFE', `archive ${file} has an unsafe entry "${MANIFEST_NAME}": size ${entry.header.size} exceeds the manifest limit of ${limits.maxManifestBytes} bytes; nothing was imported`, { operation: 'import' });
        }
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        manifestText = Buffer.concat(chunks).toString('utf8');
        const m = parseManifest(manifestText);
        if (typeof m === 'string') throw corrupt(`its manifest.json is invalid: ${m}`);
        manifest = m;
        for (const f of m.files) {
          if (f.size > limits.maxEntryBytes) {
            throw new CryoError('CRYO_ARCHIVE_UNSAFE', `archive ${file} declares ${JSON.stringify(f.path)} of ${f.size} bytes, over the limit of ${limits.maxEntryBytes}; nothing was imported`, { operation: 'import' });
          }
          expected.set(f.path, f);
        }
        await checkRoom(store, m);
        if ((await store.list()).some((c) => c.id === m.id)) {
          throw new CryoError('CRYO_CHECKPOINT_EXISTS', `checkpoint ${m.id} from ${file} is already in the store at ${store.root}`, { checkpoint: m.id, operation: 'import' });
        }
        ingest = await store.beginIngest({ id: m.id });
        began(ingest);
        continue;
      }
      if (!ingest) throw new Error('unreachable: ingest not started');
      if (entry.header.type === 'directory') {
        await mkdir(join(ingest.dir, name), { recursive: true });
        entry.resume();
        continue;
      }
      const want = expected.get(name);
      if (!want) throw corrupt(`it holds ${JSON.stringify(name)}, which its manifest does not list`);
      if (want.size !== entry.header.size) throw corrupt(`${name} is ${entry.header.size} bytes in the archive, ${want.size} in the manifest`);
      const path = join(ingest.dir, name);
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(path, 'wx', 0o644);
      let handedOff = false;
      // A write stream batches writes (writev); it must be settled before the descriptor is closed.
      const ws = createWriteStream('', { fd: fh.fd, autoClose: false, highWaterMark: 4 * 1024 * 1024 });
      ws.on('error', () => undefined); // surfaced through once() below
      const writeback = new EarlyWriteback(fh);
      try {
        // Hashed here, on the main thread: SHA-256 with the CPU's SHA extensions runs at ~1.7 GB/s,
        // and the main thread mostly waits for the pipe and the writes (which run on libuv's
        // threads). A hashing worker thread (the first version) cost ~0.6 s more CPU per GiB in
        // copies and messages and ~70 MiB more memory: slower on a 2-core machine.
        const hash = createHash('sha256');
        for await (const c of entry) {
          const chunk = c as Buffer;
          hash.update(chunk);
          done += chunk.length;
          if (!ws.write(chunk)) await once(ws, 'drain');
          writeback.wrote(chunk.length);
          onProgress?.({ phase: 'import', bytes: done, totalBytes: manifest.totals.bytes, file: name });
        }
        ws.end();
        await once(ws, 'finish');
        await writeback.settle();
        if (hash.digest('hex') !== want.sha256) throw corrupt(`${name} does not match the SHA-256 in its manifest`);
        // fsync in the background while the next entries stream in; all are awaited before commit.
        const synced = fh.sync().finally(() => fh.close());
        synced.catch(() => undefined); // handled: settleSyncs rethrows it
        syncs.push(synced);
        handedOff = true;
        if (syncs.length >= 32) await settleSyncs(syncs);
      } finally {
        if (!ws.writableFinished && !ws.closed) {
          ws.destroy();
          await once(ws, 'close').catch(() => undefined);
        }
        if (!handedOff) {
          await writeback.settle().catch(() => undefined);
          await fh.close();
        }
      }
      expected.delete(name);
    }
    if (!manifest || !ingest) throw corrupt('it is empty (no manifest.json)');
    if (expected.size) throw corrupt(`it ends before ${[...expected.keys()].slice(0, 5).join(', ')}${expected.size > 5 ? ', ...' : ''} (truncated?)`);
    await settleSyncs(syncs);
    return { ingest, manifest, manifestText };
  }
}

/** Waits for the background fsyncs started so far (rethrowing the first failure) and forgets them. */
async function settleSyncs(syncs: Promise<void>[]): Promise<void> {
  const pending = syncs.splice(0);
  const results = await Promise.allSettled(pending);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Refuses early when the store's disk cannot hold the checkpoint (better than failing at 90%). */
async function checkRoom(store: CheckpointStore, m: Manifest): Promise<void> {
  const s = await statfs(store.ingestRoot);
  const free = s.bavail * s.bsize;
  if (m.totals.bytes > free) {
    throw new CryoError('CRYO_DISK_FULL', `checkpoint ${m.id} needs ${m.totals.bytes} bytes but only ${free} are free in ${store.root}; nothing was imported`, {
      checkpoint: m.id,
      operation: 'import',
    });
  }
}

