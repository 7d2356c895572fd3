#!/usr/bin/env bash
# Provides a working CRIU >= 4.2 (and CRIU's `crit` decoder, used as a test oracle) without
# touching the system: Debian testing's packages are downloaded through a private apt state,
# unpacked into a private prefix and run through that prefix's own dynamic loader.
# Why not `apt install criu`: Debian 12's criu (3.17) dies on kernels >= 6.13 (vDSO layout) and
# 4.1 cannot dump inet sockets on >= 6.16; installing testing's criu would upgrade libc6.
# Idempotent: a second run only checks that CRIU still runs and rewrites a wrapper only if it changed.
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

# The loader directory of an unpacked prefix (Debian puts it under /usr/lib or /lib).
libdir_of() {
  if [ -e "$1/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ]; then echo "$1/usr/lib/x86_64-linux-gnu"; else echo "$1/lib/x86_64-linux-gnu"; fi
}

# Writes the criu and crit wrappers; a file is replaced only when its content changes, so a second
# run touches nothing. The criu wrapper's kernel-probe cache logic is explained in its own header.
install_wrappers() {
  local libdir build
  libdir=$(libdir_of "$ROOT")
  # Names this CRIU build in the cache stamp: a re-provisioned CRIU gets its cache regenerated.
  build=$(sha256sum "$ROOT/usr/sbin/criu" | cut -c1-16)
  sed -e "s|@SUITE@|$SUITE|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@CRIU@|$ROOT/usr/sbin/criu|g" -e "s|@BUILD@|$build|g" \
    > "$BIN/criu.new" <<'W'
#!/bin/sh
# cryo's private CRIU: Debian @SUITE@'s criu run through its own libc (see scripts/provision-criu.sh).
#
# Kernel-probe cache. CRIU probes the kernel at every start (~30-50 ms) unless it can load
# /run/criu.kdat. It loads that file from any filesystem, but only SAVES it when /run is a tmpfs,
# so that a reboot (perhaps into another kernel) discards it. When /run is not a tmpfs, this
# wrapper makes the file itself (CRIU run once in a private mount namespace with a tmpfs on /run)
# and keeps it valid per boot: criu.kdat.cryo-boot names the boot id, kernel release and CRIU build
# it was made for, and any change regenerates it before CRIU runs. On a tmpfs /run it only notes
# that fact and leaves the cache to CRIU; if the file cannot be made, that is noted too (no retry
# until the next boot). Fast path: shell builtins only. A failure here never
# fails the CRIU call: CRIU then probes the kernel itself, as it would without this.
cryo_kdat=/run/criu.kdat

cryo_kdat_refresh() (
  exec </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
  umask 077
  tmp="$cryo_kdat.cryo.$$"
  trap 'rm -f "$tmp" "$tmp.stamp"' EXIT
  if [ "$(stat -f -c %T /run)" = tmpfs ]; then
    printf '%s\n' "tmpfs $cryo_want" >"$tmp.stamp" && mv -f "$tmp.stamp" "$cryo_kdat.cryo-boot"
    exit 0
  fi
  # Not valid for this boot/kernel/CRIU: gone first, so that even if it cannot be remade, no
  # CRIU loads a previous kernel's probe results.
  rm -f "$cryo_kdat"
  # CRIU leaves an empty criu.kdat.tmp behind on a non-tmpfs /run (its save gives up after the
  # O_EXCL create); remove it so it never blocks a later save.
  [ -f "$cryo_kdat.tmp" ] && [ ! -s "$cryo_kdat.tmp" ] && rm -f "$cryo_kdat.tmp"
  # Fd 9 is the temp file on the real /run, opened before the tmpfs hides it.
  unshare -m --propagation private sh -c \
    'mount -t tmpfs -o size=1m,mode=0755 cryo-kdat /run || exit 1; "$@" check; cat /run/criu.kdat >&9' \
    sh "@LIBDIR@/ld-linux-x86-64.so.2" --library-path "@LIBDIR@" "@CRIU@" 9>"$tmp"
  if [ ! -s "$tmp" ]; then
    # Cannot make it here (e.g. no right to mount): noted, so later calls do not retry this boot.
    printf '%s\n' "none $cryo_want" >"$tmp.stamp" && mv -f "$tmp.stamp" "$cryo_kdat.cryo-boot"
    exit 0
  fi
  # Temp file + rename: a concurrent CRIU sees the old file or the new one, never half of one.
  mv -f "$tmp" "$cryo_kdat" &&
    printf '%s\n' "$cryo_want" >"$tmp.stamp" && mv -f "$tmp.stamp" "$cryo_kdat.cryo-boot"
)

if [ -w /run ]; then
  cryo_boot= cryo_rel= cryo_have=
  { read -r cryo_boot </proc/sys/kernel/random/boot_id; read -r cryo_rel </proc/sys/kernel/osrelease; } 2>/dev/null
  cryo_want="$cryo_boot $cryo_rel @BUILD@"
  { read -r cryo_have <"$cryo_kdat.cryo-boot"; } 2>/dev/null
  case $cryo_have in
    "tmpfs $cryo_want" | "none $cryo_want") ;;
    "$cryo_want") [ -s "$cryo_kdat" ] || cryo_kdat_refresh ;;
    *) cryo_kdat_refresh ;;
  esac
fi
exec "@LIBDIR@/ld-linux-x86-64.so.2" --library-path "@LIBDIR@" "@CRIU@" "$@"
W
  chmod +x "$BIN/criu.new"
  if cmp -s "$BIN/criu.new" "$BIN/criu"; then rm -f "$BIN/criu.new"; else mv "$BIN/criu.new" "$BIN/criu"; log "wrote $BIN/criu"; fi

  # crit is pure python; Debian 12's python3-protobuf runs it (system /usr/bin/python3 sees it).
  cat > "$BIN/crit.new" <<W
#!/bin/sh
PYTHONPATH="$ROOT/usr/lib/python3/dist-packages\${PYTHONPATH:+:\$PYTHONPATH}" exec /usr/bin/python3 -c 'import sys; from crit.__main__ import main; sys.argv[0]="crit"; sys.exit(main())' "\$@"
W
  chmod +x "$BIN/crit.new"
  if cmp -s "$BIN/crit.new" "$BIN/crit"; then rm -f "$BIN/crit.new"; else mv "$BIN/crit.new" "$BIN/crit"; log "wrote $BIN/crit"; fi
}

# The unpacked CRIU itself runs (without the wrappers) and is recent enough.
unpacked_works() {
  local libdir v
  libdir=$(libdir_of "$ROOT")
  [ -x "$ROOT/usr/sbin/criu" ] && [ -e "$libdir/ld-linux-x86-64.so.2" ] || return 1
  v=$("$libdir/ld-linux-x86-64.so.2" --library-path "$libdir" "$ROOT/usr/sbin/criu" --version 2>/dev/null | sed -n 's/^Version: *//p') || return 1
  [ -n "$v" ] && version_ok "$v"
}

if unpacked_works && [ "${1:-}" != "--force" ]; then
  mkdir -p "$BIN"
  install_wrappers
  wrapper_works || { log "the criu wrapper at $BIN/criu does not run"; exit 1; }
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

install_wrappers

wrapper_works || { log "provisioned CRIU does not run: $("$BIN/criu" --version 2>&1 | head -3)"; exit 1; }
log "CRIU $("$BIN/criu" --version | sed -n 's/^Version: *//p') ready at $BIN/criu"
