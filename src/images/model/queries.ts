// Questions pre-flight checks and `cryo inspect` ask of a checkpoint model, answered in one place.

import type { CheckpointModel, FileObject, SocketInfo } from './types.js';

/** A regular file the checkpoint needs on restore, with what CRIU will check about it. */
export interface NeededFile {
  readonly path: string;
  /** Recorded size (CRIU refuses to restore if it changed); absent when CRIU does not check it. */
  readonly size?: number;
  readonly mode?: number;
  readonly fileId: number;
  /** How the processes use it: fd N, cwd, root, exe, mapping. */
  readonly uses: readonly string[];
  readonly pids: readonly number[];
  /** Deleted at dump time: restored from the checkpoint, not needed on disk. */
  readonly deleted: boolean;
}

/** Every regular file (incl. directories and device nodes) the processes use, one entry per file object. */
export function regularFiles(model: CheckpointModel): NeededFile[] {
  const byId = new Map<number, FileObject>(model.files.map((f) => [f.id, f]));
  const acc = new Map<number, { uses: Set<string>; pids: Set<number> }>();
  const use = (id: number | undefined, what: string, pid: number): void => {
    if (id === undefined || byId.get(id)?.regular === undefined) return;
    let a = acc.get(id);
    if (!a) acc.set(id, (a = { uses: new Set(), pids: new Set() }));
    a.uses.add(what);
    a.pids.add(pid);
  };
  const idOfPath = new Map<string, number>();
  for (const f of model.files) if (f.regular) idOfPath.set(f.regular.path, f.id);
  for (const p of model.processes) {
    for (const fd of p.fds) use(fd.fileId, `fd ${fd.fd}`, p.pid);
    if (p.cwd !== undefined) use(idOfPath.get(p.cwd), 'cwd', p.pid);
    if (p.root !== undefined) use(idOfPath.get(p.root), 'root', p.pid);
    if (p.memory?.exe !== undefined) use(idOfPath.get(p.memory.exe), 'exe', p.pid);
    for (const m of p.memory?.mappings ?? []) if (m.file !== undefined) use(idOfPath.get(m.file), 'mapping', p.pid);
  }
  // Code-unit order, not localeCompare: the same on every machine whatever its locale, and
  // localeCompare's first call loads ICU collation data (~7 ms of `cryo inspect`'s start-up).
  return [...acc.entries()].map(([id, a]) => {
    const r = byId.get(id)!.regular!;
    return {
      path: r.path,
      ...(r.size === undefined ? {} : { size: r.size }),
      ...(r.mode === undefined ? {} : { mode: r.mode }),
      fileId: id,
      uses: [...a.uses],
      pids: [...a.pids].sort((x, y) => x - y),
      deleted: r.deleted !== undefined,
    };
  }).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** A socket and the processes holding it. */
export interface SocketUse {
  readonly fileId: number;
  readonly socket: SocketInfo;
  readonly description: string;
  readonly pids: readonly number[];
}

/** Every socket of the checkpoint with its owners. */
export function sockets(model: CheckpointModel): SocketUse[] {
  const owners = new Map<number, Set<number>>();
  for (const p of model.processes) {
    for (const fd of p.fds) {
      let s = owners.get(fd.fileId);
      if (!s) owners.set(fd.fileId, (s = new Set()));
      s.add(p.pid);
    }
  }
  return model.files
    .filter((f) => f.socket !== undefined)
    .map((f) => ({ fileId: f.id, socket: f.socket!, description: f.description, pids: [...(owners.get(f.id) ?? [])] }));
}

/** A port the checkpoint will bind again on restore. */
export interface BoundPort {
  readonly protocol: 'tcp' | 'udp';
  readonly family: 'inet' | 'inet6';
  readonly address: string;
  readonly port: number;
  readonly pids: readonly number[];
}

/** All listening TCP ports and bound UDP ports (a restore fails if something else holds them). */
export function listeningPorts(model: CheckpointModel): BoundPort[] {
  const out: BoundPort[] = [];
  for (const s of sockets(model)) {
    const k = s.socket;
    if (k.family !== 'inet' && k.family !== 'inet6') continue;
    const tcpListen = k.protocol === 'tcp' && k.state === 'LISTEN';
    const udpBound = (k.protocol === 'udp' || k.protocol === 'udplite') && (k.localPort ?? 0) !== 0;
    if (!tcpListen && !udpBound) continue;
    out.push({
      protocol: tcpListen ? 'tcp' : 'udp', family: k.family, address: k.localAddress ?? (k.family === 'inet' ? '0.0.0.0' : '::'),
      port: k.localPort ?? 0, pids: s.pids,
    });
  }
  return out.sort((a, b) => a.port - b.port);
}

/** Bytes of memory the checkpoint holds for all processes (what a restore must map back). */
export function totalResidentBytes(model: CheckpointModel): number {
  return model.processes.reduce((sum, p) => sum + (p.memory?.residentBytes ?? 0), 0);
}

/** Every pid (and thread id) of the checkpoint: these must be free on restore outside a pid namespace. */
export function pids(model: CheckpointModel): { pids: number[]; tids: number[] } {
  return {
    pids: model.processes.map((p) => p.pid),
    tids: model.processes.flatMap((p) => p.threads.map((t) => t.tid)),
  };
}
