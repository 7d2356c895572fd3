// The human form of a pre-flight report (`cryo preflight`, `cryo restore --check`).

import type { PreflightReport } from './preflight-types.js';

const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

/** One line per check, then one indented line per problem with expected/actual values. */
export function formatPreflightReport(r: PreflightReport): string {
  const lines = [`pre-flight of ${r.dir}: ${r.ok ? 'ready to restore' : 'the restore would FAIL'}`];
  for (const c of r.checks) {
    lines.push(`  ${mark[c.status]}  ${c.title}: ${c.detail}`);
    for (const i of c.items) {
      lines.push(`          ${i.status === 'fail' ? '✗' : '!'} ${i.subject} ${i.problem}  [${i.code}${i.transient ? ', may clear by itself' : ''}]`);
    }
  }
  return lines.join('\n');
}
