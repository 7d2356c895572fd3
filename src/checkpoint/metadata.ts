// cryo.json: what cryo records beside CRIU's images (the store writes it at commit): the job it
// came from, the CRIU options that must be repeated on restore, and the identities of the root's
// stdio (fd 0/1/2) so a restore can reconnect them to new pipes, a file or a terminal.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METADATA_NAME } from '../store/index.js';
import type { JobMode, StdioIdentity } from '../jobs/index.js';
import type { CriuChoice } from './choose-options.js';
import type { HookRunResult } from './hooks.js';

/** The content of cryo.json (besides id/createdAt that the store adds). */
export interface CheckpointMeta {
  readonly [key: string]: unknown;
  readonly job: string;
  readonly jobName: string;
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly mode: JobMode;
  readonly io: 'attachable' | 'file' | 'none';
  readonly logFile: string | null;
  readonly rootPid: number;
  readonly options: CriuChoice;
  readonly chosen: readonly string[];
  readonly leaveRunning: boolean;
  readonly stdio: readonly StdioIdentity[];
  readonly criuVersion: string | null;
  readonly kernel: string;
  readonly dumpMs: number;
  readonly imagesBytes: number;
  readonly hooks: readonly HookRunResult[];
}

/** Reads cryo.json of a checkpoint directory; undefined when absent (plain CRIU images). */
export function readMeta(dir: string): Partial<CheckpointMeta> | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, METADATA_NAME), 'utf8')) as Partial<CheckpointMeta>;
  } catch {
    return undefined;
  }
}
