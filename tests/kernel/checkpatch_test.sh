#!/usr/bin/env bash
# Checks the kernel patch series (kernel/patches/) the way a kernel reviewer
# would: every patch passes the kernel's own `scripts/checkpatch.pl --strict`,
# and the series applies in order to the pristine source (0001 alone too: the
# stock guest kernel gets only that one).
#
# The one exception allowed: include/trace/events/ headers are written in the
# kernel's TRACE_EVENT() layout, which checkpatch always flags
# (`TP_STRUCT__entry(` ends a line, `TRACE_EVENT(name,` is followed by a blank
# line): include/trace/events/rcu.h itself gets 74 such checks. Those two
# checks are accepted on those lines only.
#
# Needs Debian's linux-source-6.12 (scripts/fetch-kernel-source.sh); fetches
# it when run as root, else prints SKIPPED and exits 77.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RCUWATCH_CACHE:-/var/cache/rcuwatch}
src=$cache/src/linux-source-6.12

if [ ! -f "$src/Makefile" ]; then
  [ "$(id -u)" = 0 ] ||
    { echo "SKIPPED: no kernel source in $src (fetch it as root: scripts/fetch-kernel-source.sh)"; exit 77; }
  "$here/scripts/fetch-kernel-source.sh" "$cache/src" ||
    { echo "SKIPPED: could not fetch the kernel source into $src"; exit 77; }
fi
command -v perl >/dev/null || { echo "SKIPPED: checkpatch.pl needs perl"; exit 77; }

series=()
for p in "$here"/kernel/patches/[0-9][0-9][0-9][0-9]-*.patch; do
  [[ $(basename "$p") == 0000-* ]] || series+=("$p")
done
[ ${#series[@]} -gt 0 ] || { echo "FAIL: no patches in kernel/patches/"; exit 1; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for p in "${series[@]}"; do
  name=$(basename "$p")
  # From a scratch directory: checkpatch may leave a .checkpatch-camelcase.*
  # cache in its working directory.
  report=$(cd "$tmp" && perl "$src/scripts/checkpatch.pl" --strict --no-tree --show-types \
    --no-summary --no-color "$p" 2>&1) || true
  # Each finding is "TYPE:NAME: message", then "#N: FILE: path:line:", then
  # the offending lines ("+..."). Keep those not explained above.
  unexplained=$(awk '
    function flush() {
      if (kind != "" && !(file ~ /^include\/trace\/events\/[^ ]*\.h$/ &&
          ((kind == "CHECK:OPEN_ENDED_LINE" && code ~ /^\+[ \t]*TP_(STRUCT__entry|fast_assign)\($/) ||
           (kind == "CHECK:PARENTHESIS_ALIGNMENT" && code ~ /^\+TRACE_EVENT(_RCU)?\([a-z_0-9]+,$/))))
        print finding
      kind = ""
    }
    /^(ERROR|WARNING|CHECK):/ { flush(); kind = $1; sub(/:$/, "", kind); finding = $0; file = ""; code = ""; next }
    kind != "" && /^#[0-9]+: FILE: / { file = $3; sub(/:[0-9]+:$/, "", file); finding = finding " (" file ")"; next }
    kind != "" && /^\+/ && code == "" { code = $0; next }
    /^$/ { flush() }
    END { flush() }' <<< "$report")
  if [ -n "$unexplained" ]; then
    echo "FAIL $name: checkpatch --strict reports"
    echo "$unexplained" | sed 's/^/  /'
    fail=1
  else
    n=$(grep -cE '^(ERROR|WARNING|CHECK):' <<< "$report" || true)
    echo "PASS $name: checkpatch --strict clean$([ "$n" = 0 ] || echo " but for $n TRACE_EVENT layout checks")"
  fi
done

# Apply to copies of the files the series touches: all in order, and 0001 alone.
apply_check() {  # label patch...
  local label=$1 dir f p
  shift
  dir=$(mktemp -d "$tmp/tree.XXXXXX")
  for f in $(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$@" | sort -u); do
    [ -f "$src/$f" ] || continue
    mkdir -p "$dir/$(dirname "$f")"
    cp "$src/$f" "$dir/$f"
  done
  for p in "$@"; do
    if ! out=$(patch -p1 --dry-run -d "$dir" < "$p" 2>&1) || grep -qiE 'fuzz|offset|hunk' <<< "$out" ||
       ! patch -s -p1 -d "$dir" < "$p"; then
      echo "FAIL $label: $(basename "$p") does not apply cleanly"; echo "$out" | sed 's/^/  /'; fail=1; return
    fi
  done
  echo "PASS $label applies cleanly to $(basename "$src")"
}
apply_check "the series" "${series[@]}"
apply_check "0001 alone (stock kernel)" "$here"/kernel/patches/0001-*.patch

exit $fail
