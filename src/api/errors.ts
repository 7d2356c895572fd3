// CryoError <-> wire status, in one place (containerd-style): the daemon maps each error code to
// a gRPC status and carries the full CryoError as JSON in the `cryo-error` trailer, so the CLI
// can show exactly the same explanation as an in-process error.

import { Code, ConnectError } from '@connectrpc/connect';
import { CryoError, codes, type ErrorCode } from '../errors/index.js';

const statusOf: Partial<Record<ErrorCode, Code>> = {
  CRYO_INVALID_OPTION: Code.InvalidArgument,
  CRYO_JOB_NOT_FOUND: Code.NotFound,
  CRYO_PID_NOT_FOUND: Code.NotFound,
  CRYO_CHECKPOINT_NOT_FOUND: Code.NotFound,
  CRYO_JOB_NAME_IN_USE: Code.AlreadyExists,
  CRYO_INVALID_STATE: Code.FailedPrecondition,
  CRYO_PERMISSION_DENIED: Code.PermissionDenied,
  CRYO_NOT_PRIVILEGED: Code.PermissionDenied,
  CRYO_UNIMPLEMENTED: Code.Unimplemented,
  CRYO_DAEMON_ERROR: Code.Internal,
};

/** The metadata key carrying the CryoError as URI-encoded JSON. */
export const errorHeader = 'cryo-error';

/** Converts anything thrown by a handler into a ConnectError the client can turn back. */
export function toConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  const ce = e instanceof CryoError
    ? e
    : new CryoError('CRYO_DAEMON_ERROR', `cryod failed: ${e instanceof Error ? e.message : String(e)}`);
  const err = new ConnectError(ce.message, statusOf[ce.code] ?? Code.Unknown);
  err.metadata.set(errorHeader, encodeURIComponent(JSON.stringify(ce.toJSON())));
  return err;
}

/** Rebuilds the daemon's CryoError from a ConnectError, or returns undefined. */
export function fromConnectError(e: ConnectError): CryoError | undefined {
  const raw = e.metadata.get(errorHeader);
  if (!raw) return undefined;
  try {
    const j = JSON.parse(decodeURIComponent(raw)) as Record<string, unknown> & { code: string; message: string; action?: string };
    const code = (j.code in codes ? j.code : 'CRYO_DAEMON_ERROR') as ErrorCode;
    const { code: _c, message, action, cause: _x, ...context } = j;
    return new CryoError(code, message, { ...context, ...(action && action !== codes[code].action ? { hint: action } : {}) });
  } catch {
    return undefined;
  }
}
