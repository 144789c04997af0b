#!/usr/bin/env bash
# Builds the rcuwatch guest kernel (Debian's linux-source-6.12 + kernel/patches/ +
# kernel/rcuwatch.config) and the workload module, caching the result outside
# the repo in $RCUWATCH_CACHE (default /var/cache/rcuwatch), keyed by a hash of
# the inputs: a warm run with unchanged inputs does nothing.
# Prints the directory holding bzImage, vmlinux and rcu_pending_load.ko last.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${RCUWATCH_CACHE:-/var/cache/rcuwatch}
jobs=${JOBS:-$(nproc)}
src_pristine=$cache/src/linux-source-6.12
work=$cache/linux-work   # patched copy of the source (mtimes kept: incremental)
kbuild=$cache/kbuild     # make O= directory
config_frag=$here/kernel/rcuwatch.config
module_dir=$here/kernel/workload

log() { echo "[build-kernel] $*" >&2; }

"$here/scripts/install-deps.sh" kernel >&2
"$here/scripts/fetch-kernel-source.sh" "$cache/src" >&2
mkdir -p "$cache"
# The series as one file: applied in order, and compared with what was applied.
patch_file=$(mktemp "$cache/series.XXXXXX")
trap 'rm -f "$patch_file"' EXIT
cat "$here"/kernel/patches/000[1-9]-*.patch > "$patch_file"

kernel_key=$(cat "$patch_file" "$config_frag" "$0" | sha256sum | cut -c1-16)
module_key=$( { echo "$kernel_key"; cat "$module_dir"/*; } | sha256sum | cut -c1-16)
out=$cache/out/$kernel_key-$module_key
if [ -f "$out/done" ]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

kout=$cache/kernel/$kernel_key
if [ ! -f "$kout/done" ]; then
  # Bring the work tree to pristine + this patch, rewriting only the files
  # whose content changes: make rebuilds by mtime, and touching an unchanged
  # include/linux/slab.h would rebuild nearly everything.
  if [ ! -d "$work" ]; then
    log "copying the source tree"
    cp -a "$src_pristine" "$work"
  fi
  if ! cmp -s "$work/.rcuwatch-applied.patch" "$patch_file"; then
    log "applying kernel/patches/"
    stage=$(mktemp -d "$cache/stage.XXXXXX")
    # Files the new patch or the one applied before (if any) touch.
    files=$(cat "$patch_file" $([ -f "$work/.rcuwatch-applied.patch" ] && echo "$work/.rcuwatch-applied.patch") |
      sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' | sort -u)
    for f in $files; do
      mkdir -p "$stage/$(dirname "$f")"
      [ -f "$src_pristine/$f" ] && cp -p "$src_pristine/$f" "$stage/$f"
    done
    patch -s -p1 -d "$stage" < "$patch_file"
    for f in $files; do
      if [ -f "$stage/$f" ]; then
        cmp -s "$stage/$f" "$work/$f" || { mkdir -p "$work/$(dirname "$f")"; cp "$stage/$f" "$work/$f"; }
      else
        rm -f "$work/$f"  # added by the old patch only
      fi
    done
    rm -rf "$stage"
    cp "$patch_file" "$work/.rcuwatch-applied.patch"
  fi

  mkdir -p "$kbuild"
  log "configuring (tinyconfig + $(basename "$config_frag"))"
  make -s -C "$work" O="$kbuild" tinyconfig >/dev/null
  "$work/scripts/kconfig/merge_config.sh" -m -O "$kbuild" "$kbuild/.config" "$config_frag" >/dev/null
  make -s -C "$work" O="$kbuild" olddefconfig >/dev/null
  missing=0
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=*) grep -qx "$line" "$kbuild/.config" || { log "config: $line did not stick"; missing=1; } ;;
      "# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt% is not set}
        grep -q "^$opt=" "$kbuild/.config" && { log "config: $opt should be off"; missing=1; } ;;
    esac
  done < "$config_frag"
  [ $missing = 0 ] || { log "error: the kernel config is not what kernel/rcuwatch.config asks for"; exit 1; }

  log "building the kernel with -j$jobs (a first build takes about 8 minutes here)"
  start=$(date +%s)
  # One line per object built shows progress without flooding the log.
  # `modules` (none are =m) runs modpost on vmlinux: external modules need
  # its Module.symvers.
  make -C "$work" O="$kbuild" -j"$jobs" bzImage vmlinux modules 2>&1 |
    awk -v t0="$start" '/^  (CC|LD|AR|BTF)/ { n++; if (n % 200 == 0) { printf "[build-kernel] %d objects, %ds\n", n, systime() - t0; fflush() } }
         /error:|Error [0-9]|ERROR:|undefined reference/ { print; fflush() }' >&2
  [ "${PIPESTATUS[0]}" = 0 ] && [ -f "$kbuild/Module.symvers" ] || { log "error: kernel build failed"; exit 1; }
  log "kernel built in $(( $(date +%s) - start ))s"
  mkdir -p "$kout"
  cp "$kbuild/arch/x86/boot/bzImage" "$kbuild/vmlinux" "$kbuild/.config" "$kout/"
  touch "$kout/done"
fi

log "building the workload module"
mod_build=$(mktemp -d "$cache/modbuild.XXXXXX")
trap 'rm -rf "$mod_build" "$patch_file"' EXIT
cp "$module_dir"/* "$mod_build/"
make -s -C "$kbuild" M="$mod_build" RCU_PENDING_SRC="$work/fs/bcachefs" modules >&2
mkdir -p "$out"
# hard links: every module change would otherwise copy the 170 MB vmlinux
cp -l "$kout"/bzImage "$kout"/vmlinux "$out/" 2>/dev/null || cp "$kout"/bzImage "$kout"/vmlinux "$out/"
cp "$mod_build/rcu_pending_load.ko" "$out/"
rm -rf "$mod_build"
touch "$out/done"
log "done: $out"
echo "$out"
