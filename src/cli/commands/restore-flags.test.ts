// The restore flags are checked once for both paths: what needs cryod, what combines, ranges.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCryoError } from '../../errors/index.js';
import { restoreFlagValues, type RestoreFlags } from './restore-flags.js';

const base: RestoreFlags = { daemon: true, copies: '1', verify: true, hook: [] };
const invalid = (f: Partial<RestoreFlags>, re: RegExp): void => {
  assert.throws(() => restoreFlagValues({ ...base, ...f }), (e: unknown) => isCryoError(e, 'CRYO_INVALID_OPTION') && re.test(e.message));
};

test('flags that need cryod are refused with --no-daemon, each named', () => {
  invalid({ daemon: false, name: 'x', copies: '2' }, /--copies, --name need cryod/);
  invalid({ daemon: false, healthCmd: 'true' }, /--health-cmd needs cryod/);
  assert.equal(restoreFlagValues({ ...base, daemon: false, force: true, timeout: '0' }).timeoutMs, 0);
});

test('combinations and ranges', () => {
  invalid({ lazyFallback: true }, /--lazy-fallback/);
  invalid({ attach: true, copies: '2' }, /--attach/);
  invalid({ attach: true, log: '/tmp/x' }, /--attach` with `--log/);
  invalid({ copies: '65' }, /--copies/);
  invalid({ timeout: 'soon' }, /--timeout/);
  invalid({ healthTcp: '70000' }, /--health-tcp/);
  const v = restoreFlagValues({ ...base, copies: '3', timeout: '1500', healthGrace: '800' });
  assert.deepEqual([v.copies, v.timeoutMs, v.healthGraceMs, v.healthTcpPort], [3, 1500, 800, 0]);
  assert.equal(restoreFlagValues(base).timeoutMs, undefined, 'not given: the configured default');
});
