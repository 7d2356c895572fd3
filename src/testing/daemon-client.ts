// Test helpers over the API client: wait for a job's output to contain a readiness marker, read
// a job's record. Faster than spawning the CLI for every poll, and event-driven (no sleeps).

import { connectDaemon, type DaemonClient } from '../cli/client.js';
import type { Job } from '../gen/cryo/v1/jobs_pb.js';

/** An API client for a test daemon's socket. */
export function apiClient(socket: string): DaemonClient {
  return connectDaemon({ socket });
}

/** Resolves with the job's output once it contains `text` (follows the live log). */
export async function waitForOutput(c: DaemonClient, job: string, text: string, timeoutMs = 15_000): Promise<string> {
  const abort = new AbortController();
  const t = setTimeout(() => abort.abort(), timeoutMs);
  let seen = '';
  try {
    for await (const chunk of c.jobs.logs({ job, follow: true }, { signal: abort.signal })) {
      seen += Buffer.from(chunk.data).toString('utf8');
      if (seen.includes(text)) return seen;
    }
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    clearTimeout(t);
    abort.abort();
  }
  throw new Error(`job ${job} did not print ${JSON.stringify(text)} within ${timeoutMs} ms; it printed: ${JSON.stringify(seen)}`);
}

/** The job's current record. */
export async function getJob(c: DaemonClient, job: string): Promise<Job> {
  const r = await c.jobs.getJob({ job });
  if (!r.job) throw new Error(`no job ${job}`);
  return r.job;
}
