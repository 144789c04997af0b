#!/usr/bin/env bash
# Builds and runs rcuwatch's benchmarks and prints the summary of ratios
# against the baselines measured in the same run (docs/benchmarks.md).
#   scripts/bench.sh                 3 interleaved repetitions, medians (~1 min)
#   scripts/bench.sh --quick         one short pass (what the bench_smoke ctest runs)
#   scripts/bench.sh -v ...          also show Google Benchmark's own table
#   scripts/bench.sh -- FLAGS        extra rcuwatch_bench / Google Benchmark flags
#   BUILD_DIR=/tmp/b scripts/bench.sh
# The BPF part needs root (else it prints SKIPPED). Full output: $BUILD_DIR/bench/last-run.txt
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
verbose=0
run_flags=(--benchmark_repetitions=3 --benchmark_enable_random_interleaving=true
  --benchmark_display_aggregates_only=true)
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) run_flags=(--benchmark_min_time=0.01 '--benchmark_filter=-/1024$'); shift ;;
    -v) verbose=1; shift ;;
    --) shift; break ;;
    *) echo "usage: scripts/bench.sh [--quick] [-v] [-- rcuwatch_bench flags]" >&2; exit 2 ;;
  esac
done

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target rcuwatch_bench >/dev/null

log=$build/bench/last-run.txt
echo "running: $build/bench/rcuwatch_bench ${run_flags[*]} $*"
rc=0
"$build/bench/rcuwatch_bench" --benchmark_color=false "${run_flags[@]}" "$@" >"$log" 2>&1 || rc=$?
if [ "$verbose" = 1 ]; then
  cat "$log"
else
  # SKIPPED notes, errors, then everything from the summary header on.
  grep -E '^SKIPPED|ERROR|rcuwatch_bench:' "$log" || true
  sed -n '/^== rcuwatch benchmark summary/,$p' "$log"
fi
echo "(kernel $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); full output: $log)"
exit "$rc"
