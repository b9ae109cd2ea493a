#!/usr/bin/env bash
# A second vswd on the same run directory, or on the same control socket,
# refuses with a clear message and leaves the first one's sockets alone.
source "$(dirname "$0")/lib.sh"

cfg=$(write_config first <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lan, mode: bridge }
ports:
  - { name: vm1, type: vhost-user, network: lan, path: vm1.sock }
CFG
)
start_vswd first "$cfg"
first=$VSWD_PID
run=$T/run-first
wait_for "first daemon's control socket" 20 test -S "$run/vsw.sock"
wait_for "first daemon's vm1 socket" 10 test -S "$run/vm1.sock"
ino_before=$(stat -c %i "$run/vsw.sock" "$run/vm1.sock")

set +e
out=$("$VSWD" -c "$cfg" 2>&1)
rc=$?
set -e
assert_eq "$rc" 1 "second instance exit status"
assert_contains "$out" "another vswd (pid $first) is running on run directory $run" "refusal"

# Another run directory but the first one's control socket.
cfg2=$(write_config second <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
control_socket: $run/vsw.sock
CFG
)
set +e
out=$("$VSWD" -c "$cfg2" 2>&1)
rc=$?
set -e
assert_eq "$rc" 1 "second instance (same control socket) exit status"
assert_contains "$out" "control socket $run/vsw.sock is in use by another vswd" "refusal"

assert_eq "$(stat -c %i "$run/vsw.sock" "$run/vm1.sock")" "$ino_before" "first daemon's sockets"
"$VSWCTL" -s "$run/vsw.sock" version >/dev/null || fail "first daemon stopped answering"
kill -0 "$first" || fail "first daemon died"
stop_pid "$first"
[[ ! -e "$run/vsw.sock" && ! -e "$run/vm1.sock" && ! -e "$run/vswd.pid" ]] || fail "left behind: $(ls "$run")"
echo "ok"
