#!/usr/bin/env bash
# Fetches Debian's linux-source-6.12 (trixie suite) through the mirror this
# machine's apt is already configured with, without touching the system's apt
# state (scripts/lib/trixie-apt.sh), and unpacks it into $1 (default:
# $RCUWATCH_CACHE/src). The tree appears at once (unpacked aside, then
# renamed), and concurrent runs wait for each other: a Makefile there means
# the tree is complete.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RCUWATCH_CACHE:-/var/cache/rcuwatch}
out=${1:-$cache/src}
pkg=linux-source-6.12
. "$here/lib/trixie-apt.sh"

have_source() {
  if [ -f "$out/linux-source-6.12/Makefile" ]; then
    echo "kernel source: already at $out/linux-source-6.12"
    exit 0
  fi
}
have_source
mkdir -p "$cache" "$(dirname "$out")"
exec 8>"$out.lock"
flock 8
have_source

trixie_apt_setup "$cache/apt"
mkdir -p "$out"
if trixie_apt_fresh; then
  echo "kernel source: the trixie package list is less than an hour old"
else
  echo "kernel source: reading the trixie package list from the configured mirror"
  trixie_apt_update
fi
echo "kernel source: downloading $pkg"
deb=$(trixie_apt_download "$pkg")
tmp=$(mktemp -d "$cache/unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg -x "$deb" "$tmp"
tarball=$(ls "$tmp"/usr/src/linux-source-6.12.tar.* | head -1)
echo "kernel source: unpacking $(basename "$tarball")"
mkdir -p "$tmp/tree"
tar -xf "$tarball" -C "$tmp/tree"
rm -rf "$out/linux-source-6.12"   # what an interrupted unpack left, if anything
mv "$tmp/tree/linux-source-6.12" "$out/"
echo "kernel source: ready at $out/linux-source-6.12 ($(basename "$deb"))"
