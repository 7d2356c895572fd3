// Every option of every CRIU operation is checked and defaulted here, once (execa style): a bad
// value becomes CRYO_INVALID_OPTION naming the option, the value and the fix. The result is the
// wire message CRIU expects (criu_opts) plus what the client itself needs (fds, handlers, abort).

import { fstatSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { invalidOption } from '../errors/index.js';
import {
  criu_cg_mode,
  criu_network_lock_method,
  criu_optsSchema,
  criu_page_server_infoSchema,
  inherit_fdSchema,
  type criu_opts,
} from '../gen/criu/rpc_pb.js';
import type { PreparedSwrk } from './client.js';
import type { CommonOptions, DumpOptions, NotifyHandlers, PageServerOptions, RestoreOptions } from './types.js';

type Operation = 'dump' | 'restore' | 'pre-dump' | 'page-server';

/** What the client needs besides the wire options. */
export interface Normalized {
  operation: Operation;
  imagesDir: string;
  workDir: string;
  logFile: string;
  pid?: number;
  /** Our descriptors to place into criu's fd table, in order, from fd 4 on (inherit_fd). */
  inheritFds: { key: string; fd: number }[];
  notify?: NotifyHandlers;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Restore only: argv prefix `criu swrk` runs under (RestoreOptions.monitor). */
  monitor?: readonly string[];
  /** Restore only: the criu started ahead (RestoreOptions.prepared; set by client.restore). */
  prepared?: PreparedSwrk;
  /** Explicit networkLock, or undefined: the client then picks one for the dump (client.ts). */
  networkLock?: 'iptables' | 'nftables' | 'skip';
  /** tcp_established requested (the network lock then matters). */
  tcpEstablished: boolean;
  /** shell_job: on restore CRIU re-attaches the process to ITS OWN stdin terminal, so we pass ours. */
  shellJob: boolean;
  /** Features the kernel must have for this request (checked with FEATURE_CHECK). */
  needs: ('memTrack' | 'lazyPages')[];
  /** Builds criu_opts once the client has opened the directories (fds in OUR table). */
  wire(fds: { imagesDirFd: number; workDirFd?: number }): criu_opts;
}

/** The descriptor number inherited fd i gets inside criu (0-2 stdio, 3 the RPC socket). */
export const FIRST_INHERITED_FD = 4;

const common = ['imagesDir', 'workDir', 'logFile', 'logLevel', 'shellJob', 'tcpEstablished', 'tcpSkipInFlight',
  'tcpClose', 'extUnixSk', 'fileLocks', 'ghostLimit', 'linkRemap', 'external', 'manageCgroupsMode', 'networkLock',
  'freezeTimeout', 'notify', 'signal', 'timeoutMs'] as const;
const allowed: Record<Operation, readonly string[]> = {
  dump: [...common, 'pid', 'leaveRunning', 'leaveStopped', 'trackMem', 'parentImg', 'lazyPages', 'pageServer'],
  'pre-dump': [...common, 'pid', 'trackMem', 'parentImg', 'pageServer'],
  restore: [...common, 'rstSibling', 'inheritFds', 'lazyPages', 'monitor'],
  'page-server': ['imagesDir', 'workDir', 'logFile', 'logLevel', 'address', 'port', 'lazyPages'],
};


const bool = (o: Record<string, unknown>, k: string): boolean | undefined => {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') invalidOption(k, v, 'use true or false');
  return v;
};
const str = (o: Record<string, unknown>, k: string): string | undefined => {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.includes('\0')) invalidOption(k, v, 'use a non-empty string');
  return v;
};
const int = (o: Record<string, unknown>, k: string, min: number, max: number, fix: string): number | undefined => {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) invalidOption(k, v, fix);
  return v;
};

function oneOf<T extends string>(o: Record<string, unknown>, k: string, values: readonly T[]): T | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) invalidOption(k, v, `use one of ${values.join(', ')}`);
  return v as T;
}

const cgModes = { soft: criu_cg_mode.SOFT, full: criu_cg_mode.FULL, strict: criu_cg_mode.STRICT, ignore: criu_cg_mode.IGNORE };
const lockMethods = {
  iptables: criu_network_lock_method.IPTABLES,
  nftables: criu_network_lock_method.NFTABLES,
  skip: criu_network_lock_method.SKIP,
};

/** Validates and defaults the options of one operation; throws CRYO_INVALID_OPTION on the first bad one. */
export function normalizeOptions(operation: 'dump' | 'pre-dump', raw: DumpOptions): Normalized;
export function normalizeOptions(operation: 'restore', raw: RestoreOptions): Normalized;
export function normalizeOptions(operation: 'page-server', raw: PageServerOptions): Normalized;
export function normalizeOptions(operation: Operation, raw: CommonOptions | PageServerOptions): Normalized {
  if (raw === null || typeof raw !== 'object') invalidOption('options', raw, `pass an options object to ${operation}`);
  const o = raw as unknown as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (o[k] !== undefined && !allowed[operation].includes(k)) {
      invalidOption(k, o[k], `${operation} has no option \`${k}\` (known: ${allowed[operation].join(', ')})`);
    }
  }

  const imagesDir = str(o, 'imagesDir') ?? invalidOption('imagesDir', o['imagesDir'], 'give the images directory path');
  const workDir = str(o, 'workDir') ?? imagesDir;
  const defaultLog = operation === 'restore' ? 'criu-restore.log' : operation === 'page-server' ? 'criu-page-server.log' : `criu-${operation}.log`;
  const logFile = str(o, 'logFile') ?? defaultLog;
  if (logFile.includes('/')) invalidOption('logFile', logFile, 'give a file name (it is created inside workDir)');
  const logLevel = int(o, 'logLevel', 0, 4, 'use 0 to 4') ?? 4;

  const needs: Normalized['needs'] = [];
  const n: Normalized = {
    operation, imagesDir, workDir, logFile, inheritFds: [], needs, shellJob: false, tcpEstablished: false,
    wire: () => create(criu_optsSchema),
  };

  let pid: number | undefined;
  if (operation === 'dump' || operation === 'pre-dump') {
    pid = int(o, 'pid', 1, 2 ** 31 - 1, 'give the pid of a running process (a positive integer)');
    if (pid === undefined) invalidOption('pid', o['pid'], 'give the pid of the process tree to checkpoint');
    n.pid = pid;
  }

  const leaveRunning = bool(o, 'leaveRunning');
  const leaveStopped = bool(o, 'leaveStopped');
  if (leaveRunning && leaveStopped) invalidOption('leaveStopped', true, 'choose either leaveRunning or leaveStopped, not both');
  const trackMem = bool(o, 'trackMem');
  const parentImg = str(o, 'parentImg');
  const lazyPages = bool(o, 'lazyPages');
  if (trackMem || parentImg !== undefined || operation === 'pre-dump') needs.push('memTrack');
  if (lazyPages) needs.push('lazyPages');

  const ghostLimit = int(o, 'ghostLimit', 0, 2 ** 32 - 1, 'give a size in bytes (0 to 4294967295)');
  const freezeTimeout = int(o, 'freezeTimeout', 1, 2 ** 32 - 1, 'give a number of seconds (a positive integer)');
  const external = o['external'];
  if (external !== undefined && (!Array.isArray(external) || external.some((e) => typeof e !== 'string' || e === ''))) {
    invalidOption('external', external, "give an array of CRIU external specs, e.g. ['mnt[/data]:data']");
  }
  const cg = oneOf(o, 'manageCgroupsMode', Object.keys(cgModes) as (keyof typeof cgModes)[]);
  const lock = oneOf(o, 'networkLock', Object.keys(lockMethods) as (keyof typeof lockMethods)[]);
  if (lock !== undefined) n.networkLock = lock;

  const ps = o['pageServer'];
  if (ps !== undefined) {
    const p = ps as Record<string, unknown>;
    if (typeof ps !== 'object' || ps === null || typeof p['address'] !== 'string' || !Number.isInteger(p['port'])
      || (p['port'] as number) < 1 || (p['port'] as number) > 65535) {
      invalidOption('pageServer', ps, "give { address: '10.0.0.2', port: 27027 }");
    }
  }
  const port = int(o, 'port', 0, 65535, 'give a TCP port (0 lets CRIU choose)');
  const address = str(o, 'address');

  const notify = o['notify'];
  if (notify !== undefined) {
    if (typeof notify !== 'object' || notify === null) invalidOption('notify', notify, 'give an object of handlers by script name');
    for (const [k, h] of Object.entries(notify)) {
      if (h !== undefined && typeof h !== 'function') invalidOption(`notify['${k}']`, h, 'give a function (ev) => void | Promise<void>');
    }
    n.notify = notify;
  }
  const signal = o['signal'];
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal)) invalidOption('signal', signal, 'give an AbortSignal (e.g. AbortSignal.timeout(ms))');
    n.signal = signal;
  }
  const timeoutMs = o['timeoutMs'];
  if (timeoutMs !== undefined) {
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      invalidOption('timeoutMs', timeoutMs, 'give a positive number of milliseconds');
    }
    n.timeoutMs = timeoutMs;
  }

  const monitor = o['monitor'];
  if (monitor !== undefined) {
    if (!Array.isArray(monitor) || monitor.length === 0 || monitor.some((a) => typeof a !== 'string' || a.includes('\0'))) {
      invalidOption('monitor', monitor, 'give the launcher argv as a non-empty array of strings');
    }
    n.monitor = [...(monitor as string[])];
  }

  const inherit = o['inheritFds'];
  if (inherit !== undefined) {
    if (!Array.isArray(inherit)) invalidOption('inheritFds', inherit, "give [{ key: 'pipe:[1234]', fd: 7 }, ...]");
    for (const [i, e] of (inherit as unknown[]).entries()) {
      const r = e as Record<string, unknown> | null;
      if (typeof r !== 'object' || r === null || typeof r['key'] !== 'string' || r['key'] === '') {
        invalidOption(`inheritFds[${i}].key`, r?.['key'], "give the dumped file's identity, e.g. 'pipe:[1234]'");
      }
      const fd = r['fd'];
      if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
        invalidOption(`inheritFds[${i}].fd`, fd, 'give an open file descriptor number of this process');
      }
      try {
        fstatSync(fd);
      } catch {
        invalidOption(`inheritFds[${i}].fd`, fd, 'that descriptor is not open in this process; open it first');
      }
      n.inheritFds.push({ key: r['key'], fd });
    }
  }
  const rstSibling = bool(o, 'rstSibling') ?? (operation === 'restore' ? true : undefined);

  const flags = {
    shellJob: bool(o, 'shellJob'), tcpEstablished: bool(o, 'tcpEstablished'), tcpSkipInFlight: bool(o, 'tcpSkipInFlight'),
    tcpClose: bool(o, 'tcpClose'), extUnixSk: bool(o, 'extUnixSk'), fileLocks: bool(o, 'fileLocks'), linkRemap: bool(o, 'linkRemap'),
  };

  n.shellJob = flags.shellJob === true;
  n.tcpEstablished = flags.tcpEstablished === true;
  n.wire = ({ imagesDirFd, workDirFd }) => {
    const w = create(criu_optsSchema, { imagesDirFd, logLevel, logFile });
    if (workDirFd !== undefined) w.workDirFd = workDirFd;
    if (pid !== undefined) w.pid = pid;
    if (leaveRunning !== undefined) w.leaveRunning = leaveRunning;
    if (leaveStopped !== undefined) w.leaveStopped = leaveStopped;
    if (flags.shellJob !== undefined) w.shellJob = flags.shellJob;
    if (flags.tcpEstablished !== undefined) w.tcpEstablished = flags.tcpEstablished;
    if (flags.tcpSkipInFlight !== undefined) w.tcpSkipInFlight = flags.tcpSkipInFlight;
    if (flags.tcpClose !== undefined) w.tcpClose = flags.tcpClose;
    if (flags.extUnixSk !== undefined) w.extUnixSk = flags.extUnixSk;
    if (flags.fileLocks !== undefined) w.fileLocks = flags.fileLocks;
    if (flags.linkRemap !== undefined) w.linkRemap = flags.linkRemap;
    if (ghostLimit !== undefined) w.ghostLimit = ghostLimit;
    if (freezeTimeout !== undefined) w.timeout = freezeTimeout;
    if (external !== undefined) w.external = [...(external as string[])];
    if (cg !== undefined) w.manageCgroupsMode = cgModes[cg];
    // CRIU restores with the method recorded in the images; only a dump's choice matters.
    if (n.networkLock !== undefined && operation !== 'page-server') w.networkLock = lockMethods[n.networkLock];
    if (trackMem !== undefined) w.trackMem = trackMem;
    if (parentImg !== undefined) w.parentImg = parentImg;
    if (lazyPages !== undefined) w.lazyPages = lazyPages;
    if (rstSibling !== undefined) w.rstSibling = rstSibling;
    if (n.notify !== undefined) w.notifyScripts = true;
    if (ps !== undefined) {
      const p = ps as { address: string; port: number };
      w.ps = create(criu_page_server_infoSchema, { address: p.address, port: p.port });
    }
    if (operation === 'page-server') {
      w.ps = create(criu_page_server_infoSchema, { port: port ?? 0 });
      if (address !== undefined) w.ps.address = address;
    }
    w.inheritFd = n.inheritFds.map((e, i) => create(inherit_fdSchema, { key: e.key, fd: FIRST_INHERITED_FD + i }));
    return w;
  };
  return n;
}
