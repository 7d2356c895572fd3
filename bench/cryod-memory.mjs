#!/usr/bin/env node
// Benchmark: cryod's resident memory with 100 attachable jobs (sleep processes, each in its own
// PID namespace under tini, with FIFO stdio and an output log). Measures cryod's VmRSS idle, after
// starting the jobs, after each job printed 64 KiB (so every FIFO and log was used), and its peak
// (VmHWM); also how long starting them took, and what each job costs outside cryod (monitor sh +
// unshare + tini). Target: cryod < 100 MiB RSS with 100 jobs. Writes its section of BENCHMARKS.md.
//
// Run as root after `npx tsc -p .`:  node bench/cryod-memory.mjs [--jobs N]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../dist/testing/daemon.js';
import { apiClient } from '../dist/testing/daemon-client.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const n = Number(process.argv[process.argv.indexOf('--jobs') + 1]) || 100;
const MiB = 1024 * 1024;
const status = (pid, key) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0) * 1024;
const rssOf = (pid) => { try { return status(pid, 'VmRSS'); } catch { return 0; } };
const children = (pid) => {
  try { return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number); } catch { return []; }
};
const settle = () => new Promise((r) => setTimeout(r, 1500));

// The daemon is started as a user would (`cryo daemon`, which re-executes itself with its V8 flags);
// CRYOD_NODE_OPTIONS adds Node options to compare.
const nodeOptions = process.env.CRYOD_NODE_OPTIONS ?? '';
const d = await startDaemon({ env: { NODE_OPTIONS: nodeOptions } });
try {
  const api = apiClient(d.socket);
  const pid = d.proc.pid;
  await settle();
  const idle = rssOf(pid);
  const t0 = performance.now();
  const ids = [];
  for (let i = 0; i < n; i++) {
    const { job } = await api.jobs.run({
      command: ['sh', '-c', 'read x; head -c 65536 /dev/zero | tr "\\0" y; echo; echo printed; exec sleep 100000'],
      name: `bench-${i}`, cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    ids.push(job);
  }
  const startMs = performance.now() - t0;
  await settle();
  const withJobs = rssOf(pid);
  // Every job prints 64 KiB through its FIFO into cryod's log (checked in the log files, so the
  // bench itself holds no streams open to cryod).
  for (const j of ids) writeFileSync(join(j.jobDir, 'stdin'), 'go\n', { flag: 'a' });
  const deadline = Date.now() + 60_000;
  for (const j of ids) {
    while (!readFileSync(join(j.jobDir, 'output.log'), 'utf8').includes('printed')) {
      if (Date.now() > deadline) throw new Error(`job ${j.name} never printed`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await settle();
  const afterOutput = rssOf(pid);
  const peak = status(pid, 'VmHWM');
  // What each job costs outside cryod: its monitor sh, unshare, tini (the command itself not counted).
  let outside = 0;
  for (const j of ids) {
    const mon = children(pid).find((c) => readFileSync(`/proc/${c}/cmdline`, 'utf8').includes(j.jobDir));
    if (!mon) continue;
    const uns = children(mon)[0];
    outside += rssOf(mon) + (uns ? rssOf(uns) + (children(uns)[0] ? rssOf(children(uns)[0]) : 0) : 0);
  }
  const fmt = (b) => (b / MiB).toFixed(1);
  const rows = [
    ['cryod idle (no jobs)', fmt(idle)],
    [`cryod with ${n} jobs running`, fmt(withJobs)],
    [`cryod after each job printed 64 KiB`, fmt(afterOutput)],
    ['cryod peak (VmHWM)', fmt(peak)],
  ];
  const table = ['| measurement | RSS (MiB) |', '| --- | ---: |', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
  console.log(table);
  const ok = afterOutput < 100 * MiB && peak < 100 * MiB;
  const section = `<!-- cryod-memory:start -->
## cryod memory with ${n} jobs

What it measures: the resident memory (VmRSS, and the peak VmHWM) of cryod serving ${n} attachable
jobs, each \`sh\` then \`sleep\` in its own PID namespace under tini, with FIFO stdio and a per-job
output log; measured idle, with the jobs running, and after every job printed 64 KiB through
cryod. cryod is started as \`cryo daemon\`${nodeOptions ? ` with \`NODE_OPTIONS=${nodeOptions}\`` : ''}, which re-executes itself with
\`--max-semi-space-size=1\` (bin/cryo; packaging/cryod.service passes the same flag): a small young
generation, where V8's default lets it grow to tens of MiB under load (~105 MiB peak here without
it). Target: under 100 MiB.

${table}

- ${ok ? 'meets' : 'MISSES'} the target (< 100 MiB with ${n} jobs).
- starting ${n} jobs one after another through the API took ${(startMs / 1000).toFixed(1)} s (${(startMs / n).toFixed(1)} ms per job).
- outside cryod, each job's monitor \`sh\` + \`unshare\` + \`tini\` use about ${fmt(outside / n)} MiB RSS (shared pages counted in each).

Machine: ${readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU'}, Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.

Reproduce (as root, after \`npx tsc -p .\`): \`npm run bench:cryod-memory\` (or \`node bench/cryod-memory.mjs --jobs ${n}\`).
<!-- cryod-memory:end -->`;
  const file = join(repo, 'BENCHMARKS.md');
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nEach section says what it measures, its results on one machine, and the command to reproduce it.\n';
  const re = /<!-- cryod-memory:start -->[\s\S]*?<!-- cryod-memory:end -->/;
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, doc);
  console.log(`wrote ${file}`);
} finally {
  await d.stop();
}
