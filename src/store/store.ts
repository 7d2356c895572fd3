// The checkpoint store: complete checkpoints at <root>/<id>/, in-progress writes under
// <root>/ingest/, pins under <root>/pins/. A checkpoint becomes visible only by renaming a fully
// written, fsynced ingest directory (manifest last) into place, so a crash at any moment leaves
// either a complete checkpoint or nothing visible; leftovers are cleaned when a store is opened.

import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CryoError } from '../errors/index.js';
import { defaultStoreRoot } from './store-root.js';
import { fsyncDir, writeFileAtomic, writeFileSynced } from './durable.js';
import { rethrowFsError } from './fs-errors.js';
import { HASH_CONCURRENCY, hashFile, mapLimit } from './hash-files.js';
import { idTime, isCheckpointId, newCheckpointId } from './ids.js';
import {
  MANIFEST_FORMAT,
  MANIFEST_NAME,
  METADATA_NAME,
  readManifest,
  type Manifest,
} from './manifest.js';
import { readPins, writePin, type Pin, type PinInfo } from './pins.js';
import { isAlive, selfIdentity } from './process-identity.js';
import { collectVersions, defaultCriuPath, ensureCpuinfo } from './versions.js';
import { walkFiles } from './walk.js';
import { dropNetworkLockTable, networkLockTable } from './network-lock.js';

/** cryo's metadata for a checkpoint (cryo.json): an open record the daemon fills. */
export interface CheckpointMetadata {
  readonly job?: string;
  readonly command?: readonly string[];
  readonly options?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** An in-progress checkpoint: write CRIU's images into `dir`, then commit or abort. */
export interface Ingest {
  readonly id: string;
  readonly dir: string;
  readonly createdAt: Date;
}

/** A checkpoint in the store, as listed. */
export interface CheckpointInfo {
  readonly id: string;
  readonly dir: string;
  readonly createdAt: Date;
  /** False when the directory has no valid manifest: never restored. */
  readonly complete: boolean;
  readonly manifest?: Manifest;
  readonly job?: string;
  readonly bytes: number;
}

/** How to open a store. */
export interface StoreOptions {
  /** Store root; default <dataDir>/checkpoints. */
  readonly root?: string;
  /** CRIU binary for `criu cpuinfo dump` and version; default the configured one. */
  readonly criu?: string;
  /** Resolves names like `JOB@latest` to ids (the daemon plugs its database in here). */
  readonly resolveRef?: (ref: string) => Promise<string | undefined> | string | undefined;
}

/** What `remove` did: bytes freed, and notes about cleanup that failed without failing it. */
export interface RemoveResult {
  readonly bytes: number;
  readonly warnings: string[];
}

/** The directory names under the root that are not checkpoints. */
const INGEST = 'ingest';
const PINS = 'pins';

/** A checkpoint store on the local disk. Open it with `CheckpointStore.open`. */
export class CheckpointStore {
  readonly root: string;
  readonly ingestRoot: string;
  readonly pinsRoot: string;
  private readonly criu: string | undefined;
  private readonly resolveRef: StoreOptions['resolveRef'];

  private constructor(opts: StoreOptions) {
    this.root = opts.root ?? defaultStoreRoot();
    this.ingestRoot = join(this.root, INGEST);
    this.pinsRoot = join(this.root, PINS);
    this.criu = opts.criu;
    this.resolveRef = opts.resolveRef;
  }

  /** Opens (creating if needed) a store and removes leftovers of crashed writers. */
  static async open(opts: StoreOptions = {}): Promise<CheckpointStore> {
    const s = new CheckpointStore(opts);
    await mkdir(s.ingestRoot, { recursive: true });
    await mkdir(s.pinsRoot, { recursive: true });
    await s.cleanIngest();
    return s;
  }

  /** Deletes ingest directories whose owning process is gone (crashed mid-write or mid-remove). */
  async cleanIngest(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.ingestRoot)) {
      const owner = name.split('.').slice(1, 3).join('.');
      if (isAlive(owner)) continue;
      await rm(join(this.ingestRoot, name), { recursive: true, force: true });
      removed.push(name);
    }
    if (removed.length) await fsyncDir(this.ingestRoot);
    return removed;
  }

  /** Starts a checkpoint: an empty directory, invisible to readers until `commit`. */
  async beginIngest(opts: { id?: string; now?: Date } = {}): Promise<Ingest> {
    const createdAt = opts.now ?? new Date();
    const id = opts.id ?? newCheckpointId(createdAt);
    if (!isCheckpointId(id)) throw new CryoError('CRYO_INVALID_OPTION', `Invalid checkpoint id ${JSON.stringify(id)}: ids look like 20261204T161947123Z-9f2c1a0b`);
    const dir = join(this.ingestRoot, `${id}.${selfIdentity()}`);
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (e) {
      rethrowFsError(e, `ingest directory ${dir}`, { checkpoint: id });
    }
    return { id, dir, createdAt: opts.id ? idTime(id) : createdAt };
  }

  /** Drops an ingest: nothing becomes visible. */
  async abort(ingest: Ingest): Promise<void> {
    await rm(ingest.dir, { recursive: true, force: true });
  }

  /**
   * Completes an ingest: writes cryo.json, adds cpuinfo.img, hashes and fsyncs every file, writes
   * manifest.json last (atomically), then renames the directory into the store and fsyncs the root.
   */
  async commit(ingest: Ingest, metadata: CheckpointMetadata = {}): Promise<CheckpointInfo> {
    const ctx = { operation: 'commit checkpoint', checkpoint: ingest.id, imagesDir: ingest.dir };
    try {
      const createdAt = ingest.createdAt.toISOString();
      await writeFileSynced(join(ingest.dir, METADATA_NAME), JSON.stringify({ id: ingest.id, createdAt, ...metadata }, null, 2) + '\n');
      const criu = this.criu ?? defaultCriuPath();
      const cpu = await ensureCpuinfo(ingest.dir, criu);
      const found = (await walkFiles(ingest.dir)).filter((f) => f.path !== MANIFEST_NAME);
      const odd = found.filter((f) => f.kind !== 'file');
      if (odd.length) {
        throw new CryoError('CRYO_CHECKPOINT_CORRUPT', `checkpoint ${ingest.id} holds entries that are not regular files: ${odd.map((f) => f.path).join(', ')}`, ctx);
      }
      const digests = await mapLimit(found, HASH_CONCURRENCY, (f) => hashFile(join(ingest.dir, f.path), { sync: true }));
      const files = found.map((f, i) => ({ path: f.path, size: digests[i]?.size ?? 0, sha256: digests[i]?.sha256 ?? '' }));
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        id: ingest.id,
        createdAt,
        ...(metadata.job !== undefined ? { job: metadata.job } : {}),
        ...(metadata.command !== undefined ? { command: metadata.command } : {}),
        ...(metadata.options !== undefined ? { options: metadata.options } : {}),
        versions: await collectVersions(criu),
        cpu,
        files,
        totals: { files: files.length, bytes: files.reduce((a, f) => a + f.size, 0) },
      };
      return await this.publish(ingest, JSON.stringify(manifest, null, 2) + '\n', manifest);
    } catch (e) {
      rethrowFsError(e, `checkpoint ${ingest.id}`, ctx);
    }
  }

  /**
   * Completes an ingest whose files were already written, fsynced and checked against
   * `manifestText` (import does this while streaming): writes the manifest, renames into place.
   */
  async commitVerified(ingest: Ingest, manifestText: string, manifest: Manifest): Promise<CheckpointInfo> {
    try {
      return await this.publish(ingest, manifestText, manifest);
    } catch (e) {
      rethrowFsError(e, `checkpoint ${ingest.id}`, { operation: 'commit checkpoint', checkpoint: ingest.id });
    }
  }

  private async publish(ingest: Ingest, manifestText: string, manifest: Manifest): Promise<CheckpointInfo> {
    await writeFileAtomic(join(ingest.dir, MANIFEST_NAME), manifestText);
    const target = this.dirOf(ingest.id);
    if (await exists(target)) {
      throw new CryoError('CRYO_CHECKPOINT_EXISTS', `checkpoint ${ingest.id} is already in the store at ${target}`, { checkpoint: ingest.id });
    }
    await rename(ingest.dir, target);
    await fsyncDir(this.root);
    await fsyncDir(this.ingestRoot);
    return infoOf(ingest.id, target, manifest);
  }

  /** The directory a checkpoint id lives in (whether or not it exists). */
  dirOf(id: string): string {
    return join(this.root, id);
  }

  /** Every checkpoint directory in the store, oldest first (incomplete ones flagged). */
  async list(): Promise<CheckpointInfo[]> {
    const out: CheckpointInfo[] = [];
    for (const name of (await readdir(this.root)).sort()) {
      if (!isCheckpointId(name)) continue;
      out.push(await this.describe(name));
    }
    return out;
  }

  /** Resolves an id (or, through the daemon's hook, a name) to a complete checkpoint. */
  async get(ref: string): Promise<CheckpointInfo> {
    let id: string | undefined = isCheckpointId(ref) ? ref : undefined;
    if (!id && this.resolveRef) id = await this.resolveRef(ref);
    if (!id || !(await exists(this.dirOf(id)))) {
      throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `no checkpoint ${JSON.stringify(ref)} in the store at ${this.root}`, { checkpoint: ref });
    }
    const info = await this.describe(id);
    if (!info.complete) {
      throw new CryoError('CRYO_CHECKPOINT_INCOMPLETE', `checkpoint ${id} has no valid manifest: it was never completed`, { checkpoint: id, imagesDir: info.dir });
    }
    return info;
  }

  private async describe(id: string): Promise<CheckpointInfo> {
    const dir = this.dirOf(id);
    const m = await readManifest(dir);
    return 'manifest' in m ? infoOf(id, dir, m.manifest) : { id, dir, createdAt: idTime(id), complete: false, bytes: 0 };
  }

  /** Marks a checkpoint as in use so it is not removed; visible to other processes. */
  async pin(id: string, reason: string): Promise<Pin> {
    const pin = await writePin(this.pinsRoot, id, reason);
    // Checked after writing the pin: a concurrent remove either sees the pin or already hid the dir.
    if (!(await exists(this.dirOf(id)))) {
      await pin.release();
      throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `cannot pin checkpoint ${id}: it is not in the store at ${this.root}`, { checkpoint: id });
    }
    return pin;
  }

  /** Releases a pin taken with `pin`. */
  async unpin(pin: Pin): Promise<void> {
    await pin.release();
  }

  /** Live pins of a checkpoint (any process). */
  async pins(id: string): Promise<PinInfo[]> {
    return readPins(this.pinsRoot, id);
  }

  /**
   * Removes a checkpoint unless it is pinned; it disappears at once (rename), then is deleted.
   * Also deletes the CRIU network-lock table its dump left (only a restore unlocks it otherwise);
   * a failure there never fails the removal: it comes back in `warnings`.
   */
  async remove(id: string): Promise<RemoveResult> {
    const dir = this.dirOf(id);
    if (!isCheckpointId(id) || !(await exists(dir))) {
      throw new CryoError('CRYO_CHECKPOINT_NOT_FOUND', `no checkpoint ${JSON.stringify(id)} in the store at ${this.root}`, { checkpoint: id });
    }
    await this.refuseIfPinned(id);
    const info = await this.describe(id);
    const lockTable = await networkLockTable(dir);
    const trash = join(this.ingestRoot, `${id}.${selfIdentity()}.removing`);
    await rename(dir, trash);
    const late = await this.pins(id);
    if (late.length) {
      await rename(trash, dir); // pinned between the check and the rename: put it back
      await this.refuseIfPinned(id);
    }
    await fsyncDir(this.root);
    await rm(trash, { recursive: true, force: true });
    const warnings: string[] = [];
    if (lockTable && !(await this.lockTableInUse(lockTable))) {
      const note = await dropNetworkLockTable(lockTable, id);
      if (note) warnings.push(note);
    }
    return { bytes: info.bytes, warnings };
  }

  /** Whether a checkpoint still in the store shares this lock table (the same dump, e.g. copied). */
  private async lockTableInUse(table: string): Promise<boolean> {
    for (const name of await readdir(this.root)) {
      if (isCheckpointId(name) && (await networkLockTable(this.dirOf(name))) === table) return true;
    }
    return false;
  }

  private async refuseIfPinned(id: string): Promise<void> {
    const pins = await this.pins(id);
    if (pins.length === 0) return;
    const why = pins.map((p) => `${p.reason} (pid ${p.pid}${p.since ? `, since ${p.since}` : ''})`).join('; ');
    throw new CryoError('CRYO_CHECKPOINT_PINNED', `checkpoint ${id} is in use and was not removed: ${why}`, {
      checkpoint: id,
      operation: 'remove',
      hint: 'wait until that operation ends, then remove it again',
    });
  }
}

function infoOf(id: string, dir: string, manifest: Manifest): CheckpointInfo {
  return {
    id,
    dir,
    createdAt: new Date(manifest.createdAt),
    complete: true,
    manifest,
    ...(manifest.job !== undefined ? { job: manifest.job } : {}),
    bytes: manifest.totals.bytes,
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
