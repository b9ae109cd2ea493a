#!/usr/bin/env bash
# Soak: vswd leaks nothing when a vhost-user frontend dies mid-traffic.
#
# usage: tools/soak/soak.sh [-n CYCLES] [--qemu] [--rss-slack KIB]
#   Run as root, under the shared lock:
#     flock /tmp/vsw-dpdk.lock tools/soak/soak.sh            (100 cycles, ~4 min)
#     flock /tmp/vsw-dpdk.lock tools/soak/soak.sh --qemu -n 5
#   VSW_BUILD (default ./build) names the build to test.
#
# testpmd mode (default): one bridge, three vhost-user ports with static
# MACs. Guests are dpdk-testpmd net_virtio_user frontends on CPU 0 (vswd's
# worker has the last CPU), each a macswap loop started by tx_first:
#   g1 <-> g2      128 frames of 64 bytes, one descriptor each: the
#                  copy-once path both ways
#   victim <-> g2  64 frames of 64 to 1500 bytes in chained descriptors:
#                  the victim's mbufs hold 64 bytes, so a frame is 1 to 24
#                  segments (chosen at random), g2's 1024; chains of up to
#                  20 pieces are copied once, longer ones go as mbufs
#                  through the bridge
# A loop carries a fixed number of frames, so no ring can overflow and no
# drop on g1 or g2 is allowed. Each cycle: the victim is (re)started, its
# frames flow, it is SIGKILLed at a random moment mid-traffic, vswd must
# report its link down, and g2 sends it 32 two-segment frames (for a port
# whose frontend is gone: counted as drops). One warm-up cycle first;
# then the loops are paused, counters cleared and vswd's figures taken (the
# baseline, victim gone), the loops resumed; after the last cycle the same
# pause and figures, and the counts: every frame g1 and g2 sent was accepted
# and delivered, g2 got all of g1's, g2's went to g1 or the victim.
#
# --qemu: the victim is a QEMU test guest (tools/guest/launch.sh, TCG when
# KVM does not boot) that runs iperf3 TCP to a second guest, the peer, which
# pings it back every 20 ms; the victim's QEMU is SIGKILLed mid-transfer and
# booted again. The peer's QEMU runs throughout and must answer the last
# victim. No testpmd in this mode: busy pollers on CPU 0 starve TCG guests.
#
# Figures of vswd (its /proc entry and pool.list) compared with the baseline:
#   fds, maps, threads, mbufs in use   exactly equal
#   VmRSS                              within --rss-slack KiB (default 1024)
#     RssAnon and RssShmem are shown too. Why a slack: RssShmem counts the
#     pages of live guests' memory (QEMU's memfd) that vswd has touched, and
#     that grows as a guest puts its buffers in new places (+196 KiB over 2
#     QEMU cycles here, RssAnon +0); glibc and DPDK keep freed heap memory,
#     so RssAnon may move by a few pages with the order of frees. A leak of
#     10 KiB per cycle still fails a 100-cycle run; fds and maps catch a
#     guest mapping or descriptor left behind exactly, in any run.
# Exit status 0 when every figure and count holds, 1 otherwise (FAIL line).
set -euo pipefail
source "$(cd "$(dirname "$0")/../.." && pwd)/tests/integration/lib.sh"

CYCLES=100 QEMU_MODE=0 RSS_SLACK=1024
while [[ $# -gt 0 ]]; do
	case $1 in
	-n | --cycles) CYCLES=$2; shift ;;
	--qemu) QEMU_MODE=1 ;;
	--rss-slack) RSS_SLACK=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "soak.sh: unknown option $1 (--help)" >&2; exit 2 ;;
	esac
	shift
done
[[ $CYCLES =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: -n needs a positive number" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || skip "the soak needs root (hugepages, vswd)"

# --- vswd's figures ---------------------------------------------------------------
# vsw_stat PORT KEY: a counter of port.stats (rx_packets, tx_packets, drops
# or a drop reason), since the last clear-stats.
vsw_stat() {
	vswctl --json port stats "$1" | python3 -c 'import json,sys
s = json.load(sys.stdin); k = sys.argv[1]
print(s[k] if k in s else s["drops_by_reason"][k])' "$2"
}
vsw_stat_ge() { (($(vsw_stat "$1" "$2") >= $3)); }
drops_of() { # PORT: "N (reason n, ...)"
	vswctl --json port stats "$1" | python3 -c 'import json,sys
s = json.load(sys.stdin); r = ", ".join("%s %d" % kv for kv in s["drops_by_reason"].items() if kv[1])
print(s["drops"], "(%s)" % r if r else "")'
}
link_is() { vswctl --json port show "$1" | grep -q "\"link\": \"$2\""; }

# figures: "fds maps threads mbufs_in_use rss rss_anon rss_shmem" (KiB) of vswd.
figures() {
	local mb fds prev=-1 i
	kill -0 "$VSWD_PID" 2>/dev/null || fail "vswd (pid $VSWD_PID) is gone"
	mb=$(vswctl --json pool list | python3 -c 'import json,sys; print(sum(p["in_use"] for p in json.load(sys.stdin)))')
	# vswctl's connection closes a moment after it exits: until the count holds.
	for ((i = 0; i < 50; i++)); do
		fds=$(find "/proc/$VSWD_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
		[[ $fds == "$prev" ]] && break
		prev=$fds
		sleep 0.3
	done
	echo "$fds $(wc -l <"/proc/$VSWD_PID/maps") $(awk '/^Threads:/ { print $2 }' "/proc/$VSWD_PID/status") $mb" \
		"$(awk '/^(VmRSS|RssAnon|RssShmem):/ { printf "%s ", $2 }' "/proc/$VSWD_PID/status")"
}

# report BASELINE AFTER: the table, then the assertions on it.
report() {
	local -a b=($1) a=($2) names=(fds maps threads "mbufs in use" "VmRSS KiB" "RssAnon KiB" "RssShmem KiB")
	local i bad=()
	printf '%-14s %10s %10s %8s  %s\n' figure baseline after delta rule
	for i in 0 1 2 3 4 5 6; do
		local rule="equal"
		((i == 4)) && rule="within $RSS_SLACK KiB"
		((i >= 5)) && rule="(shown)"
		printf '%-14s %10s %10s %+8d  %s\n' "${names[i]}" "${b[i]}" "${a[i]}" $((a[i] - b[i])) "$rule"
		if ((i <= 3)) && [[ ${a[i]} != "${b[i]}" ]]; then bad+=("${names[i]} ${b[i]} -> ${a[i]}"); fi
	done
	((a[4] - b[4] <= RSS_SLACK)) || bad+=("VmRSS grew by $((a[4] - b[4])) KiB")
	((${#bad[@]} == 0)) || fail "vswd did not come back to its baseline after $CYCLES cycles: ${bad[*]}"
}

# --- testpmd mode ---------------------------------------------------------------------
M1=02:00:00:00:50:01
M2=02:00:00:00:50:02
MV=02:00:00:00:50:03
POP_A=4 POP_V=2 # tx_first bursts of 32: the loops' sizes
# 23 segments of 64 bytes and one of 28: a 1500-byte frame in 24 pieces.
VICTIM_SEGS=$(printf '64,%.0s' {1..23})28

tp_pid() { eval "echo \${_TP_PID_$1:-}"; }

victim_start() {
	local fd
	eval "fd=\${_TP_FD_victim:-}"
	[[ -z "$fd" ]] || exec {fd}>&-
	rm -f "$T/victim.in"
	tp_start victim "net_virtio_user0,path=$RUN/victim.sock,mac=$MV,queue_size=1024" \
		--forward-mode=macswap --eth-peer=0,$M2 --txpkts=$VICTIM_SEGS --mbuf-size=192 \
		--enable-scatter --no-flush-rx
	wait_for "victim link up" 30 link_is victim up
	tp_cmd victim "set txsplit rand"
	tp_cmd victim "start tx_first $POP_V"
}

# victim_kill: once its frames flow, SIGKILL at a random moment; vswd must
# take the link down and live on.
victim_kill() {
	local pid since
	since=$(vsw_stat victim rx_packets)
	wait_for "the victim's frames" 30 vsw_stat_ge victim rx_packets $((since + 1000))
	sleep "0.$((RANDOM % 10))"
	pid=$(tp_pid victim)
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	untrack_pid "$pid"
	eval "_TP_PID_victim="
	wait_for "victim link down" 30 link_is victim down
	kill -0 "$VSWD_PID" 2>/dev/null || fail "vswd died when the victim was killed"
	# Frames for the dead victim: dropped, counted.
	tp_cmd g2 stop
	tp_cmd g2 "start tx_first 1"
}

# pause_loops: g1 stops; g2 forwards what it has left (to g1's ring and the
# dead victim) until nothing moves; then g2 stops. vswd then holds nothing.
pause_loops() {
	local prev="" now i
	tp_cmd g1 stop
	for ((i = 0; i < 100; i++)); do
		sleep 0.3
		now="$(tp_port_stat g2 RX-packets) $(vsw_stat g2 tx_packets) $(vsw_stat g1 rx_packets)"
		[[ "$now" == "$prev" ]] && break
		prev=$now
	done
	[[ "$now" == "$prev" ]] || fail "traffic did not settle after g1 stopped"
	tp_cmd g2 stop
}

soak_testpmd() {
	local cfg i t0 base after
	cfg=$(write_config soak <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks: [{ name: lan, mode: bridge }]
ports:
  - { name: g1, type: vhost-user, network: lan, path: g1.sock, macs: ["$M1"] }
  - { name: g2, type: vhost-user, network: lan, path: g2.sock, macs: ["$M2"] }
  - { name: victim, type: vhost-user, network: lan, path: victim.sock, macs: ["$MV"] }
CFG
)
	RUN=$T/run-soak
	VSW_SOCK=$RUN/vsw.sock
	start_vswd soak "$cfg"
	wait_for "vswd's sockets" 20 test -S "$RUN/victim.sock"
	tp_start g1 "net_virtio_user0,path=$RUN/g1.sock,mac=$M1,queue_size=1024" \
		--forward-mode=macswap --eth-peer=0,$M2 --txpkts=64 --no-flush-rx
	tp_start g2 "net_virtio_user0,path=$RUN/g2.sock,mac=$M2,queue_size=1024" \
		--forward-mode=macswap --eth-peer=0,$MV --txpkts=32,32 --mbuf-size=1024 \
		--enable-scatter --no-flush-rx
	wait_links_up 2 30
	tp_cmd g2 start
	tp_cmd g1 "start tx_first $POP_A"

	log "warm-up cycle"
	victim_start
	victim_kill
	pause_loops
	# The g1 <-> g2 frames now wait in g1's ring: delivered before the
	# counters are cleared, taken in by g1 after.
	G1_RING=$(($(vsw_stat g1 tx_packets) - $(tp_port_stat g1 RX-packets)))
	for p in g1 g2 victim; do vswctl port clear-stats $p >/dev/null; done
	tp_cmd g1 "clear port stats all"
	tp_cmd g2 "clear port stats all"
	base=$(figures)
	tp_cmd g2 start
	tp_cmd g1 start
	wait_for "g1 <-> g2 after the pause" 30 vsw_stat_ge g1 rx_packets 1

	t0=$SECONDS
	for ((i = 1; i <= CYCLES; i++)); do
		local g1rx
		g1rx=$(vsw_stat g1 rx_packets)
		victim_start
		victim_kill
		((i % 10 == 0 || i == CYCLES)) &&
			log "cycle $i/$CYCLES ($((SECONDS - t0)) s): g1 -> g2 $(vsw_stat g1 rx_packets) frames so far"
		# The g1 <-> g2 loop lives on through every kill.
		wait_for "g1 <-> g2 in cycle $i" 30 vsw_stat_ge g1 rx_packets $((g1rx + 1))
	done

	pause_loops
	# g1 takes in what g2 sent it last, forwarding nothing.
	tp_cmd g1 "set fwd rxonly"
	tp_cmd g1 start
	local want
	want=$(($(vsw_stat g1 tx_packets) + G1_RING))
	wait_stat g1 RX-packets "$want" 30
	tp_cmd g1 stop
	after=$(figures)

	# --- counts: nothing vswd accepted for g1 or g2 was lost -----------------------
	local g1tx g1rx g2tx g2rx v1rx v1tx v2rx v2tx vrx vtx vdrop
	g1tx=$(tp_port_stat g1 TX-packets) g1rx=$(tp_port_stat g1 RX-packets)
	g2tx=$(tp_port_stat g2 TX-packets) g2rx=$(tp_port_stat g2 RX-packets)
	v1rx=$(vsw_stat g1 rx_packets) v1tx=$(vsw_stat g1 tx_packets)
	v2rx=$(vsw_stat g2 rx_packets) v2tx=$(vsw_stat g2 tx_packets)
	vrx=$(vsw_stat victim rx_packets) vtx=$(vsw_stat victim tx_packets) vdrop=$(vsw_stat victim drops)
	echo "counts since the baseline (frames):"
	printf '  %-7s %12s %12s %12s %12s  %s\n' port "guest sent" "vsw rx" "vsw tx" "guest got" "vsw drops"
	printf '  %-7s %12s %12s %12s %12s  %s\n' g1 "$g1tx" "$v1rx" "$v1tx" "$g1rx" "$(vsw_stat g1 drops)"
	printf '  %-7s %12s %12s %12s %12s  %s\n' g2 "$g2tx" "$v2rx" "$v2tx" "$g2rx" "$(vsw_stat g2 drops)"
	printf '  %-7s %12s %12s %12s %12s  %s\n' victim "-" "$vrx" "$vtx" "-" "$(drops_of victim)"
	echo "  (g1 got the $G1_RING frames in its ring at the baseline too)"
	echo "  g1 -> g2: vsw accepted $v1rx from g1; g2 got $((g2rx - vrx)) of them (all it got, $g2rx, less the victim's $vrx)"
	report "$base" "$after"
	assert_eq "$(vsw_stat g1 drops)" 0 "vsw drops on g1"
	assert_eq "$(vsw_stat g2 drops)" 0 "vsw drops on g2"
	assert_eq "$v1rx" "$g1tx" "frames vsw accepted from g1 vs g1 sent"
	assert_eq "$v2rx" "$g2tx" "frames vsw accepted from g2 vs g2 sent"
	assert_eq "$g1rx" "$((v1tx + G1_RING))" "frames g1 got vs vsw delivered to g1 (+ $G1_RING in its ring at the baseline)"
	assert_eq "$g2rx" "$v2tx" "frames g2 got vs vsw delivered to g2"
	assert_eq "$(vsw_stat victim no_destination) $(vsw_stat victim bad_packet)" "0 0" \
		"victim frames vsw refused at ingress"
	assert_eq "$((g2rx - vrx))" "$v1rx" "g1's frames g2 got (g2's total less the victim's) vs vsw accepted from g1"
	assert_eq "$v2rx" "$((v1tx + vtx + vdrop))" "g2's frames: to g1 + to the victim + dropped at the victim"
	((v1rx > 0 && vrx > 0)) || fail "no traffic to speak of: g1 $v1rx, victim $vrx"
	((vdrop >= 32 * CYCLES)) || fail "fewer frames for the dead victim than g2 sent it: $vdrop"
	# Both paths carried frames: copy-once and mbufs through the bridge.
	local paths
	paths=$(vswctl --json core list | python3 -c 'import json,sys
c = json.load(sys.stdin); print(sum(w["packets"] for w in c), sum(w["direct_packets"] for w in c))')
	set -- $paths
	log "vswd's worker: $1 frames since start, $2 copy-once, $(($1 - $2)) as mbufs"
	(($2 > 0 && $1 - $2 > 0)) || fail "one of the paths carried nothing: $paths"
	log "testpmd soak: $CYCLES victim kills, nothing lost between g1 and g2, vswd back at its baseline"
}

# --- QEMU mode -------------------------------------------------------------------------
GUEST=$TOP/tools/guest
PEER_IP=10.233.9.1 VICTIM_IP=10.233.9.2

# qguest NAME SOCKET IP CMD: boots a test guest on CPU 0 in the background;
# console $T/NAME.log, QEMU's pid in $T/NAME.qpid.
qguest() {
	local name=$1
	rm -f "$T/$name.qpid" "$T/$name.log"
	taskset -c 0 "$GUEST/launch.sh" --name "vsw-soak-$name" --timeout 0 --socket "$2" \
		--ip "$3/24" --log "$T/$name.log" --pidfile "$T/$name.qpid" --cmd "$4" \
		>"$T/$name-launch.log" 2>&1 &
	eval "_QL_$name=$!"
	track_pid $!
	wait_for "$name's QEMU" 30 test -s "$T/$name.qpid"
	track_pid "$(cat "$T/$name.qpid")"
}

# The victim sends iperf3 TCP to the peer (a new test whenever one ends,
# e.g. when the peer's server still holds the last victim's); the peer pings
# the victim every 20 ms from boot to the end.
PEER_CMD="iperf3 -s --rcv-timeout 2000 >/dev/null 2>&1 & exec ping -q -i 0.02 $VICTIM_IP"
VICTIM_CMD="while :; do iperf3 -c $PEER_IP -t 3600 >/dev/null 2>&1; sleep 0.3; done"

qvictim_start() {
	qguest victim "$RUN/victim.sock" "$VICTIM_IP" "$VICTIM_CMD"
	wait_for "victim link up" 60 link_is victim up
}

qvictim_kill() {
	local q l since
	since=$(vsw_stat victim rx_packets)
	wait_for "the victim's iperf3 stream" 90 vsw_stat_ge victim rx_packets $((since + 5000))
	sleep "0.$((RANDOM % 10))"
	q=$(cat "$T/victim.qpid")
	eval "l=\$_QL_victim"
	kill -KILL "$q"
	wait "$l" 2>/dev/null || true # the launcher ends when its QEMU does
	untrack_pid "$q"
	untrack_pid "$l"
	wait_for "victim link down" 30 link_is victim down
	kill -0 "$VSWD_PID" 2>/dev/null || fail "vswd died when the victim's QEMU was killed"
}

soak_qemu() {
	local i t0 base after peerq
	guest_ready
	log "QEMU guests under $ACCEL"
	start_bridge qsoak peer victim
	qguest peer "$RUN/peer.sock" "$PEER_IP" "$PEER_CMD"
	peerq=$(cat "$T/peer.qpid")
	wait_for "peer link up" 60 link_is peer up

	log "warm-up cycle"
	qvictim_start
	qvictim_kill
	for p in peer victim; do vswctl port clear-stats $p >/dev/null; done
	base=$(figures)
	t0=$SECONDS
	for ((i = 1; i <= CYCLES; i++)); do
		qvictim_start
		qvictim_kill
		log "cycle $i/$CYCLES ($((SECONDS - t0)) s): victim -> peer $(vsw_stat victim rx_packets) frames so far"
	done
	after=$(figures)

	echo "counts since the baseline (frames):"
	for p in peer victim; do
		echo "  $p: vsw rx $(vsw_stat $p rx_packets), tx $(vsw_stat $p tx_packets), drops $(drops_of $p)"
	done
	report "$base" "$after"
	# The peer lived through it all and answers a victim booted once more.
	kill -0 "$peerq" 2>/dev/null || fail "the peer's QEMU died"
	qguest victim "$RUN/victim.sock" "$VICTIM_IP" "ping -c 3 -W 2 $PEER_IP"
	local rc=0 l
	eval "l=\$_QL_victim"
	wait "$l" || rc=$?
	untrack_pid "$l"
	untrack_pid "$(cat "$T/victim.qpid")"
	[[ $rc -eq 0 ]] || fail "a new victim cannot ping the peer ($rc): $(tr -d '\r' <"$T/victim.log" | tail -n 8)"
	[[ $(tr -d '\r' <"$T/peer.log" | grep -c '^VSW-GUEST-READY') -eq 1 ]] || fail "the peer booted more than once"
	log "QEMU soak: $CYCLES victim QEMU kills, the peer answers the next victim, vswd back at its baseline"
}

if [[ $QEMU_MODE -eq 1 ]]; then soak_qemu; else soak_testpmd; fi
stop_pid "$VSWD_PID" || fail "vswd did not stop cleanly"
echo "ok"
