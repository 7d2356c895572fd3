// The shapes of a restore through cryod: what is asked (validated by the API service) and what
// comes back. The steps are in restore-flow.ts.

import type { JobRecord } from '../jobs/index.js';
import type { HookRunResult, HookSpec } from './hooks.js';

/** A restore request, validated by the service. */
export interface RestoreRequestOpts {
  readonly ref: string;
  readonly name?: string | undefined;
  readonly copies: number;
  /** undefined: as the job had it (attachable unless it wrote to a file). */
  readonly io?: 'attachable' | 'file' | undefined;
  readonly logFile?: string | undefined;
  readonly noVerify?: boolean;
  /** Lazy restore: the process runs at once, its memory follows from a lazy-pages server. */
  readonly lazy?: boolean;
  /** With lazy: restore eagerly instead when the kernel lacks userfaultfd. */
  readonly lazyFallback?: 'eager';
  readonly hooks: readonly HookSpec[];
  readonly hookTimeoutMs: number;
  /** Restore even when pre-flight finds problems (they are reported as notes). */
  readonly force?: boolean;
  /** Wait for the restored jobs to prove healthy before answering (src/safety watchHealth). */
  readonly health?: HealthRequest | undefined;
  /** One CRIU attempt's limit in ms (0: none); undefined: config restoreTimeoutMs. */
  readonly timeoutMs?: number | undefined;
}

/** `--health-cmd` / `--health-tcp` / `--health-grace`: what "healthy" means after a restore. */
export interface HealthRequest {
  readonly cmd?: string | undefined;
  readonly tcpPort?: number | undefined;
  readonly graceMs: number;
}

/** What a restore produced. */
export interface RestoreOutcome {
  readonly checkpoint: string;
  readonly jobs: JobRecord[];
  readonly notes: string[];
  readonly hooks: HookRunResult[];
  readonly logs: string[];
  readonly durationMs: number;
}
