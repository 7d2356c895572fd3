import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputLog } from './output-log.js';

test('the output log keeps at most maxBytes and always the newest output', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-outlog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = new OutputLog(dir, 8192);
  for (let i = 0; i < 1000; i++) log.append(Buffer.from(`line ${String(i).padStart(4, '0')}\n`));
  const all = log.tail().toString();
  assert.ok(all.length <= 8192, `kept ${all.length}`);
  assert.ok(all.endsWith('line 0999\n'));
  assert.ok(!all.includes('line 0000'));
  assert.equal(log.tail(10).toString(), 'line 0999\n');
  assert.ok(statSync(join(dir, 'output.log')).size <= 4096);
  log.close();
});
