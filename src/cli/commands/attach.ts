// `cryo attach JOB`: the job's recent output, then live output; keystrokes go to its stdin.
// On a terminal, input is raw: Ctrl-C sends SIGINT to the job's process group, and Ctrl-P Ctrl-Q
// detaches (the job keeps running), like docker. Off a terminal, bytes are forwarded as they
// are (the Ctrl-P Ctrl-Q sequence still detaches) and SIGINT/SIGTERM sent to cryo are forwarded.

import { create } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { AsyncQueue } from '../../api/async-queue.js';
import { AttachRequestSchema, AttachResponse_Stream, type AttachRequest } from '../../gen/cryo/v1/jobs_pb.js';
import { connectDaemon, withDaemonOptions, type DaemonClient } from '../client.js';

const CTRL_C = 0x03;
const CTRL_P = 0x10;
const CTRL_Q = 0x11;

/** Attaches to a job until it ends (returns its exit code) or the user detaches (returns 0). */
export async function attachTo(d: DaemonClient, job: string, o: { backlogBytes?: number } = {}): Promise<number> {
  const input = new AsyncQueue<AttachRequest>();
  input.push(create(AttachRequestSchema, { job, backlogBytes: BigInt(o.backlogBytes ?? 0) }));
  const abort = new AbortController();
  const tty = process.stdin.isTTY === true;
  let detached = false;
  let pendingCtrlP = false;
  const onData = (buf: Buffer): void => {
    const out: number[] = [];
    for (const b of buf) {
      if (pendingCtrlP) {
        pendingCtrlP = false;
        if (b === CTRL_Q) {
          // Detach: deliver what was typed before, then close our side; cryod ends the stream.
          if (out.length) input.push(create(AttachRequestSchema, { stdin: Buffer.from(out) }));
          detached = true;
          input.end();
          setTimeout(() => abort.abort(), 2000).unref();
          process.stdin.off('data', onData);
          return;
        }
        out.push(CTRL_P);
      }
      if (b === CTRL_P) pendingCtrlP = true;
      else if (tty && b === CTRL_C) {
        if (out.length) input.push(create(AttachRequestSchema, { stdin: Buffer.from(out.splice(0)) }));
        input.push(create(AttachRequestSchema, { signal: 'SIGINT' }));
      } else out.push(b);
    }
    if (out.length) input.push(create(AttachRequestSchema, { stdin: Buffer.from(out) }));
  };
  const forward = (sig: NodeJS.Signals) => (): void => input.push(create(AttachRequestSchema, { signal: sig }));
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  if (tty) process.stdin.setRawMode(true);
  process.stdin.on('data', onData);
  process.stdin.resume();
  if (!tty) {
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  }
  let code = 0;
  try {
    for await (const r of d.jobs.attach(input, { signal: abort.signal })) {
      if (r.ended) {
        code = r.ended.exitCode ?? 1;
        break;
      }
      const out = r.stream === AttachResponse_Stream.STDERR ? process.stderr : process.stdout;
      await new Promise<void>((res) => out.write(r.data, () => res()));
    }
  } catch (e) {
    if (!detached) throw e;
  } finally {
    input.end();
    process.stdin.off('data', onData);
    process.stdin.pause();
    if (tty) process.stdin.setRawMode(false);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  if (detached) process.stderr.write(`\ncryo: detached from job ${job} (it keeps running)\n`);
  return code;
}

export function register(program: Command): void {
  withDaemonOptions(program
    .command('attach')
    .description('attach to a job\'s stdio (detach with Ctrl-P Ctrl-Q; Ctrl-C interrupts the job)')
    .argument('<job>', 'job id, id prefix or name')
    .option('--backlog <bytes>', 'how much earlier output to show first (default 64 KiB)', (v) => Number(v)))
    .action(async (job: string, f: { backlog?: number; socket?: string }) => {
      process.exitCode = await attachTo(connectDaemon({ socket: f.socket }), job, { backlogBytes: f.backlog ?? 0 });
    });
}
