#!/usr/bin/env bash
# Copies kernel modules of an unpacked Debian kernel (scripts/fetch-debian-kernel.sh)
# with everything they need, decompressed, into OUT_DIR, with OUT_DIR/load-order
# listing them (file names, one a line) in the order to insmod them: busybox's
# insmod neither resolves dependencies nor reads .ko.xz, and the guest has no
# modprobe to serve the kernel's request_module().
#
# Usage: debian-kernel-modules.sh KERNEL_DIR OUT_DIR MODULE...
#   KERNEL_DIR  has modules/ (with modules.dep, made by depmod) and abi
#
# Order: for each MODULE, first its soft pre-dependencies (modules.softdep:
# bcachefs declares crc32c, crc64, sha256, xxhash, chacha20, poly1305 and
# kmod's modprobe honours only the first such line per module), then the
# module itself, each expanded by `modprobe --show-depends` (hard
# dependencies from modules.dep, deepest first). Built-in ones are skipped.
# An alias provided by several modules brings all of them (crc32c: the
# generic one and crc32c-intel, which fails with ENODEV without SSE4.2).
set -euo pipefail
kdir=$1 out=$2; shift 2
[ $# -gt 0 ] || { echo "usage: $0 KERNEL_DIR OUT_DIR MODULE..." >&2; exit 2; }
abi=$(cat "$kdir/abi")
base=$kdir/root   # modprobe -d wants the directory holding lib/modules/<abi>
mods=$base/lib/modules/$abi
show_depends() {  # $1: module name or alias; prints module paths in load order
  modprobe -C /dev/null -d "$base" -S "$abi" --show-depends "$1" | awk '$1 == "insmod" { print $2 }'
}
paths=()
for m in "$@"; do
  for pre in $(sed -n "s/^softdep $m pre: \(.*\)/\1/p" "$mods/modules.softdep" | sed 's/ *post:.*//'); do
    mapfile -t -O ${#paths[@]} paths < <(show_depends "$pre")
  done
  mapfile -t -O ${#paths[@]} paths < <(show_depends "$m")
  # A module that is not there at all (neither a file nor built in) is an error.
  modprobe -C /dev/null -d "$base" -S "$abi" --show-depends "$m" >/dev/null
done
tmp=$(mktemp -d "$(dirname "$out")/.modules.XXXXXX") && chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
declare -A seen=()
for p in "${paths[@]}"; do
  name=$(basename "$p"); name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
  [ -n "${seen[$name]:-}" ] && continue
  seen[$name]=1
  case "$p" in
    *.xz) xz -dc "$p" > "$tmp/$name" ;;
    *.zst) zstd -q -dc "$p" > "$tmp/$name" ;;
    *.gz) gzip -dc "$p" > "$tmp/$name" ;;
    *) cp "$p" "$tmp/$name" ;;
  esac
  echo "$name" >> "$tmp/load-order"
done
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
