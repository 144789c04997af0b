#!/usr/bin/env bash
# The Debian package of this build directory (CPack, packaging/CMakeLists.txt):
# built, its control fields checked (Depends covers every library the binary
# needs, and is what docs/install.md lists), its contents, lintian run on it (no
# errors allowed; warnings and info printed), then installed with dpkg into
# a scratch root (its own dpkg database, a copy of this machine's so the
# dependencies are checked against what is installed here) and
# `rcuwatch --version` run from there; then removed again. The machine's
# own dpkg database is checked to be untouched.
# usage: package_test.sh BUILD_DIR SOURCE_DIR
set -u
build=$(readlink -f "$1") src=$(readlink -f "$2")
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps dpkg-parsechangelog lintian man readelf ldconfig perl; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (scripts/install-deps.sh test)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIPPED: dpkg --root needs root"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
host_db_before=$(md5sum /var/lib/dpkg/status)

# --- build
if ! cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" > "$tmp/cpack.log" 2>&1; then
  bad "cpack failed:"; tail -20 "$tmp/cpack.log"; exit 1
fi
deb=$(ls "$tmp"/out/*.deb)
ok "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

# --- control fields
field() { dpkg-deb -f "$deb" "$1"; }
version=$(field Version)
[ "$version" = "$(dpkg-parsechangelog -l "$src/packaging/changelog" -S Version)" ] &&
  ok "Version $version = packaging/changelog's latest entry" ||
  bad "Version $version, packaging/changelog says $(dpkg-parsechangelog -l "$src/packaging/changelog" -S Version)"
depends=$(field Depends)
echo "     Depends: $depends"
# Depends' package names, one a line, sorted (versions and alternatives' bars dropped)
depends_names=$(sed -E 's/ *\([^)]*\)//g; s/ *[,|] */\n/g' <<<"$depends" | sort -u)
# Derived from the binary by dpkg-shlibdeps: every shared library the packaged
# binary needs (readelf NEEDED) belongs to a package of this machine that
# Depends names, itself or as a package it provides (libspdlog1.10 provides
# libspdlog1.10-fmt9). Catches a library linked in without its dependency.
dpkg-deb -x "$deb" "$tmp/unpacked"
needed=$(readelf -d "$tmp/unpacked/usr/sbin/rcuwatch" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
uncovered=()
for so in $needed; do
  path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ { print $NF; exit }')
  real=$(readlink -f "$path")  # dpkg knows one of /lib and /usr/lib (merged /usr)
  owner=$(dpkg -S "$path" "$real" "${real#/usr}" "/usr${path#/usr}" 2>/dev/null | sed -n '1s/:.*//p')
  names="$owner $(dpkg-query -W -f='${Provides}' "$owner" 2>/dev/null | sed -E 's/ *\([^)]*\)//g; s/,/ /g')"
  covered=0
  for n in $names; do grep -qx "$n" <<<"$depends_names" && covered=1; done
  [ $covered = 1 ] || uncovered+=("$so (${owner:-no package})")
done
[ -n "$needed" ] && [ ${#uncovered[@]} = 0 ] &&
  ok "Depends covers all $(wc -w <<<"$needed") libraries the binary needs ($(tr '\n' ' ' <<<"$needed"| sed 's/ $//'))" ||
  bad "Depends lacks the package of: ${uncovered[*]:-(no NEEDED found)}"
for lib in libc6 libbpf1 libstdc++6 libssl3; do  # TLS (the exporter's web config, --connect https)
  grep -qx "$lib" <<<"$depends_names" && ok "Depends has $lib" || bad "Depends lacks $lib: $depends"
done
# docs/install.md lists the same runtime dependencies.
documented=$(perl -0ne 'print "$1\n" if /Its `Depends` come from the binary \(`dpkg-shlibdeps`\):\s*(.*?)\.\s/s' \
  "$src/docs/install.md" | tr ',\n' '  ' | tr -s ' ' '\n' | sed '/^$/d' | sort -u)
[ "$documented" = "$depends_names" ] && ok "docs/install.md lists the same $(wc -l <<<"$depends_names") packages" ||
  bad "docs/install.md's dependencies differ from Depends:" \
    "$(diff <(echo "$documented") <(echo "$depends_names") | grep '^[<>]' | tr '\n' ' ')"

# --- contents
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's#^\./#/#' > "$tmp/contents"
echo "     contents:"; grep -v '/$' "$tmp/contents" | sed 's/^/       /'
expect=(/usr/sbin/rcuwatch /usr/share/man/man8/rcuwatch.8.gz
  /usr/share/bash-completion/completions/rcuwatch /usr/lib/systemd/system/rcuwatch-exporter.service
  /usr/share/doc/rcuwatch/copyright /usr/share/doc/rcuwatch/changelog.gz /usr/share/doc/rcuwatch/README.md)
for f in "$src"/docs/*.md; do expect+=("/usr/share/doc/rcuwatch/$(basename "$f")"); done
# deploy/ (Prometheus rules, Grafana dashboard) when the tree has it, as configured
if [ -d "$src/deploy" ]; then
  while read -r f; do expect+=("/usr/share/rcuwatch/$f"); done < <(cd "$src/deploy" &&
    find . -type f ! -name '*.sh' ! -name '*.py' ! -path '*/test/*' ! -path '*/tests/*' | sed 's#^\./##')
fi
missing=0
for f in "${expect[@]}"; do grep -qx "$f" "$tmp/contents" || { bad "package lacks $f"; missing=1; }; done
[ $missing = 0 ] && ok "package has all ${#expect[@]} expected files"
if grep -vE '^/usr/(sbin|lib/systemd/system|share/(man|doc|bash-completion|lintian|rcuwatch))(/|$)' "$tmp/contents" |
  grep -vxE '/usr/|/usr/lib/|/usr/share/|/usr/lib/systemd/|/' > "$tmp/odd"; then
  bad "files outside the FHS places: $(paste -sd' ' "$tmp/odd")"
fi

# --- lintian
lintian --pedantic --display-info --show-overrides "$deb" > "$tmp/lintian" 2>&1
grep -v 'running with root privileges' "$tmp/lintian" | sed 's/^/     lintian: /'
errors=$(grep -c '^E:' "$tmp/lintian")
[ "$errors" = 0 ] && ok "lintian: no errors ($(grep -c '^W:' "$tmp/lintian") warnings," \
  "$(grep -c '^I:' "$tmp/lintian") info, $(grep -c '^P:' "$tmp/lintian") pedantic)" ||
  bad "lintian: $errors errors"

# --- install into a scratch root
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
: > "$root/var/lib/dpkg/available"
# The installed dependencies are in the copied database; their files are
# the machine's (the binary runs with them).
grep -q '^Package: rcuwatch$' "$root/var/lib/dpkg/status" &&
  { bad "rcuwatch is installed on this machine: the scratch install would not be one"; }
if dpkg --root="$root" --log=/dev/null -i "$deb" > "$tmp/dpkg.log" 2>&1; then
  ok "dpkg --root installed it (dependencies satisfied by this machine's packages)"
else
  bad "dpkg --root -i:"; cat "$tmp/dpkg.log"
fi
[ "$(dpkg --root="$root" -s rcuwatch 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed" ] &&
  ok "dpkg in the scratch root: install ok installed" || bad "dpkg -s in the scratch root: not installed"
out=$("$root/usr/sbin/rcuwatch" --version 2>&1); rc=$?
abi=$(sed -n 's/^#define RW_ABI_VERSION \([0-9]*\).*/\1/p' "$src/bpf/events.h")
if [ $rc = 0 ] && [[ $out =~ ^rcuwatch\ ${version//./\\.}\ \(event\ ABI\ $abi,\ git\ [^\ ]+\)$ ]]; then
  ok "scratch root's rcuwatch --version: $out"
else
  bad "scratch root's rcuwatch --version (exit $rc): '$out'"
fi
"$root/usr/sbin/rcuwatch" replay --final "$src/tests/data/testrun.rwrec" > "$tmp/replay" 2>&1 &&
  ok "scratch root's rcuwatch replays tests/data/testrun.rwrec: $(tail -1 "$tmp/replay" | tr -s ' ')" ||
  { bad "scratch root's rcuwatch replay:"; cat "$tmp/replay"; }
man_out=$(MANWIDTH=80 man --warnings -l "$root/usr/share/man/man8/rcuwatch.8.gz" 2>&1 >/dev/null)
[ -z "$man_out" ] && ok "man -l rcuwatch.8.gz: renders without warnings" || bad "man warns: $man_out"
bash -c "source /usr/share/bash-completion/bash_completion 2>/dev/null; source '$root/usr/share/bash-completion/completions/rcuwatch' && complete -p rcuwatch" \
  > /dev/null 2>&1 && ok "bash completion loads and registers rcuwatch" || bad "bash completion does not load"
grep -qx 'ExecStart=/usr/sbin/rcuwatch exporter --listen 127.0.0.1:9640' \
  "$root/usr/lib/systemd/system/rcuwatch-exporter.service" &&
  ok "installed unit runs /usr/sbin/rcuwatch exporter" || bad "installed unit's ExecStart: $(grep ExecStart= "$root/usr/lib/systemd/system/rcuwatch-exporter.service")"

# --- removed again: nothing of it left in the scratch root
dpkg --root="$root" --log=/dev/null --purge rcuwatch > "$tmp/dpkg.log" 2>&1 || { bad "dpkg --purge:"; cat "$tmp/dpkg.log"; }
left=$(cd "$root" && find . -path ./var -prune -o ! -type d -print)
[ -z "$left" ] && ok "dpkg --purge left no file" || bad "left after purge: $left"
[ "$(md5sum /var/lib/dpkg/status)" = "$host_db_before" ] && ok "this machine's dpkg database untouched" ||
  bad "this machine's /var/lib/dpkg/status changed"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
