// Job ids (random hex, docker-style prefixes work) and user-chosen names (validated).

import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { CryoError } from '../errors/index.js';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** A new 12-hex-digit job id. */
export function newJobId(): string {
  return randomBytes(6).toString('hex');
}

/** Throws CRYO_INVALID_OPTION unless `name` is a usable job name. */
export function validateJobName(name: string): string {
  if (!namePattern.test(name) || /^[0-9a-f]{12}$/.test(name)) {
    throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`name\` ${JSON.stringify(name)}: job names are 1-63 letters, digits, '_', '.', '-', starting with a letter or digit, and must not look like a job id`, {
      hint: 'choose a name like web-1',
    });
  }
  return name;
}

/** A default name from the command: "sleep-3" (the first free number). */
export function defaultJobName(command: readonly string[], taken: (n: string) => boolean): string {
  let base = basename(command[0] ?? 'job').replace(/[^A-Za-z0-9_.-]/g, '').replace(/^[^A-Za-z0-9]+/, '').slice(0, 50);
  if (base === '') base = 'job';
  for (let i = 1; ; i++) {
    const n = `${base}-${i}`;
    if (!taken(n)) return n;
  }
}
