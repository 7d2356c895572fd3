import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTransferLog } from './transfer-log.js';
import { normalizeLazyOptions } from './lazy-options.js';
import { analyzeCriuLog } from '../criu/index.js';
import { isCryoError } from '../errors/index.js';

// Lines copied from criu-lazy-pages.log files CRIU 4.2.1 wrote here (a memhog job in its own PID
// namespace: tini is pid 1, memhog pid 2).
const finished = [
  '(00.079147) uffd: Waiting for incoming connections on lazy-pages.socket',
  '(00.331928) uffd: Received PID: 1, uffd: 11',
  '(00.332020) uffd: 1-11: Found 12 pages to be handled by UFFD',
  '(00.334384) uffd: Received PID: 2, uffd: 12',
  '(00.334502) uffd: 2-12: Found 65565 pages to be handled by UFFD',
  '(00.451111) uffd: 1-11: UFFD transferred pages: (12/12)',
  '(00.750361) uffd: 2-12: uffd_copy: 0x7ffd068cf000/4096',
  '(00.750382) uffd: 2-12: UFFD transferred pages: (65565/65565)',
].join('\n');

test('a finished transfer: the final summaries count, per process', () => {
  assert.deepEqual(parseTransferLog(finished), { transferred: 65577, total: 65577, finishedProcesses: 2, processes: 2 });
});

test('an interrupted transfer: the copies so far count against the pages found', () => {
  const cut = [
    '(00.235775) uffd: 17012-11: Found 65564 pages to be handled by UFFD',
    '(00.300000) uffd: 17012-11: uffd_copy: 0x7f0000000000/65536',
    '(00.300100) uffd: 17012-11: uffd_copy: 0x7f0000010000/4096',
  ].join('\n');
  assert.deepEqual(parseTransferLog(cut), { transferred: 17, total: 65564, finishedProcesses: 0, processes: 1 });
});

test('a log without page lines (level below 4, or the server never got a client) gives nothing', () => {
  assert.equal(parseTransferLog('(00.079147) uffd: Waiting for incoming connections on lazy-pages.socket\n'), undefined);
});

test('lazy-page failures in a restore log are explained', () => {
  // Real line: a lazy restore with no server listening in its work dir (criu/uffd.c).
  const noServer = analyzeCriuLog([
    "(00.037889) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted",
    '(00.038368) Error (criu/uffd.c:349): uffd: connect to lazy-pages.socket failed: No such file or directory',
    '(00.040001) Error (criu/cr-restore.c:2331): Restoring FAILED.',
  ].join('\n'));
  assert.equal(noServer.hint?.code, 'CRYO_LAZY_SERVER_FAILED');
  assert.match(noServer.hint?.cause ?? '', /No such file or directory/);
  // This kernel has userfaultfd, so this line cannot be provoked here: it is CRIU 4.2's message
  // from setup_uffd (criu/uffd.c) with the log prefix CRIU gives every pr_perror line.
  const noUffd = analyzeCriuLog([
    '(00.051234) uffd: Lazy pages are not available: Function not implemented',
    '(00.051240) Error (criu/uffd.c:314): uffd: Unable to open an userfaultfd descriptor: Function not implemented',
    '(00.060001) Error (criu/cr-restore.c:2331): Restoring FAILED.',
  ].join('\n'));
  assert.equal(noUffd.hint?.code, 'CRYO_FEATURE_UNSUPPORTED');
});

test('options: the work dir must not be the images dir, and lazy-only options are checked', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cryo-lazyopt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = (o: unknown, option: string): void => {
    assert.throws(() => normalizeLazyOptions(o as never), (e) => isCryoError(e, 'CRYO_INVALID_OPTION') && e.message.includes(`\`${option}\``));
  };
  bad({ imagesDir: dir, workDir: dir }, 'workDir');
  bad({ imagesDir: dir, workDir: `${dir}/.` }, 'workDir');
  bad({ imagesDir: dir, lazyPages: true }, 'lazyPages');
  bad({ imagesDir: dir, fallback: 'maybe' }, 'fallback');
  bad({ imagesDir: dir, onTransferFailure: 'ignore' }, 'onTransferFailure');
  bad({ imagesDir: dir, transferTimeoutMs: -1 }, 'transferTimeoutMs');
  bad({ imagesDir: dir, checkpoint: { id: 'x' } }, 'checkpoint');
  bad({ imagesDir: '' }, 'imagesDir');
  const n = normalizeLazyOptions({ imagesDir: dir, workDir: join(dir, 'copy-1'), job: 'web', shellJob: false });
  assert.equal(n.fallback, 'refuse');
  assert.equal(n.onTransferFailure, 'kill');
  assert.deepEqual(n.restore, { imagesDir: dir, workDir: join(dir, 'copy-1'), shellJob: false });
});
