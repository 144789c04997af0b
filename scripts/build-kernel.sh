#!/usr/bin/env bash
# Builds an rcuwatch guest kernel from Debian's linux-source-6.12 and the
# workload module, caching the result outside the repo in $RCUWATCH_CACHE
# (default /var/cache/rcuwatch), keyed by a hash of the variant's inputs: a
# warm run with unchanged inputs does nothing.
#
# Usage: build-kernel.sh [patched|stock]   (default: patched)
#   patched  every patch of kernel/patches/ (rcu_pending tracepoints, ...),
#            kernel/rcuwatch.config: what rcuwatch's tracepoint mode needs.
#   stock    only kernel/patches/0001 (rcu_pending's API exported, for the
#            workload module), kernel/rcuwatch.config + rcuwatch-stock.config:
#            bcachefs as a module with module BTF, no RCU_TRACE, as
#            distributions build 6.12.
# Prints the output directory last: bzImage, vmlinux, rcu_pending_load.ko; for
# stock also bcachefs.ko and the modules it needs, with modules.order listing
# them in insmod order.
#
# Layout under $RCUWATCH_CACHE/variants/<variant>/ (one per variant, so both
# can be built and kept without rebuilding each other's objects):
#   linux/           pristine source (hard links into src/) + the variant's patches
#   kbuild/          make O= directory (incremental)
#   kernel/<key>/    kernel results for one set of inputs
#   out/<key>-<mod>/ kernel results + the module built from kernel/workload/
#   lock             flock: concurrent runs of one variant serialize
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-patched}
cache=${RCUWATCH_CACHE:-/var/cache/rcuwatch}
jobs=${JOBS:-$(nproc)}
# Part of the cache key instead of this file's hash, so that comments here do
# not force an 8-minute rebuild. Bump it by hand when a change below changes
# what is built or what lands in the output directory.
recipe_version=2

log() { echo "[build-kernel $variant] $*" >&2; }

src_pristine=$cache/src/linux-source-6.12
patches=()
frags=("$here/kernel/rcuwatch.config")
case "$variant" in
  patched) for p in "$here"/kernel/patches/[0-9][0-9][0-9][0-9]-*.patch; do
      [[ $(basename "$p") == 0000-* ]] || patches+=("$p")
    done ;;
  stock) patches=("$here"/kernel/patches/0001-*.patch)
    frags+=("$here/kernel/rcuwatch-stock.config") ;;
  -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
  *) echo "build-kernel.sh: unknown variant '$variant' (patched or stock)" >&2; exit 2 ;;
esac
for f in "${patches[@]}" "${frags[@]}"; do
  [ -f "$f" ] || { log "error: missing $f"; exit 1; }
done
module_dir=$here/kernel/workload
vdir=$cache/variants/$variant
work=$vdir/linux
kbuild=$vdir/kbuild

"$here/scripts/install-deps.sh" kernel >&2
"$here/scripts/fetch-kernel-source.sh" "$cache/src" >&2

mkdir -p "$vdir"
tmps=()   # removed on exit, whatever happens
trap 'rm -rf "${tmps[@]}"' EXIT
exec 9>"$vdir/lock"
if ! flock -n 9; then
  log "waiting for another build of this variant to finish"
  flock 9
fi

kernel_key=$( {
  echo "recipe $recipe_version variant $variant"
  head -5 "$src_pristine/Makefile"   # VERSION, PATCHLEVEL, SUBLEVEL
  cat "${patches[@]}" "${frags[@]}"
} | sha256sum | cut -c1-16)
module_key=$( { echo "$kernel_key"; cat "$module_dir"/*; } | sha256sum | cut -c1-16)
out=$vdir/out/$kernel_key-$module_key
if [ -f "$out/done" ]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

# The option lines of the fragments, a later fragment overriding an earlier
# one (as merge_config.sh applies them): what the final .config must say.
effective_config() {
  awk '/^CONFIG_[A-Za-z0-9_]+=/ { opt = $0; sub(/=.*/, "", opt) }
       /^# CONFIG_[A-Za-z0-9_]+ is not set$/ { opt = $2 }
       opt != "" { if (!(opt in line)) order[n++] = opt; line[opt] = $0; opt = "" }
       END { for (i = 0; i < n; i++) print line[order[i]] }' "$@"
}

# Brings $work to pristine + the variant's patches, rewriting only the files
# whose content changes: make rebuilds by mtime, and touching an unchanged
# include/linux/slab.h would rebuild nearly everything. $work is made of hard
# links into the pristine tree, so files are replaced, never written in place.
sync_work_tree() {
  local applied=$work/.rcuwatch-applied.patch series stage files f
  if [ ! -d "$work" ]; then
    log "linking a work tree to the source"
    rm -rf "$work.tmp"
    cp -al "$src_pristine" "$work.tmp"
    mv "$work.tmp" "$work"
  fi
  series=$(mktemp "$vdir/series.XXXXXX")
  tmps+=("$series")
  cat "${patches[@]}" > "$series"
  if cmp -s "$applied" "$series"; then
    rm -f "$series"
    return
  fi
  log "applying ${#patches[@]} patch(es): $(for p in "${patches[@]}"; do basename "$p" .patch; done | cut -c1-4 | tr '\n' ' ')"
  stage=$(mktemp -d "$vdir/stage.XXXXXX")
  tmps+=("$stage")
  # Files the series or the one applied before (if any) touch.
  files=$(cat "$series" $([ -f "$applied" ] && echo "$applied") |
    sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' | sort -u)
  for f in $files; do
    mkdir -p "$stage/$(dirname "$f")"
    if [ -f "$src_pristine/$f" ]; then cp -p "$src_pristine/$f" "$stage/$f"; fi
  done
  for p in "${patches[@]}"; do
    patch -s -p1 --no-backup-if-mismatch -d "$stage" < "$p" ||
      { log "error: $(basename "$p") does not apply to $src_pristine"; exit 1; }
  done
  for f in $files; do
    if [ ! -f "$stage/$f" ]; then
      rm -f "$work/$f"  # added by the series applied before only
    elif ! cmp -s "$stage/$f" "$work/$f"; then
      mkdir -p "$work/$(dirname "$f")"
      cp --remove-destination "$stage/$f" "$work/$f"   # new mtime: make sees it
    fi
  done
  rm -rf "$stage"
  mv "$series" "$applied"
}

# bcachefs.ko and the modules it needs, for insmod in a guest without
# modprobe: its dependencies ("depends") and the modules its soft
# dependencies ("softdep pre:", such as the crypto algorithms it allocates by
# name) resolve to through module names and aliases, transitively. They are
# stripped of DWARF (module BTF stays) into $1, and $1/modules.order lists
# their file names in insmod order, dependencies first. A soft dependency
# that would come after its user (a cycle) is dropped, as modprobe does.
collect_modules() {
  local dest=$1 ko name a d unresolved=""
  local -A file=() provides=() hard=() soft=() state=()
  local order=()
  norm() { echo "${1//-/_}"; }
  while IFS= read -r ko; do
    name=$(norm "$(basename "$ko" .ko)")
    file[$name]=$ko
    provides[$name]+=" $name"
    for a in $(modinfo -F alias "$ko"); do a=$(norm "$a"); provides[$a]+=" $name"; done
  done < <(sed 's/\.o$/.ko/' "$kbuild/modules.order" | sed "s|^|$kbuild/|")
  for name in "${!file[@]}"; do
    hard[$name]=$(modinfo -F depends "${file[$name]}" | tr ',' ' ')
    soft[$name]=$(modinfo -F softdep "${file[$name]}" | sed -n 's/.*pre:\([^:]*\)\( post:.*\)\?$/\1/p')
  done
  needs() {  # does module $1 need module $2 through hard dependencies?
    local d
    for d in ${hard[$1]:-}; do
      [ "$d" = "$2" ] && return 0
      needs "$d" "$2" && return 0
    done
    return 1
  }
  visit() {
    local m=$1 a d
    [ -n "${file[$m]:-}" ] || { log "error: $m is needed but was not built as a module"; exit 1; }
    case "${state[$m]:-}" in done) return ;; visiting) log "error: module dependency cycle at $m"; exit 1 ;; esac
    state[$m]=visiting
    for d in ${hard[$m]:-}; do visit "$d"; done
    for a in ${soft[$m]:-}; do
      a=$(norm "$a")
      [ -n "${provides[$a]:-}" ] || { unresolved+=" $a"; continue; }
      for d in ${provides[$a]}; do
        [ "${state[$d]:-}" = visiting ] || needs "$d" "$m" || visit "$d"
      done
    done
    state[$m]=done
    order+=("$m")
  }
  visit bcachefs
  for name in "${order[@]}"; do
    strip --strip-debug -o "$dest/$(basename "${file[$name]}")" "${file[$name]}"
    basename "${file[$name]}"
  done > "$dest/modules.order"
  log "modules for bcachefs, in load order: ${order[*]}"
  [ -z "$unresolved" ] ||
    log "soft dependencies no module provides (built in):$(printf ' %s' $(printf '%s\n' $unresolved | sort -u))"
}

kout=$vdir/kernel/$kernel_key
# The module is built against $kbuild, so $kbuild must hold this very kernel
# even when its results are cached (inputs changed and changed back).
if [ ! -f "$kout/done" ] || ! [ "$(cat "$kbuild/.rcuwatch-key" 2>/dev/null)" = "$kernel_key" ]; then
  [ -f "$kout/done" ] && log "$kbuild holds another kernel: rebuilding it for the module"
  sync_work_tree
  rm -f "$kbuild/.rcuwatch-key"

  mkdir -p "$kbuild"
  log "configuring (tinyconfig + $(for f in "${frags[@]}"; do basename "$f"; done | tr '\n' ' '))"
  make -s -C "$work" O="$kbuild" tinyconfig >/dev/null
  "$work/scripts/kconfig/merge_config.sh" -m -O "$kbuild" "$kbuild/.config" "${frags[@]}" >/dev/null
  make -s -C "$work" O="$kbuild" olddefconfig >/dev/null
  missing=0
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=*) grep -qx "$line" "$kbuild/.config" || { log "config: $line did not stick"; missing=1; } ;;
      "# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt% is not set}
        grep -q "^$opt=" "$kbuild/.config" && { log "config: $opt should be off"; missing=1; } ;;
    esac
  done < <(effective_config "${frags[@]}")
  [ $missing = 0 ] || { log "error: the kernel config is not what the config fragments ask for"; exit 1; }

  log "building the kernel with -j$jobs (a first build takes about 8 minutes here)"
  start=$(date +%s)
  # One line per object built shows progress without flooding the log.
  # `modules` also runs modpost on vmlinux: external modules need its
  # Module.symvers (and, for stock, builds bcachefs.ko and its dependencies).
  make -C "$work" O="$kbuild" -j"$jobs" bzImage vmlinux modules 2>&1 |
    awk -v t0="$start" -v tag="[build-kernel $variant]" '/^  (CC|LD|AR|BTF)/ { n++; if (n % 200 == 0) { printf "%s %d objects, %ds\n", tag, n, systime() - t0; fflush() } }
         /error:|Error [0-9]|ERROR:|undefined reference/ { print; fflush() }' >&2
  [ "${PIPESTATUS[0]}" = 0 ] && [ -f "$kbuild/Module.symvers" ] || { log "error: kernel build failed"; exit 1; }
  log "kernel built in $(( $(date +%s) - start ))s"
  echo "$kernel_key" > "$kbuild/.rcuwatch-key"
  if [ ! -f "$kout/done" ]; then
    rm -rf "$kout.tmp" "$kout"
    tmps+=("$kout.tmp")
    mkdir -p "$kout.tmp"
    cp "$kbuild/arch/x86/boot/bzImage" "$kbuild/vmlinux" "$kout.tmp/"
    cp "$kbuild/.config" "$kout.tmp/config"
    if [ "$variant" = stock ]; then collect_modules "$kout.tmp"; fi
    touch "$kout.tmp/done"
    mv "$kout.tmp" "$kout"
  fi
fi

log "building the workload module"
mod_build=$(mktemp -d "$vdir/modbuild.XXXXXX")
tmps+=("$mod_build")
cp "$module_dir"/* "$mod_build/"
make -s -C "$kbuild" M="$mod_build" RCU_PENDING_SRC="$work/fs/bcachefs" modules >&2
rm -rf "$out"
mkdir -p "$out"
# hard links: every module change would otherwise copy the 170 MB vmlinux
for f in "$kout"/*; do
  [ "$(basename "$f")" = done ] || cp -l "$f" "$out/" 2>/dev/null || cp "$f" "$out/"
done
cp "$mod_build/rcu_pending_load.ko" "$out/"
touch "$out/done"
log "done: $out"
echo "$out"
