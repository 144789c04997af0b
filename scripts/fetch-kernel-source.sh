#!/usr/bin/env bash
# Fetches Debian's linux-source-6.12 (trixie suite) through the mirror this
# machine's apt is already configured with, without touching the system's apt
# state, and unpacks it into $1 (default: $RCUWATCH_CACHE/src).
# The mirror URI is read from /etc/apt/sources*; no host is written here.
# The tree appears at once (unpacked aside, then renamed), and concurrent
# runs wait for each other: a Makefile there means the tree is complete.
set -euo pipefail
cache=${RCUWATCH_CACHE:-/var/cache/rcuwatch}
out=${1:-$cache/src}
pkg=linux-source-6.12

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

uri=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  # First URIs line of a stanza serving the plain debian archive (not -security).
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
  [ -n "$uri" ] && break
done
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
  uri=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
fi
[ -n "$uri" ] || { echo "error: no Debian mirror found in /etc/apt/sources*" >&2; exit 1; }

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$out"
echo "deb $uri trixie main" > "$apt_dir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o APT::Sandbox::User=root)
echo "kernel source: reading the trixie package list from the configured mirror"
apt-get "${apt_opts[@]}" -q update >/dev/null
cd "$apt_dir/archives"
echo "kernel source: downloading $pkg"
apt-get "${apt_opts[@]}" -q download "$pkg" >/dev/null
deb=$(ls -t "$apt_dir/archives"/${pkg}_*.deb | head -1)
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
