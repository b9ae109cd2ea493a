#!/usr/bin/env bash
# Workers and daemon settings at run time: rx queues spread over two workers
# when ports come, re-spread when they go (pinned queues stay), moved by
# port.set core=; config.set removes and adds a worker core while a guest
# sends to another without losing a packet; the control socket's mode and
# path and the log level change; memory and run_dir say why they cannot.
source "$(dirname "$0")/lib.sh"
(($(nproc) >= 2)) || skip "needs two CPUs for two workers, this machine has $(nproc)"

cfg=$(write_config spread <<CFG
cores: [0, $LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lan, mode: bridge }
ports:
  - { name: a, type: vhost-user, network: lan, path: a.sock }
  - { name: b, type: vhost-user, network: lan, path: b.sock }
  - { name: c, type: vhost-user, network: lan, path: c.sock }
  - { name: d, type: vhost-user, network: lan, path: d.sock }
  - { name: e, type: vhost-user, network: lan, path: e.sock, core: $LAST_CPU }
CFG
)
start_vswd spread "$cfg"
RUN=$T/run-spread
VSW_SOCK=$RUN/vsw.sock
wait_for "vswd" 20 test -S "$VSW_SOCK"

# "core: queues (pinned)" per worker, sorted, e.g. "0: a:0 c:0 ()".
layout() {
	vswctl --json core list | python3 -c '
import json, sys
for w in sorted(json.load(sys.stdin), key=lambda w: w["core"]):
    print("%d: %s (%s)" % (w["core"], " ".join(sorted(w["queues"])), " ".join(sorted(w["pinned"]))))'
}
assert_eq "$(layout)" "0: a:0 c:0 ()
$LAST_CPU: b:0 d:0 e:0 (e:0)" "spread at start"

vswctl port del a >/dev/null
vswctl port del c >/dev/null
assert_eq "$(layout)" "0: d:0 ()
$LAST_CPU: b:0 e:0 (e:0)" "re-spread after removals, pinned e stays"

vswctl port set e core=0 >/dev/null
assert_eq "$(layout)" "0: d:0 e:0 (e:0)
$LAST_CPU: b:0 ()" "port.set core moves and pins"
vswctl port set e core=null >/dev/null
assert_eq "$(layout)" "0: d:0 e:0 ()
$LAST_CPU: b:0 ()" "port.set core=null unpins (already balanced)"
vswctl port add name=f type=vhost-user network=lan path=f.sock >/dev/null
assert_eq "$(layout)" "0: d:0 e:0 ()
$LAST_CPU: b:0 f:0 ()" "a new port goes to the less busy worker"
set +e
out=$(vswctl port set b core=5 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "core that is not a worker"
assert_contains "$out" "core" "error message"

# Traffic g1 -> g2 (testpmd guests) while worker cores go and come.
vswctl port del d >/dev/null
vswctl port del f >/dev/null
vswctl port add name=g1 type=vhost-user network=lan path=g1.sock >/dev/null
vswctl port add name=g2 type=vhost-user network=lan path=g2.sock >/dev/null
M1=02:00:00:00:71:01 M2=02:00:00:00:71:02
tp_guest g1 $M1 $M2
tp_guest g2 $M2 $M1
wait_links_up 2 30
tp_cmd g1 "start"
tp_cmd g2 "start tx_first 1"
wait_stat g1 RX-packets 32 30
for i in $(seq 6); do
	tp_cmd g1 "stop"
	tp_cmd g1 "start tx_first 1"
	case $i in
	2) vswctl config set "cores=[$LAST_CPU]" >/dev/null
	   assert_eq "$(layout)" "$LAST_CPU: b:0 e:0 g1:0 g2:0 ()" "all queues on the one worker left" ;;
	4) vswctl config set "cores=[0, $LAST_CPU]" >/dev/null ;;
	esac
	sleep 0.3
done
wait_stat g2 RX-packets $((6 * 32)) 30
[[ "$(layout)" == *"0: "*"$LAST_CPU: "* ]] || fail "second worker back: $(layout)"
n0=$(vswctl --json core list | python3 -c 'import json,sys; print([len(w["queues"]) for w in json.load(sys.stdin) if w["core"] == 0][0])')
assert_eq "$n0" 2 "queues re-spread to the added worker"
set +e
out=$(vswctl config set "cores=[]" 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "no cores"
vswctl port set e core=$LAST_CPU >/dev/null
out=$(vswctl config set "cores=[0]" 2>&1) && fail "removing a core a port is pinned to was accepted" || true
assert_contains "$out" "core" "error names the pinned core"

# Daemon settings.
vswctl config set control_socket_mode=0600 >/dev/null
assert_eq "$(stat -c %a "$VSW_SOCK")" 600 "control socket mode"
vswctl config set log_level=debug >/dev/null
assert_contains "$(vswctl config dump)" "log_level: debug" "log level in config.dump"
set +e
out=$(vswctl config set memory=1024 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "memory change"
assert_contains "$out" "restart vswd" "memory message"
echo keep >"$T/not-a-socket"
set +e
out=$(vswctl config set control_socket="$T/not-a-socket" 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "control socket onto a regular file"
assert_contains "$out" "is not a socket" "error message"
assert_eq "$(cat "$T/not-a-socket")" keep "the file is left alone"
vswctl config set control_socket="$RUN/ctl2.sock" >/dev/null
wait_for "old control socket gone" 10 bash -c "! test -e '$VSW_SOCK'"
VSW_SOCK=$RUN/ctl2.sock
assert_contains "$(vswctl config dump)" "ctl2.sock" "control socket moved"
echo "ok"
