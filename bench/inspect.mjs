#!/usr/bin/env node
// Benchmark: `cryo inspect --json DIR` against `crit x DIR ps`, `crit x DIR fds` and `crit x DIR mems`
// on one checkpoint of a process holding 1 GiB of touched memory. Measures wall time of the whole
// commands (process start included) and of the decoding itself in a warm process, and the bytes each
// reads (rchar of /proc/self/io at exit), to show cryo never reads page data.
//
// Run as root after `npx tsc -p .`:  node bench/inspect.mjs [--runs N]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanup, criuDump, pycriuPath, startReady } from '../dist/images/_image-workloads.js';
import { buildCheckpointModel, ImagesDir } from '../dist/images/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const GiB = 1 << 30;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Runs a command, returns wall ms and the rchar the process reported on fd 2 as "RCHAR n".
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
      resolve({ ms, rchar: Number(/RCHAR (\d+)/.exec(err)?.[1] ?? NaN) });
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

  // rchar reporters: a Node preload and a python wrapper around crit's own main().
  const preload = join(tmp, 'rchar.mjs');
  writeFileSync(preload, "import { readFileSync } from 'node:fs';\nprocess.on('exit', () => process.stderr.write(`RCHAR ${/rchar: (\\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]}\\n`));\n");
  const critPy = 'import atexit, re, sys\natexit.register(lambda: sys.stderr.write("RCHAR %s\\n" % re.search(r"rchar: (\\d+)", open("/proc/self/io").read()).group(1)))\nfrom crit.__main__ import main\nsys.argv[0] = "crit"\nsys.exit(main())';
  const pyEnv = { PYTHONPATH: pycriuPath };

  // The same model from a minimal Node entry point: the cost of the decoder without the CLI's startup.
  const libEntry = join(tmp, 'lib-entry.mjs');
  writeFileSync(libEntry, `import { buildCheckpointModel } from ${JSON.stringify(join(repo, 'dist/images/index.js'))};\n` +
    'process.stdout.write(JSON.stringify(buildCheckpointModel(process.argv[2])));\n');
  const cryo = [];
  const cliStart = [];
  const libProc = [];
  const nodeOnly = [];
  const crit = { ps: [], fds: [], mems: [] };
  for (let i = 0; i < runs; i++) {
    cryo.push(await timed(process.execPath, ['--import', preload, join(repo, 'bin/cryo'), 'inspect', '--json', dir]));
    cliStart.push(await timed(process.execPath, ['--import', preload, join(repo, 'bin/cryo'), '--version']));
    libProc.push(await timed(process.execPath, ['--import', preload, libEntry, dir]));
    nodeOnly.push(await timed(process.execPath, ['--import', preload, '-e', '0']));
    for (const what of Object.keys(crit)) crit[what].push(await timed('/usr/bin/python3', ['-c', critPy, 'x', dir, what], pyEnv));
  }

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

  const cryoMs = median(cryo.map((r) => r.ms));
  const critMs = Object.values(crit).reduce((a, rs) => a + median(rs.map((r) => r.ms)), 0);
  const critRchar = Object.values(crit).reduce((a, rs) => a + median(rs.map((r) => r.rchar)), 0);
  const result = {
    checkpoint: { pagesBytes, totalBytes: [...images.files.values()].reduce((a, f) => a + f.size, 0), dumpMs },
    runs,
    endToEnd: {
      cryoInspectJsonMs: cryoMs,
      cryoCliStartupMs: median(cliStart.map((r) => r.ms)),
      cryoLibraryFreshProcessMs: median(libProc.map((r) => r.ms)),
      nodeStartupMs: median(nodeOnly.map((r) => r.ms)),
      critXPsFdsMemsMs: critMs,
      perCritCommandMs: Object.fromEntries(Object.entries(crit).map(([k, rs]) => [k, median(rs.map((r) => r.ms))])),
      speedup: critMs / cryoMs,
    },
    warmInProcess: { cryoModelMs: median(lib), critExploreMs: Number(pyWarm), speedup: Number(pyWarm) / median(lib) },
    bytesRead: {
      cryoImageBytesRead: bytesRead,
      cryoProcessRchar: median(cryo.map((r) => r.rchar)),
      critProcessesRchar: critRchar,
      pagesBytes,
    },
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
