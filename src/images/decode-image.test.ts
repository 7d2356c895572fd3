// Unit tests of the framing: magics, entry lengths, payloads, and the errors for damaged input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { isCryoError } from '../errors/index.js';
import { pipe_data_entrySchema } from '../gen/criu/images/pipe-data_pb.js';
import { pstree_entrySchema, type pstree_entry } from '../gen/criu/images/pstree_pb.js';
import { pycriuPath } from './_image-workloads.js';
import { decodeImage } from './decode-image.js';
import { ImageError } from './image-error.js';
import { IMG_COMMON_MAGIC, imageMagics } from './image-magic.js';
import { ImagesDir } from './images-dir.js';
import { buildCheckpointModel } from './model/build-model.js';

const u32 = (...v: number[]): Buffer => {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4));
  return b;
};
const framed = (msg: Uint8Array): Buffer => Buffer.concat([u32(msg.length), msg]);
const pstree = (pid: number): Buffer =>
  framed(toBinary(pstree_entrySchema, create(pstree_entrySchema, { pid, ppid: 0, pgid: pid, sid: pid, threads: [pid] })));

function rejects(bytes: Buffer, code: string, offset: number): void {
  assert.throws(() => decodeImage(bytes, 'x.img'), (e: unknown) => {
    assert.ok(e instanceof ImageError && isCryoError(e), String(e));
    assert.equal(e.code, code);
    assert.equal(e.offset, offset, e.message);
    assert.match(e.message, /^x\.img: .* \(at byte \d+\)$/);
    return true;
  });
}

test('decodes framed entries and skips raw payloads by the entry size field', () => {
  const head = u32(IMG_COMMON_MAGIC, imageMagics.PSTREE);
  const img = decodeImage(Buffer.concat([head, pstree(10), pstree(11)]), 'pstree.img');
  assert.equal(img.type, 'PSTREE');
  assert.deepEqual(img.entries.map((e) => (e.message as pstree_entry).pid), [10, 11]);
  assert.deepEqual(img.entries.map((e) => e.offset), [8, 8 + pstree(10).length]);

  const pd = (bytes: number): Buffer =>
    framed(toBinary(pipe_data_entrySchema, create(pipe_data_entrySchema, { pipeId: 7, bytes, size: 0 })));
  const data = Buffer.concat([u32(IMG_COMMON_MAGIC, imageMagics.PIPES_DATA), pd(5), Buffer.from('hello'), pd(2), Buffer.from('!!')]);
  const pipes = decodeImage(data, 'pipes-data.img');
  assert.equal(pipes.entries.length, 2);
  const p = pipes.entries[1]!.payload!;
  assert.equal(data.subarray(p.offset, p.offset + p.length).toString(), '!!');
  rejects(Buffer.concat([u32(IMG_COMMON_MAGIC, imageMagics.PIPES_DATA), pd(50), Buffer.from('short')]), 'CRYO_IMAGE_CORRUPT', 8 + pd(50).length);
});

test('damaged framing is a CryoError naming the file and byte offset', () => {
  rejects(Buffer.from([1, 2]), 'CRYO_IMAGE_CORRUPT', 0);
  rejects(u32(0xdeadbeef, imageMagics.PSTREE), 'CRYO_IMAGE_CORRUPT', 0);
  rejects(u32(IMG_COMMON_MAGIC), 'CRYO_IMAGE_CORRUPT', 4);
  rejects(u32(IMG_COMMON_MAGIC, 0x12345678), 'CRYO_IMAGE_UNKNOWN', 4);
  rejects(Buffer.concat([u32(IMG_COMMON_MAGIC, imageMagics.PSTREE), u32(1000), Buffer.alloc(3)]), 'CRYO_IMAGE_CORRUPT', 8);
  rejects(Buffer.concat([u32(IMG_COMMON_MAGIC, imageMagics.PSTREE), pstree(1), Buffer.from([5, 0])]), 'CRYO_IMAGE_CORRUPT', 8 + pstree(1).length);
  rejects(Buffer.concat([u32(IMG_COMMON_MAGIC, imageMagics.PSTREE), u32(2), Buffer.from([0xff, 0xff])]), 'CRYO_IMAGE_CORRUPT', 8);
});

test('an images directory is validated, and unknown image types are listed, not fatal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-images-unit-'));
  try {
    assert.throws(() => ImagesDir.open(join(dir, 'nope')), (e: unknown) => isCryoError(e, 'CRYO_IMAGES_DIR_INVALID'));
    assert.throws(() => ImagesDir.open(dir), (e: unknown) => isCryoError(e, 'CRYO_IMAGES_DIR_INVALID'));
    writeFileSync(join(dir, 'inventory.img'), u32(imageMagics.INVENTORY));
    writeFileSync(join(dir, 'pstree.img'), Buffer.concat([u32(IMG_COMMON_MAGIC, imageMagics.PSTREE), pstree(1)]));
    writeFileSync(join(dir, 'future-thing.img'), u32(IMG_COMMON_MAGIC, 0x7777aaaa, 0));
    const m = buildCheckpointModel(dir);
    assert.deepEqual(m.processes.map((p) => p.pid), [1]);
    assert.equal(m.unknownImages.length, 1);
    assert.equal(m.unknownImages[0]!.file, 'future-thing.img');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CRIU\'s raw images (no magic) are not taken for protobuf images', () => {
  // A network namespace with tracked connections gets netns-ct-N.img: netlink messages, no magic.
  // Taken for a protobuf image, it failed inspect's unknown-image scan and the restore pre-flight.
  const dir = mkdtempSync(join(tmpdir(), 'cryo-images-unit-'));
  try {
    writeFileSync(join(dir, 'inventory.img'), u32(imageMagics.INVENTORY));
    const raw = ['netns-ct-10.img', 'netns-exp-10.img', 'ifaddr-10.img', 'route6-10.img', 'nftables-10.img', 'tmpfs-dev-42.tar.gz.img'];
    for (const name of [...raw, 'pages-shmem-7.img']) writeFileSync(join(dir, name), u32(0x84, 0x10000));
    const images = ImagesDir.open(dir);
    for (const name of raw) assert.equal(images.files.get(name)?.kind, 'other', name);
    assert.equal(images.files.get('pages-shmem-7.img')?.kind, 'pages');
    assert.deepEqual(buildCheckpointModel(dir).unknownImages, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the magic table matches the installed CRIU', { skip: existsSync(pycriuPath) ? false : 'pycriu not installed' }, () => {
  const out = execFileSync('/usr/bin/python3', ['-c', 'import json; from pycriu.images import magic; print(json.dumps(magic.by_name))'], {
    env: { ...process.env, PYTHONPATH: pycriuPath }, encoding: 'utf8',
  });
  const theirs = JSON.parse(out) as Record<string, number>;
  for (const [name, value] of Object.entries(theirs)) {
    if (['CRTOOLS_IMAGES_V1_1', 'IMG_COMMON', 'IMG_SERVICE'].includes(name)) continue;
    assert.equal((imageMagics as Record<string, number>)[name], value, `magic of ${name}`);
  }
});
