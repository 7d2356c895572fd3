// Watching processes cryod is NOT the parent of (jobs re-adopted after a cryod restart, processes
// adopted with `cryo manage`). The kernel tells only a parent how a child ended, so all we can
// learn is when it ends. One timer checks every watched pid AND its start time (a reused pid is
// not our process). Why polling and not pidfd_open + poll: a pidfd cannot be put into Node's event
// loop without parking a thread per process, and the exit code would stay unknown anyway.

import { isSameProcess } from './proc.js';

interface Watch { pids: { pid: number; startTime: number | null }[]; onGone: () => void }

/** Calls back once all of a job's watched processes are gone. */
export class LivenessWatcher {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 250) {}

  watch(key: string, pids: { pid: number; startTime: number | null }[], onGone: () => void): void {
    this.watches.set(key, { pids, onGone });
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  unwatch(key: string): void {
    this.watches.delete(key);
    if (this.watches.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    for (const [key, w] of [...this.watches]) {
      if (w.pids.every((p) => !isSameProcess(p.pid, p.startTime))) {
        this.unwatch(key);
        w.onGone();
      }
    }
  }

  close(): void {
    for (const k of [...this.watches.keys()]) this.unwatch(k);
  }
}
