#!/usr/bin/env bash
# The house's one direction (docs/architecture.md): kernel hooks -> bpf/ ->
# userspace/ (sources, aggregator, Snapshot) -> views (tui/, exporters/) ->
# cli/. Fails when a file includes from a folder above its own: userspace/
# from tui/, exporters/ or cli/; views from cli/; bpf/ from anything but bpf/
# (and the system and libbpf headers the BPF side is built with).
# usage: include_direction_test.sh SOURCE_DIR
set -euo pipefail
cd "$1"
fail=0

# Headers each folder defines, by bare name (includes are bare names).
headers_of() { find "$1" -maxdepth 1 -name '*.hpp' -o -maxdepth 1 -name '*.h' | xargs -r -n1 basename; }
# includes_of DIR: "file:header" for every quoted include in DIR's sources.
includes_of() {
  grep -HoE '^#include "[^"]+"' "$1"/*.cpp "$1"/*.hpp "$1"/*.c "$1"/*.h 2>/dev/null |
    sed -E 's/:#include "([^"]+)"/:\1/'
}
check() {  # check DIR FORBIDDEN_DIR...
  local dir=$1; shift
  # A set of names, looked up in the shell: a `basename` process per include
  # and banned header made this test take 36 s.
  local -A banned=()
  local b
  for above in "$@"; do
    while read -r b; do banned[$b]=1; done < <(headers_of "$above")
  done
  while IFS=: read -r file header; do
    if [ -n "${banned[${header##*/}]:-}" ]; then
      echo "FAIL $file includes $header, from a folder above $dir/"
      fail=1
    fi
  done < <(includes_of "$dir")
}

check userspace tui exporters cli
check tui exporters cli
check exporters tui cli
# bpf/: only its own headers (and vmlinux.h, generated from BTF).
while IFS=: read -r file header; do
  case "$header" in
    vmlinux.h) ;;
    *) [ -f "bpf/$header" ] || { echo "FAIL $file includes $header: bpf/ includes only bpf/"; fail=1; } ;;
  esac
done < <(includes_of bpf)

if [ $fail = 0 ]; then
  echo "ok: userspace/ includes no view or cli, views no cli, bpf/ only bpf/"
fi
exit $fail
