// User hooks: shell commands run at CRIU's notification points (pre-dump, post-restore, ...),
// configured globally (config `hooks`) or per call (`--hook EVENT=CMD`). They run one after the
// other, in that order, with CRYO_* variables describing the job and checkpoint; a failing hook
// (non-zero exit, timeout) aborts the operation with CRYO_HOOK_FAILED naming it.

import { spawn } from 'node:child_process';
import { loadHookConfig } from '../config/index.js';
import { CryoError } from '../errors/index.js';

/** The notification points a hook can be attached to (CRIU's action-script names). */
export const HOOK_EVENTS = [
  'pre-dump', 'network-lock', 'post-dump', 'pre-restore', 'setup-namespaces', 'post-setup-namespaces',
  'network-unlock', 'post-restore', 'pre-resume', 'post-resume',
] as const;

/** One hook: a command for one notification. */
export interface HookSpec {
  readonly event: string;
  readonly command: string;
}

/** What one hook run did (also sent back to the CLI and recorded in events). */
export interface HookRunResult {
  readonly event: string;
  readonly command: string;
  readonly exitCode: number;
  readonly durationMs: number;
  readonly outputTail: string;
}

/** Parses `EVENT=CMD` flags; an unknown event or empty command is CRYO_INVALID_OPTION. */
export function parseHookFlags(list: readonly string[]): HookSpec[] {
  return list.map((s) => {
    const i = s.indexOf('=');
    const event = i > 0 ? s.slice(0, i) : '';
    const command = i > 0 ? s.slice(i + 1) : '';
    if (!(HOOK_EVENTS as readonly string[]).includes(event) || command.trim() === '') {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`--hook\` ${JSON.stringify(s)}: use EVENT=COMMAND with EVENT one of ${HOOK_EVENTS.join(', ')}`, {
        hint: 'e.g. --hook post-restore="echo restored $CRYO_PID >> /tmp/log"',
      });
    }
    return { event, command };
  });
}

/** Configured hooks first (in config order), then the per-call ones. */
export function mergeHooks(perCall: readonly HookSpec[], env: NodeJS.ProcessEnv = process.env): { hooks: HookSpec[]; timeoutMs: number } {
  const cfg = loadHookConfig(env);
  const hooks: HookSpec[] = [];
  for (const [event, cmds] of Object.entries(cfg.hooks)) {
    if (!(HOOK_EVENTS as readonly string[]).includes(event)) {
      throw new CryoError('CRYO_INVALID_OPTION', `Invalid setting \`hooks.${event}\`: use one of ${HOOK_EVENTS.join(', ')}`);
    }
    for (const command of cmds) hooks.push({ event, command });
  }
  return { hooks: [...hooks, ...perCall], timeoutMs: cfg.timeoutMs };
}

const TAIL_BYTES = 2048;

/** Runs the hooks of each event with a shared environment; remembers every run. */
export class HookRunner {
  readonly runs: HookRunResult[] = [];

  constructor(
    private readonly hooks: readonly HookSpec[],
    private readonly timeoutMs: number,
    /** CRYO_JOB, CRYO_JOB_NAME, CRYO_CHECKPOINT, CRYO_IMAGES_DIR, CRYO_PID ... */
    private readonly env: Record<string, string>,
    private readonly onRun?: (r: HookRunResult) => void,
  ) {}

  /** True when at least one hook listens to `event`. */
  has(event: string): boolean {
    return this.hooks.some((h) => h.event === event);
  }

  /** Sets a variable for later hooks (e.g. CRYO_PID once CRIU reports the restored pid). */
  set(name: string, value: string): void {
    this.env[name] = value;
  }

  /** Runs every hook of `event` in order; throws CRYO_HOOK_FAILED at the first failure. */
  async run(event: string, extra: Record<string, string> = {}): Promise<void> {
    for (const h of this.hooks) {
      if (h.event !== event) continue;
      const r = await runOne(h, this.timeoutMs, { ...process.env, ...this.env, ...extra, CRYO_EVENT: event });
      this.runs.push(r);
      this.onRun?.(r);
      if (r.exitCode !== 0) {
        const how = r.exitCode === -1 ? `did not finish within ${this.timeoutMs} ms and was killed` : `exited with code ${r.exitCode}`;
        const tail = r.outputTail.trim().split('\n').slice(-5);
        throw new CryoError('CRYO_HOOK_FAILED', `the ${event} hook \`${h.command}\` ${how}${tail.length && tail[0] ? `: ${tail.join(' | ')}` : ''}`, {
          operation: event,
          ...(tail.length && tail[0] ? { logLines: tail } : {}),
          hint: `fix or remove the ${event} hook (config \`hooks\` or --hook ${event}=...)`,
        });
      }
    }
  }
}

/** Runs one hook with `sh -c`, in its own process group so a timeout kills all it started. */
function runOne(h: HookSpec, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<HookRunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let out = Buffer.alloc(0);
    const keep = (d: Buffer): void => {
      out = Buffer.concat([out, d]);
      if (out.length > TAIL_BYTES * 2) out = out.subarray(out.length - TAIL_BYTES);
    };
    const p = spawn('sh', ['-c', h.command], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      try {
        if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    const done = (code: number): void => {
      clearTimeout(t);
      resolve({
        event: h.event, command: h.command, exitCode: timedOut ? -1 : code,
        durationMs: Math.round(performance.now() - started), outputTail: out.subarray(Math.max(0, out.length - TAIL_BYTES)).toString('utf8'),
      });
    };
    p.on('error', (e) => {
      keep(Buffer.from(`cannot run sh: ${e.message}\n`));
      done(127);
    });
    p.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}
