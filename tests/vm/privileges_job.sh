#!/bin/sh
# Guest side of tests/vm/vm_privileges_test.sh (busybox sh, patched kernel):
# rcuwatch as nobody with exactly CAP_BPF + CAP_PERFMON (+ CAP_SYSLOG for
# names), with one of them missing, with none; then its capability sets
# after attaching, live, in every thread, as nobody and as root, and with
# --user. util-linux setpriv sets the capabilities (inheritable, ambient
# and bounding: exactly that set). Results go to $OUT for the host.
set -u
OUT=${OUT:-/out}
D=/sys/kernel/debug/rcu_pending_load
SP=/usr/local/bin/setpriv

# The initramfs has no user database: root and nobody, as Debian has them.
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> /etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > /etc/group

insmod /lib/modules/rcu_pending_load.ko rate=0 || exit 10
echo 0x3f > $D/instances; echo 32 > $D/min_bytes; echo 4096 > $D/max_bytes; echo 100 > $D/rate
cat /proc/sys/kernel/kptr_restrict > $OUT/kptr_restrict
cat /proc/sys/kernel/perf_event_paranoid > $OUT/perf_event_paranoid

# as_nobody CAPS CMD...: CAPS like "+bpf,+perfmon" ("" for none)
as_nobody() {
  caps=$1; shift
  $SP --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all${caps:+,$caps} \
    --ambient-caps=-all${caps:+,$caps} --bounding-set=-all${caps:+,$caps} "$@"
}
# The same, replacing the shell it runs in: `as_nobody_exec ... &` makes $!
# rcuwatch's own PID (setpriv execs it), not a subshell's.
as_nobody_exec() {
  caps=$1; shift
  exec $SP --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all${caps:+,$caps} \
    --ambient-caps=-all${caps:+,$caps} --bounding-set=-all${caps:+,$caps} "$@"
}
# run NAME CAPS rcuwatch-args...: exit status, stdout, stderr to $OUT/NAME.*
run() {
  name=$1 caps=$2; shift 2
  as_nobody "$caps" rcuwatch "$@" > $OUT/$name.out 2> $OUT/$name.err
  echo $? > $OUT/$name.rc
}
# tasks PID NAME: every thread's capability sets and no_new_privs, after attach
tasks() {
  for s in /proc/$1/task/*/status; do
    awk '/^(Uid|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):/ { printf "%s %s ", $1, $2 } END { print "" }' $s
  done > $OUT/$2.tasks
}
# wait_output FILE PID: until FILE has a line (rcuwatch attached and sampled)
wait_output() {
  for i in $(seq 1 300); do
    [ -s $1 ] && return 0
    kill -0 $2 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

echo "phase: what the launcher gives (before rcuwatch runs)"
as_nobody +bpf,+perfmon,+syslog grep -E '^(Uid|Cap(Inh|Prm|Eff|Bnd|Amb)):' /proc/self/status > $OUT/launcher.status

echo "phase: exactly CAP_BPF + CAP_PERFMON (+ CAP_SYSLOG), and less"
run exact +bpf,+perfmon,+syslog stat -n 4 -i 0.5 --json
run exact_nosyslog +bpf,+perfmon stat -n 4 -i 0.5 --json
run no_perfmon +bpf,+syslog stat -n 2 -i 0.5
run no_bpf +perfmon,+syslog stat -n 2 -i 0.5
run none "" stat -n 2 -i 0.5
run top_exact +bpf,+perfmon,+syslog top -b -n 2 -d 0.5
run report_exact +bpf,+perfmon,+syslog report --live --duration 2 -i 0.5

echo "phase: capabilities after attach, every thread"
as_nobody_exec +bpf,+perfmon,+syslog rcuwatch exporter --listen 127.0.0.1:9641 -i 0.5 2> $OUT/exporter.err &
exp=$!
for i in $(seq 1 300); do
  wget -q -O $OUT/exporter.metrics http://127.0.0.1:9641/metrics 2>/dev/null && break
  kill -0 $exp 2>/dev/null || break
  sleep 0.1
done
wget -q -O $OUT/exporter.metrics2 http://127.0.0.1:9641/metrics 2>/dev/null
tasks $exp exporter
kill -TERM $exp; wait $exp; echo $? > $OUT/exporter.rc

rcuwatch stat -i 0.5 --json > $OUT/root.out 2> $OUT/root.err &
pid=$!
wait_output $OUT/root.out $pid && tasks $pid root
kill -INT $pid; wait $pid; echo $? > $OUT/root.rc

rcuwatch stat -i 0.5 --json --user nobody > $OUT/user.out 2> $OUT/user.err &
pid=$!
wait_output $OUT/user.out $pid && tasks $pid user
kill -INT $pid; wait $pid; echo $? > $OUT/user.rc

rcuwatch top -b -d 0.5 --user nobody > $OUT/top_user.out 2> $OUT/top_user.err &
pid=$!
wait_output $OUT/top_user.out $pid && sleep 1 && tasks $pid top_user
kill -TERM $pid; wait $pid; echo $? > $OUT/top_user.rc

echo 0 > $D/rate
echo 1 > $D/quiesce
exit 0
