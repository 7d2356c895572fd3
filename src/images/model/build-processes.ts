// The process tree from pstree.img, and per process: core-<tid>.img (state, comm, exit code,
// threads), its kernel object ids (core or ids-<pid>.img), fds (fdinfo-<files id>.img), cwd and
// root (fs-<pid>.img), and seccomp mode.

import type { core_entry, task_kobj_ids_entry } from '../../gen/criu/images/core_pb.js';
import { seccomp_mode } from '../../gen/criu/images/core_pb.js';
import type { fdinfo_entry } from '../../gen/criu/images/fdinfo_pb.js';
import type { fs_entry } from '../../gen/criu/images/fs_pb.js';
import type { pstree_entry } from '../../gen/criu/images/pstree_pb.js';
import type { seccomp_entry } from '../../gen/criu/images/seccomp_pb.js';
import type { ImagesDir } from '../images-dir.js';
import { fdTypeName, type FileResolver } from './build-files.js';
import { buildMemory } from './build-memory.js';
import type { FdInfo, ProcessInfo, TaskIds, ThreadInfo } from './types.js';

/** Task states as CRIU records them (compel's task state numbers). */
const taskStates: Record<number, string> = { 1: 'alive', 2: 'dead', 3: 'stopped', 6: 'zombie' };
const FD_CLOEXEC = 1;

/** Kernel object ids in model form, from a task_kobj_ids_entry. */
export function taskIds(ids: task_kobj_ids_entry | undefined): TaskIds {
  if (ids === undefined) return {};
  const out: Record<string, number> = {
    vm: ids.vmId, files: ids.filesId, fs: ids.fsId, sighand: ids.sighandId, pidNs: ids.pidNsId,
    netNs: ids.netNsId, ipcNs: ids.ipcNsId, utsNs: ids.utsNsId, mntNs: ids.mntNsId, userNs: ids.userNsId,
    cgroupNs: ids.cgroupNsId, timeNs: ids.timeNsId,
  };
  for (const k of Object.keys(out)) if (out[k] === 0) delete out[k];
  return out;
}

function buildFds(images: ImagesDir, filesId: number | undefined, files: FileResolver): FdInfo[] {
  if (filesId === undefined) return [];
  return images.messages<fdinfo_entry>(`fdinfo-${filesId}.img`, 'FDINFO').map((e) => ({
    fd: e.fd,
    fileId: e.id,
    type: fdTypeName(e.type),
    cloexec: (e.flags & FD_CLOEXEC) !== 0,
    description: files.get(e.id).description,
  }));
}

/** Builds one process of the tree. */
export function buildProcess(images: ImagesDir, p: pstree_entry, files: FileResolver): ProcessInfo {
  const core = images.first<core_entry>(`core-${p.pid}.img`, 'CORE');
  const idsEntry = images.first<task_kobj_ids_entry>(`ids-${p.pid}.img`, 'IDS') ?? core?.ids;
  const ids = taskIds(idsEntry);
  const tc = core?.tc;
  const threadIds = p.threads.length > 0 ? p.threads : [p.pid];
  const threads: ThreadInfo[] = threadIds.map((tid) => {
    const tcore = tid === p.pid ? core : images.first<core_entry>(`core-${tid}.img`, 'CORE');
    const comm = tcore?.threadCore?.comm || (tid === p.pid ? tc?.comm : undefined);
    return { tid, ...(comm ? { command: comm } : {}) };
  });
  const fs = images.first<fs_entry>(`fs-${p.pid}.img`, 'FS');
  const cwd = fs ? files.path(fs.cwdId) : undefined;
  const root = fs ? files.path(fs.rootId) : undefined;
  const memory = buildMemory(images, p.pid, files);
  const mode = core?.threadCore?.seccompMode ?? seccomp_mode.disabled;
  let seccomp: ProcessInfo['seccomp'];
  if (mode !== seccomp_mode.disabled) {
    const filters = images.first<seccomp_entry>('seccomp.img', 'SECCOMP')?.seccompFilters.length ?? 0;
    seccomp = { mode: seccomp_mode[mode], filters };
  }
  return {
    pid: p.pid,
    ppid: p.ppid,
    pgid: p.pgid,
    sid: p.sid,
    threads,
    command: tc?.comm ?? '',
    state: tc ? (taskStates[tc.taskState] ?? `state ${tc.taskState}`) : 'unknown',
    exitCode: tc?.exitCode ?? 0,
    ids,
    ...(memory ? { memory } : {}),
    fds: buildFds(images, ids.files, files),
    ...(cwd === undefined ? {} : { cwd }),
    ...(root === undefined ? {} : { root }),
    ...(fs && fs.umask !== undefined ? { umask: fs.umask } : {}),
    ...(seccomp ? { seccomp } : {}),
  };
}

/** The tree's entries, root first, as pstree.img lists them. */
export function readPstree(images: ImagesDir): pstree_entry[] {
  return images.messages<pstree_entry>('pstree.img', 'PSTREE');
}
