// The exit-status monitor of a restored job. CRIU's RPC restore (rst_sibling) makes the restored
// root a child of whoever spawned `criu swrk`, and only a parent learns how a process ended. So
// cryod runs `criu swrk` under this monitor (RestoreOptions.monitor): the root becomes the
// monitor's child, and the monitor writes its exit status to <jobDir>/exit, exactly like the
// monitor of a `cryo run` job, so the code survives a cryod restart.
// Why perl: the monitor must wait for a child it did not start itself (waitpid(-1)), which no
// POSIX shell can do, and it lives as long as the job, so it must be small (a Node process costs
// ~40 MB). perl-base is part of every Debian system; without perl, restored jobs keep cryod as
// their parent and their exit code is lost if cryod restarts (see restored-jobs.ts).

import type { ChildProcess } from 'node:child_process';
import { delimiter } from 'node:path';
import { findExecutable } from '../util/find-executable.js';
import { readExitStatus } from './exit-recording.js';

// fork criu (argv after the status file) with prctl(PR_SET_PDEATHSIG, SIGKILL), so that killing
// the monitor (a cancelled restore) takes criu with it; close stdout/stderr once criu is gone
// (the client sees criu's end as EOF); record the other child's (the root's) status.
const script = String.raw`
my $st = shift @ARGV;
my %prctl = (x86_64 => 157, aarch64 => 167, riscv64 => 167, ppc64le => 171, s390x => 172, i686 => 172, armv7l => 172);
my $nr = $prctl{(POSIX::uname())[4]};
my $criu = fork();
exit 127 unless defined $criu;
if ($criu == 0) { syscall($nr, 1, 9) if defined $nr; exec { $ARGV[0] } @ARGV; exit 127; }
my $status;
while ((my $p = waitpid(-1, 0)) > 0) {
  if ($p == $criu) { open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null'); next; }
  $status = ($? & 127) ? 128 + ($? & 127) : ($? >> 8);
}
exit 255 unless defined $status;
if (open(my $f, '>', "$st.tmp")) { print $f "$status\n"; close($f); rename("$st.tmp", $st); }
exit $status;
`;

const dirs = ['/usr/bin', '/bin', '/usr/local/bin'];
let perl: string | null | undefined;

/** The monitor's argv prefix for a job whose status file is `statusFile`; undefined without perl. */
export function restoreMonitorArgv(statusFile: string): string[] | undefined {
  if (perl === undefined) perl = findExecutable('perl', [...dirs, ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d.startsWith('/'))]) ?? null;
  return perl ? [perl, '-mPOSIX', '-e', script, '--', statusFile] : undefined;
}

/** Calls fn once the monitor has exited (at once when it already has: a root that ended fast). */
export function onMonitorGone(m: ChildProcess, fn: (code: number | null, signal: NodeJS.Signals | null) => void): void {
  if (m.exitCode !== null || m.signalCode !== null) queueMicrotask(() => fn(m.exitCode, m.signalCode));
  else m.once('exit', fn);
}

/** How the restored root ended, from its monitor: the status file, else the monitor's own end. */
export function monitorExited(m: ChildProcess, jobDir: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => onMonitorGone(m, (code, signal) => {
    const status = readExitStatus(jobDir);
    resolve(status !== null ? { code: status, signal: null } : { code, signal });
  }));
}
