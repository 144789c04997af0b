#!/usr/bin/env bash
# `rcuwatch --version` (and -V): one line, exit 0, with the project version
# (CMakeLists.txt), the event ABI version (RW_ABI_VERSION of bpf/events.h)
# and the git revision CMake found (a commit of this repository, or
# "unknown" outside a git checkout).
# usage: version_test.sh RCUWATCH SOURCE_DIR
set -u
rw=$1 src=$2
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
version=$(sed -n 's/^project(rcuwatch VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
abi=$(sed -n 's/^#define RW_ABI_VERSION \([0-9]*\).*/\1/p' "$src/bpf/events.h")
for flag in --version -V; do
  out=$("$rw" $flag 2>&1); rc=$?
  if [ $rc = 0 ] && [ "$(echo "$out" | wc -l)" = 1 ] &&
    [[ $out =~ ^rcuwatch\ ${version//./\\.}\ \(event\ ABI\ $abi,\ git\ ([^\ ]+)\)$ ]]; then
    ok "rcuwatch $flag: $out"
    rev=${BASH_REMATCH[1]}
  else
    bad "rcuwatch $flag (exit $rc): '$out', want 'rcuwatch $version (event ABI $abi, git REVISION)'"
  fi
done
if [ -n "${rev:-}" ]; then
  if [ -e "$src/.git" ]; then
    commit=${rev%-dirty}
    commit=${commit##*-g}   # git describe: TAG-N-gHASH
    git -C "$src" cat-file -e "$commit^{commit}" 2>/dev/null &&
      ok "revision $rev is a commit of this repository" || bad "revision '$rev' is no commit of $src"
  else
    [ "$rev" = unknown ] && ok "not a git checkout: revision 'unknown'" || bad "not a git checkout, but revision '$rev'"
  fi
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
