// `cryo inspect DIR`: what a checkpoint holds, read from CRIU's images without CRIU: the process
// tree with commands and memory, open files, sockets and ports, and dump statistics.

import type { Command } from 'commander';
import type { CheckpointModel, ProcessInfo } from '../../images/index.js';
import { printJson, printTable } from '../output.js';

// The image decoder (and its protobuf schemas) loads only when inspect runs, so other commands
// do not pay for it at startup.
type ImagesLib = typeof import('../../images/index.js');
let lib: ImagesLib;

/** Which sections to print; none chosen means the overview (all but the mapping detail). */
interface InspectOptions {
  tree?: boolean;
  files?: boolean;
  sockets?: boolean;
  memory?: boolean;
  stats?: boolean;
  json?: boolean;
}

const out = (s = ''): boolean => process.stdout.write(s + '\n');

/** Human-readable byte counts (binary units), e.g. `57.0 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

function printHeader(m: CheckpointModel): void {
  const n = m.processes.length;
  out(`Checkpoint ${m.dir}`);
  out(`  CRIU image version ${m.criu.imageVersion}, ${n} process${n === 1 ? '' : 'es'}, ` +
    `${formatBytes(lib.totalResidentBytes(m))} of memory, ${formatBytes(m.disk.totalBytes)} on disk ` +
    `(${formatBytes(m.disk.pagesBytes)} pages)`);
  if (m.namespaces.captured.length) out(`  namespaces captured: ${m.namespaces.captured.join(', ')}`);
  for (const u of m.unknownImages) out(`  unknown image: ${u.detail}`);
}

function printTree(m: CheckpointModel): void {
  out('\nProcesses');
  const children = new Map<number, ProcessInfo[]>();
  const pids = new Set(m.processes.map((p) => p.pid));
  for (const p of m.processes) {
    const parent = pids.has(p.ppid) ? p.ppid : 0;
    children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const rows: (string | number)[][] = [];
  const walk = (p: ProcessInfo, prefix: string, last: boolean, depth: number): void => {
    const branch = depth === 0 ? '' : `${prefix}${last ? '└─ ' : '├─ '}`;
    rows.push([
      `${branch}${p.pid}`, p.ppid, p.pgid, p.sid, p.state, p.threads.length,
      p.memory ? formatBytes(p.memory.residentBytes) : '-', p.command,
    ]);
    const kids = children.get(p.pid) ?? [];
    kids.forEach((k, i) => walk(k, depth === 0 ? '' : prefix + (last ? '   ' : '│  '), i === kids.length - 1, depth + 1));
  };
  const roots = children.get(0) ?? [];
  roots.forEach((r, i) => walk(r, '', i === roots.length - 1, 0));
  printTable(['PID', 'PPID', 'PGID', 'SID', 'STATE', 'THREADS', 'RESIDENT', 'COMMAND'], rows);
}

function printFiles(m: CheckpointModel): void {
  out('\nOpen files');
  const rows: (string | number)[][] = [];
  for (const p of m.processes) {
    for (const fd of p.fds) rows.push([p.pid, fd.fd, fd.type, fd.description]);
    if (p.cwd !== undefined) rows.push([p.pid, 'cwd', 'dir', p.cwd]);
    if (p.root !== undefined) rows.push([p.pid, 'root', 'dir', p.root]);
  }
  if (rows.length === 0) out('  none');
  else printTable(['PID', 'FD', 'TYPE', 'WHAT'], rows);
  const needed = lib.regularFiles(m).filter((f) => !f.deleted && f.size !== undefined);
  out(`\n${needed.length} regular files must be unchanged (same size and mode) for a restore.`);
}

function printSockets(m: CheckpointModel): void {
  out('\nSockets');
  const all = lib.sockets(m);
  if (all.length === 0) out('  none');
  else printTable(['PIDS', 'SOCKET'], all.map((s) => [s.pids.join(','), s.description]));
  const ports = lib.listeningPorts(m);
  out('\nPorts to bind on restore');
  if (ports.length === 0) out('  none');
  for (const p of ports) {
    const addr = p.address.includes(':') ? `[${p.address}]` : p.address;
    out(`  ${p.protocol} ${addr}:${p.port}  (pid ${p.pids.join(', ')})`);
  }
}

function printMemory(m: CheckpointModel): void {
  for (const p of m.processes) {
    if (!p.memory) continue;
    out(`\nMemory of ${p.pid} (${p.command}): ${formatBytes(p.memory.residentBytes)} resident, ` +
      `${p.memory.pagesInImage} pages in ${p.memory.pagesImage ?? '-'}`);
    if (p.memory.exe !== undefined) out(`  exe ${p.memory.exe}`);
    printTable(['START', 'END', 'PERMS', 'KIND', 'RESIDENT', 'FILE'], p.memory.mappings.map((v) => [
      v.start, v.end, v.perms, v.kind, formatBytes(v.residentPages * 4096),
      v.file === undefined ? '' : `${v.file}${v.offset ? ` +0x${v.offset.toString(16)}` : ''}`,
    ]));
  }
}

function printStats(m: CheckpointModel): void {
  out('\nStatistics');
  const d = m.stats.dump;
  if (d) {
    const ms = (us: number): string => `${(us / 1000).toFixed(1)} ms`;
    out(`  dump: frozen ${ms(d.frozenTimeUs)} (freezing ${ms(d.freezingTimeUs)}, memory dump ${ms(d.memdumpTimeUs)}, ` +
      `memory write ${ms(d.memwriteTimeUs)})`);
    out(`        pages scanned ${d.pagesScanned}, written ${d.pagesWritten}, from parent ${d.pagesSkippedParent}, ` +
      `lazy ${d.pagesLazy}`);
  }
  const r = m.stats.restore;
  if (r) out(`  restore: forking ${r.forkingTimeUs} µs, restore ${r.restoreTimeUs} µs, pages restored ${r.pagesRestored ?? 0}`);
  if (!d && !r) out('  none recorded');
  out(`  on disk: ${formatBytes(m.disk.totalBytes)} total, ${formatBytes(m.disk.pagesBytes)} pages, ` +
    `${formatBytes(m.disk.imageBytes)} other images, ${formatBytes(m.disk.otherBytes)} other files`);
}

/** Registers `cryo inspect`. */
export function register(program: Command): void {
  program
    .command('inspect')
    .description('show what a checkpoint holds (reads CRIU image files; never page contents)')
    .argument('<checkpoint-dir>', 'a CRIU images directory')
    .option('--tree', 'the process tree')
    .option('--files', 'open files per process')
    .option('--sockets', 'sockets and the ports a restore will bind')
    .option('--memory', 'memory mappings per process')
    .option('--stats', 'dump statistics and sizes on disk')
    .option('--json', 'the whole checkpoint model as JSON')
    .action(async (dir: string, opts: InspectOptions) => {
      // `cryo inspect DIR | head` closes stdout early: stop quietly instead of crashing.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') process.exit(0);
        throw err;
      });
      lib = await import('../../images/index.js');
      const model = lib.buildCheckpointModel(dir);
      if (opts.json) {
        printJson({
          ...model,
          summary: {
            pids: model.processes.map((p) => p.pid),
            residentBytes: lib.totalResidentBytes(model),
            listeningPorts: lib.listeningPorts(model),
            regularFiles: lib.regularFiles(model),
          },
        });
        return;
      }
      const chosen = opts.tree || opts.files || opts.sockets || opts.memory || opts.stats;
      printHeader(model);
      if (!chosen || opts.tree) printTree(model);
      if (!chosen || opts.files) printFiles(model);
      if (!chosen || opts.sockets) printSockets(model);
      if (opts.memory) printMemory(model);
      if (!chosen || opts.stats) printStats(model);
    });
}
