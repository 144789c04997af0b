#!/usr/bin/env bash
# Builds every supported build type with GCC and with clang, warnings as
# errors, and says which built clean: what a user's or a distribution's
# choice of build type and compiler must survive. Each build goes on past a
# failing file (make -k) so one run lists every warning. Slow (a full build
# each): run it when touching compiler-sensitive code or flags; CI builds
# RelWithDebInfo, Release and Debug (ASan) only.
# Usage: build-matrix.sh [TYPE...]   (default: Debug RelWithDebInfo Release MinSizeRel)
#   COMPILERS="gcc clang" (default), JOBS=2, BUILD_ROOT=build-matrix
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
types=("$@")
[ ${#types[@]} -gt 0 ] || types=(Debug RelWithDebInfo Release MinSizeRel)
root=${BUILD_ROOT:-build-matrix}
jobs=${JOBS:-2}
failed=()
for compiler in ${COMPILERS:-gcc clang}; do
  case $compiler in
    gcc) cc=gcc cxx=g++ ;;
    clang) cc=clang cxx=clang++ ;;
    *) echo "build-matrix: unknown compiler $compiler (gcc, clang)" >&2; exit 64 ;;
  esac
  for type in "${types[@]}"; do
    dir=$root/$compiler-$type
    log=$dir.log
    mkdir -p "$root"
    echo "=== $compiler $type ($(date +%T)): $dir"
    if cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DRCUWATCH_WERROR=ON \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" > "$log" 2>&1 &&
      nice cmake --build "$dir" -j"$jobs" -- -k >> "$log" 2>&1; then
      echo "clean: $compiler $type"
    else
      echo "FAILED: $compiler $type: $(grep -cE 'warning:|error:' "$log") diagnostics, first:"
      grep -m5 -E 'warning:|error:' "$log"
      failed+=("$compiler-$type")
    fi
  done
done
[ ${#failed[@]} = 0 ] && echo "every build clean" || { echo "not clean: ${failed[*]}"; exit 1; }
