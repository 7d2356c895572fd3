// Builds the CheckpointModel of an images directory, reading only the images it needs (never
// pages-*.img). Image files of unknown types are listed in `unknownImages`, not fatal.

import { isFieldSet } from '@bufbuild/protobuf';
import { cg_member_entrySchema, type cgroup_entry } from '../../gen/criu/images/cgroup_pb.js';
import type { inventory_entry } from '../../gen/criu/images/inventory_pb.js';
import { lsmtype } from '../../gen/criu/images/inventory_pb.js';
import { ImagesDir } from '../images-dir.js';
import { isCryoError } from '../../errors/index.js';
import { FileResolver } from './build-files.js';
import { buildProcess, readPstree, taskIds } from './build-processes.js';
import { buildStats } from './build-stats.js';
import type { CheckpointModel, DiskInfo, NamespacesInfo, ProcessInfo, TaskIds } from './types.js';

// Image names that hold a captured namespace, and the namespace kind each stands for.
const namespaceImages: [RegExp, string][] = [
  [/^utsns-\d+\.img$/, 'uts'], [/^ipcns-(var|shm|msg|sem)-\d+\.img$/, 'ipc'], [/^netns-\d+\.img$/, 'net'],
  [/^userns-\d+\.img$/, 'user'], [/^mountpoints-\d+\.img$/, 'mnt'], [/^timens-\d+\.img$/, 'time'],
  [/^pidns-\d+\.img$/, 'pid'], [/^cgroup\.img$/, 'cgroup'],
];

/**
 * Images with a namespace's name that CRIU also writes without one: timens-0.img holds the clocks
 * every dump records (a real time namespace gets its own id), and cgroup.img records cgroup
 * memberships whenever they differ from CRIU's own; only members with a cgns_prefix mean the
 * tasks had a cgroup namespace of their own.
 */
function notANamespace(images: ImagesDir, name: string): boolean {
  if (name === 'timens-0.img') return true;
  if (name !== 'cgroup.img') return false;
  const cg = images.first<cgroup_entry>(name, 'CGROUP');
  return !(cg?.sets ?? []).some((set) => set.ctls.some((m) => isFieldSet(m, cg_member_entrySchema.field.cgnsPrefix)));
}

function buildNamespaces(images: ImagesDir, root: TaskIds, processes: ProcessInfo[]): NamespacesInfo {
  const names = [...images.files.keys()].filter((n) => namespaceImages.some(([re]) => re.test(n)) && !notANamespace(images, n));
  const nested = (['pidNs', 'netNs', 'ipcNs', 'utsNs', 'mntNs', 'userNs', 'cgroupNs', 'timeNs'] as const).filter(
    (k) => new Set(processes.map((p) => p.ids[k]).filter((v) => v !== undefined)).size > 1,
  );
  const captured = [...new Set(names.map((n) => namespaceImages.find(([re]) => re.test(n))![1]))];
  // CRIU records tasks by their pid inside the dumped root's pid namespace: a root with pid 1 is
  // the init of a namespace of its own, which the checkpoint therefore carries.
  if (processes[0]?.pid === 1 && !captured.includes('pid')) captured.push('pid');
  return { root, images: names, captured: captured.sort(), nested: nested.map((k) => k.replace(/Ns$/, '')) };
}

function buildDisk(images: ImagesDir): DiskInfo {
  const files = [...images.files.values()].map((f) => ({ name: f.name, bytes: f.size, kind: f.kind }));
  const sum = (k: string): number => files.filter((f) => f.kind === k).reduce((a, f) => a + f.bytes, 0);
  return {
    totalBytes: files.reduce((a, f) => a + f.bytes, 0),
    pagesBytes: sum('pages'), imageBytes: sum('image'), otherBytes: sum('other'), files,
  };
}

/** Reads the magic of every image file, to list the ones this cryo does not know (or cannot identify). */
function findUnknownImages(images: ImagesDir): CheckpointModel['unknownImages'] {
  const unknown: { file: string; detail: string }[] = [];
  for (const f of images.files.values()) {
    if (f.kind !== 'image') continue;
    try {
      images.typeOf(f.name);
    } catch (err) {
      // Not fatal: inspect must still show what it can; integrity is the verifier's job.
      if (isCryoError(err)) unknown.push({ file: f.name, detail: err.message });
      else throw err;
    }
  }
  return unknown;
}

/** Options for buildCheckpointModel. */
export interface BuildModelOptions {
  /** Check every image file's magic to list unknown types (one small read per file). Default true. */
  readonly scanUnknown?: boolean;
}

/** Builds the model of the checkpoint in `dir` (or of an already opened ImagesDir). */
export function buildCheckpointModel(dir: string | ImagesDir, opts: BuildModelOptions = {}): CheckpointModel {
  const images = typeof dir === 'string' ? ImagesDir.open(dir) : dir;
  const inv = images.first<inventory_entry>('inventory.img', 'INVENTORY');
  const files = new FileResolver(images);
  const processes = readPstree(images).map((p) => buildProcess(images, p, files));
  const root = taskIds(inv?.rootIds);
  return {
    dir: images.dir,
    criu: {
      imageVersion: inv?.imgVersion ?? 0,
      ...(inv?.dumpCriuRunId ? { runId: inv.dumpCriuRunId } : {}),
      ...(inv ? { lsm: lsmtype[inv.lsmtype] ?? String(inv.lsmtype) } : {}),
      ...(inv?.networkLockMethod !== undefined ? { networkLockMethod: inv.networkLockMethod } : {}),
      ...(inv?.tcpClose ? { tcpClose: true } : {}),
      plugins: inv?.pluginsEntry?.plugins ?? [],
    },
    processes,
    files: files.all(),
    namespaces: buildNamespaces(images, root, processes),
    stats: buildStats(images),
    disk: buildDisk(images),
    unknownImages: opts.scanUnknown === false ? [] : findUnknownImages(images),
  };
}
