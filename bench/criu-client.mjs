#!/usr/bin/env node
// Benchmark: cryo's CRIU library (criu swrk over RPC) against the raw `criu` CLI on the same
// workloads in the same run, alternating, several rounds:
//   tiny  - a C counter with almost no memory
//   1 GiB - the same counter after allocating and touching 1 GiB
// Each round dumps (the dump kills the process) and restores it, once through the library
// (client.dump / client.restore) and once with `criu dump -D -t` / `criu restore -d -D`, both at
// log level 4; the dumps skip the network lock, as the library chooses for a host-network process
// without kept TCP connections (a restore uses whatever the images recorded). Times are wall clock of the whole call, criu's
// start included. Writes its section of BENCHMARKS.md.
//
// Run as root after `npx tsc -p .`:  node bench/criu-client.mjs [--rounds N]   (npm run bench:criu-client)
import { killAndReap, median, now, run } from './_common.mjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriuClient, setChildSubreaper } from '../dist/criu/index.js';
import { closeSync, openAppend, startCounter } from '../dist/criu/_test-workload.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const argRounds = process.argv.indexOf('--rounds');
const rounds = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 5;
const client = new CriuClient();
const criu = client.criuPath;

// Processes restored by the raw CLI (-d) are orphaned: as a subreaper we adopt and reap them.
setChildSubreaper();


/** One dump+restore through `via` ('lib' | 'cli'); returns { dump, restore } in ms. */
async function once(via, memMb, dir) {
  const fd = openAppend(join(dir, `out-${via}.log`));
  const c = await startCounter(fd, { intervalMs: 100, memMb });
  closeSync(fd);
  const img = join(dir, `img-${via}`);
  let t0 = now();
  if (via === 'lib') await client.dump({ pid: c.pid, imagesDir: img });
  else {
    mkdirSync(img, { recursive: true });
    await run(criu, ['dump', '-t', String(c.pid), '-D', img, '-o', 'criu-dump.log', '-v4', '--network-lock', 'skip']);
  }
  const dump = now() - t0;
  await c.gone; // reaped by Node: its pid is free for the restore
  t0 = now();
  let pid;
  if (via === 'lib') pid = (await client.restore({ imagesDir: img })).pid;
  else {
    await run(criu, ['restore', '-d', '-D', img, '-o', 'criu-restore.log', '-v4', '--pidfile', join(img, 'pid')]);
    pid = Number(readFileSync(join(img, 'pid'), 'utf8'));
  }
  const restore = now() - t0;
  await killAndReap(pid);
  // CRIU's own time: the timestamp (seconds since criu started) of its closing log line. The
  // rest of the wall time is outside CRIU: starting it, the RPC, waiting for it to exit.
  const criuMs = (log, re) => Number(re.exec(readFileSync(join(img, log), 'utf8'))?.[1] ?? NaN) * 1000;
  const dumpCriu = criuMs('criu-dump.log', /\((\d+\.\d+)\) Dumping finished successfully/);
  const restoreCriu = criuMs('criu-restore.log', /\((\d+\.\d+)\) Restore finished successfully/);
  rmSync(img, { recursive: true, force: true });
  return { dump, restore, dumpOutside: dump - dumpCriu, restoreOutside: restore - restoreCriu };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = loadavg();
const workloads = [{ name: 'tiny', memMb: 0 }, { name: '1 GiB', memMb: 1024 }];
const results = {};
const dir = mkdtempSync(join(tmpdir(), 'cryo-bench-criu-'));
try {
  for (const w of workloads) {
    const r = { lib: { dump: [], restore: [], dumpOutside: [], restoreOutside: [] }, cli: { dump: [], restore: [], dumpOutside: [], restoreOutside: [] } };
    await once('lib', w.memMb, dir); // warm-up (binary, page cache), not counted
    await once('cli', w.memMb, dir);
    for (let i = 0; i < rounds; i++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      for (const via of i % 2 === 0 ? ['lib', 'cli'] : ['cli', 'lib']) {
        const t = await once(via, w.memMb, dir);
        for (const k of Object.keys(t)) r[via][k].push(t[k]);
      }
      process.stderr.write(`${w.name} round ${i + 1}/${rounds}\n`);
    }
    results[w.name] = r;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const rows = [];
for (const [name, r] of Object.entries(results)) {
  for (const op of ['dump', 'restore']) {
    const lib = median(r.lib[op]);
    const cli = median(r.cli[op]);
    const libOut = median(r.lib[`${op}Outside`]);
    const cliOut = median(r.cli[`${op}Outside`]);
    rows.push({ workload: name, op, lib, cli, ratio: lib / cli, diff: lib - cli, libOut, cliOut });
  }
}
const fmt = (x) => x.toFixed(1);
const table = [
  '| workload | operation | library (ms, median) | criu CLI (ms, median) | ratio | difference | outside CRIU: library / CLI (ms) |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((x) => `| ${x.workload} | ${x.op} | ${fmt(x.lib)} | ${fmt(x.cli)} | ${x.ratio.toFixed(3)}x | ${x.diff >= 0 ? '+' : ''}${fmt(x.diff)} ms | ${fmt(x.libOut)} / ${fmt(x.cliOut)} |`),
].join('\n');
console.log(table);

const verdict = rows.map((x) => {
  const ok = x.workload === 'tiny' ? x.diff <= 10 : x.ratio <= 1.05;
  return `${x.workload} ${x.op}: ${ok ? 'meets' : 'MISSES'} its target`;
});
const section = `<!-- criu-client:start -->
## CRIU library vs raw \`criu\` CLI

What it measures: the overhead of cryo's CRIU library (\`CriuClient.dump\` / \`restore\` over
\`criu swrk\` RPC: socketpair, protobuf, option validation, images directory fd, notification-free
requests) against running \`criu dump -t PID -D DIR\` / \`criu restore -d -D DIR\` directly, on the
same process in the same run, alternating which goes first, ${rounds} rounds after one warm-up each.
Both at log level 4, dumps without a network lock (the library's choice for a host-network process
that keeps no TCP connections; the CLI is given \`--network-lock skip\` to match); wall time of the whole call including criu's
start. Targets: 1 GiB within 1.05x, tiny within +10 ms. The last column splits off CRIU's own
time (the timestamp of its closing log line): what remains is the cost of starting criu, the RPC
and waiting for criu to exit, i.e. what the library adds or saves; differences in the other
columns beyond it are CRIU's own run-to-run variation (memory dump speed on a busy 2-core VM).

${table}

${verdict.map((v) => `- ${v}`).join('\n')}

Machine: ${readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU'}, ${(
  Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 1048576
).toFixed(0)} GiB RAM, Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, CRIU ${(await client.version()).text}, ${new Date().toISOString().slice(0, 10)}; load average ${loadBefore} before, ${loadavg()} after (other work on the machine makes single runs noisy: compare ratios from one run).
Note the library's restore uses \`rst_sibling\` (the restored root becomes the caller's child) where the CLI's \`-d\` detaches it.

Reproduce (as root, after \`./scripts/setup.sh\`): \`npm run bench:criu-client\` (or \`node bench/criu-client.mjs --rounds ${rounds}\`).
<!-- criu-client:end -->`;

const file = join(repo, 'BENCHMARKS.md');
let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nEach section says what it measures, its results on one machine, and the command to reproduce it.\n';
const re = /<!-- criu-client:start -->[\s\S]*?<!-- criu-client:end -->/;
doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(file, doc);
console.log(`wrote ${file}`);
