// Differential test, part 2: the image types of namespaces and cgroups, which a task in the host's
// namespaces never produces. The rich workload runs under tini in new pid, ipc, uts, net and mount
// namespaces configured by testdata/netns-setup.sh (loopback, veth pair, bridge, macvlan, a tun
// device, IPv4/IPv6 addresses, a route, a rule, an nftables table, a tmpfs and a bind mount), in a
// cgroup of its own, with unread data in both directions of a pty pair. The raw CRIU CLI dumps it;
// every image must agree with crit field by field, as in differential.test.ts.
//
// Image types the decoder knows that no test here produces, and why:
//  - VMAS, PIPES, FIFO, SIGACT, UNIXSK, INETSK, PACKETSK, ITIMERS, POSIX_TIMERS, CREDS, REG_FILES,
//    EXT_FILES, EVENTFD_FILE, EVENTPOLL_FILE, EVENTPOLL_TFD, SIGNALFD, INOTIFY_FILE, INOTIFY_WD,
//    FANOTIFY_FILE, FANOTIFY_MARK, NETLINK_SK, NS_FILES, TUNFILE, TIMERFD, BPFMAP_FILE, RLIMIT,
//    SIGNAL, TTY_FILES: legacy per-kind images; CRIU 4.x writes these objects inside files.img
//    (file_entry) and core-*.img instead (the tests compare them there), and only reads the old
//    files from images of CRIU < 3.x.
//  - USERNS: a user namespace's mounts are locked, so CRIU cannot unmount /dev/shm to archive /dev
//    ("Unable to umount child-overmount ./dev/shm"), and without its own mount namespace it refuses
//    ("can't dump unprivileged task whose /proc doesn't belong to it").
//  - AUTOFS: the kernel here has no autofs. BPFMAP_DATA: CRIU dumps bpf maps only of tasks holding
//    one (needs a bpf loader; not installed). APPARMOR: AppArmor is not enabled in this kernel.
//  - PIDNS: written only for pid namespaces given as external (--external pid[...]).
//  - IRMAP_CACHE: written by pre-dump, which needs soft-dirty tracking (missing on this kernel).
//  - BINFMT_MISC, PIDFD, KDAT: crit has no decoder for them, so there is no oracle.
// ifaddr/route/rule/nftables and tmpfs-dev images are netlink dumps, nft text and tarballs, not
// protobuf entries; the decoder lists them as other files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareDir } from './_crit-compare.js';
import {
  buildRich, cgroup2Root, cleanup, criuDump, criuPath, dropNetworkLock, pycriuPath, removeCgroup, startRichInNetns, type Started,
} from './_image-workloads.js';
import { ImagesDir } from './images-dir.js';
import { buildCheckpointModel } from './model/build-model.js';
import type { net_device_entry } from '../gen/criu/images/netdev_pb.js';
import type { mnt_entry } from '../gen/criu/images/mnt_pb.js';

const has = (cmd: string, flag: string): boolean => {
  try {
    execFileSync(cmd, [flag], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = process.getuid?.() !== 0 ? 'needs root'
  : !existsSync(pycriuPath) || !existsSync(criuPath()) ? 'needs CRIU and pycriu'
    : !has('ip', '-V') || !has('nft', '--version') ? 'needs iproute2 and nft'
      : !existsSync('/proc/self/ns/net') ? 'the kernel lacks network namespaces' : undefined;

test('decoder agrees with crit on a checkpoint with net, mount and cgroup images', { skip: missing ?? false }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-images-ns-'));
  const started: Started[] = [];
  const cgRoot = cgroup2Root();
  const cgroup = cgRoot === undefined ? undefined : join(cgRoot, `cryo-images-${process.pid}-${Date.now()}`);
  const lock: { runId?: string | undefined } = {};
  t.after(async () => {
    started.forEach(cleanup);
    dropNetworkLock(lock.runId);
    if (cgroup) await removeCgroup(cgroup);
    rmSync(tmp, { recursive: true, force: true });
  });
  if (cgroup) mkdirSync(cgroup);
  else t.diagnostic('no cgroup v2 hierarchy: cgroup.img is not produced');
  const tun = existsSync('/dev/net/tun');
  if (!tun) t.diagnostic('no /dev/net/tun: no tun device in the network namespace');

  const bin = await buildRich(tmp);
  const work = join(tmp, 'w3');
  const ns = await startRichInNetns(bin, work, ['tcp', 'ttydata', ...(tun ? ['tun'] : [])], cgroup);
  started.push(ns);
  const d3 = join(tmp, 'd3');
  await criuDump(ns.pid, d3, ['--file-locks', '--tcp-established', '--network-lock', 'nftables']);
  // The network lock lives in the dumped netns, which dies with the tree; drop any leftover anyway.
  lock.runId = buildCheckpointModel(d3, { scanUnknown: false }).criu.runId;

  const seen = new Set<string>();
  const diffs = await compareDir(d3, seen);
  t.diagnostic(`image types compared: ${[...seen].sort().join(' ')}`);
  assert.deepEqual(diffs, [], `cryo and crit disagree:\n${diffs.slice(0, 40).join('\n')}`);
  const want = ['MNTS', 'NETDEV', 'NETNS', 'TTY_DATA', ...(cgroup ? ['CGROUP'] : [])];
  for (const type of want) assert.ok(seen.has(type), `no ${type} image was compared (seen: ${[...seen].join(' ')})`);

  // What the setup created is in the decoded images (crit agreeing is not enough if both miss it).
  const images = ImagesDir.open(d3);
  const netdev = [...images.files.keys()].find((n) => /^netdev-\d+\.img$/.test(n))!;
  const devs = images.messages<net_device_entry>(netdev, 'NETDEV');
  const names = devs.map((d) => d.name).sort();
  const wantDevs = ['cryo0', 'cryo1', 'cryobr0', 'cryomv0', 'lo', ...(tun ? ['cryotun0'] : [])].sort();
  assert.deepEqual(names, wantDevs);
  const mounts = [...images.files.keys()].find((n) => /^mountpoints-\d+\.img$/.test(n))!;
  const points = images.messages<mnt_entry>(mounts, 'MNTS').map((m) => m.mountpoint);
  for (const p of [`${work}/tmpfs`, `${work}/bind`, '/proc']) assert.ok(points.includes(p), `mountpoint ${p} in ${points.join(' ')}`);

  const model = buildCheckpointModel(d3);
  for (const kind of ['net', 'mnt', 'pid', 'ipc', 'uts']) {
    assert.ok(model.namespaces.captured.includes(kind), `${kind} in ${model.namespaces.captured.join()}`);
  }
});
