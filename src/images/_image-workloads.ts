// Test helper: real checkpoints to decode. Builds testdata/rich-workload.c, starts it (directly, or
// as the child of tini in its own pid+ipc namespace), waits for its "ready" line, and dumps it with
// the raw CRIU CLI. Everything lives under a cryo- temp dir the caller removes.

import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, locateCriu } from '../config/index.js';
import { repoRoot } from '../testing/cli.js';

const run = promisify(execFile);
const prefix = process.env['CRYO_PREFIX'] ?? '/opt/cryo';

/** Source folder of the test programs and the crit oracle. */
export const testdata = join(repoRoot, 'src/images/testdata');
/** CRIU's python packages (pycriu), for the oracle. */
export const pycriuPath = join(prefix, 'criu-root/usr/lib/python3/dist-packages');
/** The CRIU binary cryo would use. */
export const criuPath = (): string => locateCriu(loadConfig().criu).path;

/** Compiles the rich workload into `tmp`. */
export async function buildRich(tmp: string): Promise<string> {
  const out = join(tmp, 'rich-workload');
  await run('gcc', ['-O1', '-pthread', '-o', out, join(testdata, 'rich-workload.c')]);
  return out;
}

/** A started workload: the spawned process and the pid to dump. */
export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
}

/** Children of `pid` (from /proc). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts `argv` in a new session and resolves once it prints "ready <port>". Its stdout is a FIFO,
 * not Node's usual pipe: Node's stdio pipes are unix sockets, which CRIU would call external.
 */
export function startReady(argv: string[], fifoDir: string, timeoutMs = 15_000, env?: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const fifo = join(fifoDir, `stdout-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  const writeEnd = openSync(fifo, 'r+'); // O_RDWR: does not wait for a reader
  const reader = createReadStream(fifo, { encoding: 'utf8' });
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', writeEnd, writeEnd], ...(env ? { env } : {}) });
    closeSync(writeEnd);
    let buf = '';
    const done = (err?: Error): void => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      reader.destroy();
      if (err) reject(err);
    };
    const timer = setTimeout(() => { child.kill('SIGKILL'); done(new Error(`${argv.join(' ')}: no ready line`)); }, timeoutMs);
    child.on('error', (e) => done(e));
    child.on('exit', (c) => done(new Error(`${argv.join(' ')} exited ${c} before ready`)));
    reader.on('data', (d) => {
      buf += String(d);
      const m = /ready (\d+)/.exec(buf);
      if (m) { done(); resolve({ child, port: Number(m[1]) }); }
    });
  });
}

/** Starts the rich workload in its own session; dump its pid. */
export async function startRich(bin: string, workDir: string): Promise<Started> {
  mkdirSync(workDir, { recursive: true });
  const { child, port } = await startReady([bin, workDir], workDir);
  return { child, pid: child.pid!, port };
}

/** Starts the rich workload under tini in new pid, ipc and uts namespaces; dump tini's host pid. */
export async function startRichInPidns(bin: string, workDir: string, extra: string[] = []): Promise<Started> {
  mkdirSync(workDir, { recursive: true });
  const argv = ['unshare', '--pid', '--ipc', '--uts', '--fork', 'setsid', 'tini', '-s', '--', bin, workDir, ...extra];
  const { child, port } = await startReady(argv, workDir);
  const tini = childrenOf(child.pid!)[0];
  if (tini === undefined) throw new Error('tini not found under unshare');
  return { child, pid: tini, port };
}

/**
 * Starts the rich workload under tini in new pid, ipc, uts, net and mount namespaces (and user and
 * cgroup namespaces, root mapped to root, when `userns`), set up by testdata/netns-setup.sh (devices,
 * addresses, routes, nftables, mounts) and placed in `cgroup` when given; dump tini's host pid.
 */
export async function startRichInNetns(bin: string, workDir: string, extra: string[], cgroup?: string, userns = false): Promise<Started> {
  mkdirSync(workDir, { recursive: true });
  const argv = ['unshare', ...(userns ? ['--user', '--map-root-user', '--cgroup'] : []), '--pid', '--ipc', '--uts', '--net', '--mount',
    '--mount-proc', '--fork', 'setsid', 'sh', join(testdata, 'netns-setup.sh'), bin, workDir, ...extra];
  const { child, port } = await startReady(argv, workDir, 15_000, { ...process.env, CRYO_CGROUP: cgroup ?? '' });
  const tini = childrenOf(child.pid!)[0];
  if (tini === undefined) throw new Error('tini not found under unshare');
  return { child, pid: tini, port };
}

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or .../unified on hybrid systems). */
export function cgroup2Root(): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [mount, fs] = line.split(' - ');
    if (fs?.startsWith('cgroup2 ')) return mount!.split(' ')[4];
  }
  return undefined;
}

/**
 * `--external mnt[...]` options for every tmpfs and devtmpfs mount this process sees. A mount
 * namespace made inside a user namespace inherits these mounts locked, so CRIU cannot unmount what
 * covers them to archive their contents ("Unable to umount child-overmount ./dev/shm"); as external
 * mounts CRIU records them without contents.
 */
export function externalTmpfsMounts(): string[] {
  const points = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [mount, fs] = line.split(' - ');
    if (fs?.startsWith('tmpfs ') || fs?.startsWith('devtmpfs ')) points.add(mount!.split(' ')[4]!);
  }
  return [...points].flatMap((p, i) => ['--external', `mnt[${p}]:cryo-tmpfs-${i}`]);
}

/** Removes a test cgroup once its tasks are gone (they leave it a moment after SIGKILL). */
export async function removeCgroup(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** `criu dump -t pid -D dir` with the given extra options; throws with the log tail on failure. */
export async function criuDump(pid: number, dir: string, extra: string[] = []): Promise<void> {
  mkdirSync(dir, { recursive: true });
  try {
    await run(criuPath(), ['dump', '-t', String(pid), '-D', dir, '-o', 'dump.log', ...extra]);
  } catch (err) {
    const log = readFileSync(join(dir, 'dump.log'), 'utf8').split('\n').slice(-15).join('\n');
    throw new Error(`criu dump of ${pid} failed: ${String(err)}\n${log}`);
  }
}

/** Kills what is left of a started workload (CRIU normally killed it at dump). */
export function cleanup(s: Started | undefined): void {
  if (!s) return;
  for (const pid of [s.pid, s.child.pid!]) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** Runs the crit oracle over `dir` (all files, or `files`). */
export async function critOracle(dir: string, files: string[] = []): Promise<string> {
  const { stdout } = await run('/usr/bin/python3', [join(testdata, 'crit-oracle.py'), dir, ...files], {
    env: { ...process.env, PYTHONPATH: pycriuPath }, maxBuffer: 256 << 20,
  });
  return stdout;
}

/** Drops the nftables table CRIU's network lock left for run `runId` (a dump with established TCP
 * connections stays locked until a restore succeeds). */
export function dropNetworkLock(runId: string | undefined): void {
  if (!runId) return;
  try {
    const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
    for (const m of tables.matchAll(/^table inet (CRIU-\S+)$/gm)) {
      if (`CRIU-${runId}`.startsWith(m[1]!)) execFileSync('nft', ['delete', 'table', 'inet', m[1]!]);
    }
  } catch {
    /* nft missing or table already gone */
  }
}
