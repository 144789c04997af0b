#!/usr/bin/env bash
# Prepares a scratch disk for one boot: decompresses a zstd disk image
# (default: tests/data/bcachefs-1.13-256M.img.zst, an empty bcachefs) into a
# sparse file, DEST or a new temp file, and prints its path. Mounting writes
# to the image, so every boot gets a fresh copy; the caller deletes it.
# scripts/run-vm.sh --scratch-disk does this for its own boot.
# Usage: scratch-disk.sh [IMAGE.zst [DEST]]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
img=${1:-$here/tests/data/bcachefs-1.13-256M.img.zst}
dest=${2:-$(mktemp /tmp/rcuwatch-disk.XXXXXX.img)}
[ -f "$img" ] || { echo "scratch-disk: no such image: $img" >&2; exit 2; }
zstd -q -d -f --sparse "$img" -o "$dest"
echo "$dest"
