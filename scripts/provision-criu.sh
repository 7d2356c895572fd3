#!/usr/bin/env bash
# Provides a working CRIU >= 4.2 (and CRIU's `crit` decoder, used as a test oracle) without
# touching the system: Debian testing's packages are downloaded through a private apt state,
# unpacked into a private prefix and run through that prefix's own dynamic loader.
# Why not `apt install criu`: Debian 12's criu (3.17) dies on kernels >= 6.13 (vDSO layout) and
# 4.1 cannot dump inet sockets on >= 6.16; installing testing's criu would upgrade libc6.
# Idempotent: a second run only checks that the wrapper still works.
set -euo pipefail

PREFIX="${CRYO_PREFIX:-/opt/cryo}"
ROOT="$PREFIX/criu-root"          # unpacked packages
BIN="$PREFIX/bin"                 # wrappers: criu, crit
APT="$PREFIX/apt"                 # private apt state: the system's apt never sees testing
SUITE="${CRYO_CRIU_SUITE:-forky}"
MIN_VERSION="4.2"

log() { printf '[provision-criu] %s\n' "$*"; }

version_ok() { # $1 = "X.Y[.Z]"
  [ "$(printf '%s\n%s\n' "$MIN_VERSION" "$1" | sort -V | head -n1)" = "$MIN_VERSION" ]
}

wrapper_works() {
  [ -x "$BIN/criu" ] || return 1
  local v
  v=$("$BIN/criu" --version 2>/dev/null | sed -n 's/^Version: *//p') || return 1
  [ -n "$v" ] && version_ok "$v"
}

if wrapper_works && [ -x "$BIN/crit" ] && [ "${1:-}" != "--force" ]; then
  log "CRIU $("$BIN/criu" --version | sed -n 's/^Version: *//p') already provisioned at $BIN/criu"
  exit 0
fi

PKGS=(criu libcompel1 python3-pycriu
  libc6 libprotobuf-c1 libnl-3-200 libnet9 libnftables1 libnftnl11 libmnl0 libxtables12
  libjansson4 libgnutls30t64 libnettle8t64 libhogweed6t64 libgmp10 libp11-kit0 libidn2-0
  libunistring5 libtasn1-6 libffi8 libbsd0 libmd0 libuuid1 libzstd1 libgcc-s1 libedit2
  libtinfo6 libcap2 libgpg-error0 liblz4-1 liblzma5 libselinux1 libpcre2-8-0)

mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/debs" "$BIN"
cat > "$APT/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $SUITE main
SRC
APT_OPTS=(-o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=/dev/null" -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")

log "reading Debian $SUITE package lists (private apt state in $APT)"
apt-get "${APT_OPTS[@]}" -qq update

rm -rf "$APT/debs"/* "$ROOT.new"
mkdir -p "$ROOT.new"
( cd "$APT/debs"
  for p in "${PKGS[@]}"; do
    # Versions are resolved now, not hard-coded: a testing suite moves.
    if apt-cache "${APT_OPTS[@]}" show "$p" >/dev/null 2>&1; then
      apt-get "${APT_OPTS[@]}" -qq download "$p" >/dev/null
    else
      log "note: $p is not in $SUITE, skipped"
    fi
  done )
for deb in "$APT/debs"/*.deb; do dpkg-deb -x "$deb" "$ROOT.new"; done
rm -rf "$ROOT"
mv "$ROOT.new" "$ROOT"

LIBDIR="$ROOT/usr/lib/x86_64-linux-gnu"
[ -e "$LIBDIR/ld-linux-x86-64.so.2" ] || LIBDIR="$ROOT/lib/x86_64-linux-gnu"
cat > "$BIN/criu.new" <<W
#!/bin/sh
# cryo's private CRIU: Debian $SUITE's criu run through its own libc (see scripts/provision-criu.sh).
exec "$LIBDIR/ld-linux-x86-64.so.2" --library-path "$LIBDIR" "$ROOT/usr/sbin/criu" "\$@"
W
chmod +x "$BIN/criu.new" && mv "$BIN/criu.new" "$BIN/criu"

# crit is pure python; Debian 12's python3-protobuf runs it (system /usr/bin/python3 sees it).
cat > "$BIN/crit.new" <<W
#!/bin/sh
PYTHONPATH="$ROOT/usr/lib/python3/dist-packages\${PYTHONPATH:+:\$PYTHONPATH}" exec /usr/bin/python3 -c 'import sys; from crit.__main__ import main; sys.argv[0]="crit"; sys.exit(main())' "\$@"
W
chmod +x "$BIN/crit.new" && mv "$BIN/crit.new" "$BIN/crit"

wrapper_works || { log "provisioned CRIU does not run: $("$BIN/criu" --version 2>&1 | head -3)"; exit 1; }
log "CRIU $("$BIN/criu" --version | sed -n 's/^Version: *//p') ready at $BIN/criu"
