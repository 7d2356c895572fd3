#!/usr/bin/env bash
# One idempotent set-up for a fresh machine (Debian 12, root): system packages cryo needs,
# a working CRIU >= 4.2 (scripts/provision-criu.sh), npm dependencies and the build.
# A second run only checks and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# tini: PID 1 of each job's PID namespace. python3-protobuf: runs crit (test oracle).
# zstd: checkpoint archives. gcc/libc6-dev: builds the C test workloads. iproute2/nftables: network tests.
APT_PKGS=(tini python3-protobuf zstd gcc libc6-dev iproute2 util-linux ca-certificates)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -z "${CRYO_CRIU:-}" ]; then
  scripts/provision-criu.sh
else
  log "using CRYO_CRIU=$CRYO_CRIU"
fi

# npm install only when package-lock.json changed since the last successful install.
lock_hash=$(sha256sum package-lock.json package.json | sha256sum | cut -c1-64)
if [ "$(cat node_modules/.cryo-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.cryo-lock-hash
fi

log "building"
npm run --silent build
log "ready: try ./cryo doctor"
