#!/usr/bin/env bash
# Fetches Debian's own trixie kernel (the 6.12 amd64 image package that
# trixie's linux-image-amd64 depends on) through scripts/lib/trixie-apt.sh and
# unpacks it into $RCUWATCH_CACHE/debian-kernel/<package version>/, which it
# prints last on stdout. A second run finds it there and does nothing (the
# trixie package list is re-read at most hourly to notice a newer kernel).
#
# Usage: fetch-debian-kernel.sh [--package NAME]
#   --package NAME  another trixie 6.12 image package, e.g.
#                   linux-image-6.12.107+deb13-amd64 (default: the current one)
#
# The directory holds:
#   vmlinuz, config    the kernel and its config (symlinks into root/boot)
#   System.map         Debian's placeholder: the real one is in the -dbg
#                      package; the guest's /proc/kallsyms has the symbols
#   modules            the modules tree (root/usr/lib/modules/<abi>), .ko.xz,
#                      with modules.dep & co. made by depmod (the package
#                      ships none: its postinst runs depmod)
#   abi, package       uname -r of the kernel; the package name and version
#   bcachefs-modules/  bcachefs and virtio_blk with all they need, .ko
#                      decompressed, and load-order (scripts/debian-kernel-modules.sh)
#   btf/vmlinux, btf/bcachefs  raw BTF, byte for byte what the booted kernel
#                      shows in /sys/kernel/btf/ (from vmlinuz and bcachefs.ko):
#                      bpftool btf dump file btf/bcachefs base btf/vmlinux
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RCUWATCH_CACHE:-/var/cache/rcuwatch}
pkg=""
layout=2   # of the directory; a cached one of another layout is redone
while [ $# -gt 0 ]; do
  case "$1" in
    --package) pkg=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "fetch-debian-kernel: unknown argument $1" >&2; exit 2 ;;
  esac
done
log() { echo "[fetch-debian-kernel] $*" >&2; }
. "$here/lib/trixie-apt.sh"

"$here/install-deps.sh" kernel >&2
trixie_apt_setup "$cache/apt"
kcache=$cache/debian-kernel
mkdir -p "$kcache"
exec 9>"$kcache/lock"   # one run at a time unpacks
flock 9

# Which package and version: from the package list, or, while it is fresh,
# from what the last run resolved (resolving costs seconds, a cached run none).
resolved=$kcache/resolved${pkg:+-$pkg}
if ! { trixie_apt_fresh && [ "$resolved" -nt "$TRIXIE_APT_DIR/update.stamp" ]; }; then
  if ! trixie_apt_update; then
    last=$(ls -d "$kcache"/*/done 2>/dev/null | sort -V | tail -1 || true)
    [ -n "$last" ] || { log "cannot read the trixie package list and nothing is cached"; exit 1; }
    log "warning: cannot read the trixie package list; using the cached $(dirname "$last")"
    dirname "$last"
    exit 0
  fi
  if [ -z "$pkg" ]; then
    # linux-image-amd64 depends on exactly the current image, e.g.
    # "linux-image-6.12.117+deb13-amd64 (= 6.12.117-1)".
    p=$(trixie_apt_cache show --no-all-versions linux-image-amd64 |
      sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -1)
  else
    p=$pkg
  fi
  [[ "$p" =~ ^linux-image-6\.12\.[0-9]+.*-amd64$ ]] ||
    { log "'$p' is not a 6.12 amd64 kernel image package (from trixie's linux-image-amd64)"; exit 1; }
  v=$(trixie_apt_cache show --no-all-versions "$p" | awk '/^Version:/ { print $2; exit }')
  [ -n "$v" ] || { log "$p is not in the trixie package list"; exit 1; }
  echo "$p $v" > "$resolved.tmp.$$" && mv "$resolved.tmp.$$" "$resolved"
fi
read -r p v < "$resolved"
dir=$kcache/$v
if [ "$(cat "$dir/done" 2>/dev/null)" = "$layout" ] && [ "$(cat "$dir/package")" = "$p $v" ]; then
  log "cached: $p $v"
  echo "$dir"
  exit 0
fi

log "fetching $p $v"
deb=$(trixie_apt_download "$p=$v")
log "unpacking $(basename "$deb") ($(du -h "$deb" | cut -f1))"
tmp=$(mktemp -d "$kcache/.unpack.XXXXXX") && chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
abi=$(ls "$tmp/root/usr/lib/modules")
[ "$(echo "$abi" | wc -l)" = 1 ] && [ -f "$tmp/root/boot/vmlinuz-$abi" ] ||
  { log "unexpected package layout (modules: $abi)"; exit 1; }
echo "$abi" > "$tmp/abi"
echo "$p $v" > "$tmp/package"
# Trixie is merged-/usr; depmod and modprobe -d look under <base>/lib/modules.
ln -s usr/lib "$tmp/root/lib"
log "depmod $abi"
depmod -b "$tmp/root" "$abi"
for f in vmlinuz config System.map; do ln -s "root/boot/$f-$abi" "$tmp/$f"; done
ln -s "root/usr/lib/modules/$abi" "$tmp/modules"
"$here/debian-kernel-modules.sh" "$tmp" "$tmp/bcachefs-modules" bcachefs virtio_blk
# BTF for the host (vmlinux.h, bpftool): vmlinuz is a zstd (or other) payload
# behind the boot code; try each zstd/xz/gzip magic until one gives an ELF,
# as the kernel's scripts/extract-vmlinux does.
mkdir "$tmp/btf"
for magic in '\x28\xb5\x2f\xfd:zstd -dcq' '\xfd\x37\x7a\x58\x5a\x00:xz -dcq' '\x1f\x8b\x08:gzip -dcq'; do
  for off in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$tmp/vmlinuz" | cut -d: -f1); do
    tail -c +$((off + 1)) "$tmp/vmlinuz" | ${magic#*:} > "$tmp/vmlinux" 2>/dev/null || true
    [ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && break 2
  done
done
objcopy --dump-section .BTF="$tmp/btf/vmlinux" "$tmp/vmlinux" "$tmp/vmlinux.o" ||
  { log "no BTF found in $tmp/vmlinuz"; exit 1; }
objcopy --dump-section .BTF="$tmp/btf/bcachefs" "$tmp/bcachefs-modules/bcachefs.ko" "$tmp/vmlinux.o"
rm -f "$tmp/vmlinux" "$tmp/vmlinux.o"
echo "$layout" > "$tmp/done"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
log "ready: $dir ($(tr '\n' ' ' < "$dir/bcachefs-modules/load-order"))"
echo "$dir"
