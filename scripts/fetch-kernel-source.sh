#!/usr/bin/env bash
# Fetches Debian's linux-source-6.12 (trixie suite) through the mirror this
# machine's apt is already configured with, without touching the system's apt
# state (scripts/lib/trixie-apt.sh), and unpacks it into $1 (default:
# $RCUWATCH_CACHE/src).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RCUWATCH_CACHE:-/var/cache/rcuwatch}
out=${1:-$cache/src}
pkg=linux-source-6.12
. "$here/lib/trixie-apt.sh"

if compgen -G "$out/linux-source-6.12/Makefile" >/dev/null; then
  echo "kernel source: already at $out/linux-source-6.12"
  exit 0
fi

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
dpkg -x "$deb" "$tmp"
tarball=$(ls "$tmp"/usr/src/linux-source-6.12.tar.* | head -1)
echo "kernel source: unpacking $(basename "$tarball")"
tar -xf "$tarball" -C "$out"
rm -rf "$tmp"
echo "kernel source: ready at $out/linux-source-6.12 ($(basename "$deb"))"
