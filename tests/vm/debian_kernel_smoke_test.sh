#!/usr/bin/env bash
# Debian's own trixie kernel (the stock kernel a user runs, not our patched
# one) under qemu with its bcachefs module and a real bcachefs on virtio-blk:
# fetches and unpacks the kernel (cached), boots it with the bcachefs modules
# and tests/vm/debian_kernel_job.sh, then checks what the guest found and
# prints the facts rcuwatch's stock mode depends on (kallsyms, BTF,
# tracepoints, rcu_pending traffic counted with kprobes).
# Usage: debian_kernel_smoke_test.sh [OUT_DIR]   (default: a new temp dir; kept)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root (apt download into /var/cache, qemu)"; exit 77; }
t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
out=${1:-$(mktemp -d /tmp/rcuwatch-debian.XXXXXX)}
mkdir -p "$out"

kdir=$("$here/scripts/fetch-debian-kernel.sh" | tail -1)
initrd=$("$here/scripts/make-initramfs.sh" --modules-dir "$kdir/bcachefs-modules" \
  --run "$here/tests/vm/debian_kernel_job.sh" | tail -1)
echo "booting $(cat "$kdir/package") ($(cat "$kdir/abi")); results in $out"
t_vm=$(date +%s.%N)
"$here/scripts/run-vm.sh" --kernel "$kdir/vmlinuz" --initrd "$initrd" --out "$out" \
  --scratch-disk "$here/tests/data/bcachefs-1.13-256M.img.zst" --timeout 600 \
  > "$out/console.log" 2>&1 || { rc=$?; tail -40 "$out/console.log"; exit $rc; }
vm_s=$(elapsed "$t_vm")

fail=0
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1"; fail=1; fi; }
r() { sed -n "s/^$1=//p" "$out/results.txt" | tail -1; }
num() { local v; v=$(r "$1"); echo "${v:-0}"; }

echo "--- modules (load order from $kdir/bcachefs-modules/load-order)"
grep -E '^insmod_' "$out/results.txt" | sed 's/^insmod_//'
# Every module is loaded, except a CPU-feature variant the emulated CPU lacks
# (ENODEV: crc32c-intel, sha256-ssse3 on qemu's default CPU).
missing=""
while read -r m; do
  name=${m%.ko}; name=${name//-/_}
  grep -q "^$name " "$out/modules.txt" && continue
  grep -q "^insmod_failed=$m No such device" "$out/results.txt" && continue
  missing+=" $m"
done < "$kdir/bcachefs-modules/load-order"
check "every module loaded (or absent CPU feature)${missing:+, not:$missing}" '[ -z "$missing" ]'
check "bcachefs and virtio_blk loaded" 'grep -q "^bcachefs " "$out/modules.txt" && grep -q "^virtio_blk " "$out/modules.txt"'
for b in vmlinux bcachefs; do
  want="$(wc -c < "$kdir/btf/$b") $(md5sum < "$kdir/btf/$b" | cut -d' ' -f1)"
  check "/sys/kernel/btf/$b present, same as the package's ($want)" '[ "$(r btf_$b)" = "$want" ]'
done
check "mount -t bcachefs /dev/vda" '[ "$(r mount_rc)" = 0 ]'
ops=$(num churn_ops)
check "churn: $ops operations in $(r churn_seconds)s, $(num churn_rounds) rounds, $(num churn_errors) errors" \
  '[ "$ops" -ge 1000 ] && [ "$(num churn_rounds)" -ge 2 ] && [ "$(num churn_errors)" = 0 ]'
check "umount" '[ "$(r umount_rc)" = 0 ]'
check "kprobes on rcu_pending (module functions) attached" '[ "$(r kprobes)" = yes ]'
enq=$(( $(num kprobe_hits_churned_enqueue) - $(num kprobe_hits_mounted_enqueue) ))
freed=$(( $(num kprobe_hits_churned_bkey_cached_free) - $(num kprobe_hits_mounted_bkey_cached_free) ))
reused=$(( $(num dequeue_success) + $(num dequeue_from_all_success) ))
check "churn drove rcu_pending: $enq enqueues" '[ "$enq" -gt 0 ]'
check "no trace events lost" '[ "$(num trace_overrun)" = 0 ]'
# Case matters: "oops=panic" is on the command line, "report a bug" in a PCI notice.
grep -E 'WARNING:|BUG:|Oops|Call Trace:|cut here|Kernel panic|general protection' "$out/dmesg.txt" \
  > "$out/dmesg-problems.txt" || true
check "no kernel WARN/BUG/Oops in dmesg" '[ ! -s "$out/dmesg-problems.txt" ]'
[ -s "$out/dmesg-problems.txt" ] && head -20 "$out/dmesg-problems.txt"

echo "--- key cache (internal/btree_key_cache) before -> after churn"
kc() {  # $1: file, $2: counter of its btree_key_cache section
  awk -v k="$2" -F: '/^== / { in_kc = ($0 ~ /btree_key_cache$/) }
    in_kc && $1 == k { gsub(/ /, "", $2); print $2 }' "$out/$1"
}
for k in keys dirty "table size" requested_to_free freed skipped_dirty skipped_accessed skipped_lock_fail pending; do
  printf '  %-18s %6s -> %s\n' "$k" "$(kc key_cache_before.txt "$k")" "$(kc key_cache_after.txt "$k")"
done
echo "--- rcu_pending during the churn (kprobes): enqueued $enq, processed by __bkey_cached_free $freed," \
  "reused by dequeue $reused ($(num dequeue_success) + $(num dequeue_from_all_success) from_all)," \
  "so pending $((enq - freed - reused)); sysfs 'pending' moved by" \
  "$(( $(kc key_cache_after.txt pending) - $(kc key_cache_before.txt pending) ))" \
  "(btree_key_cache.c counts enqueues minus processed: reused objects stay in it)"
echo "    __process_finished_items calls: $(( $(num kprobe_hits_churned_process) - $(num kprobe_hits_mounted_process) )), dequeue calls: $(( $(num kprobe_hits_churned_dequeue) - $(num kprobe_hits_mounted_dequeue) ))"

echo "--- what rcuwatch's stock mode finds in this kernel"
sed -n '/^== \/proc\/kallsyms/,/^== \/sys\/kernel\/btf/p' "$out/facts.txt" | sed '$d' | awk '{ print "  " $0 }'
if command -v bpftool >/dev/null; then
  bpftool -B "$kdir/btf/vmlinux" btf dump file "$kdir/btf/bcachefs" |
    grep -E "^\[[0-9]+\] (FUNC '(rcu_pending|__process_finished_items|process_finished_items|__bkey_cached_free)|STRUCT '(rcu_pending|rcu_pending_pcpu|rcu_pending_seq|rcu_pending_list|bkey_cached)' )" |
    sed -E "s/^\[[0-9]+\] //; s/ (type_id|vlen)=[0-9]+//; s/ linkage=static//" > "$out/btf-facts.txt"
  echo "  == BTF of bcachefs (bpftool, from the package): $(tr '\n' ';' < "$out/btf-facts.txt" | sed 's/;/; /g')"
fi

job_start=$(r job_start_uptime_s) job_end=$(r job_end_uptime_s)
total_s=$(elapsed "$t_start")
{
  echo "boot_to_job_s=$job_start (guest uptime when the job started)"
  echo "job_s=$(awk -v a="$job_start" -v b="$job_end" 'BEGIN { printf "%.1f", b - a }')"
  echo "qemu_run_s=$vm_s"
  echo "whole_test_s=$total_s"
} | tee "$out/timing.txt"
[ $fail = 0 ] && echo "all checks passed" || echo "some checks FAILED; see $out"
exit $fail
