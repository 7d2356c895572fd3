#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's own test runner.
// Files run one at a time: the end-to-end tests drive real CRIU against real processes and
// share the machine's PID space and ports.
import { spawnSync } from 'node:child_process';

const extra = process.argv.slice(2);
const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...(extra.length ? extra : ['dist/'])];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
