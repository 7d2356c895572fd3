// CheckpointService: defined in the API now so clients and the job model fit it; the
// checkpoint/restore flow implements it. Until then every call answers CRYO_UNIMPLEMENTED.

import type { ServiceImpl } from '@connectrpc/connect';
import { CheckpointService } from '../gen/cryo/v1/checkpoints_pb.js';
import { CryoError } from '../errors/index.js';

const notYet = (what: string): never => {
  throw new CryoError('CRYO_UNIMPLEMENTED', `${what} is not implemented by this cryod yet`, { hint: 'use `criu` directly for now, or upgrade cryo' });
};

/** Placeholder CheckpointService: every RPC fails with CRYO_UNIMPLEMENTED. */
export function unimplementedCheckpointService(): ServiceImpl<typeof CheckpointService> {
  return {
    dump: () => notYet('dump'),
    restore: () => notYet('restore'),
    listCheckpoints: () => notYet('listing checkpoints'),
    removeCheckpoint: () => notYet('removing checkpoints'),
  };
}
