#!/usr/bin/env bash
# Builds a gzip cpio initramfs for the rcuwatch test VM: busybox-static, an
# /init that mounts proc/sys/devtmpfs/debugfs/tracefs, brings up networking
# (DHCP from qemu's user-mode net), runs a job script and sends its output
# directory and exit status back to the host over the second serial port
# (see scripts/run-vm.sh), then powers off.
#
# Usage: make-initramfs.sh [--module KO] [--modules-dir DIR] [--add HOST_PATH:GUEST_PATH]...
#                          [--run SCRIPT]
#   --module KO   kernel module to put at /lib/modules/<name>.ko (repeatable);
#                 a .ko.xz/.ko.zst/.ko.gz is decompressed (busybox insmod
#                 reads plain .ko only)
#   --modules-dir DIR  DIR/load-order (module file names, one a line) and the
#                 modules it names, to /lib/modules/ (scripts/debian-kernel-modules.sh
#                 makes such a DIR); the job insmods them in that order
#   --add H:G     copy file H to G in the guest; a dynamic ELF also gets its
#                 shared libraries and loader (from ldd) at the same paths
#   --run SCRIPT  the guest's job, run as /job.sh with OUT=/out; every file
#                 it writes under $OUT comes back to the host
# The image is cached in $RCUWATCH_CACHE/initramfs (default /var/cache/rcuwatch)
# keyed by a hash of all inputs; its path is printed as the last stdout line.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${RCUWATCH_CACHE:-/var/cache/rcuwatch}
busybox=/bin/busybox
log() { echo "[make-initramfs] $*" >&2; }

adds=()    # "host:guest" pairs, libraries included
run=""
add_elf_libs() {   # $1: host ELF; queue its shared libraries and loader
  ldd "$1" >/dev/null 2>&1 || return 0   # static, or not an ELF
  local lib
  for lib in $(ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
    adds+=("$lib:$lib")
  done
}
while [ $# -gt 0 ]; do
  case "$1" in
    --module) [ -f "$2" ] || { log "no such file: $2"; exit 2; }
      name=$(basename "$2"); name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
      adds+=("$2:/lib/modules/$name"); shift 2 ;;
    --modules-dir) [ -f "$2/load-order" ] || { log "no $2/load-order"; exit 2; }
      adds+=("$2/load-order:/lib/modules/load-order")
      while read -r m; do
        [ -n "$m" ] || continue
        [ -f "$2/$m" ] || { log "$2/load-order names $m, which is not there"; exit 2; }
        adds+=("$2/$m:/lib/modules/$m")
      done < "$2/load-order"
      shift 2 ;;
    --add) [[ "$2" == *:/* ]] || { log "--add wants HOST_PATH:/GUEST_PATH"; exit 2; }
      [ -e "${2%%:*}" ] || { log "no such file: ${2%%:*}"; exit 2; }
      adds+=("$2"); add_elf_libs "${2%%:*}"; shift 2 ;;
    --run) run=$2; [ -f "$run" ] || { log "no such file: $run"; exit 2; }; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) log "unknown argument $1"; exit 2 ;;
  esac
done

"$here/scripts/install-deps.sh" kernel >&2

# The /init script. Kept here so the cache key covers it.
read -r -d '' init_script <<'EOF' || true
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc   # --install finds busybox via /proc/self/exe
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev   # DEVTMPFS_MOUNT does not apply to an initramfs
# the cpio has no /dev/console (made without root), so the kernel gave us no stdio
exec 0</dev/console 1>/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p /tmp /out /dev/pts && mount -t tmpfs tmpfs /tmp
ip link set lo up
if ip link set eth0 up 2>/dev/null; then
  # qemu user-mode networking answers DHCP with 10.0.2.15; static as fallback
  udhcpc -i eth0 -n -q -t 5 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1 ||
    { ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2; }
fi
echo "rcuwatch-vm: $(uname -r), $(nproc) CPUs, eth0 $(ip -4 -o addr show eth0 2>/dev/null | awk '{print $4}')"
rc=0
if [ -f /job.sh ]; then
  # The job's output goes to the console and to $OUT/job.log. Wait for the
  # job, not for tee: processes the job left in the background keep the pipe
  # open, so they are killed once the job is done.
  ( cd /out && OUT=/out sh /job.sh; echo $? > /tmp/job.rc.tmp; mv /tmp/job.rc.tmp /tmp/job.rc ) 2>&1 |
    tee /out/job.log &
  while [ ! -f /tmp/job.rc ]; do usleep 200000; done
  usleep 300000
  kill -TERM -1 2>/dev/null; usleep 200000; kill -KILL -1 2>/dev/null
  rc=$(cat /tmp/job.rc)
else
  echo "rcuwatch-vm: no job; starting a shell (exit it to power off)"
  setsid cttyhack sh
fi
dmesg > /out/dmesg.txt
# Results to the host on ttyS1: base64 of a tar.gz, then the exit status.
if [ -c /dev/ttyS1 ]; then
  { echo "RCUWATCH-RESULTS-BEGIN"; tar -C /out -czf - . | base64;
    echo "RCUWATCH-RESULTS-END"; echo "RCUWATCH-EXIT $rc"; } > /dev/ttyS1
fi
sync
poweroff -f
EOF
read -r -d '' udhcpc_script <<'EOF' || true
#!/bin/sh
# udhcpc hook: apply the lease (busybox ships no default script)
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
    [ -n "$dns" ] && for d in $dns; do echo "nameserver $d"; done > /etc/resolv.conf ;;
esac
exit 0
EOF

key=$( {
  sha256sum "$busybox" "$0" | cut -d' ' -f1
  for a in "${adds[@]}"; do echo "$a"; sha256sum < "${a%%:*}"; done
  [ -n "$run" ] && sha256sum < "$run"
  echo "$init_script$udhcpc_script"
} | sha256sum | cut -c1-16)
out=$cache/initramfs/$key.cpio.gz
if [ -f "$out" ]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"  # the guest's /: mktemp's 0700 would lock out every user but root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,out,lib/modules}
cp "$busybox" "$root/bin/busybox"
printf '%s\n' "$init_script" > "$root/init"
printf '%s\n' "$udhcpc_script" > "$root/etc/udhcpc.script"
chmod 755 "$root/init" "$root/etc/udhcpc.script"
for a in "${adds[@]}"; do
  host=${a%%:*} guest=${a#*:}
  mkdir -p "$root$(dirname "$guest")"
  # Compressed on the host but not in the guest (a --module .ko.xz): decompress.
  if [[ $host == *.xz && $guest != *.xz ]]; then xz -dc "$host" > "$root$guest"
  elif [[ $host == *.zst && $guest != *.zst ]]; then zstd -q -dc "$host" > "$root$guest"
  elif [[ $host == *.gz && $guest != *.gz ]]; then gzip -dc "$host" > "$root$guest"
  else cp -L "$host" "$root$guest"
  fi
done
[ -n "$run" ] && install -m 755 "$run" "$root/job.sh"
mkdir -p "$cache/initramfs"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -6 > "$out.tmp"
mv "$out.tmp" "$out"
log "built $out ($(du -h "$out" | cut -f1))"
echo "$out"
