// Starting a job's processes.
//
// Process layout (pidns mode, the default):
//   cryod
//    └─ sh "cryo-monitor"  (detached: own session; outside the job)
//        └─ unshare --pid --ipc --fork           (outside the job, no --kill-child: see CRIU-NOTES)
//            └─ tini -g -- CMD                   (the job's root: pid 1 of its namespace, own session)
//                └─ CMD ...
// host mode (--no-pidns): cryo-monitor └─ CMD (own session via setsid).
//
// The monitor is a tiny shell that waits for the job and writes its exit status to
// <jobDir>/exit before exiting. Why: jobs must survive a cryod restart, and a restarted cryod is
// not the parent of anything the old one started, so it could never learn their exit codes. The
// monitor records them for whichever cryod is running when the job ends.
// The job's stdio is opened by a small `sh -c 'exec ... <>FIFO'` stage INSIDE the job (after
// unshare), so no process outside the job holds the job's FIFOs or log file (a shared log file
// breaks restore: "bad size"); unshare and the monitor get /dev/null.

import { spawn, type ChildProcess } from 'node:child_process';
import { findExecutable, isExecutable } from '../util/find-executable.js';
import { statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { CryoError } from '../errors/index.js';
import { fifoPaths } from './job-io.js';
import { childrenOf, fdIdentity, startTimeOf } from './proc.js';
import type { JobMode, StdioIdentity } from './job.js';

const monitorScript = 'st=$1; shift; "$@"; rc=$?; printf "%d\\n" "$rc" > "$st.tmp" && mv -f "$st.tmp" "$st"; exit "$rc"';
const fifoStdioScript = 'i=$1 o=$2 e=$3; shift 3; exec "$@" <>"$i" 1<>"$o" 2<>"$e"';
const fileStdioScript = 'f=$1; shift; exec "$@" </dev/null >>"$f" 2>&1';

/** Everything needed to start a job. */
export interface LaunchSpec {
  readonly jobDir: string;
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly mode: Exclude<JobMode, 'managed'>;
  /** Absent: attachable (FIFOs in jobDir); set: file output appended to this path. */
  readonly logFile?: string | undefined;
}

/** The exit-status file the monitor writes. */
export function exitStatusPath(jobDir: string): string {
  return join(jobDir, 'exit');
}

const toolDirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const toolCache = new Map<string, string>();

/**
 * Absolute path of a helper cryo needs (sh, setsid, unshare, tini), looked up in cryod's PATH and
 * the usual directories, so the job's own PATH cannot break or hijack the launch.
 */
export function tool(name: 'sh' | 'setsid' | 'unshare' | 'tini'): string {
  const cached = toolCache.get(name);
  if (cached) return cached;
  const found = findExecutable(name, [...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d.startsWith('/')), ...toolDirs]);
  if (found) {
    toolCache.set(name, found);
    return found;
  }
  throw new CryoError('CRYO_SPAWN_FAILED', `cannot start jobs: \`${name}\` is not installed`, {
    hint: name === 'tini' ? 'install tini (./scripts/setup.sh does), or run the job with --no-pidns' : `install ${name === 'sh' ? 'a POSIX shell' : 'util-linux'}`,
  });
}

/** The argv of the monitor (for tests and docs). */
export function launchArgv(spec: LaunchSpec): string[] {
  const sh = tool('sh');
  const stdio = spec.logFile === undefined
    ? [sh, '-c', fifoStdioScript, 'cryo-stdio', ...Object.values(fifoPaths(spec.jobDir))]
    : [sh, '-c', fileStdioScript, 'cryo-stdio', spec.logFile];
  const inner = spec.mode === 'pidns'
    ? [tool('unshare'), '--pid', '--ipc', '--fork', tool('setsid'), ...stdio, tool('tini'), '-g', '--', ...spec.command]
    : [tool('setsid'), ...stdio, ...spec.command];
  return ['-c', monitorScript, 'cryo-monitor', exitStatusPath(spec.jobDir), ...inner];
}

/** Fails early, in plain words, when the command or cwd cannot work (tini would only say 127). */
export function checkLaunchable(spec: LaunchSpec): void {
  launchArgv(spec); // every helper tool is installed
  try {
    if (!statSync(spec.cwd).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new CryoError('CRYO_SPAWN_FAILED', `working directory ${spec.cwd} does not exist or is not a directory`, {
      hint: 'give an existing directory with --cwd',
    });
  }
  const cmd = spec.command[0];
  if (cmd === undefined || cmd === '') {
    throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `command`: it is empty', { hint: 'usage: cryo run [options] -- CMD [ARGS...]' });
  }
  const candidates = cmd.includes('/')
    ? [isAbsolute(cmd) ? cmd : resolve(spec.cwd, cmd)]
    : (spec.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter(Boolean).map((d) => join(resolve(spec.cwd, d), cmd));
  if (candidates.some(isExecutable)) return;
  throw new CryoError('CRYO_SPAWN_FAILED', `command not found or not executable: ${cmd}`, {
    hint: cmd.includes('/') ? `check that ${cmd} exists and is executable` : 'check the command name and PATH (pass --env PATH=... if needed)',
  });
}

/** The started monitor; `root` resolves once the job's root pid and its stdio are known. */
export interface Launched {
  readonly monitor: ChildProcess;
  readonly monitorPid: number;
  readonly monitorStartTime: number | null;
}

/** Spawns the monitor (detached: the job must not die with cryod). */
export function launch(spec: LaunchSpec): Launched {
  const monitor = spawn(tool('sh'), launchArgv(spec), {
    cwd: spec.cwd, env: spec.env, detached: true, stdio: 'ignore',
  });
  if (monitor.pid === undefined) {
    throw new CryoError('CRYO_SPAWN_FAILED', `could not start the job's monitor shell (sh): ${spec.command.join(' ')}`);
  }
  return { monitor, monitorPid: monitor.pid, monitorStartTime: startTimeOf(monitor.pid) };
}

/** The job's root process once found. */
export interface RootInfo {
  readonly pid: number;
  readonly startTime: number | null;
  readonly stdio: StdioIdentity[];
}

/**
 * Finds the job's root pid below the monitor (tini is the child of unshare in pidns mode) and
 * waits until its stdio redirection happened (fd 1 points where it should). Resolves null if the
 * job ended before it could be seen.
 */
export async function findRoot(spec: LaunchSpec, monitorPid: number, isGone: () => boolean, timeoutMs = 10_000): Promise<RootInfo | null> {
  // Compared by device and inode, not by path: the data dir or the log file may sit behind a
  // symlink, and readlink on /proc/PID/fd shows the resolved path.
  const want = statSync(spec.logFile ?? fifoPaths(spec.jobDir).stdout);
  const isWanted = (pid: number): boolean => {
    try {
      const st = statSync(`/proc/${pid}/fd/1`);
      return st.ino === want.ino && st.dev === want.dev;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (isGone()) return null;
    const level1 = childrenOf(monitorPid)[0];
    const root = spec.mode === 'pidns' && level1 !== undefined ? childrenOf(level1)[0] : level1;
    if (root !== undefined) {
      if (isWanted(root)) {
        const stdio: StdioIdentity[] = [];
        for (const fd of [0, 1, 2]) {
          const id = fdIdentity(root, fd);
          if (id) stdio.push({ fd, ...id });
        }
        return { pid: root, startTime: startTimeOf(root), stdio };
      }
    }
    await new Promise((r) => setTimeout(r, 3));
  }
  throw new CryoError('CRYO_SPAWN_FAILED', `the job did not start within ${timeoutMs / 1000} s: ${spec.command.join(' ')}`);
}
