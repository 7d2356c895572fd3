// Every error code cryo can report, in one place, each with what it means and what to do.
// docs/errors.md documents the same list; src/errors/codes.test.ts fails when the two drift.
// Add codes only inside the section of your concern, keep them stable: scripts match on them.

/** One entry of the catalogue: a one-line meaning and the default advice shown to the user. */
export interface CodeInfo {
  readonly summary: string;
  readonly action: string;
}

export const codes = {
  // --- configuration and environment ---
  CRYO_INVALID_OPTION: { summary: 'an option has an invalid value', action: 'fix the option named in the message' },
  CRYO_CRIU_NOT_FOUND: {
    summary: 'no CRIU binary was found',
    action: 'run ./scripts/setup.sh, or point CRYO_CRIU at a CRIU >= 4.2 binary',
  },
  CRYO_CRIU_BROKEN: {
    summary: 'the CRIU binary does not run or fails its self-check',
    action: 'run `cryo doctor` to see why; re-run ./scripts/setup.sh or set CRYO_CRIU to a working CRIU',
  },
  CRYO_NOT_PRIVILEGED: {
    summary: 'checkpoint/restore needs root or CAP_CHECKPOINT_RESTORE + CAP_SYS_PTRACE',
    action: 'run cryo as root (or with those capabilities)',
  },
  // --- CRIU operations ---
  CRYO_CRIU_DUMP_FAILED: {
    summary: 'CRIU could not checkpoint the process',
    action: 'read the CRIU lines shown and the full log; `cryo explain LOG` explains known causes',
  },
  CRYO_CRIU_RESTORE_FAILED: {
    summary: 'CRIU could not restore the checkpoint',
    action: 'read the CRIU lines shown and the full log; `cryo explain LOG` explains known causes',
  },
  CRYO_PID_NOT_FOUND: { summary: 'the process to checkpoint does not exist', action: 'check the pid; the process may have exited' },
  CRYO_PID_IN_USE: {
    summary: 'a pid the checkpoint needs is taken by another (possibly zombie) process',
    action: 'stop the process holding the pid, or restore jobs in their own PID namespace; retry if it was a dying process',
  },
  CRYO_FILE_MISSING: { summary: 'a file the checkpointed process had open is gone', action: 'put the file back at the same path, then restore' },
  CRYO_FILE_CHANGED: {
    summary: 'a file the checkpointed process had open changed size or mode since the checkpoint',
    action: 'restore the file to its state at checkpoint time, or open such files with O_APPEND',
  },
  CRYO_PORT_IN_USE: { summary: 'a port the checkpointed process listened on is taken', action: 'stop whatever holds the port, then restore' },
  CRYO_NEEDS_TCP_ESTABLISHED: {
    summary: 'the process has established TCP connections',
    action: 'checkpoint with tcpEstablished (--tcp-established), or close the connections first',
  },
  CRYO_EXTERNAL_UNIX_SOCKET: {
    summary: 'the process has a unix socket connected to a process outside the checkpoint',
    action: 'checkpoint with extUnixSk (--ext-unix-sk), or run the peer inside the job',
  },
  CRYO_NEEDS_SHELL_JOB: {
    summary: 'the process is not a session leader (it was started from a shell or terminal)',
    action: 'checkpoint with shellJob (--shell-job), or start the job with setsid',
  },
  CRYO_NEEDS_FILE_LOCKS: { summary: 'the process holds file locks', action: 'checkpoint with fileLocks (--file-locks)' },
  CRYO_GHOST_LIMIT: {
    summary: 'a deleted-but-open file is larger than the ghost file limit',
    action: 'raise ghostLimit (--ghost-limit), or close the deleted file before checkpointing',
  },
  CRYO_PTRACE_DENIED: {
    summary: 'CRIU was not allowed to attach to the process (ptrace)',
    action: 'run as root; check kernel.yama.ptrace_scope and that no debugger is attached',
  },
  CRYO_VDSO_MISMATCH: {
    summary: 'this CRIU does not understand the kernel\'s vDSO layout',
    action: 'use CRIU >= 4.1 on kernels >= 6.13 (./scripts/setup.sh provisions one)',
  },
  CRYO_CPU_MISMATCH: {
    summary: 'this CPU lacks features the checkpointed CPU had',
    action: 'restore on a machine with a compatible CPU, or checkpoint with a CPU capability check relaxed',
  },
  CRYO_RESTORED_TASK_DIED: {
    summary: 'a restored process died during or right after restore',
    action: 'read the log lines shown; check the process\'s own output for why it exited',
  },
  CRYO_OUT_OF_MEMORY: { summary: 'CRIU ran out of memory', action: 'free memory or restore on a machine with more memory' },
  CRYO_NETWORK_LOCK_UNAVAILABLE: {
    summary: 'CRIU\'s network lock tool (iptables) is missing',
    action: 'use networkLock \'nftables\' (--network-lock nftables), or install iptables',
  },
  CRYO_NEEDS_IPC_NAMESPACE: {
    summary: 'the process uses System V shared memory outside its own IPC namespace',
    action: 'start the job in its own IPC namespace (cryo does this for jobs it starts)',
  },
  CRYO_PDEATHSIG: {
    summary: 'the root process has a parent-death signal set, so it would die when CRIU exits',
    action: 'start the job without PR_SET_PDEATHSIG / `unshare --kill-child`',
  },
  CRYO_UID_CHANGED: {
    summary: 'the process changed its uid, and CRIU lacks CAP_SYS_RESOURCE to read its limits',
    action: 'run cryo with CAP_SYS_RESOURCE (outside a restricted container), or do not change uid in the job',
  },
  CRYO_CRIU_TIMEOUT: { summary: 'a CRIU operation took longer than allowed', action: 'raise the timeout, or check the log for where it stalled' },
  CRYO_ABORTED: { summary: 'the operation was cancelled', action: 'nothing to do; run it again if needed' },
  CRYO_HOOK_FAILED: {
    summary: 'a notification hook failed and aborted the CRIU operation',
    action: 'fix the hook named in the message (its output is shown)',
  },
  CRYO_FEATURE_UNSUPPORTED: {
    summary: 'the kernel or CRIU lacks a feature the operation needs',
    action: 'run `cryo doctor` to see what this machine supports',
  },
  // --- lazy pages ---
  CRYO_LAZY_SERVER_FAILED: {
    summary: 'the lazy-pages server (criu lazy-pages) could not be started or reached for a lazy restore',
    action: 'read the lines shown and criu-lazy-pages.log in the work dir; restore without --lazy meanwhile',
  },
  CRYO_LAZY_TRANSFER_FAILED: {
    summary: 'the lazy-pages server stopped before all memory pages reached the restored process',
    action: 'the checkpoint is intact: restore it again (without --lazy for an eager restore); the message says what happened to the restored process',
  },
  // --- store ---
  CRYO_CHECKPOINT_NOT_FOUND: {
    summary: 'no checkpoint with that id, name or path exists',
    action: 'list checkpoints with `cryo checkpoints`, or pass the checkpoint directory',
  },
  CRYO_CHECKPOINT_INCOMPLETE: {
    summary: 'the checkpoint has no valid manifest, so it was never completed and cannot be trusted',
    action: 'take a new checkpoint; an incomplete one is never restored',
  },
  CRYO_CHECKPOINT_CORRUPT: {
    summary: 'checkpoint files are missing, changed or unexpected compared with its manifest',
    action: 'run `cryo verify CHECKPOINT` to see which files; restore from another checkpoint or a copy',
  },
  CRYO_CHECKPOINT_PINNED: {
    summary: 'the checkpoint is in use (a restore or a page transfer) and cannot be removed now',
    action: 'wait for the operation named in the message to finish, then try again',
  },
  CRYO_CHECKPOINT_EXISTS: {
    summary: 'a checkpoint with the same id is already in the store',
    action: 'use the existing checkpoint, or remove it first with `cryo gc`/`cryo rm`',
  },
  CRYO_ARCHIVE_UNSAFE: {
    summary: 'the archive holds an entry cryo refuses to unpack (path escape, link, device, size or count limit)',
    action: 'do not use this archive; export the checkpoint again with `cryo export` from a trusted store',
  },
  CRYO_ARCHIVE_CORRUPT: {
    summary: 'the archive is truncated, damaged or not a cryo checkpoint archive',
    action: 'copy the archive again (compare its size/checksum with the original) or export it again',
  },
  CRYO_DISK_FULL: {
    summary: 'there is not enough disk space to write the checkpoint or archive',
    action: 'free disk space (e.g. `cryo gc`) or write somewhere with more room',
  },
  CRYO_COMPRESSOR_FAILED: {
    summary: 'the external compressor (zstd) is missing or failed',
    action: 'install zstd (./scripts/setup.sh does), or use --compress gzip',
  },
  // --- images ---
  CRYO_IMAGES_DIR_INVALID: {
    summary: 'the path is not a CRIU images directory (missing, not a directory, or no inventory.img)',
    action: 'pass the directory CRIU dumped into (it holds inventory.img, pstree.img, core-*.img ...)',
  },
  CRYO_IMAGE_CORRUPT: {
    summary: 'a CRIU image file is truncated or damaged (bad magic, entry beyond the end, bad protobuf)',
    action: 'the checkpoint cannot be trusted: verify it against its manifest, or take a new checkpoint',
  },
  CRYO_IMAGE_UNKNOWN: {
    summary: 'a CRIU image file has a type (magic) this cryo does not know',
    action: 'the checkpoint was probably written by a newer CRIU: upgrade cryo, or inspect it with crit',
  },
  // --- jobs and daemon ---
  CRYO_DAEMON_UNREACHABLE: {
    summary: 'the cryo daemon (cryod) is not running or its socket cannot be reached',
    action: 'start it with `cryo daemon` (or `systemctl start cryod`), or point --socket / CRYO_SOCKET at its socket',
  },
  CRYO_DAEMON_RUNNING: {
    summary: 'another cryod already listens on this socket',
    action: 'use the running daemon, stop it first, or give this one another --socket and --data-dir',
  },
  CRYO_PERMISSION_DENIED: {
    summary: 'the caller may not use cryod: it is not root and not in the configured socket group',
    action: 'run as root, or ask an administrator to add you to the socketGroup set in cryo\'s config',
  },
  CRYO_DAEMON_ERROR: {
    summary: 'cryod failed in an unexpected way while handling the request',
    action: 'see cryod\'s log (stderr / journalctl -u cryod) and report it as a bug',
  },
  CRYO_UNIMPLEMENTED: { summary: 'this cryod does not implement the requested operation yet', action: 'upgrade cryo' },
  CRYO_JOB_NOT_FOUND: { summary: 'no job has this id or name', action: 'list jobs with `cryo ps`' },
  CRYO_JOB_NAME_IN_USE: {
    summary: 'a job with this name already exists',
    action: 'choose another --name, or remove the old job with `cryo rm`',
  },
  CRYO_INVALID_STATE: {
    summary: 'the job is in a state that does not allow this action',
    action: 'check the job\'s state with `cryo ps`; the message names the state',
  },
  CRYO_SPAWN_FAILED: {
    summary: 'cryod could not start the job\'s command',
    action: 'check that the command exists and is executable, and that --cwd exists',
  },
  CRYO_EXIT_CODE_UNKNOWN: {
    summary: 'the job ended but its exit code cannot be known (cryod was not its parent when it ended)',
    action: 'nothing to fix; run jobs with `cryo run` and keep cryod running to record exit codes',
  },
  // --- safety ---
  CRYO_PREFLIGHT_FAILED: {
    summary: 'the pre-flight check found several kinds of problems that would make the restore fail',
    action: 'fix each problem listed (run `cryo preflight CHECKPOINT` to see them all), then restore',
  },
  CRYO_INSUFFICIENT_MEMORY: {
    summary: 'the machine has less available memory than the checkpoint needs to restore',
    action: 'free memory (stop other processes) or restore on a machine with more memory',
  },
  CRYO_RESTORE_UNHEALTHY: {
    summary: 'the restored process died or failed its health probe during the grace period',
    action: 'read its exit status and output shown; the checkpoint is intact, fix the cause and restore again',
  },
  CRYO_DUMP_WRITE_FAILED: {
    summary: 'writing the checkpoint failed (I/O error or a failing step after CRIU); the process was kept',
    action: 'the message says whether the process kept running or was restored; fix the storage, then checkpoint again',
  },
  CRYO_FILE_LOCK_HELD: {
    summary: 'a file lock the checkpointed process held is held by another process here; CRIU would wait for it forever',
    action: 'stop the process named in the message (often a copy restored earlier) or make it release the lock, then restore again',
  },
  CRYO_RESTORE_TIMEOUT: {
    summary: 'the restore did not finish within its timeout: CRIU was killed and the half-restored processes removed; the checkpoint is intact',
    action: 'read the last CRIU log lines shown (a lock or resource CRIU waited for?), fix the cause, or raise the timeout (--timeout MS, config restoreTimeoutMs)',
  },
  CRYO_PROCESS_LOST: {
    summary: 'a checkpoint failed after CRIU stopped the process, and cryo could not resume or restore it',
    action: 'restore it by hand from the images directory named in the message (`cryo restore --dir DIR`)',
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof codes;
