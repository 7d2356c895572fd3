// childrenOf / processTree against a real small tree: a shell with two children.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { childrenOf, processTree } from './proc-children.js';

test('a shell with two children: both listed, tree parent first, [] once gone', async (t) => {
  const sh = spawn('sh', ['-c', 'sleep 30 & sleep 30 & echo ready; wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => sh.once('exit', r));
  t.after(async () => {
    for (const p of processTree(sh.pid!).reverse()) {
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
    await exited;
  });
  await new Promise<void>((r) => sh.stdout.once('data', () => r()));
  const kids = childrenOf(sh.pid!);
  assert.equal(kids.length, 2);
  assert.deepEqual(processTree(sh.pid!), [sh.pid!, ...kids]);
  assert.deepEqual(childrenOf(kids[0]!), []);
  assert.deepEqual(childrenOf(2 ** 22 + 1), []);
});
