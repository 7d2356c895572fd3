#!/usr/bin/env node
// Benchmark: `cryo inspect --json DIR` against `crit x DIR ps`, `crit x DIR fds` and `crit x DIR mems`
// on one checkpoint of a process holding 1 GiB of touched memory. Measures wall time of the whole
// commands (process start included), Node's own floor (`node -e 0`), where cryo's time goes (a
// bundled entry point timing each phase from inside), the decoding itself in a warm process, and
// the bytes each reads (rchar of /proc/self/io at exit), to show cryo never reads page data.
//
// Run as root after `npm run build` (tsc + the CLI bundle; a stale bundle is rebuilt here):
//   node bench/inspect.mjs [--runs N]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cleanup, criuDump, pycriuPath, startReady } from '../dist/images/_image-workloads.js';
import { buildCheckpointModel, ImagesDir } from '../dist/images/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15;
const GiB = 1 << 30;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x) => Math.round(x * 10) / 10;

// bin/cryo runs dist/bundle (scripts/bundle-cli.mjs) only when it is newer than tsc's output.
const mtime = (rel) => statSync(join(repo, rel), { throwIfNoEntry: false })?.mtimeMs ?? -1;
if (mtime('dist/bundle/main.js') < mtime('dist/cli/main.js')) {
  console.error('dist/bundle is missing or older than dist/cli (tsc ran after npm run build): rebuilding it');
  execFileSync(process.execPath, [join(repo, 'scripts/bundle-cli.mjs')], { stdio: 'inherit' });
}

// Runs a command; returns wall ms, the "RCHAR n" and "PHASES {...}" lines the process wrote on fd 2.
function timed(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
      const phases = /PHASES (\{.*\})/.exec(err)?.[1];
      resolve({ ms, rchar: Number(/RCHAR (\d+)/.exec(err)?.[1] ?? NaN), ...(phases ? { phases: JSON.parse(phases) } : {}) });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'cryo-bench-inspect-'));
let started;
try {
  // A process with 1 GiB of touched anonymous memory, in its own session.
  const hog = 'import time\nx = bytearray(1 << 30)\nx[::4096] = b"\\x01" * (1 << 18)\nprint("ready 0", flush=True)\ntime.sleep(3600)';
  const { child } = await startReady(['/usr/bin/python3', '-c', hog], tmp, 60_000);
  started = { child, pid: child.pid, port: 0 };
  const dir = join(tmp, 'ckpt');
  const t0 = Date.now();
  await criuDump(child.pid, dir);
  const dumpMs = Date.now() - t0;
  const images = ImagesDir.open(dir);
  const pagesBytes = [...images.files.values()].filter((f) => f.kind === 'pages').reduce((a, f) => a + f.size, 0);
  if (pagesBytes < GiB) throw new Error(`checkpoint holds only ${pagesBytes} bytes of pages`);

  // rchar reporters (separate runs: a preload slows Node's start-up, so timed runs go without it).
  const preload = join(tmp, 'rchar.mjs');
  writeFileSync(preload, "import { readFileSync } from 'node:fs';\nprocess.on('exit', () => process.stderr.write(`RCHAR ${/rchar: (\\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]}\\n`));\n");
  const critMain = 'import sys\nfrom crit.__main__ import main\nsys.argv[0] = "crit"\n';
  const critPy = `${critMain}sys.exit(main())`; // what /opt/cryo/bin/crit runs, without its sh wrapper
  const critRcharPy = 'import atexit, re\natexit.register(lambda: sys.stderr.write("RCHAR %s\\n" % re.search(r"rchar: (\\d+)", open("/proc/self/io").read()).group(1)))\n';
  const pyEnv = { PYTHONPATH: pycriuPath };

  // Where the time goes: the same model as `inspect --json` from a minimal entry point, bundled
  // like the CLI, timing each phase from inside (performance.now() counts from process start).
  const phaseEntry = join(tmp, 'phases.mjs');
  writeFileSync(phaseEntry, `const t0 = performance.now();
await import('@bufbuild/protobuf/codegenv2');
const t1 = performance.now();
await import(${JSON.stringify(join(repo, 'dist/images/image-layouts.js'))});
const t2 = performance.now();
const lib = await import(${JSON.stringify(join(repo, 'dist/images/index.js'))});
const t3 = performance.now();
const model = lib.buildCheckpointModel(process.argv[2]);
const t4 = performance.now();
process.stdout.write(JSON.stringify({ ...model, summary: { pids: model.processes.map((p) => p.pid),
  residentBytes: lib.totalResidentBytes(model), listeningPorts: lib.listeningPorts(model), regularFiles: lib.regularFiles(model) } }, null, 2) + '\\n');
const t5 = performance.now();
process.stderr.write('PHASES ' + JSON.stringify({ nodeBoot: t0, protobufRuntime: t1 - t0, schemas: t2 - t1, decoderCode: t3 - t2,
  buildModel: t4 - t3, jsonOut: t5 - t4, total: t5 }) + '\\n');
`);
  await build({
    entryPoints: [phaseEntry], outdir: join(tmp, 'phases'), bundle: true, splitting: true, format: 'esm',
    platform: 'node', target: 'node20', nodePaths: [join(repo, 'node_modules')], logLevel: 'warning',
  });
  const phaseBundle = join(tmp, 'phases/phases.js');

  const cryoBin = join(repo, 'bin/cryo');
  const m = { cryo: [], cryoUnbundled: [], cliStart: [], phases: [], nodeOnly: [] };
  const crit = { ps: [], fds: [], mems: [] };
  for (let i = 0; i < runs; i++) {
    m.cryo.push(await timed(process.execPath, [cryoBin, 'inspect', '--json', dir]));
    m.nodeOnly.push(await timed(process.execPath, ['-e', '0']));
    m.cryoUnbundled.push(await timed(process.execPath, [cryoBin, 'inspect', '--json', dir], { CRYO_NO_BUNDLE: '1' }));
    m.cliStart.push(await timed(process.execPath, [cryoBin, '--version']));
    m.phases.push(await timed(process.execPath, [phaseBundle, dir]));
    for (const what of Object.keys(crit)) crit[what].push(await timed('/usr/bin/python3', ['-c', critPy, 'x', dir, what], pyEnv));
  }
  if (mtime('dist/bundle/main.js') < mtime('dist/cli/main.js')) throw new Error('tsc ran during the benchmark (dist/bundle went stale): run it again');
  const cryoRchar = (await timed(process.execPath, ['--import', preload, cryoBin, 'inspect', '--json', dir])).rchar;
  let critRchar = 0;
  for (const what of Object.keys(crit)) critRchar += (await timed('/usr/bin/python3', ['-c', critMain + critRcharPy + 'sys.exit(main())', 'x', dir, what], pyEnv)).rchar;

  // Warm, in-process decoding: cryo's library vs crit's explore functions (output to /dev/null).
  for (let i = 0; i < 30; i++) buildCheckpointModel(dir); // let V8 optimise, as a long-lived daemon would
  const lib = [];
  let bytesRead = 0;
  for (let i = 0; i < 20; i++) {
    const imgs = ImagesDir.open(dir);
    const s = process.hrtime.bigint();
    buildCheckpointModel(imgs);
    lib.push(Number(process.hrtime.bigint() - s) / 1e6);
    bytesRead = imgs.bytesRead;
  }
  const pyWarm = execFileSync('/usr/bin/python3', ['-c', `
import io, os, sys, time, contextlib
from crit import __main__ as c
opts = {'dir': sys.argv[1]}
for _ in range(5):
    for f in (c.explore_ps, c.explore_fds, c.explore_mems):
        with contextlib.redirect_stdout(io.StringIO()): f(dict(opts))
ts = []
for _ in range(20):
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        c.explore_ps(dict(opts)); c.explore_fds(dict(opts)); c.explore_mems(dict(opts))
    ts.append((time.perf_counter() - t) * 1000)
ts.sort(); print(ts[len(ts)//2])
`, dir], { env: { ...process.env, ...pyEnv }, encoding: 'utf8' });

  const med = (rs) => round1(median(rs.map((r) => r.ms)));
  const cryoMs = med(m.cryo);
  const critMs = round1(Object.values(crit).reduce((a, rs) => a + median(rs.map((r) => r.ms)), 0));
  const nodeMs = med(m.nodeOnly);
  const phaseKeys = Object.keys(m.phases[0].phases);
  const result = {
    checkpoint: { pagesBytes, totalBytes: [...images.files.values()].reduce((a, f) => a + f.size, 0), dumpMs },
    runs,
    endToEnd: {
      cryoInspectJsonMs: cryoMs,
      cryoInspectJsonUnbundledMs: med(m.cryoUnbundled),
      cryoCliStartupMs: med(m.cliStart),
      nodeStartupMs: nodeMs,
      critXPsFdsMemsMs: critMs,
      perCritCommandMs: Object.fromEntries(Object.entries(crit).map(([k, rs]) => [k, med(rs)])),
      speedup: Math.round((critMs / cryoMs) * 100) / 100,
      // The best any Node program could do: crit's time over `node -e 0`.
      speedupCeilingForNode: Math.round((critMs / nodeMs) * 100) / 100,
      cryoAboveNodeFloorMs: round1(cryoMs - nodeMs),
    },
    // Fastest run of each (less sensitive to other load on the machine than the medians above).
    bestMs: {
      cryoInspectJson: round1(Math.min(...m.cryo.map((r) => r.ms))),
      cryoInspectJsonUnbundled: round1(Math.min(...m.cryoUnbundled.map((r) => r.ms))),
      cryoCliStartup: round1(Math.min(...m.cliStart.map((r) => r.ms))),
      nodeStartup: round1(Math.min(...m.nodeOnly.map((r) => r.ms))),
      critXPsFdsMems: round1(Object.values(crit).reduce((a, rs) => a + Math.min(...rs.map((r) => r.ms)), 0)),
    },
    // Medians of each phase of the bundled minimal entry point (ms since process start for nodeBoot).
    phasesMs: { wallMs: med(m.phases), ...Object.fromEntries(phaseKeys.map((k) => [k, round1(median(m.phases.map((r) => r.phases[k])))])) },
    warmInProcess: { cryoModelMs: round1(median(lib)), critExploreMs: round1(Number(pyWarm)), speedup: round1(Number(pyWarm) / median(lib)) },
    bytesRead: { cryoImageBytesRead: bytesRead, cryoProcessRchar: cryoRchar, critProcessesRchar: critRchar, pagesBytes },
    load: execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim(),
  };
  console.log(JSON.stringify(result, null, 2));
  // cryo must never read page data: everything it reads is far below the size of the pages.
  if (result.bytesRead.cryoImageBytesRead > 4 << 20) throw new Error('cryo read more than 4 MiB of images');
  if (result.bytesRead.cryoProcessRchar > pagesBytes / 16) throw new Error('cryo inspect read a large share of the pages');
} finally {
  cleanup(started);
  rmSync(tmp, { recursive: true, force: true });
}
