#!/usr/bin/env bash
# vswd on the built-in default: sockets appear, the control socket answers,
# SIGTERM gives exit status 0 and leaves no socket, lock or hugepage file.
source "$(dirname "$0")/lib.sh"

if [[ -e /run/vsw/vswd.pid ]] && ! flock -n /run/vsw/vswd.pid true; then
	skip "a vswd already runs on the default run directory /run/vsw"
fi
huge_before=$(ls /dev/hugepages 2>/dev/null | wc -l)
"$VSWD" >"$T/vswd.log" 2>&1 &
pid=$!
track_pid $pid
wait_for "control socket" 20 test -S /run/vsw/vsw.sock
wait_for "vm1 socket" 10 test -S /run/vsw/vm1.sock
wait_for "vm2 socket" 10 test -S /run/vsw/vm2.sock
assert_eq "$(cat /run/vsw/vswd.pid)" "$pid" "pid file"
out=$("$VSWCTL" -s /run/vsw/vsw.sock version)
assert_contains "$out" "0.1.0" "vswctl version"
banner=$(cat "$T/vswd.log")
assert_contains "$banner" "-chardev socket,id=chr0,path=/run/vsw/vm1.sock" "banner"
assert_contains "$banner" "-netdev vhost-user,id=net0,chardev=chr0" "banner"
assert_contains "$banner" "share=on" "banner"

set +e
stop_pid $pid 15
rc=$?
set -e
assert_eq "$rc" 0 "exit status after SIGTERM"
[[ ! -e /run/vsw ]] || fail "left behind: $(ls -la /run/vsw)"
assert_eq "$(ls /dev/hugepages 2>/dev/null | wc -l)" "$huge_before" "hugepage files"
grep -q "signal 15 received" "$T/vswd.log" || fail "no shutdown log line"

# The same through the control socket's shutdown method; started with a
# low soft fd limit (systemd's 1024 and less), which vswd raises to the hard one.
prlimit --nofile=256:8192 "$VSWD" >"$T/vswd2.log" 2>&1 &
pid=$!
track_pid $pid
wait_for "control socket" 20 test -S /run/vsw/vsw.sock
assert_eq "$(awk '/Max open files/ { print $4 }' /proc/$pid/limits)" 8192 "vswd's soft fd limit"
"$VSWCTL" -s /run/vsw/vsw.sock shutdown >/dev/null
set +e
wait $pid
rc=$?
set -e
assert_eq "$rc" 0 "exit status after shutdown request"
[[ ! -e /run/vsw ]] || fail "left behind after shutdown: $(ls -la /run/vsw)"
echo "ok"
