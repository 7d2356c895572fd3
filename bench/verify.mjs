#!/usr/bin/env node
// Benchmark: `cryo verify` (SHA-256 of every file against the manifest) on a checkpoint of a
// process holding 1 GiB of memory, against `sha256sum` over the same files. Target: within 1.5x.
//
// Run as root after `npx tsc -p .`:  node bench/verify.mjs [--rounds N]   (npm run bench:verify)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, makeCheckpoint1G, writeSection } from './export.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${err}`));
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
}

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;
const tmp = mkdtempSync(join(tmpdir(), 'cryo-bench-verify-'));
const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
try {
  console.error('making a 1 GiB checkpoint...');
  const { info } = await makeCheckpoint1G(tmp);
  const { verifyCheckpoint } = await import(join(repo, 'dist/store/index.js'));
  const files = readdirSync(info.dir).filter((n) => n !== 'manifest.json');
  const cli = [];
  const lib = [];
  const sum = [];
  for (let r = 0; r <= rounds; r++) {
    const order = r % 2 === 0 ? ['cryo', 'sha256sum'] : ['sha256sum', 'cryo'];
    for (const who of order) {
      if (who === 'sha256sum') {
        const ms = await timed('sha256sum', files, info.dir);
        if (r > 0) sum.push(ms);
      } else {
        const ms = await timed(process.execPath, [join(repo, 'bin/cryo'), 'verify', info.dir]);
        const t0 = performance.now();
        const rep = await verifyCheckpoint(info.dir);
        if (!rep.ok) throw new Error('verify failed on a fresh checkpoint');
        if (r > 0) {
          cli.push(ms);
          lib.push(performance.now() - t0);
        }
      }
    }
  }
  const m = { cli: median(cli), lib: median(lib), sum: median(sum) };
  const ratio = m.cli / m.sum;
  const body = `
## Checkpoint verify vs sha256sum

What it measures: \`cryo verify DIR\` (reads and SHA-256-hashes every file of the checkpoint,
compares sizes and digests with manifest.json, looks for missing and unexpected files) against
\`sha256sum\` over the same files, on a real CRIU dump of a python process holding 1 GiB of memory
(${(info.bytes / 2 ** 20).toFixed(0)} MiB in ${files.length} files). Page cache warm; median of ${rounds} rounds after a warm-up,
alternating which goes first. Target: cryo within 1.5x of sha256sum.

| command | ms (median) | MiB/s |
| --- | ---: | ---: |
| \`cryo verify DIR\` (whole CLI, Node start-up included) | ${m.cli.toFixed(0)} | ${(info.bytes / 2 ** 20 / (m.cli / 1000)).toFixed(0)} |
| \`verifyCheckpoint(dir)\` (library, in a warm process) | ${m.lib.toFixed(0)} | ${(info.bytes / 2 ** 20 / (m.lib / 1000)).toFixed(0)} |
| \`sha256sum FILES\` | ${m.sum.toFixed(0)} | ${(info.bytes / 2 ** 20 / (m.sum / 1000)).toFixed(0)} |

- cryo verify / sha256sum: ${ratio.toFixed(2)}x: ${ratio <= 1.5 ? 'meets the target' : 'MISSES the target'}
  (Node's SHA-256 is OpenSSL's, which uses the CPU's SHA extensions; Debian 12's coreutils sha256sum does not)

Machine: ${machine()}; load average ${loadBefore} before, ${loadavg().map((x) => x.toFixed(2)).join(' ')} after.

Reproduce (as root, after \`./scripts/setup.sh\` and \`npx tsc -p .\`): \`npm run bench:verify\` (or \`node bench/verify.mjs --rounds 5\`).
`;
  writeSection('store-verify', body);
  process.stdout.write(body);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
