#!/usr/bin/env bash
# `rcuwatch exporter --web.config.file`: TLS and basic auth in the
# exporter-toolkit format. A CA, a server certificate it signed and bcrypt
# hashes are made here (openssl, Python's crypt). Checked:
#   - bad configs refuse to start: exit 1 and one line naming the problem;
#   - curl over HTTPS: right credentials 200, wrong or none 401 (with
#     WWW-Authenticate), plain HTTP to the TLS port gets no answer;
#   - a real Prometheus scrapes it over TLS with basic auth (up 1, the
#     recording's numbers stored), and a second job with a wrong password
#     gets 401 (up 0, its scrape error says 401);
#   - client certificates: RequireAndVerifyClientCert with client_ca_file;
#   - `stat --connect https://...` with the credentials and the CA file
#     prints the same lines as a local replay; with a wrong password it
#     exits 1 naming HTTP 401.
# Loopback only; every wait is bounded. Exit 77 (skipped) without a tool.
set -u
rw=$1; data=$2
source "$(dirname "$0")/lib.sh" curl prometheus promtool python3 openssl
# --- a CA, a server certificate for 127.0.0.1 signed by it (lib.sh), a stranger's certificate
cd "$tmp"
make_test_certs "$tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout other.key -out other.crt 2>/dev/null
[ -s server.crt ] && [ -s other.crt ] || { bad "openssl could not make the certificates"; exit 1; }
hash=$(bcrypt 's3cret pass')
case $hash in '$2'?'$10$'*) ok "bcrypt hash from crypt(3): ${hash:0:7}..." ;; *) bad "no bcrypt hash: '$hash'"; exit 1 ;; esac

# --- bad configs: exit 1, one line naming the problem
refuses() { # what, stderr substring, config text
  printf '%s\n' "$3" >bad.yml
  timeout 10 "$rw" exporter --replay "$data/testrun.rwrec" --listen "127.0.0.1:$(free_port)" \
    --web.config.file bad.yml >/dev/null 2>bad.err </dev/null
  local rc=$?
  if [ "$rc" = 1 ] && grep -qF -- "$2" bad.err && [ "$(wc -l <bad.err)" = 1 ]; then
    ok "$1 refused: $(cat bad.err)"
  else
    bad "$1: exit $rc (want 1), stderr: $(cat bad.err)"
  fi
}
good_tls=$'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key'
refuses "unknown top-level key" "unknown key tls_config (line 1)" $'tls_config:\n  cert_file: server.crt'
refuses "unknown TLS key" "unknown key tls_server_config.cert_fiel" $'tls_server_config:\n  cert_fiel: server.crt\n  key_file: server.key'
refuses "unreadable certificate" "cert_file ./missing.crt: No such file or directory" $'tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key'
refuses "a key as certificate" "cert_file ./server.key: not a PEM certificate" $'tls_server_config:\n  cert_file: server.key\n  key_file: server.key'
refuses "key of another certificate" "key_file ./other.key does not match cert_file ./server.crt" $'tls_server_config:\n  cert_file: server.crt\n  key_file: other.key'
refuses "certificate without key" "cert_file without key_file" $'tls_server_config:\n  cert_file: server.crt'
refuses "bad TLS version" "min_version: 'TLS99' is not TLS10" "$good_tls"$'\n  min_version: TLS99'
refuses "unsupported toolkit key" "tls_server_config.cipher_suites is not supported by rcuwatch" "$good_tls"$'\n  cipher_suites: [TLS_AES_128_GCM_SHA256]'
refuses "plain-text password" "basic_auth_users.prom: not a bcrypt hash" $'basic_auth_users:\n  prom: secret'
refuses "SHA-512 crypt hash" "basic_auth_users.prom: not a bcrypt hash" $'basic_auth_users:\n  prom: $6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.'
refuses "user with a colon" "is not a user name" $'basic_auth_users:\n  "a:b": '"$hash"
refuses "user given twice" "key 'prom' given twice" $'basic_auth_users:\n  prom: '"$hash"$'\n  prom: '"$hash"
refuses "not YAML" "not valid YAML" $'tls_server_config: [unclosed'
refuses "YAML alias" "YAML aliases are not supported" $'basic_auth_users: &a\n  prom: '"$hash"$'\nhttp_server_config: *a'
refuses "a list, not a mapping" "expected a mapping" $'- tls_server_config'
timeout 10 "$rw" exporter --replay "$data/testrun.rwrec" --web.config.file nonexistent.yml 2>bad.err
expect "missing config file: exit" "$?" 64
expect "missing config file: one line" "$(wc -l <bad.err)" 1

# --- the exporter over TLS with basic auth
cat >web.yml <<EOF
# rcuwatch exporter web config (exporter-toolkit format)
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  min_version: TLS12
basic_auth_users:
  prom: '$hash'
http_server_config:
  http2: false
EOF
eport=$(free_port)
"$rw" exporter --replay "$data/testrun.rwrec" --listen "127.0.0.1:$eport" --web.config.file web.yml \
  2>exporter.err &
epid=$!; pids+=("$epid")
base=https://127.0.0.1:$eport
code() { curl -s -o /dev/null -m 5 --cacert ca.crt -w '%{http_code}' "$@"; }
deadline=$((SECONDS + 10))
while [ "$(code -u 'prom:s3cret pass' "$base/metrics")" != 200 ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
expect "HTTPS with the right credentials" "$(code -u 'prom:s3cret pass' "$base/metrics")" 200
expect "wrong password" "$(code -u 'prom:wrong' "$base/metrics")" 401
expect "unknown user" "$(code -u 'nobody:s3cret pass' "$base/metrics")" 401
expect "no credentials" "$(code "$base/metrics")" 401
expect "no credentials on / too" "$(code "$base/")" 401
expect "401 asks for basic auth" \
  "$(curl -s -m 5 --cacert ca.crt -D - -o /dev/null "$base/metrics" | grep -ci '^www-authenticate: basic')" 1
expect "the JSON API behind the same auth" "$(code -u 'prom:s3cret pass' "$base/api/v1/snapshot")" 200
expect "a client that does not trust the CA" \
  "$(curl -s -o /dev/null -m 5 -w '%{http_code}' -u 'prom:s3cret pass' "$base/metrics")" 000
expect "plain HTTP to the TLS port gets no HTTP answer" \
  "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$eport/metrics")" 000
expect "TLS 1.1 refused (min_version TLS12)" \
  "$(code --tls-max 1.1 -u 'prom:s3cret pass' "$base/metrics")" 000

# --- a real Prometheus: TLS + basic auth, and a job with a wrong password
pport=$(free_port)
cat >prometheus.yml <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: rcuwatch
    scheme: https
    tls_config:
      ca_file: $tmp/ca.crt
    basic_auth:
      username: prom
      password: 's3cret pass'
    static_configs:
      - targets: ['127.0.0.1:$eport']
  - job_name: rcuwatch-wrong-password
    scheme: https
    tls_config:
      ca_file: $tmp/ca.crt
    basic_auth:
      username: prom
      password: wrong
    static_configs:
      - targets: ['127.0.0.1:$eport']
EOF
promtool check config prometheus.yml >/dev/null 2>&1 || bad "promtool check config"
prometheus --config.file=prometheus.yml --storage.tsdb.path=tsdb \
  --web.listen-address="127.0.0.1:$pport" --log.level=warn >prometheus.log 2>&1 &
pids+=("$!")
papi=http://127.0.0.1:$pport
deadline=$((SECONDS + 30))
until curl -s -m 2 "$papi/-/ready" | grep -q Ready || [ $SECONDS -ge $deadline ]; do sleep 0.3; done
python3 - "$papi" <<'PY' || fail=$((fail + 1))
import json, sys, time, urllib.parse, urllib.request
api = sys.argv[1]
def get(path, **params):
    with urllib.request.urlopen(f"{api}{path}?" + urllib.parse.urlencode(params), timeout=5) as r:
        return json.load(r)["data"]
def query(q):
    return {r["metric"].get("job"): r["value"][1] for r in get("/api/v1/query", query=q)["result"]}
deadline = time.time() + 30
while time.time() < deadline:
    up = query("up")
    if len(up) == 2 and query("rcuwatch_scrapes_total"):
        break
    time.sleep(0.5)
fails = []
def expect(what, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} prometheus {what}: {got}" + ("" if ok else f", want {want}"))
    if not ok: fails.append(what)
expect("up over TLS with basic auth", up.get("rcuwatch"), "1")
expect("up with the wrong password", up.get("rcuwatch-wrong-password"), "0")
expect("pending bytes stored (test_rcu_process)",
       [r["value"][1] for r in get("/api/v1/query", query='rcuwatch_pending_bytes{rcu_pending="test_rcu_process"}')["result"]], ["256"])
errors = {t["labels"]["job"]: t["lastError"] for t in get("/api/v1/targets")["activeTargets"]}
print(f"     scrape errors: {errors}")
expect("the wrong password's scrape error says 401", "401" in errors.get("rcuwatch-wrong-password", ""), True)
expect("no scrape error with the right one", errors.get("rcuwatch"), "")
sys.exit(1 if fails else 0)
PY

# --- the remote view as a TLS client with basic auth
"$rw" replay "$data/testrun.rwrec" >local.txt
RCUWATCH_PASSWORD='s3cret pass' timeout 20 "$rw" stat --connect "$base" --connect-user prom \
  --connect-ca ca.crt >remote.txt 2>remote.err
expect "stat --connect https: exit" "$?" 0
expect "stat --connect https prints what replay prints" "$(diff local.txt remote.txt && echo same)" same
RCUWATCH_PASSWORD=wrong timeout 20 "$rw" stat --connect "$base" --connect-user prom \
  --connect-ca ca.crt >/dev/null 2>remote.err
rc=$?
expect "stat --connect with a wrong password: exit" "$rc" 1
expect "... says 401" "$(grep -c 'HTTP 401' remote.err)" 1
timeout 20 "$rw" stat --connect "$base" --connect-user prom --connect-ca other.crt </dev/null \
  >/dev/null 2>remote.err
expect "stat --connect-user without a password: exit" "$?" 64
RCUWATCH_PASSWORD='s3cret pass' timeout 20 "$rw" stat --connect "$base" --connect-user prom \
  --connect-ca other.crt >/dev/null 2>remote.err
expect "stat --connect trusting another CA: exit" "$?" 1
expect "... says the certificate is not trusted" "$(grep -c 'certificate not trusted' remote.err)" 1

kill -TERM "$epid"; wait "$epid"
expect "exporter exit status after SIGTERM" "$?" 0
expect "exporter stderr lines" "$(wc -l <exporter.err)" 0

# --- client certificates (client_auth_type RequireAndVerifyClientCert)
openssl req -newkey rsa:2048 -nodes -subj /CN=scraper -keyout client.key -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt 2>/dev/null
printf '%s\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n' "$good_tls" >mtls.yml
refuses "client_auth_type without client_ca_file" "needs client_ca_file" \
  "$good_tls"$'\n  client_auth_type: RequireAndVerifyClientCert'
mport=$(free_port)
"$rw" exporter --replay "$data/testrun.rwrec" --listen "127.0.0.1:$mport" --web.config.file mtls.yml \
  2>mtls.err &
mpid=$!; pids+=("$mpid")
mbase=https://127.0.0.1:$mport
deadline=$((SECONDS + 10))
while [ "$(code --cert client.crt --key client.key "$mbase/metrics")" != 200 ] && [ $SECONDS -lt $deadline ]; do
  sleep 0.2
done
expect "client certificate signed by the CA" "$(code --cert client.crt --key client.key "$mbase/metrics")" 200
expect "no client certificate" "$(code "$mbase/metrics")" 000
expect "a client certificate from another CA" "$(code --cert other.crt --key other.key "$mbase/metrics")" 000
kill -TERM "$mpid"; wait "$mpid"
expect "mTLS exporter exit status after SIGTERM" "$?" 0
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
