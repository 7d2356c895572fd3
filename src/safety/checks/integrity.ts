// Pre-flight: every file of a stored checkpoint still matches its manifest (sizes and SHA-256,
// src/store verify): catches a flipped byte in a pages image, a truncated or missing image.
// A directory from `cryo dump` has no manifest: said as a warning, the image checks still run.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_NAME, verifyCheckpoint } from '../../store/index.js';
import type { PreflightCheck, PreflightItem } from '../preflight-types.js';

/** Verifies the checkpoint against its manifest when it has one. */
export async function checkIntegrity(dir: string): Promise<PreflightCheck> {
  const title = 'integrity against the manifest';
  if (!existsSync(join(dir, MANIFEST_NAME))) {
    return { id: 'integrity', status: 'warn', title, items: [], detail: `no ${MANIFEST_NAME}: file contents not verified (not a stored checkpoint)` };
  }
  const r = await verifyCheckpoint(dir);
  if (r.manifest !== 'ok') {
    return {
      id: 'integrity', status: 'fail', title, detail: `the checkpoint is incomplete: ${r.manifestProblem ?? r.manifest}`,
      items: [{ status: 'fail', code: 'CRYO_CHECKPOINT_INCOMPLETE', subject: MANIFEST_NAME, problem: `is ${r.manifest}: ${r.manifestProblem ?? ''}` }],
    };
  }
  const items: PreflightItem[] = [
    ...r.missing.map((p): PreflightItem => ({ status: 'fail', code: 'CRYO_CHECKPOINT_CORRUPT', subject: p, problem: 'is missing' })),
    ...r.changed.map((c): PreflightItem => ({
      status: 'fail', code: 'CRYO_CHECKPOINT_CORRUPT', subject: c.path,
      problem: c.actual.size !== c.expected.size
        ? `changed size: ${c.actual.size} bytes, expected ${c.expected.size}`
        : 'changed content (SHA-256 differs)',
      expected: c.actual.size !== c.expected.size ? c.expected.size : c.expected.sha256,
      actual: c.actual.size !== c.expected.size ? c.actual.size : (c.actual.sha256 ?? '?'),
    })),
    ...r.unexpected.map((p): PreflightItem => ({ status: 'fail', code: 'CRYO_CHECKPOINT_CORRUPT', subject: p, problem: 'is not in the manifest' })),
  ];
  const status = items.length ? 'fail' : 'ok';
  return {
    id: 'integrity', status, title, items,
    detail: status === 'ok' ? `${r.checkedFiles} files match the manifest` : `${items.length} files do not match the manifest`,
  };
}
