#!/usr/bin/env node
// Benchmark: time from the start of a restore to the first answer of a TCP server holding 1 GiB
// (the tcpserver workload in its own PID namespace, checkpointed once), four ways in the same run,
// alternating their order each round:
//   cryo eager - CriuClient.restore (criu swrk RPC), all memory copied before the process runs
//   cryo lazy  - lazyRestore: starts `criu lazy-pages`, restores with lazy_pages, memory follows
//   criu eager - `criu restore -d -D IMG`
//   criu lazy  - `criu lazy-pages -D IMG -W WD --daemon` then `criu restore --lazy-pages -d -D IMG -W WD`
// "First answer" = a new TCP connection's `ping` answered. For lazy restores the time until the
// lazy-pages server has pushed every page (and exited) is reported too; each copy is killed only
// after that. Writes its section of BENCHMARKS.md.
//
// Run as root after `npx tsc -p .`:  node bench/lazy-restore.mjs [--rounds N] [--mib N]   (npm run bench:lazy-restore)
import { killAndReap, median, now, run } from './_common.mjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CriuClient, setChildSubreaper, waitForExit } from '../dist/criu/index.js';
import { lazyRestore } from '../dist/lazy/index.js';
import { request, startWorkload } from '../dist/testing/workloads.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const rounds = arg('--rounds', 5);
const mib = arg('--mib', 1024);
const client = new CriuClient();
const criu = client.criuPath;

// The raw CLI's restored trees (-d) and its daemonised lazy-pages server are orphans: as a
// subreaper we adopt and reap them.
setChildSubreaper();


/** The first `ping` answered on a fresh connection (retrying only a refused connect). */
async function firstAnswer(port) {
  for (;;) {
    try {
      const a = await request(port, 'ping', 30_000);
      if (!a.startsWith('pong')) throw new Error(`unexpected answer ${a}`);
      return;
    } catch (e) {
      if (e.code !== 'ECONNREFUSED') throw e;
    }
  }
}

let n = 0;
/** One restore by `how`; returns { answer, transfer? } in ms from the restore's start. */
async function once(how, img, port, dir) {
  const wd = join(dir, `wd-${how.replace(' ', '-')}-${++n}`);
  mkdirSync(wd);
  const t0 = now();
  let pid;
  let transferDone;
  let phases;
  if (how === 'cryo eager') {
    pid = (await client.restore({ imagesDir: img, workDir: wd })).pid;
  } else if (how === 'cryo lazy') {
    let serverAt;
    const r = await lazyRestore({ client, imagesDir: img, workDir: wd, onServerReady: () => (serverAt = now() - t0) });
    pid = r.restore.pid;
    phases = { server: serverAt, restore: now() - t0 };
    transferDone = r.transfer.then((o) => {
      if (!o.ok) throw o.error;
      return now() - t0;
    });
  } else if (how === 'criu eager') {
    await run(criu, ['restore', '-d', '-D', img, '-W', wd, '-o', 'criu-restore.log', '-v4', '--pidfile', join(wd, 'pid')]);
    pid = Number(readFileSync(join(wd, 'pid'), 'utf8'));
  } else {
    await run(criu, ['lazy-pages', '--daemon', '-D', img, '-W', wd, '-o', 'criu-lazy-pages.log', '-v4', '--pidfile', join(wd, 'lp.pid')]);
    const lp = Number(readFileSync(join(wd, 'lp.pid'), 'utf8'));
    const lpExit = waitForExit(lp);
    await run(criu, ['restore', '--lazy-pages', '-d', '-D', img, '-W', wd, '-o', 'criu-restore.log', '-v4', '--pidfile', join(wd, 'pid')]);
    pid = Number(readFileSync(join(wd, 'pid'), 'utf8'));
    transferDone = lpExit.then((s) => {
      if (s.code !== 0 && s.code !== null) throw new Error(`criu lazy-pages exited with ${JSON.stringify(s)}`);
      return now() - t0;
    });
  }
  await firstAnswer(port);
  const answer = now() - t0;
  const transfer = transferDone ? await transferDone : undefined;
  await killAndReap(pid);
  rmSync(wd, { recursive: true, force: true });
  return { answer, transfer, phases };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = loadavg();
const ways = ['cryo eager', 'cryo lazy', 'criu eager', 'criu lazy'];
const results = Object.fromEntries(ways.map((w) => [w, { answer: [], transfer: [], server: [], restore: [] }]));
const dir = mkdtempSync(join(tmpdir(), 'cryo-bench-lazy-'));
const w = await startWorkload('tcpserver', ['--mib', String(mib)], { pidns: true });
try {
  const ready = await w.ready;
  const img = join(dir, 'img');
  await client.dump({ pid: ready.rootPid, imagesDir: img });
  await w.exited;
  for (const how of ways) await once(how, img, ready.port, dir); // warm-up, not counted
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ways : [...ways].reverse();
    for (const how of order) {
      const t = await once(how, img, ready.port, dir);
      results[how].answer.push(t.answer);
      if (t.transfer !== undefined) results[how].transfer.push(t.transfer);
      if (t.phases) {
        results[how].server.push(t.phases.server);
        results[how].restore.push(t.phases.restore);
      }
    }
    process.stderr.write(`round ${i + 1}/${rounds}: ${order.map((h) => `${h} ${results[h].answer.at(-1).toFixed(0)} ms`).join(', ')}\n`);
  }
} finally {
  await w.kill();
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (x) => (x === undefined ? '-' : x.toFixed(1));
const rows = ways.map((how) => {
  const r = results[how];
  return { how, med: median(r.answer), min: Math.min(...r.answer), max: Math.max(...r.answer), transfer: r.transfer.length ? median(r.transfer) : undefined };
});
const table = [
  '| restore | first answer (ms, median) | min | max | all pages in place (ms, median) |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((x) => `| ${x.how} | ${fmt(x.med)} | ${fmt(x.min)} | ${fmt(x.max)} | ${x.how.endsWith('lazy') ? fmt(x.transfer) : 'before the answer'} |`),
].join('\n');
console.log(table);
const get = (how) => rows.find((x) => x.how === how);
const lazy = get('cryo lazy');
const speedup = get('cryo eager').med / lazy.med;
const verdict = [
  `cryo lazy first answer ${fmt(lazy.med)} ms: ${lazy.med < 150 ? 'meets' : 'MISSES'} the target (< 150 ms)`,
  `cryo lazy is ${speedup.toFixed(1)}x faster to first answer than cryo eager: ${speedup >= 10 ? 'meets' : 'MISSES'} the target (>= 10x)`,
  `cryo lazy vs raw criu lazy: ${(lazy.med / get('criu lazy').med).toFixed(2)}x (${(lazy.med - get('criu lazy').med).toFixed(1)} ms)`,
];
const lz = results['cryo lazy'];
verdict.push(`where cryo lazy's time goes (medians): lazy-pages server listening after ${fmt(median(lz.server))} ms, restore returned after ${fmt(median(lz.restore))} ms, first answer after ${fmt(lazy.med)} ms`);
// Each criu run probes the kernel (kerndat) unless it can keep /run/criu.kdat, which CRIU only does on a tmpfs.
const runFs = await run('stat', ['-f', '-c', '%T', '/run']).then((o) => o.trim(), () => 'unknown');
if (runFs !== 'tmpfs') verdict.push(`/run is ${runFs}, not tmpfs: CRIU cannot cache its kernel probe (/run/criu.kdat), so the lazy-pages server and the restore each probe the kernel again (~80 ms each on an idle machine)`);
for (const v of verdict) console.log(v);

const section = `<!-- lazy-restore:start -->
## Lazy restore: time to first answer (1 GiB TCP server)

What it measures: from the start of a restore to the first answered \`ping\` on a new connection,
for the tcpserver workload holding ${mib} MiB of touched memory, in its own PID namespace (tini as
pid 1), checkpointed once and restored ${rounds} times each way after one warm-up, alternating the
order each round: cryo's library eager (\`CriuClient.restore\`) and lazy (\`lazyRestore\`, which
starts and supervises \`criu lazy-pages\`, timed from before the server starts), and the raw CLI
eager (\`criu restore -d\`) and lazy (\`criu lazy-pages --daemon\` then \`criu restore --lazy-pages -d\`),
all at log level 4. "All pages in place" is when the lazy-pages server had pushed every page and
exited. Targets: cryo lazy < 150 ms to first answer, and >= 10x faster than eager.

${table}

${verdict.map((v) => `- ${v}`).join('\n')}

Machine: ${readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU'}, ${(
  Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 1048576
).toFixed(0)} GiB RAM, ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} CPUs, Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, CRIU ${(await client.version()).text}, ${new Date().toISOString().slice(0, 10)}; load average ${loadBefore} before, ${loadavg()} after (other work on the machine makes single runs noisy).

Reproduce (as root, after \`./scripts/setup.sh\` and \`npx tsc -p .\`): \`npm run bench:lazy-restore\` (or \`node bench/lazy-restore.mjs --rounds ${rounds} --mib ${mib}\`).
<!-- lazy-restore:end -->`;

const file = join(repo, 'BENCHMARKS.md');
let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nEach section says what it measures, its results on one machine, and the command to reproduce it.\n';
const re = /<!-- lazy-restore:start -->[\s\S]*?<!-- lazy-restore:end -->/;
doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(file, doc);
console.log(`wrote ${file}`);
