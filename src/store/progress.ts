// Progress reports shared by export, import and verify: bytes of checkpoint data done so far.

/** One progress update. */
export interface ProgressEvent {
  readonly phase: 'export' | 'import' | 'verify';
  /** Uncompressed checkpoint bytes processed so far. */
  readonly bytes: number;
  /** Total uncompressed bytes (from the manifest); undefined until known. */
  readonly totalBytes?: number;
  /** The file being processed. */
  readonly file?: string;
}

/** Callback receiving progress updates (called often: throttle in the UI). */
export type OnProgress = (e: ProgressEvent) => void;
