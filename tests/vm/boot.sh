# Sourced by the VM tests of the patched kernel (vm_faults_test.sh,
# vm_soak_test.sh, vm_privileges_test.sh): the checks before booting and
# the boot itself; and by every VM test that picks a kernel variant
# (vm_kernel). Needs $here (the repo root).

# vm_kernel VARIANT (patched, stock): builds that kernel (cached) and sets
# $kdir, its build's directory, and $vm_modules, make-initramfs arguments
# for the modules it needs in the guest (a stock kernel's bcachefs and its
# dependencies; none for the patched one, which has them built in).
vm_kernel() {
  kdir=$("$here/scripts/build-kernel.sh" "$1" | tail -1) || return 1
  vm_modules=()
  if [ -f "$kdir/modules.order" ]; then
    while read -r m; do vm_modules+=(--module "$kdir/$m"); done < "$kdir/modules.order"
    vm_modules+=(--add "$kdir/modules.order:/lib/modules/modules.order")
  fi
}

# vm_prepare OUT_DIR: creates it; exits 77 (SKIPPED) unless root.
vm_prepare() {
  mkdir -p "$1"
  [ "$(id -u)" = 0 ] || { echo "SKIPPED: the VM test builds a kernel under /var/cache and needs root"; exit 77; }
}

# vm_boot RCUWATCH OUT JOB TIMEOUT [make-initramfs args] [-- run-vm args]:
# the patched kernel (scripts/build-kernel.sh, cached) boots with the
# workload module and rcuwatch (/usr/sbin/rcuwatch), runs JOB and leaves
# its results and console.log in OUT. Returns the VM's status, with the
# console's tail on a failure.
vm_boot() {
  local rw=$1 out=$2 job=$3 timeout=$4
  shift 4
  local initramfs_args=() kdir initrd rc
  while [ $# -gt 0 ] && [ "$1" != -- ]; do initramfs_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  kdir=$("$here/scripts/build-kernel.sh" | tail -1) || return 1
  initrd=$("$here/scripts/make-initramfs.sh" --module "$kdir/rcu_pending_load.ko" \
    --add "$rw:/usr/sbin/rcuwatch" "${initramfs_args[@]}" --run "$job" | tail -1) || return 1
  echo "booting $kdir/bzImage; results in $out"
  "$here/scripts/run-vm.sh" --kernel "$kdir/bzImage" --initrd "$initrd" --out "$out" \
    --timeout "$timeout" "$@" > "$out/console.log" 2>&1 && return 0
  rc=$?
  tail -40 "$out/console.log"
  return $rc
}
