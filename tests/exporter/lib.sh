# Shared by the exporter's shell tests (sourced): the tools check, a scratch
# directory and background processes cleaned up on exit, ok/bad/expect
# counting, free loopback ports, bounded waits for HTTP, and the makings of
# a TLS web config (a test CA, a server certificate, bcrypt hashes).
# Usage: source lib.sh TOOL...   (exit 77, SKIPPED, when a tool is missing)
for tool in "$@"; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (scripts/install-deps.sh test)"; exit 77; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
expect() { # what, got, want
  if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', want '$3'"; fi
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() { # url, seconds, curl options...: until it answers 200
  local url=$1 deadline=$((SECONDS + $2)); shift 2
  while [ $SECONDS -lt $deadline ]; do
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$@" "$url")" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}
bcrypt() { # password -> a $2b$ hash from the system's crypt(3), cost 10
  python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))' "$1"
}
make_test_certs() { # dir: ca.crt/ca.key, and server.crt/server.key for 127.0.0.1 signed by that CA
  (
    cd "$1" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rcuwatch-test-ca \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile san.ext -out server.crt 2>/dev/null
    [ -s server.crt ]
  )
}
