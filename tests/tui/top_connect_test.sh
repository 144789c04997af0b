#!/usr/bin/env bash
# `rcuwatch top --connect` against an exporter replaying a recording:
#   1. batch: `top -b --connect URL` prints the frames `top -b --replay FILE`
#      prints, line for line, but the title line (clock and source differ);
#   2. in tmux: the interactive view of the remote exporter, once its
#      recording ended, shows the screen local `top --replay` shows at the
#      end (title line aside); the exporter killed mid-recording gives a
#      visible "DISCONNECTED (...), retrying" and the view stays up; the
#      exporter started again on the same port is reconnected (its stream
#      starts afresh) and played to the end; q leaves with exit 0.
# With `tls`, all of that against an exporter serving HTTPS with basic auth
# (--web.config.file; a test CA and bcrypt hash made here), the viewer given
# --connect-ca, --connect-user and the password (RCUWATCH_PASSWORD in batch,
# --connect-password-file in tmux); and besides: a wrong password or an
# untrusted certificate is one error line and exit 1, in batch and in the
# terminal (not taken); an exporter restarted with another password shows
# "DISCONNECTED (HTTP 401 ...), retrying" until the right one is back.
# Usage: top_connect_test.sh RCUWATCH RECORDING [tls]. Exit 77 (skipped)
# without tmux, curl, openssl (tls) or the recording. Loopback only; every
# wait is bounded.
set -u
rw=$(realpath "$1")
rec=${2:-}
tls=${3:-}
if [[ -z $rec || ! -f $rec ]]; then echo "SKIPPED: no recording at '${rec}'"; exit 77; fi
source "$(dirname "$0")/../exporter/lib.sh" tmux curl python3 ${tls:+openssl}
rec=$(realpath "$rec")
sock="rcuwatch-connect-test-$$"
tmx() { tmux -L "$sock" "$@"; }
trap 'tmx kill-server 2>/dev/null; cleanup' EXIT

port=$(free_port)
url=http://127.0.0.1:$port
connect=() curl_auth=()
if [ -n "$tls" ]; then
  url=https://127.0.0.1:$port
  make_test_certs "$tmp" || { bad "openssl could not make the certificates"; exit 1; }
  password='watch me'
  printf '%s\n' "$password" >"$tmp/password"
  printf 'wrong\n' >"$tmp/wrong-password"
  web_yml() { # password -> a web config for user viewer
    printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  viewer: %s\n' \
      "$tmp/server.crt" "$tmp/server.key" "'$(bcrypt "$1")'"
  }
  web_yml "$password" >"$tmp/web.yml"
  web_yml 'another password' >"$tmp/web-other.yml"
  connect=(--connect-user viewer --connect-ca "$tmp/ca.crt")
  curl_auth=(--cacert "$tmp/ca.crt" -u "viewer:$password")
fi
start_exporter() { # SPEED [WEB CONFIG]: replay REC from its start on $port
  "$rw" exporter --replay "$rec" --speed "$1" --listen "127.0.0.1:$port" \
    ${tls:+--web.config.file "${2:-$tmp/web.yml}"} 2>>"$tmp/exporter.err" &
  epid=$!; pids+=("$epid")
  [ -n "${2:-}" ] && return  # its users are not ours: not healthy to us
  wait_http "$url/healthz" 10 "${curl_auth[@]}" ||
    { bad "exporter not healthy within 10 s"; cat "$tmp/exporter.err"; exit 1; }
}
stop_exporter() { kill "$epid"; wait "$epid" 2>/dev/null; }

# --- 1. batch, frame by frame
start_exporter 1
RCUWATCH_PASSWORD=${password:-} timeout 60 "$rw" top -b --connect "$url" "${connect[@]}" \
  >"$tmp/remote.txt" 2>"$tmp/remote.err"
expect "top -b --connect $url exit" "$?" 0
if [ -n "$tls" ]; then
  refused() { # what, stderr text, top's arguments...: exit 1 with one line saying it
    local what=$1 text=$2; shift 2
    timeout 20 "$rw" top -b "$@" </dev/null >/dev/null 2>"$tmp/refused.err"
    local rc=$?
    if [ "$rc" = 1 ] && [ "$(wc -l <"$tmp/refused.err")" = 1 ] && grep -qF -- "$text" "$tmp/refused.err"; then
      ok "$what: exit 1, $(cat "$tmp/refused.err")"
    else
      bad "$what: exit $rc (want 1 and one line with '$text'): $(cat "$tmp/refused.err")"
    fi
  }
  refused "wrong password" "HTTP 401: wrong or missing credentials" \
    --connect "$url" "${connect[@]}" --connect-password-file "$tmp/wrong-password"
  refused "no credentials" "HTTP 401: wrong or missing credentials" --connect "$url" --connect-ca "$tmp/ca.crt"
  refused "the system's CAs only" "server certificate not trusted" \
    --connect "$url" --connect-user viewer --connect-password-file "$tmp/password"
  refused "plain HTTP to the TLS port" "cannot watch http://127.0.0.1:$port" \
    --connect "http://127.0.0.1:$port" "${connect[@]}" --connect-password-file "$tmp/password"
fi
stop_exporter
"$rw" top -b --replay "$rec" >"$tmp/local.txt"
frames() { grep -c '^rcuwatch top - ' "$1"; }
expect "frames: as many remote as local" "$(frames "$tmp/remote.txt")" "$(frames "$tmp/local.txt")"
expect "remote title names the exporter and its source" \
  "$(grep -m1 -c "^rcuwatch top - .*  $url (.*replay .*$(basename "$rec"))" "$tmp/remote.txt")" 1
intervals() { grep '^rcuwatch top - ' "$1" | sed -E 's/.*  interval (.*) (recorded|remote)$/\1/' | tr '\n' ' '; }
expect "titles: the exporter's intervals, as the recording's" "$(intervals "$tmp/remote.txt")" \
  "$(intervals "$tmp/local.txt")"
# Title lines aside, the same text.
body() { grep -v '^rcuwatch top - ' "$1"; }
if diff <(body "$tmp/local.txt") <(body "$tmp/remote.txt") >"$tmp/diff"; then
  ok "batch frames equal but the title line ($(wc -l <"$tmp/local.txt") lines)"
else
  bad "batch frames differ:"; head -20 "$tmp/diff"
fi

# --- 2. interactive in tmux
screen() { tmx capture-pane -p -t top; }
wait_for() { # REGEX SECONDS: until the screen shows it
  local deadline=$((SECONDS + $2))
  until screen | grep -qE -- "$1"; do
    if ((SECONDS >= deadline)); then echo "---- screen (/$1/ expected) ----"; screen; echo "----"; return 1; fi
    sleep 0.2
  done
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
keys() { tmx send-keys -t top "$@"; }
start_shell() {
  tmx kill-server 2>/dev/null
  tmx new-session -d -s top -x 120 -y 40 \
    "env -i PATH=$PATH TERM=tmux-256color LANG=C.UTF-8 HOME=$tmp PS1='READY\$ ' bash --norc --noprofile"
  wait_for '^READY\$' 10
}
# The screen without its title line (clock, source), the key line and the
# message line (the remote view says "reconnected" there).
final_screen() { screen | sed '1d' | grep -vE '^q quit  h help|^warning: '; }

start_shell
keys "'$rw' top --speed 0 --replay '$rec'; echo exit=\$?" Enter
check "local top: end of recording" wait_for 'END OF RECORDING' 30
final_screen >"$tmp/local.screen"
keys q; check "local top quits" wait_for '^exit=0$' 10

start_exporter 0.5
# The viewer's TLS and basic auth flags, as typed in the shell.
typed=""
if [ -n "$tls" ]; then
  typed="--connect-user viewer --connect-ca '$tmp/ca.crt' --connect-password-file"
  keys clear Enter
  keys "'$rw' top --connect '$url' $typed '$tmp/wrong-password'; echo exit=\$?" Enter
  check "wrong password in the terminal: exit 1" wait_for '^exit=1$' 10
  check "... after one line naming HTTP 401" wait_for \
    "^rcuwatch: error: cannot watch $url: HTTP 401: wrong or missing credentials\$" 1
  typed+=" '$tmp/password'"
fi
keys clear Enter
keys "RCUWATCH_PASSWORD= '$rw' top --connect '$url' $typed; echo exit=\$?" Enter
check "remote top shows the exporter" wait_for "^rcuwatch top - .*$url" 15
sleep 3
stop_exporter
check "exporter gone: DISCONNECTED ... retrying" wait_for 'DISCONNECTED \(.*\), retrying' 10
sleep 3
check "the view stays up while disconnected" wait_for 'DISCONNECTED \(.*\), retrying' 1
check "top still running" wait_for "^rcuwatch top - " 1
if [ -n "$tls" ]; then
  start_exporter 1 "$tmp/web-other.yml"
  check "exporter back with another password: DISCONNECTED (HTTP 401 ...), retrying" \
    wait_for 'DISCONNECTED \(HTTP 401: wrong or missing credentials\), retrying' 10
  sleep 2
  check "top still running, still saying 401" wait_for 'DISCONNECTED \(HTTP 401' 1
  stop_exporter
fi
start_exporter 1
check "reconnected: DISCONNECTED gone" bash -c "for i in \$(seq 50); do tmux -L '$sock' capture-pane -p -t top | grep -q DISCONNECTED || exit 0; sleep 0.2; done; exit 1"
check "remote recording played to its end" wait_for 'END OF RECORDING' 60
check "the message line says reconnected" wait_for "^warning: $url: reconnected" 1
final_screen >"$tmp/remote.screen"
if diff "$tmp/local.screen" "$tmp/remote.screen" >"$tmp/screen.diff"; then
  ok "final screen equals local top --replay's but the title ($(wc -l <"$tmp/local.screen") lines)"
else
  bad "final screens differ:"; cat "$tmp/screen.diff"
fi
keys q; check "remote top quits with exit 0" wait_for '^exit=0$' 10
expect "exporter restarts seen by the viewer only (exporter stderr has no error)" \
  "$(grep -c -i 'error' "$tmp/exporter.err")" 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
