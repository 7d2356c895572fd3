#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's own test runner.
// Files run one at a time: the end-to-end tests drive real CRIU against real processes and
// share the machine's PID space and ports.
import { spawn } from 'node:child_process';

const extra = process.argv.slice(2);
const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...(extra.length ? extra : ['dist/'])];
// Its own process group, so the watchdog below can stop the test files and what they started too.
const child = spawn(process.execPath, args, { stdio: 'inherit', detached: true });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => killGroup(sig));

// A watchdog for the whole run: a test file whose process never exits (a child left alive keeps
// its event loop busy) would otherwise hang CI until its own limit, with no word about why.
const limitMin = Number(process.env.CRYO_TEST_LIMIT_MIN ?? 17);
let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  console.error(`run-tests: the test run exceeded ${limitMin} min and was stopped; the last file named above did not finish (a process left running by its tests?)`);
  killGroup('SIGKILL');
}, limitMin * 60_000);

child.on('exit', (code) => {
  clearTimeout(timer);
  process.exit(timedOut ? 1 : code ?? 1);
});

function killGroup(sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}
