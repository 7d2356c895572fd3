#!/usr/bin/env node
// Benchmark: `cryo export` / `cryo import` of a checkpoint of a process holding 1 GiB of memory,
// against the raw pipelines `tar -c DIR | zstd -T0 -3` and `zstd -d | tar -x`, plus cryo's peak
// RSS (VmHWM via /usr/bin/time -v) which must stay under 200 MiB whatever the checkpoint size.
// cryo also hashes every file (export checks the manifest, import verifies it) and fsyncs what it
// imports; the raw pipelines do neither, so a raw import followed by `sync` is shown too.
//
// Run as root after `npx tsc -p .`:  node bench/export.mjs [--rounds N]   (npm run bench:export)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const cryo = join(repo, 'bin/cryo');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts a python process that fills 1 GiB (each page: 2 KiB random, 2 KiB zero: compressible
 *  like real heaps), dumps it with raw criu into a store via the library, and returns the checkpoint. */
export async function makeCheckpoint1G(tmp) {
  const { CheckpointStore } = await import(join(repo, 'dist/store/index.js'));
  const { defaultCriuPath } = await import(join(repo, 'dist/store/versions.js'));
  const { waitForLine } = await import(join(repo, 'dist/store/_real-checkpoint.js'));
  const log = join(tmp, 'hog.log');
  const hog = [
    'import os, sys, time',
    'out = open(sys.argv[1], "a", buffering=1)',
    'buf = bytearray(1 << 30)',
    'rnd = os.urandom(1 << 29)',
    'mv = memoryview(buf)',
    'for p in range(1 << 18):',
    '    mv[p * 4096 : p * 4096 + 2048] = rnd[p * 2048 : p * 2048 + 2048]',
    'del rnd',
    'out.write("ready\\n")',
    'time.sleep(3600)',
  ].join('\n');
  const child = spawn('/usr/bin/python3', ['-c', hog, log], { detached: true, stdio: 'ignore' });
  try {
    await waitForLine(log, (l) => l.includes('ready'), 120_000);
    const store = await CheckpointStore.open({ root: join(tmp, 'store') });
    const ingest = await store.beginIngest();
    const r = spawnSync(defaultCriuPath(), ['dump', '-t', String(child.pid), '-D', ingest.dir, '--shell-job', '-o', 'criu-dump.log', '-v4']);
    if (r.status !== 0) throw new Error(`criu dump failed: ${r.stderr}`);
    const t0 = Date.now();
    const info = await store.commit(ingest, { job: 'bench-1g', command: ['python3', '-c', '<1 GiB hog>'] });
    return { store, info, commitMs: Date.now() - t0 };
  } finally {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone (dumped)
    }
  }
}

/** Runs a command; returns wall ms and, when wrapped in /usr/bin/time -v, the peak RSS in KiB. */
function timed(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.split("\tCommand being timed")[0].slice(-3000)}`));
      resolve({ ms, rssKiB: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1] ?? NaN) });
    });
  });
}

const sh = (script) => timed('/bin/bash', ['-o', 'pipefail', '-c', script]);

/** Replaces the text between <!-- key:start --> and <!-- key:end --> in BENCHMARKS.md (or appends). */
export function writeSection(key, body) {
  const file = join(repo, 'BENCHMARKS.md');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmarks\n\nEach section says what it measures, its results on one machine, and the command to reproduce it.\n';
  }
  const start = `<!-- ${key}:start -->`;
  const end = `<!-- ${key}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

/** One line about the machine, for the record. */
export function machine() {
  const criu = spawnSync('/opt/cryo/bin/criu', ['--version'], { encoding: 'utf8' }).stdout.match(/Version: (\S+)/)?.[1];
  return `${cpus()[0]?.model ?? '?'} (${cpus().length} cores), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, CRIU ${criu}, zstd ${spawnSync('zstd', ['-V'], { encoding: 'utf8' }).stdout.match(/v([\d.]+)/)?.[1]}, ${new Date().toISOString().slice(0, 10)}`;
}

async function main() {
  const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-bench-export-'));
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
  try {
    console.error('making a 1 GiB checkpoint...');
    const { store, info, commitMs } = await makeCheckpoint1G(tmp);
    const bytes = info.bytes;
    const files = readdirSync(info.dir).filter((n) => n !== 'manifest.json');
    const res = { libExport: [], libImport: [], cryoExport: [], cryoExportVerify: [], rawExport: [], rawExportSync: [], cryoImport: [], rawImport: [], rawImportSync: [], exportRss: [], importRss: [] };
    const archive = join(tmp, 'cp.tar.zst');
    const rawArchive = join(tmp, 'raw.tar.zst');
    for (let r = 0; r <= rounds; r++) {
      // Alternate which goes first; round 0 is a warm-up and not counted.
      const order = r % 2 === 0 ? ['cryo', 'raw'] : ['raw', 'cryo'];
      for (const who of order) {
        rmSync(who === 'cryo' ? archive : rawArchive, { force: true });
        const e = who === 'cryo'
          ? await timed('/usr/bin/time', ['-v', process.execPath, cryo, 'export', info.dir, '-o', archive, '--compress', 'zstd', '--level', '3'])
          : await sh(`tar -c -C '${info.dir}' ${files.map((f) => `'${f}'`).join(' ')} manifest.json | zstd -q -T0 -3 -c > '${rawArchive}'`);
        if (who === 'cryo') {
          // The store library alone in a fresh Node process (no CLI start-up: main.ts loads every command).
          const lib = join(repo, 'dist/store/index.js');
          const archive3 = join(tmp, 'cp-lib.tar.zst');
          const le = await timed(process.execPath, ['--input-type=module', '-e', `const s = await import(${JSON.stringify(lib)}); await s.exportCheckpoint(${JSON.stringify(info.dir)}, ${JSON.stringify(archive3)});`]);
          const libTarget = join(tmp, `lib-${r}`);
          const li = await timed(process.execPath, ['--input-type=module', '-e', `const s = await import(${JSON.stringify(lib)}); await s.importCheckpoint(${JSON.stringify(archive3)}, await s.CheckpointStore.open({ root: ${JSON.stringify(libTarget)} }));`]);
          rmSync(archive3, { force: true });
          rmSync(libTarget, { recursive: true, force: true });
          if (r > 0) {
            res.libExport.push(le.ms);
            res.libImport.push(li.ms);
          }
          const archive2 = join(tmp, 'cp-nv.tar.zst');
          const nv = await timed(process.execPath, [cryo, 'export', info.dir, '-o', archive2, '--verify']);
          rmSync(archive2, { force: true });
          if (r > 0) res.cryoExportVerify.push(nv.ms);
        } else {
          const s = await sh(`sync -f '${rawArchive}'`);
          if (r > 0) res.rawExportSync.push(e.ms + s.ms);
        }
        const target = join(tmp, `in-${who}-${r}`);
        let i;
        if (who === 'cryo') {
          i = await timed('/usr/bin/time', ['-v', process.execPath, cryo, 'import', archive, '--store', target]);
        } else {
          spawnSync('mkdir', ['-p', target]);
          i = await sh(`zstd -q -d -c '${rawArchive}' | tar -x -C '${target}'`);
          const s = await sh(`sync -f '${target}'`);
          if (r > 0) res.rawImportSync.push(i.ms + s.ms);
        }
        rmSync(target, { recursive: true, force: true });
        if (r === 0) continue;
        res[`${who}Export`].push(e.ms);
        res[`${who}Import`].push(i.ms);
        if (who === 'cryo') {
          res.exportRss.push(e.rssKiB);
          res.importRss.push(i.rssKiB);
        }
      }
    }
    const cliStart = median(await Promise.all([0, 1, 2].map(() => timed(process.execPath, [cryo, '--help']).then((x) => x.ms))));
    const mibs = (ms) => (bytes / 2 ** 20 / (ms / 1000)).toFixed(0);
    const m = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, median(v)]));
    const ratioE = m.rawExport / m.cryoExport;
    const ratioI = m.rawImport / m.cryoImport;
    const maxRss = Math.max(...res.exportRss, ...res.importRss) / 1024;
    const verdict = (ok) => (ok ? 'meets the target' : 'MISSES the target');
    const body = `
## Checkpoint export / import (archives) vs tar + zstd

What it measures: \`cryo export CHECKPOINT -o FILE\` (tar-stream + \`zstd -T0 -3\`, sizes checked
against the manifest; with \`--verify\` every file is also hashed) against \`tar -c DIR | zstd -T0 -3 -c > FILE\`, and
\`cryo import FILE\` (decompress, refuse unsafe entries, hash and fsync every file, commit into the
store) against \`zstd -d -c FILE | tar -x\`. The checkpoint is a real CRIU dump of a python process
holding 1 GiB of memory (each page half random, half zero): ${(bytes / 2 ** 20).toFixed(0)} MiB in ${files.length + 1} files, archive ${(statSync(archive).size / 2 ** 20).toFixed(0)} MiB.
Whole commands timed (cryo's includes Node start-up), page cache warm, median of ${rounds} rounds
after a warm-up, alternating which goes first. Throughput is checkpoint bytes per second.
Targets: throughput >= 80% of the raw pipeline, cryo's peak RSS < 200 MiB.

| operation | cryo (ms) | raw (ms) | cryo MiB/s | raw MiB/s | cryo / raw throughput |
| --- | ---: | ---: | ---: | ---: | ---: |
| export | ${m.cryoExport.toFixed(0)} | ${m.rawExport.toFixed(0)} | ${mibs(m.cryoExport)} | ${mibs(m.rawExport)} | ${(ratioE * 100).toFixed(0)}% |
| export, store library in a fresh \`node\` (no CLI start-up) | ${m.libExport.toFixed(0)} | ${m.rawExport.toFixed(0)} | ${mibs(m.libExport)} | ${mibs(m.rawExport)} | ${((m.rawExport / m.libExport) * 100).toFixed(0)}% |
| export, raw followed by \`sync\` (cryo fsyncs the archive) | ${m.cryoExport.toFixed(0)} | ${m.rawExportSync.toFixed(0)} | ${mibs(m.cryoExport)} | ${mibs(m.rawExportSync)} | ${((m.rawExportSync / m.cryoExport) * 100).toFixed(0)}% |
| export \`--verify\` (also hashes every file against the manifest) | ${m.cryoExportVerify.toFixed(0)} | ${m.rawExport.toFixed(0)} | ${mibs(m.cryoExportVerify)} | ${mibs(m.rawExport)} | ${((m.rawExport / m.cryoExportVerify) * 100).toFixed(0)}% |
| import | ${m.cryoImport.toFixed(0)} | ${m.rawImport.toFixed(0)} | ${mibs(m.cryoImport)} | ${mibs(m.rawImport)} | ${(ratioI * 100).toFixed(0)}% |
| import, store library in a fresh \`node\` (no CLI start-up) | ${m.libImport.toFixed(0)} | ${m.rawImport.toFixed(0)} | ${mibs(m.libImport)} | ${mibs(m.rawImport)} | ${((m.rawImport / m.libImport) * 100).toFixed(0)}% |
| import, raw followed by \`sync\` | ${m.cryoImport.toFixed(0)} | ${m.rawImportSync.toFixed(0)} | ${mibs(m.cryoImport)} | ${mibs(m.rawImportSync)} | ${((m.rawImportSync / m.cryoImport) * 100).toFixed(0)}% |

- export: ${verdict(ratioE >= 0.8)} (${(ratioE * 100).toFixed(0)}% of raw; cryo checks sizes against the manifest and fsyncs the archive, raw does neither)
- import: ${verdict(ratioI >= 0.8)} (${(ratioI * 100).toFixed(0)}% of raw; cryo fsyncs, raw does not)
- library alone: export ${((m.rawExport / m.libExport) * 100).toFixed(0)}%, import ${((m.rawImport / m.libImport) * 100).toFixed(0)}% of raw. The gap between the CLI and the library is the \`cryo\` start-up (${cliStart.toFixed(0)} ms for \`cryo --help\` in this run: src/cli/main.ts imports every command module eagerly), a fixed cost per command, not a throughput cost
- peak RSS of the cryo process (VmHWM): export ${(Math.max(...res.exportRss) / 1024).toFixed(0)} MiB, import ${(Math.max(...res.importRss) / 1024).toFixed(0)} MiB: ${verdict(maxRss < 200)} (zstd runs as its own process)
- committing the dump into the store (hash + fsync of every file, cpuinfo, manifest, rename): ${commitMs} ms

Machine: ${machine()}; load average ${loadBefore} before, ${loadavg().map((x) => x.toFixed(2)).join(' ')} after (other work on the machine makes single runs noisy).

Reproduce (as root, after \`./scripts/setup.sh\` and \`npx tsc -p .\`): \`npm run bench:export\` (or \`node bench/export.mjs --rounds 3\`).
`;
    writeSection('store-export', body);
    process.stdout.write(body);
    void store;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
