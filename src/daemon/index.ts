// The cryo daemon. Re-exports only.
export { startCryod, cryodVersion, type Cryod } from './cryod.js';
