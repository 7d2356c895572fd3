// The protocol loop against a fake transport replaying messages CRIU 4.2.1 really sent
// (testdata/recorded-*.json) and hand-built ones: notify order, acks, refusals, errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { criu_req_type, criu_reqSchema, criu_respSchema, type criu_req } from '../gen/criu/rpc_pb.js';
import { CriuConnectionLost, exchange } from './protocol.js';
import type { Transport } from './transport.js';

/** Replays recorded answers; records what the loop sent. */
class FakeTransport implements Transport {
  sent: criu_req[] = [];
  constructor(private answers: Uint8Array[]) {}
  send(msg: Uint8Array): Promise<void> {
    this.sent.push(fromBinary(criu_reqSchema, msg));
    return Promise.resolve();
  }
  recv(): Promise<Uint8Array | null> {
    return Promise.resolve(this.answers.shift() ?? null);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function recorded(name: string): Uint8Array[] {
  const url = new URL(`../../src/criu/testdata/${name}`, import.meta.url);
  const { received } = JSON.parse(readFileSync(url, 'utf8')) as { received: string[] };
  return received.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
}

const notify = (script: string, pid?: number): Uint8Array =>
  toBinary(criu_respSchema, create(criu_respSchema, { type: criu_req_type.NOTIFY, success: true, notify: { script, ...(pid ? { pid } : {}) } }));
const final = (type: criu_req_type, success: boolean, extra: Record<string, unknown> = {}): Uint8Array =>
  toBinary(criu_respSchema, create(criu_respSchema, { type, success, ...extra }));
const dumpReq = create(criu_reqSchema, { type: criu_req_type.DUMP, opts: { imagesDirFd: 5, pid: 1234, notifyScripts: true } });

test('recorded dump: handlers run in CRIU order, each notification is acked true', async () => {
  const t = new FakeTransport(recorded('recorded-dump.json'));
  const calls: string[] = [];
  const ex = await exchange(t, dumpReq, {
    'pre-dump': () => void calls.push('pre-dump handler'),
    '*': (ev) => void calls.push(ev.script),
  });
  assert.equal(ex.resp.success, true);
  assert.deepEqual(ex.notifications.map((n) => n.script), ['pre-dump', 'query-ext-files', 'post-dump']);
  assert.deepEqual(calls, ['pre-dump handler', 'pre-dump', 'query-ext-files', 'post-dump']);
  assert.equal(t.sent[0]?.type, criu_req_type.DUMP);
  assert.equal(t.sent[0]?.opts?.pid, 1234);
  assert.deepEqual(t.sent.slice(1).map((r) => [r.type, r.notifySuccess]), [
    [criu_req_type.NOTIFY, true], [criu_req_type.NOTIFY, true], [criu_req_type.NOTIFY, true],
  ]);
  assert.equal(ex.refused, undefined);
});

test('recorded refusal: a throwing handler is acked false and reported with its script', async () => {
  const t = new FakeTransport(recorded('recorded-dump-refused.json'));
  const boom = new Error('hook said no');
  const ex = await exchange(t, dumpReq, { 'pre-dump': () => { throw boom; } });
  assert.equal(ex.resp.success, false);
  assert.equal(t.sent[1]?.notifySuccess, false);
  assert.equal(ex.refused?.script, 'pre-dump');
  assert.equal(ex.refused?.error, boom);
  assert.match(ex.resp.crErrmsg ?? '', /RLIMIT_NOFILE/);
});

test('a rejecting async handler refuses too; later notifications are acked without handlers', async () => {
  const t = new FakeTransport([notify('pre-dump'), notify('network-unlock'), final(criu_req_type.DUMP, false)]);
  let unlockCalls = 0;
  const ex = await exchange(t, dumpReq, {
    'pre-dump': () => Promise.reject(new Error('async no')),
    'network-unlock': () => void unlockCalls++,
  });
  assert.equal(ex.refused?.script, 'pre-dump');
  assert.deepEqual(t.sent.slice(1).map((r) => r.notifySuccess), [false, true]);
  assert.equal(unlockCalls, 0);
});

test('unknown scripts are acknowledged, pids are passed to handlers', async () => {
  const t = new FakeTransport([notify('some-future-script'), notify('post-restore', 4321), final(criu_req_type.RESTORE, true, { restore: { pid: 4321 } })]);
  const seen: unknown[] = [];
  const ex = await exchange(t, create(criu_reqSchema, { type: criu_req_type.RESTORE }), { '*': (ev) => void seen.push(ev) });
  assert.deepEqual(seen, [{ script: 'some-future-script' }, { script: 'post-restore', pid: 4321 }]);
  assert.deepEqual(t.sent.slice(1).map((r) => r.notifySuccess), [true, true]);
  assert.equal(ex.resp.restore?.pid, 4321);
});

test('without handlers every notification is still acknowledged', async () => {
  const t = new FakeTransport(recorded('recorded-dump.json'));
  const ex = await exchange(t, dumpReq);
  assert.equal(ex.resp.success, true);
  assert.equal(t.sent.filter((r) => r.type === criu_req_type.NOTIFY && r.notifySuccess).length, 3);
});

test('cancellation refuses the next notification without running its handler', async () => {
  const t = new FakeTransport([notify('pre-dump'), final(criu_req_type.DUMP, false)]);
  let ran = false;
  const ex = await exchange(t, dumpReq, { 'pre-dump': () => void (ran = true) }, { cancelled: () => true });
  assert.equal(ran, false);
  assert.equal(t.sent[1]?.notifySuccess, false);
  assert.deepEqual(ex.refused, { script: 'pre-dump' });
});

test('an error response is returned with cr_errno and cr_errmsg', async () => {
  const t = new FakeTransport([final(criu_req_type.DUMP, false, { crErrno: 3, crErrmsg: "Error (criu/proc_parse.c:1): Can't open /proc/99" })]);
  const ex = await exchange(t, dumpReq);
  assert.equal(ex.resp.success, false);
  assert.equal(ex.resp.crErrno, 3);
});

test('CRIU going away mid-request is a CriuConnectionLost naming the last notification', async () => {
  const t = new FakeTransport([notify('pre-dump')]);
  await assert.rejects(exchange(t, dumpReq), (e: unknown) => e instanceof CriuConnectionLost && /pre-dump/.test(e.message));
});
