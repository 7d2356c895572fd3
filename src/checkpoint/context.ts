// What the checkpoint flows need from cryod: its jobs, the checkpoint store, the checkpoint
// records in SQLite, a CRIU client and a few settings. Built once by cryod (or by tests).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CriuClient } from '../criu/index.js';
import type { JobManager } from '../jobs/index.js';
import type { Db } from '../state/db.js';
import { CheckpointStore } from '../store/index.js';
import { recoverLazyTransfers } from '../lazy/recover-transfers.js';
import { CheckpointRecords } from './checkpoint-records.js';

/** Shared by the dump and restore flows of one cryod. */
export interface FlowContext {
  readonly jobs: JobManager;
  readonly store: CheckpointStore;
  readonly records: CheckpointRecords;
  readonly criu: CriuClient;
  readonly dataDir: string;
  /** Where images go when a checkpoint could not be committed and the job could not be restored. */
  readonly rescueDir: string;
  readonly criuLogLevel: 0 | 1 | 2 | 3 | 4;
  readonly log?: Logger;
}

/** Opens the store under <dataDir>/checkpoints and wires the records table. */
export async function createFlowContext(o: { jobs: JobManager; db: Db; dataDir: string; criuPath?: string; criuLogLevel?: number; log?: Logger }): Promise<FlowContext> {
  const criu = new CriuClient(o.criuPath !== undefined ? { criuPath: o.criuPath } : {});
  const records = new CheckpointRecords(o.db);
  const store = await CheckpointStore.open({
    root: join(o.dataDir, 'checkpoints'), criu: criu.criuPath,
    resolveRef: (ref) => records.find(ref)?.id,
  });
  const rescueDir = join(o.dataDir, 'rescue');
  mkdirSync(rescueDir, { recursive: true, mode: 0o700 });
  // Lazy restores a previous cryod left transferring: pinned again and settled in the background.
  void recoverLazyTransfers({ jobs: o.jobs, store, ...(o.log ? { log: o.log } : {}) });
  return {
    jobs: o.jobs, store, records, criu, dataDir: o.dataDir, rescueDir,
    criuLogLevel: (o.criuLogLevel ?? 4) as FlowContext['criuLogLevel'], ...(o.log ? { log: o.log } : {}),
  };
}
