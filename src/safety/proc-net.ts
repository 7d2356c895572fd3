// Sockets of this network namespace from /proc/net/{tcp,tcp6,udp,udp6}, and which processes hold
// them (socket inode -> /proc/PID/fd/N -> socket:[inode]). Hand-written: no library reads these
// tables, and the format is four fixed columns we need.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** One socket row of /proc/net/*. */
export interface ProcSocket {
  readonly protocol: 'tcp' | 'udp';
  readonly family: 'inet' | 'inet6';
  readonly address: string;
  readonly port: number;
  /** Kernel TCP state number (10 = LISTEN, 7 = CLOSE for an unconnected UDP socket). */
  readonly state: number;
  readonly inode: number;
}

/** TCP_LISTEN in the kernel's state numbering. */
export const TCP_LISTEN = 10;

/** Turns /proc/net's hex address (u32 words in host byte order) into text. */
export function parseProcAddress(hex: string): string {
  const bytes = Buffer.alloc(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) bytes.writeUInt32LE(parseInt(hex.slice(w * 8, w * 8 + 8), 16) >>> 0, w * 4);
  return addressText(bytes);
}

/** An address's bytes (network order; 4 for IPv4, 16 for IPv6) as /proc-derived text. */
export function addressText(bytes: Buffer): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  if (bytes.every((b) => b === 0)) return '::';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** Parses the text of one /proc/net/{tcp,udp}[6] table. */
export function parseProcNet(text: string, protocol: ProcSocket['protocol'], family: ProcSocket['family']): ProcSocket[] {
  const out: ProcSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, port] = (f[1] ?? '').split(':');
    if (addr === undefined || port === undefined) continue;
    out.push({ protocol, family, address: parseProcAddress(addr), port: parseInt(port, 16), state: parseInt(f[3] ?? '0', 16), inode: Number(f[9]) });
  }
  return out;
}

/** Every TCP and UDP socket of our network namespace. */
export function readProcSockets(procRoot = '/proc'): ProcSocket[] {
  const tables = [['tcp', 'tcp', 'inet'], ['tcp6', 'tcp', 'inet6'], ['udp', 'udp', 'inet'], ['udp6', 'udp', 'inet6']] as const;
  return tables.flatMap(([file, proto, fam]) => {
    try {
      return parseProcNet(readFileSync(`${procRoot}/net/${file}`, 'utf8'), proto, fam);
    } catch {
      return []; // no IPv6 in this kernel, say
    }
  });
}

/**
 * readProcSockets without blocking: the tables are read on libuv's threads, side by side. Each TCP
 * table costs the kernel a walk of its whole connection hash (~4 ms here, even when nearly
 * empty), so a pre-flight reads them while it decodes the images.
 */
export async function readProcSocketsAsync(procRoot = '/proc', only?: ProcSocket['protocol']): Promise<ProcSocket[]> {
  const all = [['tcp', 'tcp', 'inet'], ['tcp6', 'tcp', 'inet6'], ['udp', 'udp', 'inet'], ['udp6', 'udp', 'inet6']] as const;
  const tables = only ? all.filter(([, proto]) => proto === only) : all;
  const read = await Promise.all(tables.map(([file, proto, fam]) => readFile(`${procRoot}/net/${file}`, 'utf8').then(
    (text) => parseProcNet(text, proto, fam),
    () => [], // no IPv6 in this kernel, say
  )));
  return read.flat();
}

/** A process holding a socket. */
export interface SocketHolder {
  readonly pid: number;
  readonly comm: string;
}

/** For each wanted socket inode, the processes that have it open (one /proc scan). */
export function socketHolders(inodes: ReadonlySet<number>, procRoot = '/proc'): Map<number, SocketHolder[]> {
  const out = new Map<number, SocketHolder[]>();
  if (inodes.size === 0) return out;
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${name}/fd`);
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${procRoot}/${name}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (!m || !inodes.has(Number(m[1]))) continue;
      const inode = Number(m[1]);
      const list = out.get(inode) ?? [];
      if (!list.some((h) => h.pid === Number(name))) list.push({ pid: Number(name), comm: readComm(Number(name), procRoot) });
      out.set(inode, list);
    }
  }
  return out;
}

/** A process's comm, or '?' when it is gone. */
export function readComm(pid: number, procRoot = '/proc'): string {
  try {
    return readFileSync(`${procRoot}/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}
