// `cryo inspect` end to end (the real executable) on a small images directory written here:
// the overview, the section flags, --json, and the errors for a bad directory and a damaged image.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { core_entry_march, core_entrySchema } from '../../gen/criu/images/core_pb.js';
import { pstree_entrySchema } from '../../gen/criu/images/pstree_pb.js';
import { inventory_entrySchema } from '../../gen/criu/images/inventory_pb.js';
import { stats_entrySchema } from '../../gen/criu/images/stats_pb.js';
import { IMG_COMMON_MAGIC, IMG_SERVICE_MAGIC, imageMagics } from '../../images/image-magic.js';
import { runCli } from '../../testing/cli.js';

const u32 = (...v: number[]): Buffer => Buffer.concat(v.map((x) => { const b = Buffer.alloc(4); b.writeUInt32LE(x >>> 0); return b; }));
function image<S extends DescMessage>(magic: number[], schema: S, ...msgs: MessageInitShape<S>[]): Buffer {
  return Buffer.concat([u32(...magic), ...msgs.map((m) => {
    const bin = toBinary(schema, create(schema, m));
    return Buffer.concat([u32(bin.length), bin]);
  })]);
}

function writeCheckpoint(dir: string): void {
  writeFileSync(join(dir, 'inventory.img'), image([imageMagics.INVENTORY], inventory_entrySchema, { imgVersion: 2 }));
  writeFileSync(join(dir, 'pstree.img'), image([IMG_COMMON_MAGIC, imageMagics.PSTREE], pstree_entrySchema,
    { pid: 100, ppid: 0, pgid: 100, sid: 100, threads: [100] }, { pid: 101, ppid: 100, pgid: 100, sid: 100, threads: [101, 102] }));
  for (const [pid, comm] of [[100, 'server'], [101, 'worker']] as const) {
    writeFileSync(join(dir, `core-${pid}.img`), image([IMG_COMMON_MAGIC, imageMagics.CORE], core_entrySchema, {
      mtype: core_entry_march.X86_64,
      tc: { taskState: 1, exitCode: 0, personality: 0, flags: 0, blkSigset: 0n, comm },
    }));
  }
  writeFileSync(join(dir, 'stats-dump'), image([IMG_SERVICE_MAGIC, imageMagics.STATS], stats_entrySchema, {
    dump: { freezingTime: 100, frozenTime: 5000, memdumpTime: 1000, memwriteTime: 900, pagesScanned: 10n,
      pagesSkippedParent: 0n, pagesWritten: 8n, pagesLazy: 0n },
  }));
  writeFileSync(join(dir, 'pages-1.img'), Buffer.alloc(8192));
}

test('cryo inspect prints the tree, sections and the JSON model', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-inspect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeCheckpoint(dir);

  const all = await runCli(['inspect', dir]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /2 processes/);
  assert.match(all.stdout, /^100 .* server\s*$/m);
  assert.match(all.stdout, /└─ 101 .* worker\s*$/m);
  assert.match(all.stdout, /frozen 5\.0 ms/);

  const tree = await runCli(['inspect', dir, '--tree']);
  assert.match(tree.stdout, /worker/);
  assert.doesNotMatch(tree.stdout, /Statistics/);

  const json = await runCli(['inspect', '--json', dir]);
  assert.equal(json.code, 0, json.stderr);
  const model = JSON.parse(json.stdout) as { processes: { pid: number; threads: unknown[] }[]; disk: { pagesBytes: number }; summary: { pids: number[] } };
  assert.deepEqual(model.summary.pids, [100, 101]);
  assert.equal(model.processes[1]!.threads.length, 2);
  assert.equal(model.disk.pagesBytes, 8192);
});

test('cryo inspect explains a bad directory and a damaged image', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-inspect-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = await runCli(['inspect', '--json', join(dir, 'nope')]);
  assert.equal(missing.code, 1);
  assert.equal((JSON.parse(missing.stderr) as { error: { code: string } }).error.code, 'CRYO_IMAGES_DIR_INVALID');

  writeCheckpoint(dir);
  writeFileSync(join(dir, 'pstree.img'), Buffer.concat([u32(IMG_COMMON_MAGIC, imageMagics.PSTREE), u32(500), Buffer.alloc(10)]));
  const bad = await runCli(['inspect', dir]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /CRYO_IMAGE_CORRUPT: pstree\.img: entry length 500 runs past the end of the file .*at byte 8/);
});
