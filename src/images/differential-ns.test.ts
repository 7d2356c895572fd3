// Differential test, part 2: the image types of namespaces and cgroups, which a task in the host's
// namespaces never produces. The rich workload runs under tini in new pid, ipc, uts, net and mount
// namespaces configured by testdata/netns-setup.sh (loopback, veth pair, bridge, macvlan, a tun
// device, IPv4/IPv6 addresses, a route, a rule, an nftables table, a tmpfs and a bind mount), in a
// cgroup of its own, with unread data in both directions of a pty pair. The raw CRIU CLI dumps it;
// every image must agree with crit field by field, as in differential.test.ts. A second dump does
// the same inside user and cgroup namespaces too, with the pid namespace declared external
// (userns-*.img, pidns-*.img, cgroup namespace prefixes in cgroup.img).
//
// Image types the decoder knows that no test here produces, and why:
//  - VMAS, PIPES, FIFO, SIGACT, UNIXSK, INETSK, PACKETSK, ITIMERS, POSIX_TIMERS, CREDS, REG_FILES,
//    EXT_FILES, EVENTFD_FILE, EVENTPOLL_FILE, EVENTPOLL_TFD, SIGNALFD, INOTIFY_FILE, INOTIFY_WD,
//    FANOTIFY_FILE, FANOTIFY_MARK, NETLINK_SK, NS_FILES, TUNFILE, TIMERFD, BPFMAP_FILE, RLIMIT,
//    SIGNAL, TTY_FILES: legacy per-kind images; CRIU 4.x writes these objects inside files.img
//    (file_entry) and core-*.img instead (the tests compare them there), and only reads the old
//    files from images of CRIU < 3.x.
//  - AUTOFS: the kernel here has no autofs (criu check: autofs missing).
//  - BPFMAP_DATA: the provisioned CRIU is built without libbpf; dumping a task holding a bpf map
//    fails ("Can't dump file 3 of that type [600] (anon anon_inode:bpf-map)").
//  - APPARMOR: written only for AppArmor namespaces; AppArmor is not enabled in this kernel.
//  - IRMAP_CACHE: written only by pre-dump, which forces memory tracking; without soft-dirty this
//    kernel cannot (CRIU 4.2.1 even aborts: "BUG at criu/mem.c:46").
//  - BINFMT_MISC: CRIU dumps binfmt_misc formats only when built with CONFIG_BINFMT_MISC_VIRTUALIZED
//    (Virtuozzo kernels); the provisioned build is not, and crit has no handler for it either.
//  - PIDFD: CRIU 4.x writes pidfds inside files.img (compared: the workload holds one).
//  - KDAT: CRIU's kernel-probe cache (/run/criu.kdat), a raw struct crit cannot read either.
// ifaddr/route/rule/netns-ct (conntrack)/nftables and tmpfs-dev images are netlink dumps, nft text
// and tarballs without a magic, not protobuf entries; the decoder lists them as other files (crit
// cannot decode them either). NETNF_EXP (netns-exp) needs a conntrack helper's expectation.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareDir } from './_crit-compare.js';
import {
  buildRich, cgroup2Root, cleanup, criuDump, criuPath, dropNetworkLock, externalTmpfsMounts, pycriuPath, removeCgroup, startRichInNetns,
  type Started,
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

/** Which variant to dump: as root of the host's user namespace, or inside a user namespace of its own. */
interface Variant {
  readonly name: string;
  readonly userns: boolean;
}

/** Starts the workload for `v`, dumps it, compares every image with crit and checks the setup is in them. */
async function dumpAndCompare(t: TestContext, v: Variant): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'cryo-images-ns-'));
  const started: Started[] = [];
  const cgRoot = cgroup2Root();
  const cgroup = cgRoot === undefined ? undefined : join(cgRoot, `cryo-images-${v.name}-${process.pid}-${Date.now()}`);
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
  const work = join(tmp, 'w');
  const ns = await startRichInNetns(bin, work, ['tcp', 'ttydata', 'pidfd', 'morefds', ...(v.userns ? [] : ['fanotify']), ...(tun ? ['tun'] : [])], cgroup, v.userns);
  started.push(ns);
  const dir = join(tmp, 'd');
  const opts = ['--file-locks', '--tcp-established', '--network-lock', 'nftables'];
  if (v.userns) {
    // The pid namespace declared external: the only case CRIU writes pidns-<id>.img.
    const pidns = /^pid:\[(\d+)\]$/.exec(readlinkSync(`/proc/${ns.pid}/ns/pid`))![1]!;
    opts.push(...externalTmpfsMounts(), '--external', `pid[${pidns}]:cryo-pidns`);
  }
  await criuDump(ns.pid, dir, opts);
  // The network lock lives in the dumped netns, which dies with the tree; drop any leftover anyway.
  lock.runId = buildCheckpointModel(dir, { scanUnknown: false }).criu.runId;

  const seen = new Set<string>();
  const diffs = await compareDir(dir, seen);
  t.diagnostic(`image types compared: ${[...seen].sort().join(' ')}`);
  assert.deepEqual(diffs, [], `cryo and crit disagree:\n${diffs.slice(0, 40).join('\n')}`);
  const want = ['MNTS', 'NETDEV', 'NETNS', 'TTY_DATA', ...(cgroup ? ['CGROUP'] : []), ...(v.userns ? ['USERNS', 'PIDNS'] : [])];
  for (const type of want) assert.ok(seen.has(type), `no ${type} image was compared (seen: ${[...seen].join(' ')})`);

  // What the setup created is in the decoded images (crit agreeing is not enough if both miss it).
  const images = ImagesDir.open(dir);
  const netdev = [...images.files.keys()].find((n) => /^netdev-\d+\.img$/.test(n))!;
  const names = images.messages<net_device_entry>(netdev, 'NETDEV').map((d) => d.name).sort();
  assert.deepEqual(names, ['cryo0', 'cryo1', 'cryobr0', 'cryomv0', 'lo', ...(tun ? ['cryotun0'] : [])].sort());
  const mounts = [...images.files.keys()].find((n) => /^mountpoints-\d+\.img$/.test(n))!;
  const points = images.messages<mnt_entry>(mounts, 'MNTS').map((m) => m.mountpoint);
  for (const p of [`${work}/tmpfs`, `${work}/bind`, '/proc']) assert.ok(points.includes(p), `mountpoint ${p} in ${points.join(' ')}`);

  // The tracked TCP connection (the nft ruleset uses conntrack) is in netns-ct-*.img: netlink
  // messages without a magic, which must be listed as such, not as damaged or unknown images.
  const ct = [...images.files.values()].filter((f) => /^netns-ct-\d+\.img$/.test(f.name));
  assert.ok(ct.length === 1 && ct[0]!.kind === 'other' && ct[0]!.size > 0, `netns-ct image: ${JSON.stringify(ct)}`);
  const model = buildCheckpointModel(dir);
  assert.deepEqual(model.unknownImages, []);
  // File kinds the extra arguments add (fanotify needs CAP_SYS_ADMIN in the initial user namespace).
  const fileKinds = new Set(model.files.map((f) => f.type));
  for (const k of ['pidfd', 'packet', 'netlink', 'ns', ...(tun ? ['tun'] : []), ...(v.userns ? [] : ['fanotify'])]) {
    assert.ok(fileKinds.has(k), `a ${k} file among ${[...fileKinds].join(' ')}`);
  }
  // timens-0.img (clocks) comes with every dump, cgroup.img with any cgroup of its own: neither
  // means a time or cgroup namespace; the cgroup namespace shows as cgns_prefix in cgroup.img.
  const kinds = ['ipc', 'mnt', 'net', 'pid', 'uts', ...(v.userns ? ['user', ...(cgroup ? ['cgroup'] : [])] : [])].sort();
  assert.deepEqual(model.namespaces.captured, kinds);
}

test('decoder agrees with crit on a checkpoint with net, mount and cgroup images', { skip: missing ?? false }, async (t) => {
  await dumpAndCompare(t, { name: 'netns', userns: false });
});

test('decoder agrees with crit on a checkpoint with its own user namespace and an external pid namespace', {
  skip: missing ?? (existsSync('/proc/self/ns/user') ? false : 'the kernel lacks user namespaces'),
}, async (t) => {
  await dumpAndCompare(t, { name: 'userns', userns: true });
});
