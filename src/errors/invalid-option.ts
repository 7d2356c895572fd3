// The one shape of a bad-option error: names the option, the value and the fix (execa style).

import { CryoError } from './cryo-error.js';

/** Throws CRYO_INVALID_OPTION: "Invalid option `name` VALUE: fix". */
export function invalidOption(option: string, value: unknown, fix: string): never {
  let shown: string;
  try {
    shown = typeof value === 'function' ? 'a function' : JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  throw new CryoError('CRYO_INVALID_OPTION', `Invalid option \`${option}\` ${shown}: ${fix}`, { hint: fix });
}
