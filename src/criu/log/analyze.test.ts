import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeCriuLog } from './analyze.js';
import { criuLogPatterns } from './patterns.js';
import { codes } from '../../errors/index.js';

// Lines below are copied from logs CRIU 4.2.1 wrote on this project's test machines.
const rlimit = '(00.046824) Error (criu/util.c:1534): rlimit: Can\'t setup RLIMIT_NOFILE for self: Operation not permitted';

test('a successful dump with the rlimit noise line is success, with no errors and no hint', () => {
  const log = [
    '(00.000000) CRIU run id = 3b3a46d8-0762-420b-9ec7-80bcd233c0e1',
    '(00.000144) Version: 4.2.1 (gitid 0)',
    rlimit,
    '(00.044323) Warn  (compel/arch/x86/src/lib/infect.c:419): Will restore 7993 with interrupted system call',
    '(00.047260) Dumping finished successfully',
  ].join('\n');
  const a = analyzeCriuLog(log);
  assert.equal(a.outcome, 'success');
  assert.equal(a.operation, 'dump');
  assert.deepEqual(a.errors, []);
  assert.deepEqual(a.relevant, []);
  assert.equal(a.hint, undefined);
});

test('a failure whose only error is the rlimit line is explained by nothing, not by rlimit', () => {
  const a = analyzeCriuLog([rlimit, '(00.031759) Error (criu/cr-restore.c:2331): Restoring FAILED.'].join('\n'));
  assert.equal(a.outcome, 'failure');
  assert.equal(a.operation, 'restore');
  assert.deepEqual(a.errors, []);
  assert.equal(a.hint, undefined);
  assert.ok(a.relevant.every((l) => !/RLIMIT_NOFILE/.test(l)));
});

test('outcome: restore success, unknown without a closing line, and only the last run counts', () => {
  assert.equal(analyzeCriuLog('(00.1) Restore finished successfully. Tasks resumed.').outcome, 'success');
  assert.equal(analyzeCriuLog('(00.1) Something\n').outcome, 'unknown');
  const twoRuns = [
    '(00.000000) CRIU run id = a',
    '(00.031728) Error (criu/cr-restore.c:1237): Can\'t fork for 7993: File exists',
    '(00.031759) Error (criu/cr-restore.c:2331): Restoring FAILED.',
    '(00.000000) CRIU run id = b',
    rlimit,
    '(00.2) Restore finished successfully. Tasks resumed.',
  ].join('\n');
  const a = analyzeCriuLog(twoRuns);
  assert.equal(a.outcome, 'success');
  assert.deepEqual(a.errors, []);
});

test('the matched line comes without its timestamp, with the cause naming pid and file', () => {
  const a = analyzeCriuLog([
    rlimit,
    '(00.031728) Error (criu/cr-restore.c:1237): Can\'t fork for 7993: File exists',
    '(00.031759) Error (criu/cr-restore.c:2331): Restoring FAILED.',
  ].join('\n'));
  assert.equal(a.hint?.code, 'CRYO_PID_IN_USE');
  assert.equal(a.hint.transient, true);
  assert.equal(a.hint.matched, 'Error (criu/cr-restore.c:1237): Can\'t fork for 7993: File exists');
  assert.match(a.hint.cause, /pid 7993/);
  assert.deepEqual(a.errors, ['Error (criu/cr-restore.c:1237): Can\'t fork for 7993: File exists']);
  const f = analyzeCriuLog('(00.1) Error (criu/files-reg.c:2219): File tmp/cryo-x/data has bad size 10 (expect 5)\n(00.2) Error (criu/cr-restore.c:2331): Restoring FAILED.');
  assert.equal(f.hint?.code, 'CRYO_FILE_CHANGED');
  assert.match(f.hint.cause, /\/tmp\/cryo-x\/data.*size is 10, expected 5/);
});

test('a precise cause wins over its consequences (priority order)', () => {
  const a = analyzeCriuLog([
    '(00.1) Error (criu/cr-restore.c:1237): Can\'t fork for 7994: File exists',
    '(00.2) Error (criu/cr-restore.c:1620): 7993 killed by signal 9: Killed',
    '(00.3) Error (criu/cr-restore.c:2331): Restoring FAILED.',
  ].join('\n'));
  assert.equal(a.hint?.code, 'CRYO_PID_IN_USE');
  assert.ok(a.relevant.includes('Error (criu/cr-restore.c:1620): 7993 killed by signal 9: Killed'));
});

test('pdeath_sig is reported even when CRIU reports success', () => {
  const a = analyzeCriuLog([
    '(00.1) Warn  (criu/cr-restore.c:1500): Root task has pdeath_sig configured, so it will receive one _right_after restore on CRIU exit',
    '(00.2) Restore finished successfully. Tasks resumed.',
  ].join('\n'));
  assert.equal(a.outcome, 'success');
  assert.equal(a.hint?.code, 'CRYO_PDEATHSIG');
});

test('every pattern names a known error code and gives advice', () => {
  for (const p of criuLogPatterns) {
    assert.ok(p.code in codes, p.code);
    assert.ok(p.action.length > 10, p.code);
  }
});

test('lines of a restoring task carry its pid and still count as errors', () => {
  // From a real restore log (a file that changed size): the task's pid comes before the level.
  const a = analyzeCriuLog([
    '(00.049935)      2: Error (criu/files-reg.c:2175): File tmp/x/rich-data.txt has bad size 105 (expect 100)',
    '(00.049574)      1: Error (criu/cr-restore.c:1265): 2 exited, status=1',
    '(00.050001) Error (criu/cr-restore.c:2331): Restoring FAILED.',
  ].join('\n'));
  assert.deepEqual(a.errors, [
    '2: Error (criu/files-reg.c:2175): File tmp/x/rich-data.txt has bad size 105 (expect 100)',
    '1: Error (criu/cr-restore.c:1265): 2 exited, status=1',
  ]);
  assert.equal(a.hint?.code, 'CRYO_FILE_CHANGED');
});

test('a task that died with nothing more precise logged: CRYO_RESTORED_TASK_DIED', () => {
  // The "exited" line is real; the precise cause that came before it in that log is left out
  // on purpose, to check the fallback.
  const a = analyzeCriuLog([
    '(00.049574)      1: Error (criu/cr-restore.c:1265): 2 exited, status=1',
    '(00.050001) Error (criu/cr-restore.c:2331): Restoring FAILED.',
  ].join('\n'));
  assert.equal(a.hint?.code, 'CRYO_RESTORED_TASK_DIED');
  assert.match(a.hint.cause, /process 2 exited during the restore \(status 1\)/);
  // CRIU's own helper commands also log "exited, status=": that is not a restored task.
  assert.equal(analyzeCriuLog('(00.04) Error (criu/util.c:657): exited, status=127\n(00.05) Error (x.c:1): Dumping FAILED.').hint, undefined);
});

test('patterns not provoked by the real-CRIU tests still match CRIU 4.2.1 wording', () => {
  // Lines built from the format strings in the CRIU 4.2.1 binary (`strings criu`), pids filled in.
  const cases: [string, string][] = [
    ['(00.1) Error (criu/seize.c:1000): Timeout reached. Try to interrupt: 0', 'CRYO_CRIU_TIMEOUT'],
    ['(00.1) Error (criu/pstree.c:700): A session leader of 5(7) is outside of its pid namespace', 'CRYO_NEEDS_SHELL_JOB'],
    ['(00.1) Error (criu/sk-unix.c:900): unix: Unix socket 4242 without peer 4243', 'CRYO_EXTERNAL_UNIX_SOCKET'],
    ['(00.1) Error (criu/sk-unix.c:900): unix: Can\'t dump half of stream unix connection. name: a; peer name: b', 'CRYO_EXTERNAL_UNIX_SOCKET'],
    ['(00.1) Error (criu/arch/x86/cpu.c:250): cpu: FPU feature required by image is not supported on host (fpu:1 fxsr:1 osxsave:0 xsaves:0)', 'CRYO_CPU_MISMATCH'],
    ['(00.1) Error (criu/vdso.c:400): vdso: Can\'t find vDSO/VVAR bounds', 'CRYO_VDSO_MISMATCH'],
    ['(00.1) Error (criu/net.c:3000): net: Locking network failed: iptables-restore returned 127. This may be connected to disabled CONFIG_NETFILTER_XT_MARK kernel build config option.', 'CRYO_NETWORK_LOCK_UNAVAILABLE'],
  ];
  for (const [line, code] of cases) {
    assert.equal(analyzeCriuLog(`${line}\n(00.2) Error (x.c:1): Dumping FAILED.`).hint?.code, code, line);
  }
});
