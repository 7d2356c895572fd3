// Turns file-system failures that users can act on (disk full) into CryoErrors with context.

import { CryoError, type ErrorContext } from '../errors/index.js';

/** Whether an error means the disk (or quota) is full. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Rethrows ENOSPC/EDQUOT as CRYO_DISK_FULL naming what was being written; others unchanged. */
export function rethrowFsError(e: unknown, what: string, ctx: ErrorContext = {}): never {
  if (isDiskFull(e)) {
    throw new CryoError('CRYO_DISK_FULL', `no space left on the disk while writing ${what}`, { ...ctx, cause: e });
  }
  throw e;
}
