// The CPU check asks real CRIU (`criu cpuinfo check`): this CPU passes its own cpuinfo.img; an
// image claiming CPU features this machine lacks fails with CRYO_CPU_MISMATCH and CRIU's words.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { loadConfig, locateCriu } from '../config/index.js';
import { cpuinfo_entrySchema } from '../gen/criu/images/cpuinfo_pb.js';
import { tempDir } from './_keeper.js';
import { checkCpu } from './checks/cpu.js';

const criu = locateCriu(loadConfig().criu).path;

test('CPU check: this CPU fits its own cpuinfo.img, not one with features it lacks', async (t) => {
  const dir = tempDir(t);
  const dump = spawnSync(criu, ['cpuinfo', 'dump', '-D', dir]);
  assert.equal(dump.status, 0, String(dump.stderr));
  const ok = await checkCpu(dir, criu);
  assert.equal(ok.status, 'ok', ok.detail);

  // cpuinfo.img: two magics, then one length-prefixed cpuinfo_entry. Claim every capability bit.
  const bytes = readFileSync(join(dir, 'cpuinfo.img'));
  const len = bytes.readUInt32LE(8);
  const entry = fromBinary(cpuinfo_entrySchema, bytes.subarray(12, 12 + len));
  const x86 = entry.x86Entry[0];
  if (!x86) return t.skip('not an x86 CPU: no capability words to alter');
  x86.capability = x86.capability.map(() => 0xffffffff);
  const msg = toBinary(cpuinfo_entrySchema, entry);
  const head = Buffer.alloc(12);
  bytes.copy(head, 0, 0, 8);
  head.writeUInt32LE(msg.length, 8);
  writeFileSync(join(dir, 'cpuinfo.img'), Buffer.concat([head, msg]));

  const bad = await checkCpu(dir, criu);
  assert.equal(bad.status, 'fail', bad.detail);
  assert.equal(bad.items[0]?.code, 'CRYO_CPU_MISMATCH');
  assert.equal(bad.items[0]?.subject, 'cpuinfo.img');
  assert.match(bad.items[0]?.problem ?? '', /cpuinfo check` failed \(exit 1\): .*capabilities do not match/);
  assert.ok(((bad.items[0]?.details?.['criuSaid'] as string[] | undefined) ?? []).length > 0, 'CRIU\'s own words are kept');
});
