#!/usr/bin/env bash
# Installs the Debian packages rcuwatch needs, idempotently: packages already
# present are not touched and apt is not called at all when nothing is missing.
# Usage: install-deps.sh [build|kernel|test|all]   (default: all)
set -euo pipefail
what=${1:-all}
# dpkg-dev: the Debian package's dependencies (cpack runs dpkg-shlibdeps),
# so that docs/install.md's build needs only this set.
build=(cmake ccache g++ clang llvm make pkg-config dpkg-dev bpftool libbpf-dev libelf-dev zlib1g-dev
  libspdlog-dev libfmt-dev libncurses-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
  libssl-dev libyaml-dev libcrypt-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev)
kernel=(bc flex bison libelf-dev libssl-dev dwarves cpio gzip xz-utils zstd kmod patch
  qemu-system-x86 busybox-static)
# packaging tests: the Debian package (lintian), the man page (groff, man),
# the bash completion, the systemd unit (systemd-analyze; setpriv is
# util-linux's; strace). clang-14 + libclang-rt-14-dev: the libFuzzer
# harnesses (tests/fuzz).
test=(tmux prometheus curl python3 python3-yaml openssl lintian groff-base man-db bash-completion
  systemd util-linux strace clang-14 libclang-rt-14-dev)
case "$what" in
  build) pkgs=("${build[@]}") ;;
  kernel) pkgs=("${kernel[@]}") ;;
  test) pkgs=("${test[@]}") ;;
  all) pkgs=("${build[@]}" "${kernel[@]}" "${test[@]}") ;;
  *) echo "install-deps.sh: unknown set '$what' (build, kernel, test, all)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
