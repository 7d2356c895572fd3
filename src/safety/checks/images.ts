// Pre-flight: the images themselves are readable: every protobuf image decodes to its end (a
// truncated one does not), each process has its images, and each pages image holds as many bytes
// as its pagemap says. Works without a manifest; also builds the model the other checks use.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { buildCheckpointModel, ImagesDir, PAGE_SIZE, type CheckpointModel } from '../../images/index.js';
import { isCryoError } from '../../errors/index.js';
import type { PreflightCheck, PreflightItem } from '../preflight-types.js';
import type { file_entry } from '../../gen/criu/images/fdinfo_pb.js';
import { recordedBuildId } from '../elf-build-id.js';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Checks the images and returns the model (undefined when the images cannot be read). */
export function checkImages(dir: string): { check: PreflightCheck; model?: CheckpointModel; buildIds?: Map<number, Buffer> } {
  const title = 'checkpoint images';
  const fail = (items: PreflightItem[], detail: string): { check: PreflightCheck } => ({ check: { id: 'images', status: 'fail', title, detail, items } });
  let images: ImagesDir;
  try {
    images = ImagesDir.open(dir);
  } catch (e) {
    if (!isCryoError(e)) throw e;
    return fail([{ status: 'fail', code: e.code, subject: dir, problem: message(e) }], 'not a readable CRIU images directory');
  }
  const items: PreflightItem[] = [];
  for (const f of images.files.values()) {
    if (f.kind !== 'image') continue;
    try {
      // Decoded through the ImagesDir's cache: the model below reuses it instead of decoding again.
      images.image(f.name, images.typeOf(f.name));
    } catch (e) {
      if (!isCryoError(e)) throw e;
      // An image type this cryo does not know (a newer CRIU wrote it): CRIU itself may still read it.
      const unknown = e.code === 'CRYO_IMAGE_UNKNOWN';
      items.push({ status: unknown ? 'warn' : 'fail', code: e.code, subject: f.name, problem: message(e) });
    }
  }
  const damaged = items.filter((i) => i.status === 'fail');
  if (damaged.length) return fail(items, `${damaged.length} image files are damaged`);
  let model: CheckpointModel;
  try {
    model = buildCheckpointModel(images, { scanUnknown: false });
  } catch (e) {
    if (!isCryoError(e)) throw e;
    return fail([{ status: 'fail', code: e.code, subject: dir, problem: message(e) }], 'the images do not describe a whole checkpoint');
  }
  // Images CRIU opens for each process: a missing one fails the restore half-way.
  const expectedPages = new Map<string, number>();
  for (const p of model.processes) {
    const own = p.state === 'zombie' ? ['core'] : ['core', 'mm', 'pagemap', 'ids', 'fs'];
    for (const kind of own) {
      const name = `${kind}-${p.pid}.img`;
      if (!images.has(name)) items.push({ status: 'fail', code: 'CRYO_IMAGE_CORRUPT', subject: name, problem: `is missing (process ${p.pid} ${p.command})` });
    }
    if (p.memory?.pagesImage !== undefined) {
      expectedPages.set(p.memory.pagesImage, (expectedPages.get(p.memory.pagesImage) ?? 0) + p.memory.pagesInImage * PAGE_SIZE);
    }
  }
  for (const [name, bytes] of expectedPages) {
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (!st) items.push({ status: 'fail', code: 'CRYO_IMAGE_CORRUPT', subject: name, problem: `is missing (it holds ${bytes} bytes of memory)`, expected: bytes });
    else if (st.size !== bytes) {
      items.push({ status: 'fail', code: 'CRYO_IMAGE_CORRUPT', subject: name, problem: `has ${st.size} bytes, its pagemap says ${bytes}`, expected: bytes, actual: st.size });
    }
  }
  // Build-ids CRIU recorded for ELF files (not part of the model): the files check compares them.
  const buildIds = new Map<number, Buffer>();
  for (const e of images.messages<file_entry>('files.img', 'FILES')) {
    if (e.reg && e.reg.buildId.length > 0) buildIds.set(e.id, recordedBuildId(e.reg.buildId));
  }
  return {
    buildIds,
    check: {
      id: 'images', status: items.some((i) => i.status === 'fail') ? 'fail' : items.length ? 'warn' : 'ok', title, items,
      detail: items.some((i) => i.status === 'fail')
        ? `${items.filter((i) => i.status === 'fail').length} image files are missing or damaged`
        : `${model.processes.length} processes, ${images.files.size} files readable${items.length ? ` (${items.length} of unknown type)` : ''}`,
    },
    model,
  };
}
