# shellcheck shell=bash
# Sourced helper (bash): a private apt set-up for Debian trixie, to download
# trixie packages (kernel source, kernel image) on this bookworm machine
# without touching the system's apt state. The mirror URI is read from
# /etc/apt/sources* (the one apt already uses); no host is written here.
#
#   trixie_apt_setup DIR     sources list, lists/ and archives/ under DIR
#   trixie_apt_fresh         true if the package lists are under an hour old
#   trixie_apt_update [--force]   apt-get update, unless fresh (or forced)
#   trixie_apt_cache ARGS... apt-cache with the private config
#   trixie_apt_download PKG[=VERSION]  into DIR/archives; prints the .deb path
#
# Several scripts (and engineers) share DIR: update and download hold an
# flock on DIR/lock; a concurrent apt that does not is retried.

trixie_apt_mirror_uri() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # First URIs line of a stanza serving the plain debian archive (not -security).
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || { echo "error: no Debian mirror found in /etc/apt/sources*" >&2; return 1; }
  echo "$uri"
}

trixie_apt_setup() {
  TRIXIE_APT_DIR=$1
  local uri
  uri=$(trixie_apt_mirror_uri) || return 1
  mkdir -p "$TRIXIE_APT_DIR/lists/partial" "$TRIXIE_APT_DIR/archives/partial"
  # Rewritten atomically: another process may be reading it right now.
  if [ "$(cat "$TRIXIE_APT_DIR/sources.list" 2>/dev/null)" != "deb $uri trixie main" ]; then
    echo "deb $uri trixie main" > "$TRIXIE_APT_DIR/sources.list.tmp.$$"
    mv "$TRIXIE_APT_DIR/sources.list.tmp.$$" "$TRIXIE_APT_DIR/sources.list"
  fi
  # pkgcache empty: apt builds its cache in memory and never writes the system's.
  TRIXIE_APT_OPTS=(-o "Dir::Etc::SourceList=$TRIXIE_APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$TRIXIE_APT_DIR/lists" -o "Dir::Cache::Archives=$TRIXIE_APT_DIR/archives"
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o APT::Sandbox::User=root)
}

trixie_apt_fresh() {
  [ -n "$(find "$TRIXIE_APT_DIR/update.stamp" -mmin -60 2>/dev/null)" ] &&
    compgen -G "$TRIXIE_APT_DIR/lists/*_Packages*" >/dev/null
}

# Runs "$@" under the shared lock, retrying while another apt holds its own locks.
_trixie_apt_locked() {
  local try
  for try in 1 2 3 4 5 6; do
    if flock -w 600 "$TRIXIE_APT_DIR/lock" "$@"; then return 0; fi
    [ $try = 6 ] && return 1
    echo "trixie-apt: '$*' failed (another apt busy?); retrying in 10 s" >&2
    sleep 10
  done
}

trixie_apt_update() {
  if [ "${1:-}" != --force ] && trixie_apt_fresh; then return 0; fi
  _trixie_apt_locked apt-get "${TRIXIE_APT_OPTS[@]}" -q update >/dev/null || return 1
  touch "$TRIXIE_APT_DIR/update.stamp"
}

trixie_apt_cache() {
  apt-cache "${TRIXIE_APT_OPTS[@]}" "$@"
}

trixie_apt_download() {
  local spec=$1 pkg=${1%%=*} ver deb
  ver=${spec#"$pkg"}; ver=${ver#=}
  [ -n "$ver" ] || ver=$(trixie_apt_cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
  [ -n "$ver" ] || { echo "error: $pkg is not in the trixie package list" >&2; return 1; }
  local fields arch sha
  fields=$(trixie_apt_cache show "$pkg=$ver") || return 1
  arch=$(awk '/^Architecture:/ { print $2; exit }' <<<"$fields")
  sha=$(awk '/^SHA256:/ { print $2; exit }' <<<"$fields")
  # apt-get download names the file like this (':' of an epoch escaped).
  deb=$TRIXIE_APT_DIR/archives/${pkg}_${ver//:/%3a}_$arch.deb
  # A file left by an interrupted download does not match the index.
  if [ -s "$deb" ] && [ "$(sha256sum < "$deb" | cut -d' ' -f1)" != "$sha" ]; then rm -f "$deb"; fi
  if [ ! -s "$deb" ]; then
    (cd "$TRIXIE_APT_DIR/archives" &&
      _trixie_apt_locked apt-get "${TRIXIE_APT_OPTS[@]}" -q download "$pkg=$ver" >/dev/null) || return 1
  fi
  [ -s "$deb" ] || { echo "error: apt-get download $pkg=$ver left no $deb" >&2; return 1; }
  echo "$deb"
}
