// Logs of failures the test machine cannot produce on demand (an old CRIU, another CPU),
// captured once from real CRIU runs and kept in test/fixtures/criu-logs (each file says how).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../testing/cli.js';
import { analyzeCriuLog } from './analyze.js';

const dir = join(repoRoot, 'test', 'fixtures', 'criu-logs');
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

test('CRIU 3.17 on a 6.13+ kernel: CRYO_VDSO_MISMATCH, not the earlier "exited" lines', () => {
  const a = analyzeCriuLog(read('vdso-criu-3.17.log'));
  assert.equal(a.outcome, 'unknown'); // CRIU 3.17 stops before writing a closing line
  assert.equal(a.hint?.code, 'CRYO_VDSO_MISMATCH');
  assert.equal(a.hint.matched, 'Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds');
  assert.ok(a.errors.includes('Error (criu/crtools.c:260): Could not initialize kernel features detection.'));
});

test('CPU capabilities or xsave features missing on this host: CRYO_CPU_MISMATCH', () => {
  for (const [file, line] of [
    ['cpu-capabilities-mismatch.log', 'cpu: CPU instruction capabilities do not match run time'],
    ['cpu-xfeatures-mismatch.log', 'cpu: CPU xfeatures has unsupported bits (0x60000)'],
  ] as const) {
    const a = analyzeCriuLog(read(file));
    assert.equal(a.hint?.code, 'CRYO_CPU_MISMATCH', file);
    assert.ok(a.hint.matched.endsWith(line), file);
    assert.equal(a.hint.transient, false);
    assert.ok(!a.errors.some((e) => /RLIMIT_NOFILE/.test(e)), file);
  }
});
