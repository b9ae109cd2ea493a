#!/usr/bin/env bash
# The control socket under abuse (ctl_abuse.py, one case at a time): 1000
# clients at once, clients that stall mid-request, 10 MB requests, clients
# that flood requests and never read, and accept() at EMFILE. For each case
# the daemon's fds and RSS come back to their baseline, vswctl is answered
# throughout, and two testpmd guests keep bouncing packets through the bridge.
source "$(dirname "$0")/lib.sh"
log "start"

cfg=$(write_config abuse <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lan, mode: bridge }
ports:
  - { name: g1, type: vhost-user, network: lan, path: g1.sock }
  - { name: g2, type: vhost-user, network: lan, path: g2.sock }
CFG
)
start_vswd abuse "$cfg"
RUN=$T/run-abuse
VSW_SOCK=$RUN/vsw.sock
wait_for "vswd" 20 test -S "$RUN/g2.sock"
wait_for "control socket" 10 test -S "$VSW_SOCK"

# Two guests in mac-forwarding mode, each addressing the other: a burst sent
# once keeps bouncing between them through vsw for as long as both forward.
M1=02:00:00:00:61:01 M2=02:00:00:00:61:02
for g in g1 g2; do
	[[ $g == g1 ]] && { me=$M1; peer=$M2; } || { me=$M2; peer=$M1; }
	tp_start $g "net_virtio_user0,path=$RUN/$g.sock,mac=$me,queue_size=256" \
		--forward-mode=mac --eth-peer=0,$peer --txpkts=64
done
wait_links_up 2 30
tp_cmd g2 "start"
tp_cmd g1 "start tx_first 1"
wait_for "packets bouncing" 20 bash -c "[[ \$('$VSWCTL' -s '$VSW_SOCK' --json port stats g2 |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[\"tx_packets\"])') -gt 1000 ]]"

delivered() { # packets vsw delivered to g2 so far
	vswctl --json port stats g2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["tx_packets"])'
}

# Every case runs even when one fails, so one run shows them all.
failed=()
for c in conns stall big flood nofile; do
	log "case $c"
	before=$(delivered)
	python3 "$(dirname "$0")/ctl_abuse.py" "$VSW_SOCK" "$VSWD_PID" "$VSWCTL" $c || failed+=("$c")
	kill -0 "$VSWD_PID" || fail "vswd died in case $c"
	mid=$(delivered)
	sleep 0.5
	after=$(delivered)
	log "dataplane: g2 got $((mid - before)) packets during case $c, $((after - mid)) in 0.5 s after"
	((mid > before)) || fail "no packets forwarded during case $c"
	((after > mid)) || fail "packets stopped after case $c"
done

# No drops in the bridge from any of this: the bouncing burst is intact.
for g in g1 g2; do assert_contains "$(vswctl --json port stats $g)" '"drops": 0' "$g drops"; done
# Abusive clients are logged, but not one line each: 1000 connections, 210
# oversized requests and the rest would otherwise be over a thousand lines.
warn=$(grep -c "vsw.control" "$T/abuse.log" || true)
log "vswd logged $warn control lines:"
grep "vsw.control" "$T/abuse.log" | sort | uniq -c | sort -rn | head -20
((warn < 100)) || fail "the control socket flooded the log ($warn lines)"
((${#failed[@]} == 0)) || fail "control socket cases failed: ${failed[*]}"
echo "ok"
