// CRIU's nftables network lock: a dump with established TCP connections (network_lock NFTABLES)
// creates the table `inet CRIU-<run id>` that drops the connections' packets, and only a restore
// of that checkpoint deletes it. A checkpoint removed without ever being restored here would leave
// its table forever (they pile up, slow every later dump and keep dropping packets), so removing
// a checkpoint also removes its table.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { inventory_entry } from '../gen/criu/images/inventory_pb.js';

const run = promisify(execFile);

/** CRIU's internal NETWORK_LOCK_NFTABLES as written to inventory.img (IPTABLES=0, NFTABLES=1, SKIP=2). */
const NFTABLES = 1;
/** CRIU writes the name into char[32] with "inet CRIU-%s": at most 31 chars, so the run id may be cut. */
const TABLE_SPEC_MAX = 31;

/** The lock table name a checkpoint's dump created, or undefined if its dump used no nftables lock. */
export async function networkLockTable(dir: string): Promise<string | undefined> {
  let inv: inventory_entry | undefined;
  try {
    // Imported here, not at the top: the decoder loads every image schema (~35 ms), which the
    // store's other commands (export, import, gc) do not need at start-up.
    const { ImagesDir } = await import('../images/images-dir.js');
    inv = ImagesDir.open(dir).first<inventory_entry>('inventory.img', 'INVENTORY');
  } catch {
    return undefined; // not a CRIU dump (or unreadable): it cannot hold a lock
  }
  if (inv?.networkLockMethod !== NFTABLES || !inv.dumpCriuRunId) return undefined;
  return `inet CRIU-${inv.dumpCriuRunId}`.slice(0, TABLE_SPEC_MAX).slice('inet '.length);
}

/**
 * Deletes table `inet <table>` if it exists. Never throws: returns a note when it could not check
 * or delete (the checkpoint is removed either way), undefined when there was nothing to say.
 */
export async function dropNetworkLockTable(table: string, checkpoint: string): Promise<string | undefined> {
  let listed: string;
  try {
    listed = (await run('nft', ['list', 'tables', 'inet'], { encoding: 'utf8', timeout: 10_000 })).stdout;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the `nft` command is not installed' : firstLine(e);
    return `checkpoint ${checkpoint}: could not check for its CRIU network-lock table inet ${table} (${why}); if \`nft list tables\` shows it, remove it with \`nft delete table inet ${table}\``;
  }
  if (!listed.split('\n').some((l) => l.trim() === `table inet ${table}`)) return undefined;
  try {
    await run('nft', ['delete', 'table', 'inet', table], { encoding: 'utf8', timeout: 10_000 });
    return undefined;
  } catch (e) {
    return `checkpoint ${checkpoint}: could not delete its CRIU network-lock table inet ${table} (${firstLine(e)}); its connections' packets are still dropped: run \`nft delete table inet ${table}\``;
  }
}

function firstLine(e: unknown): string {
  const err = e as { stderr?: string; message?: string };
  return (err.stderr?.trim() || err.message || String(e)).split('\n')[0] ?? '';
}
