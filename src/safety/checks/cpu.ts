// Pre-flight: CPU compatibility, asked of CRIU itself (`criu cpuinfo check -D DIR` compares the
// recorded cpuinfo.img with this CPU). It only reads the directory; its words explain a failure.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCriuLog } from '../../criu/index.js';
import { runCommand } from '../../util/run-command.js';
import type { PreflightCheck } from '../preflight-types.js';

/** Runs CRIU's CPU check when the checkpoint recorded its CPU (cpuinfo.img). */
export async function checkCpu(dir: string, criuPath: string): Promise<PreflightCheck> {
  const title = 'CPU compatibility';
  if (!existsSync(join(dir, 'cpuinfo.img'))) {
    return { id: 'cpu', status: 'warn', title, items: [], detail: 'no cpuinfo.img in the checkpoint: CPU not checked' };
  }
  const r = await runCommand(criuPath, ['cpuinfo', 'check', '-D', dir], { timeoutMs: 30_000 });
  if (r.code === 0) return { id: 'cpu', status: 'ok', title, items: [], detail: 'this CPU has the features the checkpoint needs' };
  if (r.code === null) {
    return { id: 'cpu', status: 'warn', title, items: [], detail: `could not run ${criuPath} cpuinfo check: ${r.spawnError?.message ?? 'killed'}` };
  }
  const said = `${r.stderr}\n${r.stdout}`;
  const a = analyzeCriuLog(said);
  const lines = a.relevant.length ? a.relevant : said.trim().split('\n').slice(-4);
  return {
    id: 'cpu', status: 'fail', title, detail: 'this CPU lacks features of the CPU the checkpoint was taken on',
    items: [{
      status: 'fail', code: 'CRYO_CPU_MISMATCH', subject: 'cpuinfo.img',
      problem: `does not fit this CPU: \`criu cpuinfo check\` failed (exit ${r.code}): ${lines.map((l) => l.replace(/^Error \([^)]*\):\s*/, '')).join(' / ')}`,
      details: { criuSaid: lines },
    }],
  };
}
