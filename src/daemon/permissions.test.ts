// End to end: who may use cryod. The socket is 0600 root (0660 root:group with socketGroup), and
// every connection's peer credentials (SO_PEERCRED) are checked too, so a loosened socket mode
// does not let strangers in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, statSync } from 'node:fs';
import { startDaemon } from '../testing/daemon.js';


test('non-root callers are refused with a clear error', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to start cryod and to switch to uid 65534');
    return;
  }
  const d = await startDaemon({ env: { CRYO_SOCKET_GROUP: 'nogroup' } });
  t.after(() => d.stop());
  chmodSync(d.dir, 0o711); // let other users reach the socket file itself
  assert.equal(statSync(d.socket).mode & 0o777, 0o660);
  assert.equal(statSync(d.socket).gid, 65534);

  const { spawn } = await import('node:child_process');
  const run = (args: string[]): Promise<{ code: number | null; stderr: string }> => new Promise((resolve) => {
    const p = spawn(args[0]!, args.slice(1), { env: { ...process.env, CRYO_SOCKET: d.socket }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    p.on('close', (code) => resolve({ code, stderr }));
  });
  const cli = [process.execPath, new URL('../../bin/cryo', import.meta.url).pathname, 'ps', '--json'];

  // In the socket group (gid 65534 = nogroup): allowed.
  const member = await run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...cli]);
  assert.equal(member.code, 0, member.stderr);

  // Not in the group (gid 1): the socket mode refuses the connection.
  const stranger = await run(['setpriv', '--reuid=65534', '--regid=1', '--clear-groups', ...cli]);
  assert.equal(stranger.code, 1);
  assert.equal((JSON.parse(stranger.stderr) as { error: { code: string } }).error.code, 'CRYO_PERMISSION_DENIED');

  // Socket mode loosened by hand: SO_PEERCRED still refuses the stranger, with cryod's own message.
  chmodSync(d.socket, 0o666);
  const loose = await run(['setpriv', '--reuid=65534', '--regid=1', '--clear-groups', ...cli]);
  assert.equal(loose.code, 1);
  const e = JSON.parse(loose.stderr) as { error: { code: string; message: string } };
  assert.equal(e.error.code, 'CRYO_PERMISSION_DENIED');
  assert.match(e.error.message, /uid 65534 may not use cryod: only root and members of group nogroup may/);
  // The daemon is unharmed.
  assert.equal((await d.cli(['ps'])).code, 0);

  // cryod itself refuses to run as non-root, in plain words.
  const daemon = await run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', cli[0]!, cli[1]!, 'daemon',
    '--socket', `${d.dir}/other.sock`, '--data-dir', `${d.dir}/other-data`]);
  assert.equal(daemon.code, 1);
  assert.match(daemon.stderr, /CRYO_NOT_PRIVILEGED: cryod must run as root/);
});
