// Mutation test: thousands of damaged variants of real images (byte flips, truncations, corrupted
// length words, random bytes, spliced garbage). Each must decode or fail with a CryoError: never
// another exception, never a hang. A share of them is also fed through the whole model builder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCryoError } from '../errors/index.js';
import { buildRich, cleanup, criuDump, criuPath, startRich, type Started } from './_image-workloads.js';
import { decodeImage } from './decode-image.js';
import { ImagesDir } from './images-dir.js';
import { buildCheckpointModel } from './model/build-model.js';

const canRun = process.getuid?.() === 0 && existsSync(criuPath());
const MUTANTS = 12_000;
const MODEL_EVERY = 40; // every 40th mutant also goes through buildCheckpointModel
const BUDGET_MS = 30_000;

/** Small deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mutator = (b: Buffer, r: () => number, entryOffsets: number[]) => Buffer;
const int = (r: () => number, n: number): number => Math.floor(r() * n);

const mutators: Record<string, Mutator> = {
  flip: (b, r) => {
    const m = Buffer.from(b);
    for (let i = 0, n = 1 + int(r, 4); i < n && m.length; i++) m[int(r, m.length)]! ^= 1 << int(r, 8);
    return m;
  },
  truncate: (b, r) => b.subarray(0, int(r, b.length)),
  length: (b, r, offs) => {
    const m = Buffer.from(b);
    const at = offs.length ? offs[int(r, offs.length)]! : 8;
    if (at + 4 <= m.length) {
      const choices = [0xffffffff, 0x7fffffff, m.length, m.length - at, int(r, 1 << 20), m.readUInt32LE(at) + 1 + int(r, 16)];
      m.writeUInt32LE(choices[int(r, choices.length)]! >>> 0, at);
    }
    return m;
  },
  random: (b, r) => {
    const m = Buffer.alloc(int(r, Math.min(b.length * 2, 4096) + 1));
    for (let i = 0; i < m.length; i++) m[i] = int(r, 256);
    if (r() < 0.5 && m.length >= 8) b.copy(m, 0, 0, 8); // keep a valid magic half of the time
    return m;
  },
  splice: (b, r) => {
    const at = int(r, b.length + 1);
    const junk = Buffer.alloc(1 + int(r, 32));
    for (let i = 0; i < junk.length; i++) junk[i] = int(r, 256);
    return Buffer.concat([b.subarray(0, at), junk, b.subarray(at + int(r, 8))]);
  },
  varint: (b, r) => {
    // Protobuf varints and lengths: set a run of continuation bits inside an entry.
    const m = Buffer.from(b);
    const at = 8 + int(r, Math.max(1, m.length - 8));
    for (let i = at; i < Math.min(m.length, at + 1 + int(r, 12)); i++) m[i] = 0x80 | int(r, 128);
    return m;
  },
};

test('damaged images decode or fail with a CryoError, never crash or hang', {
  skip: canRun ? false : 'needs root and CRIU to make real images', timeout: 90_000,
}, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-mutate-'));
  const started: Started[] = [];
  t.after(() => {
    started.forEach(cleanup);
    rmSync(tmp, { recursive: true, force: true });
  });
  const workload = await startRich(await buildRich(tmp), join(tmp, 'w'));
  started.push(workload);
  const dir = join(tmp, 'd');
  await criuDump(workload.pid, dir, ['--file-locks']);

  const images = [...ImagesDir.open(dir).files.values()].filter((f) => f.kind === 'image').map((f) => {
    const bytes = readFileSync(join(dir, f.name));
    const offsets = decodeImage(bytes, f.name).entries.map((e) => e.offset);
    return { name: f.name, bytes, offsets };
  });
  const scratch = join(tmp, 'scratch');
  cpSync(dir, scratch, { recursive: true, filter: (src) => !/pages-\d+\.img$/.test(src) });

  const names = Object.keys(mutators);
  const r = rng(0xc0ffee);
  const counts = { decoded: 0, rejected: 0, models: 0 };
  const t0 = Date.now();
  let i = 0;
  for (; i < MUTANTS && Date.now() - t0 < BUDGET_MS; i++) {
    const img = images[int(r, images.length)]!;
    const how = names[i % names.length]!;
    const mutant = mutators[how]!(img.bytes, r, img.offsets);
    const label = `mutant #${i} (${how} of ${img.name})`;
    try {
      decodeImage(mutant, img.name);
      counts.decoded++;
    } catch (err) {
      assert.ok(isCryoError(err), `${label}: threw a non-CryoError: ${String(err)}`);
      assert.match(err.message, new RegExp(`${img.name.replace(/[.]/g, '\\.')}`), `${label}: message names the file`);
      counts.rejected++;
    }
    if (i % MODEL_EVERY === 0) {
      writeFileSync(join(scratch, img.name), mutant);
      try {
        buildCheckpointModel(scratch);
      } catch (err) {
        assert.ok(isCryoError(err), `${label}: model build threw a non-CryoError: ${(err as Error).stack ?? String(err)}`);
      }
      writeFileSync(join(scratch, img.name), img.bytes);
      counts.models++;
    }
  }
  t.diagnostic(`${i} mutants in ${Date.now() - t0} ms: ${JSON.stringify(counts)}`);
  assert.ok(i >= 10_000, `only ${i} mutants ran within the time budget`);
  assert.ok(counts.rejected > 0 && counts.decoded > 0);
});
