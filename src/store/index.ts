// The checkpoint store: durable, verifiable, movable checkpoints (library API; the daemon and
// the CLI both use it).

export { CheckpointStore, type CheckpointInfo, type CheckpointMetadata, type Ingest, type RemoveResult, type StoreOptions } from './store.js';
export { defaultStoreRoot } from './store-root.js';
export { verifyCheckpoint, assertVerified, type VerifyReport, type ChangedFile } from './verify.js';
export { exportCheckpoint, type ExportResult } from './export.js';
export type { ExportOptions } from './export-options.js';
export { removeStaleExportTemps } from './export-temp.js';
export { importCheckpoint, type ImportOptions, type ImportResult } from './import.js';
export { defaultArchiveLimits, type ArchiveLimits } from './archive-limits.js';
export { COMPRESSIONS, detectCompression, type Compression } from './compression.js';
export { applyRetention, type RetentionPolicy, type RetentionPlan } from './retention.js';
export { MANIFEST_NAME, METADATA_NAME, parseManifest, readManifest, type Manifest, type ManifestFile } from './manifest.js';
export { isCheckpointId, newCheckpointId } from './ids.js';
export type { Pin, PinInfo } from './pins.js';
export type { ProgressEvent, OnProgress } from './progress.js';
export { resolveCheckpointDir } from './resolve.js';
