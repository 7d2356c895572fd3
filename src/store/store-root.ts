// Where checkpoints live by default: <dataDir>/checkpoints, dataDir from cryo's configuration.

import { join } from 'node:path';
import { loadConfig } from '../config/index.js';

/** The configured data directory (CRYO_DATA_DIR, config file, or /var/lib/cryo). */
export function defaultDataDir(): string {
  return loadConfig().dataDir;
}

/** The default store root. */
export function defaultStoreRoot(): string {
  return join(defaultDataDir(), 'checkpoints');
}
