// Known CRIU failures: which log line shows each, what it means in plain words, and what to do.
// One table, ordered by priority: the first pattern (in table order) that matches any line of the
// log wins, so precise causes come before consequences (a failed fork makes other tasks die; a
// dying task is only the cause when nothing more precise was logged).

import type { ErrorCode } from '../../errors/index.js';

/** One known failure. `cause` may use the match to name the file, pid or port. */
export interface CriuLogPattern {
  readonly code: ErrorCode;
  readonly re: RegExp;
  readonly cause: string | ((m: RegExpExecArray) => string);
  readonly action: string;
  /** Worth a bounded retry: the condition usually clears by itself (a zombie reaped, a port freed). */
  readonly transient: boolean;
  /** Also reported when the operation succeeded (the problem strikes after CRIU exits). */
  readonly evenOnSuccess?: boolean;
}

const g = (m: RegExpExecArray, i: number): string => m[i] ?? '?';

/** The table, highest priority first. */
export const criuLogPatterns: readonly CriuLogPattern[] = [
  {
    code: 'CRYO_VDSO_MISMATCH',
    re: /Unexpected rt vDSO area bounds|Can't find vDSO\/VVAR bounds/,
    cause: 'this CRIU cannot read the vDSO layout of this kernel (kernels >= 6.13 need CRIU >= 4.1)',
    action: 'use a newer CRIU: ./scripts/setup.sh provisions CRIU >= 4.2, or set CRYO_CRIU to one',
    transient: false,
  },
  {
    code: 'CRYO_PID_NOT_FOUND',
    re: /(?:Unable to interrupt task|Unable to seize|can't interrupt task|Can't interrupt the)\D*(\d+)?.*No such process/,
    cause: (m) => `process ${g(m, 1)} does not exist (it exited, or the pid is wrong)`,
    action: 'check the pid (`ps -p PID`); if the process exited there is nothing to checkpoint',
    transient: false,
  },
  {
    code: 'CRYO_PTRACE_DENIED',
    re: /(?:Unable to interrupt task|Unable to seize|SEIZE \d+: can't interrupt task|PTRACE_SEIZE|Can't interrupt the \d+ task|seize).*(?:Operation not permitted|Permission denied)/i,
    cause: 'the kernel refused to let CRIU attach to the process (ptrace)',
    action: 'run as root (or with CAP_SYS_PTRACE); check kernel.yama.ptrace_scope and that no debugger (strace, gdb) is attached',
    transient: false,
  },
  {
    code: 'CRYO_PID_IN_USE',
    re: /Can't fork for (\d+): File exists/,
    cause: (m) =>
      `pid ${g(m, 1)} is taken by another process, or still held by a zombie or a process using it as its session/group id`,
    action:
      'stop the process holding that pid (`ps -eo pid,pgid,sid,stat,cmd`), or restore jobs in their own PID namespace; ' +
      'right after a checkpoint a dying process may still hold it, so a retry a moment later often works',
    transient: true,
  },
  {
    code: 'CRYO_FILE_MISSING',
    re: /Can't open file (.+?) on restore(?::\s*(.*))?$/,
    cause: (m) => `a file the process had open is gone: /${g(m, 1).replace(/^\//, '')} (${m[2] ?? 'cannot open'})`,
    action: 'put the file back at the same path (same size and mode), then restore again',
    transient: false,
  },
  {
    code: 'CRYO_FILE_CHANGED',
    re: /File (.+?) has bad (size|mode) (\S+) \(expect (\S+)\)/,
    cause: (m) =>
      `file /${g(m, 1).replace(/^\//, '')} changed since the checkpoint: its ${g(m, 2)} is ${g(m, 3)}, expected ${g(m, 4)}`,
    action:
      'restore the file to its state at checkpoint time (or restore from a newer checkpoint); ' +
      'files written by others should be opened with O_APPEND, whose size CRIU does not check',
    transient: false,
  },
  {
    code: 'CRYO_PORT_IN_USE',
    re: /Can't bind inet socket.*Address already in use|bind.*Address already in use/,
    cause: 'a port the process had bound is now used by another process',
    action: 'stop whatever holds the port (`ss -ltnp`), then restore; if the old process is just exiting, retry shortly',
    transient: true,
  },
  {
    code: 'CRYO_NETWORK_LOCK_UNAVAILABLE',
    re: /ip6?tables(?:-restore|-legacy)?:? (?:command )?not found|Locking network failed: iptables-restore|Iptables configuration failed|Can't restore iptables dump/,
    cause: "CRIU's default network lock runs iptables, which is not installed here",
    action: "use the nftables network lock (networkLock: 'nftables', `--network-lock nftables`), or install iptables",
    transient: false,
  },
  {
    code: 'CRYO_NEEDS_TCP_ESTABLISHED',
    re: /Connected TCP socket, consider using --tcp-established/,
    cause: 'the process has an established TCP connection, which CRIU only saves when asked to',
    action: 'checkpoint with tcpEstablished (`--tcp-established`, with the nftables network lock), or close the connection first',
    transient: false,
  },
  {
    code: 'CRYO_EXTERNAL_UNIX_SOCKET',
    re: /External socket (?:is used|found in image)|--ext-unix-sk|Unix socket \d+ (?:without|with unreachable) peer|Can't dump half of stream unix connection|Can't dump name-less external socket/,
    cause: 'the process has a unix socket connected to a process outside the checkpointed tree',
    action: 'checkpoint with extUnixSk (`--ext-unix-sk`), or run the peer inside the same job',
    transient: false,
  },
  {
    code: 'CRYO_NEEDS_SHELL_JOB',
    re: /The root process (\d+) is not a session leader/,
    cause: (m) => `process ${g(m, 1)} is not a session leader: it belongs to the session of the shell or program that started it`,
    action: 'checkpoint with shellJob (`--shell-job`), or start the job with setsid (cryo does for jobs it starts)',
    transient: false,
  },
  {
    code: 'CRYO_NEEDS_SHELL_JOB',
    re: /A session leader of (?:zombie process )?(\d+)\(\d+\) is outside of its pid namespace/,
    cause: (m) => `process ${g(m, 1)} lives in its own PID namespace but its session leader is outside it`,
    action: 'start the job with setsid inside the namespace (`unshare --pid --fork setsid tini -- CMD`)',
    transient: false,
  },
  {
    code: 'CRYO_NEEDS_FILE_LOCKS',
    re: /Some file locks are hold|--file-locks/,
    cause: 'the process holds file locks (flock/fcntl), which CRIU only saves when asked to',
    action: 'checkpoint with fileLocks (`--file-locks`)',
    transient: false,
  },
  {
    code: 'CRYO_GHOST_LIMIT',
    re: /Can't dump ghost file (.+?) of (\d+) size, increase limit/,
    cause: (m) => `deleted file ${g(m, 1)} (${g(m, 2)} bytes) is still open and bigger than the ghost file limit`,
    action: 'raise ghostLimit (`--ghost-limit`), or have the process close the deleted file before checkpointing',
    transient: false,
  },
  {
    code: 'CRYO_NEEDS_IPC_NAMESPACE',
    re: /with SysVIPC shmem map @\S+ doesn't live in IPC ns/,
    cause: "the process uses System V shared memory, which CRIU can only save with the process's own IPC namespace",
    action: 'start the job in its own IPC namespace (`unshare --ipc`); jobs cryo starts get one',
    transient: false,
  },
  {
    code: 'CRYO_UID_CHANGED',
    re: /Can't get rlimit \d+: Operation not permitted/,
    cause: "the process changed its uid, and CRIU cannot read its resource limits without CAP_SYS_RESOURCE (missing here)",
    action: 'run cryo with CAP_SYS_RESOURCE (not inside a restricted container), or keep the job running as root',
    transient: false,
  },
  {
    code: 'CRYO_CPU_MISMATCH',
    re: /CPU (?:instruction )?capabilities do not match run time|FPU feature required by image is not supported on host|CPU xfeatures has unsupported bits|CPU xsave (?:max )?size mismatch|cpuinfo.*(?:mismatch|check failed)|CPU.*feature.*mismatch/i,
    cause: 'this CPU lacks features of the CPU the checkpoint was taken on',
    action: 'restore on a machine with the same or a newer CPU model (or checkpoint with fewer CPU features checked)',
    transient: false,
  },
  {
    code: 'CRYO_CRIU_TIMEOUT',
    re: /Timeout reached\. Try to interrupt/,
    cause: 'CRIU gave up waiting for the processes (its own timeout)',
    action: 'retry; if it repeats, see which process did not stop in the log (a task in uninterruptible sleep, a FUSE mount)',
    transient: true,
  },
  {
    code: 'CRYO_PDEATHSIG',
    re: /Root task has pdeath_sig configured/,
    cause: 'the root process has a parent-death signal, so it is killed the moment CRIU exits',
    action: 'start the job without PR_SET_PDEATHSIG / `unshare --kill-child`',
    transient: false,
    evenOnSuccess: true,
  },
  {
    code: 'CRYO_FEATURE_UNSUPPORTED',
    re: /Unable to open an userfaultfd descriptor|Lazy pages are not available$|Non-cooperative UFFD is not supported|UFFD is not supported|Incompatible uffd API/,
    cause: 'this kernel does not let CRIU use userfaultfd, which a lazy (post-copy) restore needs',
    action: 'restore without lazy pages (no --lazy); `cryo doctor` shows the uffd-noncoop probe',
    transient: false,
  },
  {
    code: 'CRYO_LAZY_SERVER_FAILED',
    re: /connect to lazy-pages\.socket failed: (.*)$|No lazy-pages socket|PID sending error|send_fd error/,
    cause: (m) => `the restore could not reach a lazy-pages server in its work dir (${m[1] ?? 'lost the connection'})`,
    action: 'start `criu lazy-pages` with the same work dir before a lazy restore (`cryo restore --lazy` does), or restore without lazy pages',
    transient: false,
  },
  {
    code: 'CRYO_OUT_OF_MEMORY',
    re: /Cannot allocate memory|Out of memory|Unable to reserve memory/,
    cause: 'CRIU or the restored processes ran out of memory',
    action: 'free memory (or raise the memory limit of the cgroup), then retry',
    transient: false,
  },
  {
    code: 'CRYO_RESTORED_TASK_DIED',
    re: /(?:^|\s)(\d+) (?:exited, status=(\d+)|killed by signal (\d+))/,
    cause: (m) =>
      m[2] !== undefined
        ? `restored process ${g(m, 1)} exited during the restore (status ${g(m, 2)})`
        : `restored process ${g(m, 1)} was killed by signal ${g(m, 3)} during the restore`,
    action: "check the process's own output for why it stopped; the log lines before this one show what CRIU was doing",
    transient: false,
  },
];
