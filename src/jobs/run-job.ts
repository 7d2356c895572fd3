// `cryo run`: the request checked (command, name, cwd, env, log file), the job recorded as
// starting, its monitor launched (spawn.ts), and the job running once its root pid and stdio are
// known. The monitor's exit tells the job's end (exit-recording.ts).

import { closeSync, mkdirSync, openSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CryoError } from '../errors/index.js';
import type { JobsCore, Live } from './job-core.js';
import { JobIo } from './job-io.js';
import type { JobRecord } from './job.js';
import { onMonitorExit, shellStatus } from './exit-recording.js';
import { defaultJobName, newJobId, validateJobName } from './names.js';
import { outputLogPath } from './output-log.js';
import { checkLaunchable, findRoot, launch, type LaunchSpec } from './spawn.js';
import { transition } from './state-machine.js';

/** What `cryo run` asks for, before validation. */
export interface RunOptions {
  command: string[];
  name?: string | undefined;
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  noPidns?: boolean | undefined;
  logFile?: string | undefined;
}

const envKey = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The environment every job starts from: cryod's own, minus cryo's and Node's settings. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CRYO_') && !k.startsWith('NODE_')) env[k] = v;
  }
  return env;
}

/** Checks a run request; returns the launch spec, the job's name and its extra environment. */
function checkRun(core: JobsCore, o: RunOptions): { spec: LaunchSpec; name: string; extraEnv: Record<string, string>; id: string } {
  if (!Array.isArray(o.command) || o.command.length === 0 || o.command.some((a) => typeof a !== 'string')) {
    throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `command`: give the command to run after --', {
      hint: 'usage: cryo run [options] -- CMD [ARGS...]',
    });
  }
  if (o.command.some((a) => a.includes('\0'))) throw new CryoError('CRYO_INVALID_OPTION', 'Invalid option `command`: it contains a NUL byte');
  const name = o.name ? validateJobName(o.name) : defaultJobName(o.command, (n) => core.store.find(n) !== undefined);
  if (core.store.find(name)?.name === name) {
    throw new CryoError('CRYO_JOB_NAME_IN_USE', `a job named ${name} already exists`, { job: name });
  }
  const cwd = o.cwd || '/';
  if (!isAbsolute(cwd)) throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`cwd\` ${JSON.stringify(cwd)}: use an absolute path`);
  const extraEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (!envKey.test(k) || typeof v !== 'string' || v.includes('\0')) {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`env\` ${JSON.stringify(k)}: use KEY=VALUE with KEY made of letters, digits and _`);
    }
    extraEnv[k] = v;
  }
  if (o.logFile !== undefined && o.logFile !== '' && !isAbsolute(o.logFile)) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`log\` ${JSON.stringify(o.logFile)}: use an absolute path`);
  }
  const logFile = o.logFile || undefined;
  const id = newJobId();
  const spec: LaunchSpec = {
    jobDir: join(core.jobsDir, id), command: o.command, cwd, env: { ...baseEnv(), ...extraEnv }, mode: o.noPidns ? 'host' : 'pidns', logFile,
  };
  checkLaunchable(spec);
  return { spec, name, extraEnv, id };
}

/** Starts a job and resolves once its root pid and stdio are known (state running). */
export async function runJob(core: JobsCore, o: RunOptions): Promise<JobRecord> {
  const { spec, name, extraEnv, id } = checkRun(core, o);
  const { jobDir, logFile } = spec;
  if (logFile) {
    try {
      closeSync(openSync(logFile, 'a', 0o640));
    } catch (e) {
      throw new CryoError('CRYO_SPAWN_FAILED', `cannot open log file ${logFile}: ${(e as Error).message}`, { cause: e });
    }
  }
  mkdirSync(jobDir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const job: JobRecord = {
    id, name, state: 'starting', mode: spec.mode, io: logFile ? 'file' : 'attachable', command: [...o.command], cwd: spec.cwd,
    env: extraEnv, rootPid: null, rootStartTime: null, monitorPid: null, monitorStartTime: null, exitCode: null,
    signal: null, logFile: logFile ?? outputLogPath(jobDir), jobDir, stdio: [], note: null, error: null,
    sentSignals: [], latestCheckpoint: null, createdAt: now, startedAt: null, finishedAt: null,
  };
  core.store.insert(job);
  core.emit(job, 'job.created', `job ${name} created: ${o.command.join(' ')}`);

  const entry: Live = {};
  core.live.set(id, entry);
  let gone = false;
  try {
    if (!logFile) entry.io = new JobIo(jobDir, core.opts.logMaxBytes);
    const launched = launch(spec);
    entry.monitor = launched.monitor;
    launched.monitor.on('exit', (code, signal) => {
      gone = true;
      void onMonitorExit(core, id, shellStatus(code, signal));
    });
    launched.monitor.on('error', (err) => core.fail(id, `could not start the job: ${err.message}`));
    const j = core.mustGet(id);
    j.monitorPid = launched.monitorPid;
    j.monitorStartTime = launched.monitorStartTime;
    core.store.update(j);
    const root = await findRoot(spec, launched.monitorPid, () => gone);
    const k = core.store.get(id);
    if (!k) return job;
    if (root) {
      k.rootPid = root.pid;
      k.rootStartTime = root.startTime;
      k.stdio = root.stdio;
    }
    if (k.state === 'starting') {
      transition(k, 'running');
      k.startedAt = Date.now();
      core.store.update(k);
      core.emit(k, 'job.started', `job ${name} started (pid ${k.rootPid ?? '?'})`);
    } else {
      core.store.update(k);
    }
    return k;
  } catch (e) {
    core.fail(id, (e as Error).message);
    throw e;
  }
}
