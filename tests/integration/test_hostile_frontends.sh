#!/usr/bin/env bash
# A frontend that tries to take vswd down, beside two testpmd guests that
# must keep being served: a pipe as a call fd (refused: it would block a
# worker); an eventfd made blocking and full behind vswd's back (the worker
# stuck writing to it is interrupted, that queue breaks, the control thread
# still answers and can remove the port); a memory file shrunk under running
# queues (the SIGBUS is absorbed, that connection closed). After each, the
# guests' frames still arrive, every one of them.
source "$(dirname "$0")/lib.sh"

HOSTILE="python3 $TOP/tests/integration/hostile_frontend.py"
M1=02:00:00:00:51:01
M2=02:00:00:00:51:02
start_bridge hf g1 g2 h
tp_guest g1 "$M1" "$M2"
tp_guest g2 "$M2" "$M1"
wait_links_up 2 30
tp_cmd g2 "start"

# burst: g1 sends 32 frames to g2; all of them arrive.
got=0
burst() {
	tp_cmd g1 "start tx_first 1"
	got=$((got + 32))
	wait_stat g2 RX-packets "$got" 20
	tp_cmd g1 "stop"
	kill -0 "$VSWD_PID" || fail "vswd died ($1)"
}
burst "before"

log "a pipe as the TX queue's call fd"
out=$(timeout 30 $HOSTILE "$RUN/h.sock" pipe-call) || fail "pipe call fd: $out"
assert_contains "$out" "refused"
assert_contains "$(cat "$T/hf.log")" "the call fd is pipe:[" "vswd's log"
burst "pipe call fd"

log "a memory file shrunk under running queues"
out=$(timeout 30 $HOSTILE "$RUN/h.sock" shrink-mem) || fail "shrunk memory: $out"
assert_contains "$out" "refused"
assert_contains "$(cat "$T/hf.log")" "port h: a guest memory file shrank under its mapping" "vswd's log"
burst "shrunk memory"

log "an eventfd made blocking and full after vswd took it"
$HOSTILE "$RUN/h.sock" blocking-call >"$T/blocking.out" 2>&1 &
hpid=$!
track_pid $hpid
wait_for "the hostile frames" 20 grep -q "^sent" "$T/blocking.out"
wait_for "the watchdog" 20 grep -q "notification write has not returned" "$T/hf.log"
wait_for "the queue broken" 10 grep -q "h txq0: queue stopped.*was interrupted" "$T/hf.log"
burst "blocked call fd"
# The control thread is not stuck behind the worker: it answers, and
# removing the port (which waits for the workers) completes.
timeout 10 "$VSWCTL" -s "$VSW_SOCK" port show h >/dev/null || fail "port show h hung or failed"
timeout 20 "$VSWCTL" -s "$VSW_SOCK" port del h >/dev/null || fail "port del h hung or failed"
stop_pid $hpid 5 || true
burst "after removing h"
assert_eq "$(tp_port_stat g1 RX-packets)" 0 "g1 RX (nothing was sent to it)"

log "vswd stops cleanly"
stop_pid "$VSWD_PID" 10
rc=$?
assert_eq "$rc" 0 "vswd exit status"
