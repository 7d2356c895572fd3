// Option validation: every bad value is CRYO_INVALID_OPTION naming the option, the value and a fix;
// good values become the criu_opts CRIU expects.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFieldSet } from '@bufbuild/protobuf';
import { criu_cg_mode, criu_network_lock_method, criu_optsSchema } from '../gen/criu/rpc_pb.js';
import { isCryoError } from '../errors/index.js';
import { FIRST_INHERITED_FD, normalizeOptions } from './options.js';
import type { DumpOptions, RestoreOptions } from './types.js';

const bad = (fn: () => unknown, option: string): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isCryoError(e, 'CRYO_INVALID_OPTION'), String(e));
    assert.match(e.message, new RegExp(`\`${option.replace(/[[\]]/g, '\\$&')}\``));
    assert.ok(e.action.length > 0);
    return true;
  });
};
const dump = (o: Record<string, unknown>) => () => normalizeOptions('dump', { pid: 1, imagesDir: '/tmp/x', ...o } as DumpOptions);
const restore = (o: Record<string, unknown>) => () => normalizeOptions('restore', { imagesDir: '/tmp/x', ...o } as RestoreOptions);

test('bad values name the option', () => {
  bad(dump({ pid: -3 }), 'pid');
  bad(dump({ pid: 1.5 }), 'pid');
  bad(dump({ pid: undefined }), 'pid');
  bad(dump({ imagesDir: '' }), 'imagesDir');
  bad(dump({ logLevel: 7 }), 'logLevel');
  bad(dump({ logFile: 'a/b.log' }), 'logFile');
  bad(dump({ leaveRunning: 'yes' }), 'leaveRunning');
  bad(dump({ leaveRunning: true, leaveStopped: true }), 'leaveStopped');
  bad(dump({ ghostLimit: -1 }), 'ghostLimit');
  bad(dump({ networkLock: 'ipfw' }), 'networkLock');
  bad(dump({ manageCgroupsMode: 'SOFT' }), 'manageCgroupsMode');
  bad(dump({ external: 'mnt[/x]:y' }), 'external');
  bad(dump({ notify: { 'pre-dump': 'echo hi' } }), "notify['pre-dump']");
  bad(dump({ signal: {} }), 'signal');
  bad(dump({ timeoutMs: 0 }), 'timeoutMs');
  bad(dump({ pageServer: { address: 'x', port: 70000 } }), 'pageServer');
  bad(dump({ inheritFds: [] }), 'inheritFds'); // a restore option, not a dump one
  bad(dump({ tcpEstablised: true }), 'tcpEstablised'); // typo
  bad(restore({ inheritFds: [{ key: '', fd: 1 }] }), 'inheritFds[0].key');
  bad(restore({ inheritFds: [{ key: 'pipe:[1]', fd: 99999 }] }), 'inheritFds[0].fd');
});

test('defaults and mapping to criu_opts', () => {
  const d = normalizeOptions('dump', { pid: 42, imagesDir: '/img', tcpEstablished: true, external: ['mnt[/a]:a'], manageCgroupsMode: 'soft' });
  assert.equal(d.workDir, '/img');
  assert.equal(d.logFile, 'criu-dump.log');
  const w = d.wire({ imagesDirFd: 9 });
  assert.equal(w.imagesDirFd, 9);
  assert.equal(w.pid, 42);
  assert.equal(w.logLevel, 4);
  assert.equal(isFieldSet(w, criu_optsSchema.field.networkLock), false, 'unset here: the client chooses for dumps');
  assert.equal(normalizeOptions('dump', { pid: 1, imagesDir: '/i', networkLock: 'nftables' }).wire({ imagesDirFd: 3 }).networkLock, criu_network_lock_method.NFTABLES);
  assert.equal(w.tcpEstablished, true);
  assert.equal(w.manageCgroupsMode, criu_cg_mode.SOFT);
  assert.deepEqual(w.external, ['mnt[/a]:a']);
  assert.equal(w.notifyScripts, false);
  assert.equal(w.rstSibling, false);

  const r = normalizeOptions('restore', { imagesDir: '/img', workDir: '/work', inheritFds: [{ key: 'pipe:[7]', fd: 1 }, { key: 'pipe:[8]', fd: 2 }], notify: {} });
  assert.equal(r.logFile, 'criu-restore.log');
  const rw = r.wire({ imagesDirFd: 9, workDirFd: 10 });
  assert.equal(rw.rstSibling, true, 'restored root becomes our child by default');
  assert.equal(rw.workDirFd, 10);
  assert.equal(rw.notifyScripts, true);
  assert.deepEqual(rw.inheritFd.map((i) => [i.key, i.fd]), [['pipe:[7]', FIRST_INHERITED_FD], ['pipe:[8]', FIRST_INHERITED_FD + 1]]);
  assert.deepEqual(r.inheritFds.map((i) => i.fd), [1, 2], 'our own fd numbers, placed into criu by the client');
});

test('memory tracking and lazy pages are recorded as needed features', () => {
  assert.deepEqual(normalizeOptions('dump', { pid: 1, imagesDir: '/i', trackMem: true }).needs, ['memTrack']);
  assert.deepEqual(normalizeOptions('pre-dump', { pid: 1, imagesDir: '/i' }).needs, ['memTrack']);
  assert.deepEqual(normalizeOptions('restore', { imagesDir: '/i', lazyPages: true }).needs, ['lazyPages']);
});
