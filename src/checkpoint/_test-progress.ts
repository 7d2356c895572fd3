// Test helper (private): a restored counter continues from wherever the dump caught it, so tests
// wait for it to count on (two numbers past the first one it prints) instead of a fixed number.

import { waitForOutput } from '../testing/daemon-client.js';
import type { DaemonClient } from '../cli/client.js';

/** Resolves once `job`'s output has grown by two counts past the first number it printed. */
export async function countsOn(api: DaemonClient, job: string): Promise<void> {
  const seen = await waitForOutput(api, job, '\n');
  const n = Number(/(\d+)\n/.exec(seen)?.[1]);
  await waitForOutput(api, job, `\n${n + 2}\n`);
}
