// The checkpoint model: what a checkpoint holds, in plain JSON-safe terms (numbers, strings,
// addresses as hex strings), built from the images by build-model.ts. `cryo inspect` prints it and
// pre-flight checks query it (see queries.ts).

/** A whole checkpoint. */
export interface CheckpointModel {
  readonly dir: string;
  readonly criu: CriuInfo;
  /** Every dumped process, in pstree order (the root first). */
  readonly processes: readonly ProcessInfo[];
  /** Every file object any process uses (fds, cwd/root, exe, mapped files), by CRIU file id. */
  readonly files: readonly FileObject[];
  readonly namespaces: NamespacesInfo;
  readonly stats: StatsInfo;
  readonly disk: DiskInfo;
  /** Image files whose type (magic) this cryo does not know or cannot read: listed, not decoded. */
  readonly unknownImages: readonly { file: string; detail: string }[];
}

/** Facts from inventory.img. */
export interface CriuInfo {
  readonly imageVersion: number;
  readonly runId?: string;
  readonly lsm?: string;
  readonly networkLockMethod?: number;
  readonly tcpClose?: boolean;
  readonly plugins: readonly string[];
}

/** One process of the tree. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  readonly threads: readonly ThreadInfo[];
  /** The task's comm (short command name, at most 15 bytes). */
  readonly command: string;
  /** alive, zombie, stopped, or `state N` for values cryo does not know. */
  readonly state: string;
  readonly exitCode: number;
  /** Kernel object ids: processes with equal ids share that object (e.g. one fd table). */
  readonly ids: TaskIds;
  readonly memory?: MemoryInfo;
  readonly fds: readonly FdInfo[];
  readonly cwd?: string;
  readonly root?: string;
  readonly umask?: number;
  readonly seccomp?: { readonly mode: string; readonly filters: number };
}

/** One thread (the main thread is the first). */
export interface ThreadInfo {
  readonly tid: number;
  readonly command?: string;
}

/** Kernel object ids of a task (files, fs, vm, and each namespace). */
export interface TaskIds {
  readonly vm?: number;
  readonly files?: number;
  readonly fs?: number;
  readonly sighand?: number;
  readonly pidNs?: number;
  readonly netNs?: number;
  readonly ipcNs?: number;
  readonly utsNs?: number;
  readonly mntNs?: number;
  readonly userNs?: number;
  readonly cgroupNs?: number;
  readonly timeNs?: number;
}

/** A process's address space. */
export interface MemoryInfo {
  readonly exe?: string;
  readonly mappings: readonly Mapping[];
  /** Pages whose content the checkpoint holds (in pages-*.img, a parent checkpoint, or lazy). */
  readonly residentPages: number;
  readonly residentBytes: number;
  /** Pages stored in this checkpoint's own pages image. */
  readonly pagesInImage: number;
  /** The pages image holding them (pages-<id>.img). */
  readonly pagesImage?: string;
  /** Ranges of dumped pages, as in pagemap-<pid>.img. */
  readonly pageRanges: readonly PageRange[];
  /** Layout fields of mm-<pid>.img, addresses as hex. */
  readonly layout: Readonly<Record<string, string>>;
}

/** One virtual memory area. */
export interface Mapping {
  readonly start: string;
  readonly end: string;
  readonly bytes: number;
  /** rwx with '-' for missing permissions, then 's' (shared) or 'p' (private), as /proc/PID/maps. */
  readonly perms: string;
  /** heap, stack, vdso, vvar, vsyscall, file, anon, shmem, sysvipc, memfd, socket, aio ... */
  readonly kind: string;
  readonly file?: string;
  /** Offset into the backing file, bytes. */
  readonly offset?: number;
  readonly residentPages: number;
}

/** A run of dumped pages. */
export interface PageRange {
  readonly start: string;
  readonly pages: number;
  /** `image`: in pages-*.img at `imageOffset`; `parent`: in the parent checkpoint; `lazy`: served later. */
  readonly where: 'image' | 'parent' | 'lazy' | 'none';
  readonly imageOffset?: number;
}

/** One open file descriptor of a process. */
export interface FdInfo {
  readonly fd: number;
  /** CRIU's id of the file object (see CheckpointModel.files). */
  readonly fileId: number;
  readonly type: string;
  readonly cloexec: boolean;
  /** A one-line description: a path, `tcp 0.0.0.0:8080 LISTEN`, `pipe:[1234]`, ... */
  readonly description: string;
}

/** A file object of files.img, resolved. */
export interface FileObject {
  readonly id: number;
  /** reg, pipe, fifo, inet, unix, tty, eventfd, eventpoll, signalfd, timerfd, memfd, ... */
  readonly type: string;
  readonly description: string;
  readonly regular?: RegularFile;
  readonly socket?: SocketInfo;
  readonly pipe?: { readonly pipeId: number; readonly path?: string };
  readonly tty?: TtyInfo;
  /** Other fields kept as decoded, for types without a dedicated shape. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A regular file (or directory, device node ...) a process used. */
export interface RegularFile {
  readonly path: string;
  /** Recorded size; absent when CRIU does not check it (O_WRONLY|O_APPEND, directories ...). */
  readonly size?: number;
  readonly mode?: number;
  readonly flags: number;
  readonly pos: number;
  /** The file was deleted while open; its contents are in a ghost image or a link remap. */
  readonly deleted?: { readonly remap: string; readonly ghostImage?: string; readonly ghostBytes?: number };
}

/** An inet or unix socket. */
export interface SocketInfo {
  /** unix, inet, inet6, netlink, packet. */
  readonly family: string;
  /** stream, dgram, seqpacket, raw ... */
  readonly type: string;
  /** tcp, udp, udplite, or the protocol number. */
  readonly protocol?: string;
  /** LISTEN, ESTABLISHED, CLOSE ... */
  readonly state: string;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  /** unix sockets: bound path or @abstract name, and the peer socket's inode. */
  readonly path?: string;
  readonly peer?: number;
  readonly inode?: number;
}

/** A terminal. */
export interface TtyInfo {
  readonly kind: string;
  readonly path?: string;
  readonly index?: number;
  readonly sid?: number;
  readonly pgrp?: number;
}

/** Which namespaces the checkpoint captured. */
export interface NamespacesInfo {
  /** The root task's namespace ids (from inventory.img). */
  readonly root: TaskIds;
  /** Namespace images in the directory (utsns-*, ipcns-*, netns-*, mountpoints-*, timens-*, pidns-*...). */
  readonly images: readonly string[];
  /** Namespace kinds the checkpoint carries (restored as new namespaces): uts, ipc, net, pid, time ... */
  readonly captured: readonly string[];
  /** Each namespace kind that differs between processes of the tree (nested namespaces). */
  readonly nested: readonly string[];
}

/** Dump/restore statistics from stats-dump and stats-restore. */
export interface StatsInfo {
  readonly dump?: {
    readonly freezingTimeUs: number;
    readonly frozenTimeUs: number;
    readonly memdumpTimeUs: number;
    readonly memwriteTimeUs: number;
    readonly pagesScanned: number;
    readonly pagesSkippedParent: number;
    readonly pagesWritten: number;
    readonly pagesLazy: number;
    readonly [key: string]: number;
  };
  readonly restore?: {
    readonly pagesCompared: number;
    readonly pagesSkippedCow: number;
    readonly forkingTimeUs: number;
    readonly restoreTimeUs: number;
    readonly pagesRestored?: number;
  };
}

/** Sizes on disk. */
export interface DiskInfo {
  readonly totalBytes: number;
  readonly pagesBytes: number;
  readonly imageBytes: number;
  readonly otherBytes: number;
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly kind: string }[];
}
