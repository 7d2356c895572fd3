#!/bin/sh
# Runs inside new pid, ipc, uts, net and mount namespaces (see _image-workloads.ts startRichInNetns):
# reopens stdio by path (a file opened in the parent mount namespace lives on a mount CRIU cannot
# find in the dumped one), joins the cgroup $CRYO_CGROUP (so CRIU writes cgroup.img), configures the
# network namespace with one of each device kind CRIU dumps here (loopback, veth, bridge, macvlan;
# tun comes from the workload), addresses, a route, a rule and an nftables table (with a conntrack
# rule, so the workload's TCP connection is tracked: netns-ct-*.img), adds a tmpfs and
# a bind mount, then execs tini with the workload.
set -e
out=$(readlink "/proc/$$/fd/1")
exec </dev/null >"$out" 2>&1
[ -z "$CRYO_CGROUP" ] || echo $$ > "$CRYO_CGROUP/cgroup.procs"
work=$2
ip link set lo up
ip addr add 10.77.0.1/24 dev lo
ip link add cryo0 type veth peer name cryo1
ip addr add 10.78.0.1/24 dev cryo0
ip -6 addr add fd00:77::1/64 dev cryo0 nodad
ip link set cryo0 up
ip link set cryo1 up
ip link add cryobr0 type bridge
ip link set cryobr0 up
ip link add cryomv0 link cryo0 type macvlan mode bridge
ip route add 10.79.0.0/24 via 10.78.0.2
ip rule add from 10.77.0.5 table 100
nft add table inet cryotest
nft add chain inet cryotest input '{ type filter hook input priority 0; }'
nft add rule inet cryotest input tcp dport 9 drop
nft add rule inet cryotest input ct state established,related accept
mkdir -p "$work/tmpfs" "$work/bind-src" "$work/bind"
mount -t tmpfs -o size=1m cryotmp "$work/tmpfs"
echo data > "$work/tmpfs/file"
mount --bind "$work/bind-src" "$work/bind"
exec tini -s -- "$@"
