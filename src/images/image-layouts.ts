// How each image type is laid out after its magic: which protobuf message its entries hold and
// whether raw bytes follow an entry (pipe contents, socket queues, ...). The decoder needs the
// size of those raw bytes to find the next entry; it comes from a field of the entry itself.

import type { DescMessage, Message } from '@bufbuild/protobuf';
import type { ImageType } from './image-magic.js';
import { apparmor_entrySchema } from '../gen/criu/images/apparmor_pb.js';
import { autofs_entrySchema } from '../gen/criu/images/autofs_pb.js';
import { binfmt_misc_entrySchema } from '../gen/criu/images/binfmt-misc_pb.js';
import { bpfmap_data_entrySchema, type bpfmap_data_entry } from '../gen/criu/images/bpfmap-data_pb.js';
import { bpfmap_file_entrySchema } from '../gen/criu/images/bpfmap-file_pb.js';
import { cgroup_entrySchema } from '../gen/criu/images/cgroup_pb.js';
import { core_entrySchema, task_kobj_ids_entrySchema } from '../gen/criu/images/core_pb.js';
import { cpuinfo_entrySchema } from '../gen/criu/images/cpuinfo_pb.js';
import { creds_entrySchema } from '../gen/criu/images/creds_pb.js';
import { eventfd_file_entrySchema } from '../gen/criu/images/eventfd_pb.js';
import { eventpoll_file_entrySchema, eventpoll_tfd_entrySchema } from '../gen/criu/images/eventpoll_pb.js';
import { ext_file_entrySchema } from '../gen/criu/images/ext-file_pb.js';
import { fdinfo_entrySchema, file_entrySchema } from '../gen/criu/images/fdinfo_pb.js';
import { irmap_cache_entrySchema } from '../gen/criu/images/fh_pb.js';
import { fifo_entrySchema } from '../gen/criu/images/fifo_pb.js';
import { file_lock_entrySchema } from '../gen/criu/images/file-lock_pb.js';
import { fs_entrySchema } from '../gen/criu/images/fs_pb.js';
import {
  fanotify_file_entrySchema, fanotify_mark_entrySchema, inotify_file_entrySchema, inotify_wd_entrySchema,
} from '../gen/criu/images/fsnotify_pb.js';
import { inventory_entrySchema } from '../gen/criu/images/inventory_pb.js';
import { ipc_msg_entrySchema, type ipc_msg_entry } from '../gen/criu/images/ipc-msg_pb.js';
import { ipc_sem_entrySchema, type ipc_sem_entry } from '../gen/criu/images/ipc-sem_pb.js';
import { ipc_shm_entrySchema, type ipc_shm_entry } from '../gen/criu/images/ipc-shm_pb.js';
import { ipc_var_entrySchema } from '../gen/criu/images/ipc-var_pb.js';
import { memfd_inode_entrySchema } from '../gen/criu/images/memfd_pb.js';
import { mm_entrySchema } from '../gen/criu/images/mm_pb.js';
import { mnt_entrySchema } from '../gen/criu/images/mnt_pb.js';
import { net_device_entrySchema, netns_entrySchema } from '../gen/criu/images/netdev_pb.js';
import { ns_file_entrySchema } from '../gen/criu/images/ns_pb.js';
import { packet_sock_entrySchema } from '../gen/criu/images/packet-sock_pb.js';
import { pidfd_entrySchema } from '../gen/criu/images/pidfd_pb.js';
import { pidns_entrySchema } from '../gen/criu/images/pidns_pb.js';
import { pipe_data_entrySchema, type pipe_data_entry } from '../gen/criu/images/pipe-data_pb.js';
import { pipe_entrySchema } from '../gen/criu/images/pipe_pb.js';
import { pstree_entrySchema } from '../gen/criu/images/pstree_pb.js';
import { reg_file_entrySchema } from '../gen/criu/images/regfile_pb.js';
import { remap_file_path_entrySchema } from '../gen/criu/images/remap-file-path_pb.js';
import { rlimit_entrySchema } from '../gen/criu/images/rlimit_pb.js';
import { sa_entrySchema } from '../gen/criu/images/sa_pb.js';
import { seccomp_entrySchema } from '../gen/criu/images/seccomp_pb.js';
import { signal_queue_entrySchema } from '../gen/criu/images/siginfo_pb.js';
import { signalfd_entrySchema } from '../gen/criu/images/signalfd_pb.js';
import { inet_sk_entrySchema } from '../gen/criu/images/sk-inet_pb.js';
import { netlink_sk_entrySchema } from '../gen/criu/images/sk-netlink_pb.js';
import { sk_packet_entrySchema, type sk_packet_entry } from '../gen/criu/images/sk-packet_pb.js';
import { unix_sk_entrySchema } from '../gen/criu/images/sk-unix_pb.js';
import { stats_entrySchema } from '../gen/criu/images/stats_pb.js';
import { tcp_stream_entrySchema, type tcp_stream_entry } from '../gen/criu/images/tcp-stream_pb.js';
import { timens_entrySchema } from '../gen/criu/images/timens_pb.js';
import { itimer_entrySchema, posix_timer_entrySchema } from '../gen/criu/images/timer_pb.js';
import { timerfd_entrySchema } from '../gen/criu/images/timerfd_pb.js';
import { tty_data_entrySchema, tty_file_entrySchema, tty_info_entrySchema } from '../gen/criu/images/tty_pb.js';
import { tunfile_entrySchema } from '../gen/criu/images/tun_pb.js';
import { userns_entrySchema } from '../gen/criu/images/userns_pb.js';
import { utsns_entrySchema } from '../gen/criu/images/utsns_pb.js';
import { vma_entrySchema } from '../gen/criu/images/vma_pb.js';

/**
 * What follows one entry: `bytes` of raw data (the entry says how many), or a nested sequence of
 * framed sub-entries (System V message queues). `null` means nothing follows.
 */
export type Trailer = { kind: 'bytes'; length: bigint | number } | { kind: 'ipc-msgs'; count: number } | null;

/** The layout of one image type. */
export type ImageLayout =
  /** u32-framed entries of one message type, each maybe followed by raw bytes. */
  | { kind: 'entries'; schema: DescMessage; trailer?: (msg: Message) => Trailer }
  /** pagemap: a pagemap_head entry, then pagemap_entry entries. */
  | { kind: 'pagemap' }
  /** ghost file: a ghost_file_entry, then either raw content or (chunks) chunk entries + bytes. */
  | { kind: 'ghost' }
  /** A type we know by magic whose content is not protobuf entries (e.g. kdat). */
  | { kind: 'opaque' };

const plain = (schema: DescMessage): ImageLayout => ({ kind: 'entries', schema });
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Pipe and FIFO contents share one format: an entry, then `bytes` of queued data. */
const pipeData: ImageLayout = {
  kind: 'entries', schema: pipe_data_entrySchema,
  trailer: (m) => ({ kind: 'bytes', length: (m as pipe_data_entry).bytes }),
};

/** The layout of every image type the decoder supports. */
export const imageLayouts: Record<ImageType, ImageLayout> = {
  INVENTORY: plain(inventory_entrySchema),
  PSTREE: plain(pstree_entrySchema),
  FDINFO: plain(fdinfo_entrySchema),
  PAGEMAP: { kind: 'pagemap' },
  CORE: plain(core_entrySchema),
  IDS: plain(task_kobj_ids_entrySchema),
  VMAS: plain(vma_entrySchema),
  PIPES: plain(pipe_entrySchema),
  PIPES_DATA: pipeData,
  FIFO: plain(fifo_entrySchema),
  FIFO_DATA: pipeData,
  SIGACT: plain(sa_entrySchema),
  UNIXSK: plain(unix_sk_entrySchema),
  INETSK: plain(inet_sk_entrySchema),
  PACKETSK: plain(packet_sock_entrySchema),
  ITIMERS: plain(itimer_entrySchema),
  POSIX_TIMERS: plain(posix_timer_entrySchema),
  SK_QUEUES: {
    kind: 'entries', schema: sk_packet_entrySchema,
    trailer: (m) => ({ kind: 'bytes', length: (m as sk_packet_entry).length }),
  },
  UTSNS: plain(utsns_entrySchema),
  CREDS: plain(creds_entrySchema),
  IPC_VAR: plain(ipc_var_entrySchema),
  // shm contents: `size` bytes padded to 4 (unless kept in pagemap/pages images); semaphores: nsems u16 values padded to 8.
  IPCNS_SHM: {
    kind: 'entries', schema: ipc_shm_entrySchema,
    trailer: (m) => {
      const shm = m as ipc_shm_entry;
      return shm.inPagemaps === true ? null : { kind: 'bytes', length: roundUp(Number(shm.size), 4) };
    },
  },
  IPCNS_MSG: {
    kind: 'entries', schema: ipc_msg_entrySchema,
    trailer: (m) => ({ kind: 'ipc-msgs', count: (m as ipc_msg_entry).qnum }),
  },
  IPCNS_SEM: {
    kind: 'entries', schema: ipc_sem_entrySchema,
    trailer: (m) => ({ kind: 'bytes', length: roundUp((m as ipc_sem_entry).nsems * 2, 8) }),
  },
  REG_FILES: plain(reg_file_entrySchema),
  EXT_FILES: plain(ext_file_entrySchema),
  FS: plain(fs_entrySchema),
  MM: plain(mm_entrySchema),
  REMAP_FPATH: plain(remap_file_path_entrySchema),
  GHOST_FILE: { kind: 'ghost' },
  TCP_STREAM: {
    kind: 'entries', schema: tcp_stream_entrySchema,
    trailer: (m) => {
      const t = m as tcp_stream_entry;
      return { kind: 'bytes', length: t.inqLen + t.outqLen };
    },
  },
  EVENTFD_FILE: plain(eventfd_file_entrySchema),
  EVENTPOLL_FILE: plain(eventpoll_file_entrySchema),
  EVENTPOLL_TFD: plain(eventpoll_tfd_entrySchema),
  SIGNALFD: plain(signalfd_entrySchema),
  INOTIFY_FILE: plain(inotify_file_entrySchema),
  INOTIFY_WD: plain(inotify_wd_entrySchema),
  MNTS: plain(mnt_entrySchema),
  NETDEV: plain(net_device_entrySchema),
  NETNS: plain(netns_entrySchema),
  TTY_FILES: plain(tty_file_entrySchema),
  TTY_INFO: plain(tty_info_entrySchema),
  TTY_DATA: plain(tty_data_entrySchema),
  FILE_LOCKS: plain(file_lock_entrySchema),
  RLIMIT: plain(rlimit_entrySchema),
  FANOTIFY_FILE: plain(fanotify_file_entrySchema),
  FANOTIFY_MARK: plain(fanotify_mark_entrySchema),
  SIGNAL: plain(signal_queue_entrySchema),
  NETLINK_SK: plain(netlink_sk_entrySchema),
  NS_FILES: plain(ns_file_entrySchema),
  TUNFILE: plain(tunfile_entrySchema),
  CGROUP: plain(cgroup_entrySchema),
  TIMERFD: plain(timerfd_entrySchema),
  CPUINFO: plain(cpuinfo_entrySchema),
  USERNS: plain(userns_entrySchema),
  SECCOMP: plain(seccomp_entrySchema),
  BINFMT_MISC: plain(binfmt_misc_entrySchema),
  AUTOFS: plain(autofs_entrySchema),
  FILES: plain(file_entrySchema),
  MEMFD_INODE: plain(memfd_inode_entrySchema),
  TIMENS: plain(timens_entrySchema),
  PIDNS: plain(pidns_entrySchema),
  BPFMAP_FILE: plain(bpfmap_file_entrySchema),
  BPFMAP_DATA: {
    kind: 'entries', schema: bpfmap_data_entrySchema,
    trailer: (m) => {
      const b = m as bpfmap_data_entry;
      return { kind: 'bytes', length: b.keysBytes + b.valuesBytes };
    },
  },
  APPARMOR: plain(apparmor_entrySchema),
  PIDFD: plain(pidfd_entrySchema),
  STATS: plain(stats_entrySchema),
  IRMAP_CACHE: plain(irmap_cache_entrySchema),
  KDAT: { kind: 'opaque' },
};

