// Resolves CRIU file ids (files.img) into FileObjects: paths of regular files (with deleted-file
// remaps), socket addresses and states, pipes, fifos, terminals and the special fds.

import type { ImagesDir } from '../images-dir.js';
import { fd_types, type file_entry } from '../../gen/criu/images/fdinfo_pb.js';
import { isFieldSet } from '@bufbuild/protobuf';
import { reg_file_entrySchema, type reg_file_entry } from '../../gen/criu/images/regfile_pb.js';
import { remap_type, type remap_file_path_entry } from '../../gen/criu/images/remap-file-path_pb.js';
import type { inet_sk_entry } from '../../gen/criu/images/sk-inet_pb.js';
import type { unix_sk_entry } from '../../gen/criu/images/sk-unix_pb.js';
import { TtyType, type tty_info_entry } from '../../gen/criu/images/tty_pb.js';
import type { memfd_inode_entry } from '../../gen/criu/images/memfd_pb.js';
import type { FileObject, RegularFile, SocketInfo, TtyInfo } from './types.js';
import { familyNames, formatAddress, protocolNames, socketStateNames, socketTypeNames } from './socket-address.js';

/** The lower-case name of an fd type (reg, pipe, inetsk ...), as used in the model. */
export function fdTypeName(t: fd_types): string {
  const names: Partial<Record<fd_types, string>> = {
    [fd_types.REG]: 'reg', [fd_types.PIPE]: 'pipe', [fd_types.FIFO]: 'fifo', [fd_types.INETSK]: 'inet',
    [fd_types.UNIXSK]: 'unix', [fd_types.EVENTFD]: 'eventfd', [fd_types.EVENTPOLL]: 'eventpoll',
    [fd_types.INOTIFY]: 'inotify', [fd_types.SIGNALFD]: 'signalfd', [fd_types.PACKETSK]: 'packet',
    [fd_types.TTY]: 'tty', [fd_types.FANOTIFY]: 'fanotify', [fd_types.NETLINKSK]: 'netlink', [fd_types.NS]: 'ns',
    [fd_types.TUNF]: 'tun', [fd_types.EXT]: 'external', [fd_types.TIMERFD]: 'timerfd', [fd_types.MEMFD]: 'memfd',
    [fd_types.BPFMAP]: 'bpfmap', [fd_types.PIDFD]: 'pidfd', [fd_types.CTL_TTY]: 'ctl-tty',
    [fd_types.AUTOFS_PIPE]: 'autofs-pipe',
  };
  return names[t] ?? `type ${t}`;
}

const num = (v: bigint | number): number => Number(v);

/** Lazily resolves file ids of one checkpoint, caching the result per id. */
export class FileResolver {
  private entries?: Map<number, file_entry>;
  private remaps?: Map<number, remap_file_path_entry>;
  private ttys?: Map<number, tty_info_entry>;
  private memfds?: Map<number, memfd_inode_entry>;
  private readonly resolved = new Map<number, FileObject>();

  constructor(private readonly images: ImagesDir) {}

  private fileEntries(): Map<number, file_entry> {
    this.entries ??= new Map(this.images.messages<file_entry>('files.img', 'FILES').map((f) => [f.id, f]));
    return this.entries;
  }

  /** All resolved file objects seen so far, by id order. */
  all(): FileObject[] {
    return [...this.resolved.values()].sort((a, b) => a.id - b.id);
  }

  /** The file object `id`; a placeholder (type `missing`) if files.img lacks it. */
  get(id: number): FileObject {
    let f = this.resolved.get(id);
    if (f === undefined) {
      const e = this.fileEntries().get(id);
      f = e === undefined ? { id, type: 'missing', description: `file id ${id} (not in files.img)` } : this.resolve(e);
      this.resolved.set(id, f);
    }
    return f;
  }

  /** The path of regular file `id`, or undefined if it is not a regular file. */
  path(id: number): string | undefined {
    return this.get(id).regular?.path;
  }

  private resolve(e: file_entry): FileObject {
    const type = fdTypeName(e.type);
    const base = { id: e.id, type };
    switch (e.type) {
      case fd_types.REG: {
        if (!e.reg) break;
        const regular = this.regular(e.reg);
        const note = regular.deleted ? ' (deleted)' : '';
        return { ...base, description: regular.path + note, regular };
      }
      case fd_types.INETSK:
        if (e.isk) return { ...base, ...describeSocket(inetSocket(e.isk)) };
        break;
      case fd_types.UNIXSK:
        if (e.usk) return { ...base, ...describeSocket(unixSocket(e.usk)) };
        break;
      case fd_types.PIPE:
        if (e.pipe) return { ...base, description: `pipe:[${e.pipe.pipeId}]`, pipe: { pipeId: e.pipe.pipeId } };
        break;
      case fd_types.FIFO: {
        if (!e.fifo) break;
        const path = e.fifo.regfId !== 0 ? this.path(e.fifo.regfId) : undefined;
        return {
          ...base, description: `fifo ${path ?? `pipe:[${e.fifo.pipeId}]`}`,
          pipe: { pipeId: e.fifo.pipeId, ...(path === undefined ? {} : { path }) },
        };
      }
      case fd_types.TTY: {
        if (!e.tty) break;
        const tty = this.tty(e.tty.ttyInfoId, e.tty.regfId);
        return { ...base, description: `tty ${tty.path ?? tty.kind}`, tty };
      }
      case fd_types.EVENTFD:
        if (e.efd) return { ...base, description: `eventfd counter=${e.efd.counter}`, details: { counter: num(e.efd.counter) } };
        break;
      case fd_types.EVENTPOLL:
        if (e.epfd) {
          const targets = e.epfd.tfd.map((t) => t.tfd);
          return { ...base, description: `eventpoll watching fds [${targets.join(', ')}]`, details: { targets } };
        }
        break;
      case fd_types.SIGNALFD:
        if (e.sgfd) {
          const sigmask = `0x${e.sgfd.sigmask.toString(16)}`;
          return { ...base, description: `signalfd mask=${sigmask}`, details: { sigmask } };
        }
        break;
      case fd_types.TIMERFD:
        if (e.tfd) {
          const d = { clockid: e.tfd.clockid, ticks: num(e.tfd.ticks), intervalSec: num(e.tfd.isec), valueSec: num(e.tfd.vsec) };
          return { ...base, description: `timerfd clock=${d.clockid} interval=${d.intervalSec}s`, details: d };
        }
        break;
      case fd_types.MEMFD:
        if (e.memfd) {
          const inode = this.memfdInode(e.memfd.inodeId);
          const name = inode?.name ?? `inode ${e.memfd.inodeId}`;
          const details = inode ? { name: inode.name, size: num(inode.size), seals: inode.seals } : { inodeId: e.memfd.inodeId };
          return { ...base, description: `memfd:${name}`, details };
        }
        break;
      case fd_types.INOTIFY:
        if (e.ify) return { ...base, description: `inotify watching ${e.ify.wd.length} inode(s)`, details: { watches: e.ify.wd.length } };
        break;
      case fd_types.NS:
        if (e.nsf) return { ...base, description: `namespace id=${e.nsf.nsId} cflag=0x${e.nsf.nsCflag.toString(16)}` };
        break;
      case fd_types.PACKETSK:
        if (e.psk) return { ...base, description: `packet socket ifindex=${e.psk.ifindex}`, socket: {
          family: 'packet', type: socketTypeNames[e.psk.type] ?? String(e.psk.type), state: '', inode: e.psk.id } };
        break;
      case fd_types.NETLINKSK:
        if (e.nlsk) return { ...base, description: `netlink protocol=${e.nlsk.protocol}`, socket: {
          family: 'netlink', type: 'raw', protocol: String(e.nlsk.protocol), state: '',
          inode: e.nlsk.ino } };
        break;
      default:
        break;
    }
    return { ...base, description: type };
  }

  private regular(r: reg_file_entry): RegularFile {
    this.remaps ??= new Map(this.images.messages<remap_file_path_entry>('remap-fpath.img', 'REMAP_FPATH').map((m) => [m.origId, m]));
    const remap = this.remaps.get(r.id);
    let deleted: RegularFile['deleted'];
    if (remap) {
      const kind = remap.remapType === remap_type.GHOST ? 'ghost' : remap.remapType === remap_type.PROCFS ? 'procfs' : 'linked';
      const ghostImage = `ghost-file-${remap.remapId.toString(16)}.img`;
      const ghost = kind === 'ghost' ? this.images.files.get(ghostImage) : undefined;
      deleted = { remap: kind, ...(ghost ? { ghostImage, ghostBytes: ghost.size } : {}) };
    }
    return {
      path: r.name,
      flags: r.flags,
      pos: num(r.pos),
      ...(isFieldSet(r, reg_file_entrySchema.field.size) ? { size: num(r.size) } : {}),
      ...(isFieldSet(r, reg_file_entrySchema.field.mode) ? { mode: r.mode } : {}),
      ...(deleted ? { deleted } : {}),
    };
  }

  private tty(infoId: number, regfId: number): TtyInfo {
    this.ttys ??= new Map(this.images.messages<tty_info_entry>('tty-info.img', 'TTY_INFO').map((t) => [t.id, t]));
    const info = this.ttys.get(infoId);
    const path = regfId !== 0 ? this.path(regfId) : undefined;
    return {
      kind: info ? (TtyType[info.type]?.toLowerCase() ?? `type ${info.type}`) : 'unknown',
      ...(path === undefined ? {} : { path }),
      ...(info?.pty ? { index: info.pty.index } : {}),
      ...(info ? { sid: info.sid, pgrp: info.pgrp } : {}),
    };
  }

  private memfdInode(id: number): memfd_inode_entry | undefined {
    this.memfds ??= new Map(this.images.messages<memfd_inode_entry>('memfd.img', 'MEMFD_INODE').map((m) => [Number(m.inodeId), m]));
    return this.memfds.get(id);
  }
}

function inetSocket(s: inet_sk_entry): SocketInfo {
  const local = formatAddress(s.srcAddr, s.family);
  const remote = formatAddress(s.dstAddr, s.family);
  return {
    family: familyNames[s.family] ?? String(s.family),
    type: socketTypeNames[s.type] ?? String(s.type),
    protocol: protocolNames[s.proto] ?? String(s.proto),
    state: socketStateNames[s.state] ?? String(s.state),
    ...(local === undefined ? {} : { localAddress: local }),
    localPort: s.srcPort,
    ...(remote === undefined ? {} : { remoteAddress: remote }),
    remotePort: s.dstPort,
    inode: s.ino,
  };
}

function unixSocket(s: unix_sk_entry): SocketInfo {
  let path: string | undefined;
  if (s.name.length > 0) {
    path = s.name[0] === 0 ? `@${Buffer.from(s.name.subarray(1)).toString('utf8')}` : Buffer.from(s.name).toString('utf8');
  }
  return {
    family: 'unix',
    type: socketTypeNames[s.type] ?? String(s.type),
    state: socketStateNames[s.state] ?? String(s.state),
    ...(path === undefined ? {} : { path }),
    ...(s.peer !== 0 ? { peer: s.peer } : {}),
    inode: s.ino,
  };
}

const hostPort = (addr: string | undefined, port: number | undefined): string =>
  `${addr?.includes(':') === true ? `[${addr}]` : (addr ?? '*')}:${port ?? 0}`;

function describeSocket(socket: SocketInfo): { description: string; socket: SocketInfo } {
  if (socket.family === 'unix') {
    const where = socket.path ?? (socket.peer !== undefined ? `peer inode ${socket.peer}` : 'unnamed');
    return { description: `unix ${socket.type} ${where} ${socket.state}`, socket };
  }
  let d = `${socket.protocol ?? socket.family} ${hostPort(socket.localAddress, socket.localPort)}`;
  if (socket.remotePort) d += ` -> ${hostPort(socket.remoteAddress, socket.remotePort)}`;
  return { description: `${d} ${socket.state}`, socket };
}
