#!/usr/bin/env bash
# Builds and runs rcuwatch's benchmarks and prints the summary of ratios
# against the baselines measured in the same run, ending with every target
# of issue 11 as "measured vs target" (docs/benchmarks.md).
#   scripts/bench.sh                 3 interleaved repetitions, medians, and the
#                                    hour-long memory loop (~6 min)
#   scripts/bench.sh --quick         one short pass, small memory loop (~10 s)
#   scripts/bench.sh -v ...          also show Google Benchmark's own table
#   scripts/bench.sh -- FLAGS        extra rcuwatch_bench / Google Benchmark flags
#   BUILD_DIR=/tmp/b scripts/bench.sh
# The BPF and map parts need root (else they print SKIPPED). Full output:
# $BUILD_DIR/bench/last-run.txt, last-exporter-malloc-run.txt and last-memory-run.txt
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
verbose=0
run_flags=(--benchmark_repetitions=3 --benchmark_enable_random_interleaving=true
  --benchmark_display_aggregates_only=true)
memory_flags=(--cpus=1024 --seconds=3600)
while [ $# -gt 0 ]; do
  case "$1" in
    --quick)
      run_flags=(--benchmark_min_time=0.01 '--benchmark_filter=-/1024$')
      memory_flags=(--cpus=256 --seconds=120)
      shift ;;
    -v) verbose=1; shift ;;
    --) shift; break ;;
    *) echo "usage: scripts/bench.sh [--quick] [-v] [-- rcuwatch_bench flags]" >&2; exit 2 ;;
  esac
done

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target rcuwatch_bench rcuwatch_memory_bench >/dev/null

log=$build/bench/last-run.txt
memory_log=$build/bench/last-memory-run.txt
echo "running: $build/bench/rcuwatch_bench ${run_flags[*]} $*"
rc=0
"$build/bench/rcuwatch_bench" --benchmark_color=false "${run_flags[@]}" "$@" >"$log" 2>&1 || rc=$?
# The whole interval again, allocating as the exporter does (its buffers
# returned to the kernel when freed and faulted in again every interval)
# rather than kept from one interval to the next, as top and stat do.
exporter_log=$build/bench/last-exporter-malloc-run.txt
exporter_flags=(--benchmark_repetitions=3 --benchmark_display_aggregates_only=true)
[ "${run_flags[0]}" = --benchmark_min_time=0.01 ] && exporter_flags=(--benchmark_min_time=0.01)
echo "running: $build/bench/rcuwatch_bench --exporter_malloc --benchmark_filter=^interval/whole ${exporter_flags[*]}"
"$build/bench/rcuwatch_bench" --benchmark_color=false --exporter_malloc \
  '--benchmark_filter=^interval/whole' "${exporter_flags[@]}" >"$exporter_log" 2>&1 || rc=$?
echo "running: $build/bench/rcuwatch_memory_bench ${memory_flags[*]}"
"$build/bench/rcuwatch_memory_bench" "${memory_flags[@]}" >"$memory_log" 2>&1 || rc=$?
memory_line=$(grep -E '^  4 memory' "$memory_log" || echo "  4 memory: rcuwatch_memory_bench failed (see $memory_log)")
if [ "$verbose" = 1 ]; then
  cat "$log" "$exporter_log" "$memory_log"
else
  # SKIPPED notes, errors, then everything from the summary header on, with
  # the memory benchmark's line in place of target 4's placeholder.
  grep -E '^SKIPPED|ERROR|rcuwatch_bench:' "$log" || true
  sed -n '/^== rcuwatch benchmark summary/,$p' "$log" |
    awk -v mem="$memory_line" '/^  4 memory:/ { print mem; next } { print }'
  grep -E '^(recording|exporter loop):' "$memory_log" | sed 's/^/    (memory) /'
  sed -n '/^The whole interval/,/^[^ ]/p' "$exporter_log" | grep -v '^[A-Z=]' |
    sed 's/^ */    (as the exporter allocates) /'
fi
echo "(kernel $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); full output: $log, $exporter_log, $memory_log)"
exit "$rc"
