// The public shapes of the CRIU client: options in camelCase, results, notification handlers.
// The contract other parts of cryo code against (helper-notes/CRIU-CLIENT-API.md).

import type { ChildProcess } from 'node:child_process';
import type { PreparedSwrk } from './client.js';

/** CRIU's notification points (action scripts); unknown names are passed through as strings. */
export type NotifyScript =
  | 'pre-dump' | 'post-dump' | 'pre-restore' | 'post-restore' | 'network-lock' | 'network-unlock'
  | 'setup-namespaces' | 'post-setup-namespaces' | 'pre-resume' | 'post-resume'
  | 'orphan-pts-master' | 'query-ext-files' | 'status-ready' | (string & {});

/** What a handler learns: the notification and, when CRIU sends one, a pid (e.g. post-restore). */
export interface NotifyEvent {
  script: NotifyScript;
  pid?: number;
}

/** Called when CRIU reaches a notification point; throwing (or rejecting) aborts the operation. */
export type NotifyHandler = (ev: NotifyEvent) => void | Promise<void>;

/** Handlers by script name; '*' is called for every notification, after the specific one. */
export type NotifyHandlers = Partial<Record<NotifyScript, NotifyHandler>> & { '*'?: NotifyHandler };

/** Options every CRIU operation accepts. */
export interface CommonOptions {
  /** Directory of the images; the client opens it and passes images_dir_fd. */
  imagesDir: string;
  /** Where CRIU writes its log (and other outputs); default: imagesDir. */
  workDir?: string;
  /** Log file NAME relative to workDir (CRIU semantics); default criu-dump.log / criu-restore.log. */
  logFile?: string;
  /** CRIU log verbosity, 0-4; default 4 (the log is how failures are explained). */
  logLevel?: 0 | 1 | 2 | 3 | 4;
  /** A process started from a shell (not a session leader). On restore CRIU re-attaches it to
   *  the client's stdin terminal, which the client then passes to criu. */
  shellJob?: boolean;
  tcpEstablished?: boolean;
  tcpSkipInFlight?: boolean;
  tcpClose?: boolean;
  extUnixSk?: boolean;
  fileLocks?: boolean;
  /** Largest deleted-but-open file CRIU copies into the images, in bytes (CRIU default 1 MiB). */
  ghostLimit?: number;
  linkRemap?: boolean;
  /** External resources, CRIU `--external` syntax (e.g. 'mnt[/path]:key', 'net[inode]:key'). */
  external?: string[];
  manageCgroupsMode?: 'soft' | 'full' | 'strict' | 'ignore';
  /** How a dump locks the network. Default: 'nftables' when it matters (tcpEstablished, or the
   *  tree has its own network namespace), else 'skip': a dump that is never restored leaves its
   *  nftables table behind, and every leftover table slows later dumps and filters every packet.
   *  A restore always uses the method recorded in the images. */
  networkLock?: 'iptables' | 'nftables' | 'skip';
  /** Seconds CRIU may spend freezing the tree (CRIU's own `--timeout`). */
  freezeTimeout?: number;
  /** Notification handlers; when present, notify_scripts is turned on. */
  notify?: NotifyHandlers;
  /** Cancels the operation: CRIU is stopped cleanly at its next notification, or killed. */
  signal?: AbortSignal;
  /** Gives up (like `signal`) after this many milliseconds. */
  timeoutMs?: number;
}

/** Options of a dump (checkpoint). */
export interface DumpOptions extends CommonOptions {
  pid: number;
  leaveRunning?: boolean;
  leaveStopped?: boolean;
  /** Soft-dirty memory tracking for later incremental dumps (refused when the kernel lacks it). */
  trackMem?: boolean;
  /** Parent images (relative to imagesDir) for an incremental dump (needs memory tracking). */
  parentImg?: string;
  /** Lazy migration (needs userfaultfd): memory stays in the frozen tasks and is served to a
   *  `criu lazy-pages --page-server` peer; the call returns only once the pages were taken. For a
   *  local lazy restore, dump normally and restore with lazyPages. */
  lazyPages?: boolean;
  /** Send pages to a page server instead of the images directory. */
  pageServer?: { address: string; port: number };
}

/** Options of a restore. */
export interface RestoreOptions extends CommonOptions {
  /** Default true: the restored root becomes OUR child (reap it with waitForExit). */
  rstSibling?: boolean;
  /** Files to hand to the restored tree: key = dumped identity ("pipe:[123]"), fd = OUR descriptor. */
  inheritFds?: { key: string; fd: number }[];
  /** Restore memory lazily from a running `criu lazy-pages` daemon (needs userfaultfd). */
  lazyPages?: boolean;
  /**
   * Run `criu swrk` under this launcher (argv prefix), so that with rstSibling the restored root
   * becomes the LAUNCHER's child and it can learn the root's exit status (a job monitor). The
   * launcher must run the rest of its argv as its child with the descriptors it got, close its
   * stdout and stderr once that child (criu) has exited, and stay alive while the root runs.
   * The result's `monitor` is the launcher process.
   */
  monitor?: readonly string[];
  /**
   * A `criu swrk` already started for this restore (client.prepareRestore), so its start overlapped
   * the caller's work; taken over by the restore, and cancelled if the restore fails before using it.
   */
  prepared?: PreparedSwrk;
}

/** Options of a page server started through the RPC. */
export interface PageServerOptions {
  imagesDir: string;
  workDir?: string;
  logFile?: string;
  logLevel?: 0 | 1 | 2 | 3 | 4;
  /** Address to listen on; default all. */
  address?: string;
  /** Port; 0 lets CRIU choose (the chosen port is returned). */
  port?: number;
  lazyPages?: boolean;
}

export interface DumpResult {
  imagesDir: string;
  logPath: string;
  durationMs: number;
}

export interface RestoreResult {
  /** The restored root's pid (as seen from our PID namespace). */
  pid: number;
  /** With the `monitor` option: the launcher, now the restored root's parent. */
  monitor?: ChildProcess;
  imagesDir: string;
  logPath: string;
  durationMs: number;
}

/** A running page server: its pid and port, and a promise for its exit status (CRIU WAIT_PID). */
export interface PageServer {
  pid: number;
  port: number;
  /** Resolves with the raw wait status when the page server exits. */
  exited: Promise<number>;
  /** Kills the page server (if still running) and releases the CRIU session. */
  stop(): Promise<void>;
}

export interface CriuVersion {
  major: number;
  minor: number;
  sublevel?: number;
  gitid?: string;
  /** "4.2.1" (+ " (gitid)") for people. */
  text: string;
}

export interface CriuFeatures {
  memTrack: boolean;
  lazyPages: boolean;
  pidfdStore: boolean;
}
