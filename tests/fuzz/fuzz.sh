#!/usr/bin/env bash
# The libFuzzer harnesses of tests/fuzz, built with clang in their own build
# directory (ASan + UBSan + coverage) and run from the seed corpus in
# tests/fuzz/corpus/NAME (never written to: new inputs go to a temporary
# corpus).
#   fuzz.sh build SOURCE_DIR FUZZ_BUILD_DIR
#   fuzz.sh run NAME SECONDS SOURCE_DIR FUZZ_BUILD_DIR [libFuzzer flags...]
# NAME: recording, ringbuf, flags, http_request or web_config. Exit 77
# (SKIPPED) without clang-14 and libclang-rt-14-dev (scripts/install-deps.sh
# test installs them), or when the build was skipped. A finding is saved in
# FUZZ_BUILD_DIR/artifacts/ and the run exits non-zero; reproduce it with
# FUZZ_BUILD_DIR/tests/fuzz/fuzz_NAME FILE. tests/fuzz/NAME.dict, when there
# is one, is the run's dictionary (the tokens of a format).
set -euo pipefail
what=${1:-}
skip() { echo "SKIPPED: $*"; exit 77; }
have_clang() {
  command -v clang++-14 >/dev/null &&
    compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null
}
case "$what" in
  build)
    src=$2 out=$3
    have_clang || skip "clang-14 with libclang-rt-14-dev is not installed"
    # Through ccache when the caller set one up (scripts/test.sh exports
    # CCACHE_DIR): a warm CI run then compiles nothing that did not change,
    # instead of four minutes of clang with ASan and coverage every time.
    launcher=()
    if [ -n "${CCACHE_DIR:-}" ] && command -v ccache >/dev/null; then
      launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fi
    cmake -S "$src" -B "$out" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRCUWATCH_FUZZ=ON "${launcher[@]}" >/dev/null
    nice cmake --build "$out" -j2 --target fuzz_recording fuzz_ringbuf fuzz_flags \
      fuzz_http_request fuzz_web_config
    ;;
  run)
    name=$2 seconds=$3 src=$4 out=$5
    shift 5
    bin=$out/tests/fuzz/fuzz_$name
    have_clang || skip "clang-14 with libclang-rt-14-dev is not installed"
    [ -x "$bin" ] || skip "$bin was not built (fuzz_build skipped or failed)"
    corpus=$(mktemp -d)
    trap 'rm -rf "$corpus"' EXIT
    mkdir -p "$out/artifacts"
    dict=()
    [ -f "$src/tests/fuzz/$name.dict" ] && dict=(-dict="$src/tests/fuzz/$name.dict")
    # -rss_limit_mb: an input that makes rcuwatch allocate beyond the limits
    # of userspace/limits.hpp is a finding, not a slow run. -error_exitcode
    # and -timeout_exitcode: libFuzzer's own (77 and 70) would read as
    # SKIPPED and as some other failure.
    set +e
    "$bin" -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
      -error_exitcode=1 -timeout_exitcode=1 \
      -artifact_prefix="$out/artifacts/$name-" "${dict[@]}" "$@" \
      "$corpus" "$src/tests/fuzz/corpus/$name" >"$corpus.log" 2>&1
    rc=$?
    set -e
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb|INFO: seed corpus)|ERROR|SUMMARY|runtime error|Test unit written|^    #[0-9] ' "$corpus.log" | head -40 || true
    rm -f "$corpus.log"
    echo "fuzz_$name: ${seconds} s, exit $rc, corpus $(find "$corpus" -type f | wc -l) new inputs"
    exit "$rc"
    ;;
  *)
    sed -n '2,15p' "$0"
    exit 2
    ;;
esac
