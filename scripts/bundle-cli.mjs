#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/bundle/ with esbuild, for start-up
// time: Node 20 resolves, reads and compiles each ES module separately, and `cryo inspect` loaded
// ~200 of them (the CLI, the decoder, @bufbuild/protobuf and 74 generated schema files), which
// cost ~100 ms of its ~270 ms (bench/inspect.mjs). Splitting keeps each command in its own chunk,
// so a command still loads only what it uses. bin/cryo runs the bundle when it is newer than
// dist/cli/main.js (a later `tsc` makes it stale; bin/cryo then runs dist/cli/main.js).
//
// Run by `npm run build` after tsc; by hand: node scripts/bundle-cli.mjs
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons and pino (which starts worker threads from its own files) stay in node_modules.
  external: ['better-sqlite3', 'koffi', 'pino'],
  // CommonJS dependencies (commander ...) call require(): give the ES module bundle one.
  banner: { js: "import { createRequire as __cryoRequire } from 'node:module'; const require = __cryoRequire(import.meta.url);" },
  // dist/bundle/*.js sits as deep as dist/<folder>/*.js, so `new URL('../../package.json', import.meta.url)` still works.
  logLevel: 'warning',
});
