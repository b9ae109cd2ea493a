#!/usr/bin/env bash
# TCP between two QEMU guests (tools/guest) through a switch: iperf3 from
# guest A to guest B, on these switches, repetitions interleaved:
#
#   vsw        vsw, offloads on (the default: CSUM, GUEST_CSUM, HOST/GUEST_TSO4/6, ECN)
#   vsw-nooff  vsw, ports with disable_features: [csum, guest_csum] (which
#              also takes TSO and ECN away: they need the checksums)
#   ovs        Open vSwitch 3.1 with DPDK, other_config:userspace-tso-enable=true,
#              a NORMAL bridge with two dpdkvhostuserclient ports (QEMU is
#              the server: OVS 3.1 does TSO only on these, see start_ovs_common)
#   ovs-nooff  (only with -o) the same with userspace-tso-enable=false: OVS
#              then offers neither checksum offloads nor TSO
#
# Every measurement starts the switch and boots both guests afresh (QEMU's
# virtio-net-pci offload defaults are all on; guest memory is a shared memfd),
# so each switch negotiates its own features with new guests.
#
# CPU placement (2 CPUs here):
#   CPU 1 (-c)  the switch's polling thread: vsw's worker (cores: [1]), OVS's
#               PMD (pmd-cpu-mask). Nothing else runs there.
#   CPU 0 (-g)  both QEMUs (all their threads: the TCG vCPU and the main loop
#               that turns call eventfds into interrupts under TCG), the
#               switch's control threads (vsw's main lcore, OVS's main thread
#               with dpdk-lcore-mask, ovsdb-server) and this script.
# Under TCG the guests are the bottleneck: sender and receiver share CPU 0, so
# Gbit/s says how many guest cycles a byte costs through each switch, which is
# what offloads change (no checksum loops, 64 KB frames instead of 1500-byte
# ones); the switch has a CPU of its own, as a deployment would give it, and
# its busy share says how much of it the run took. Every switch gets the same
# placement, and a guest never competes with a busy poller.
#
# Per run: iperf3 -t SECONDS -O 1 (the first second, slow start, is left
# out); the window for the CPU figures starts when the guest prints its
# omitted second and lasts SECONDS - 1 s. Reported: Gbit/s (iperf3's
# receiver line), the switch's busy share (vsw: core.list busy/(busy+idle)
# cycles; OVS: pmd-stats-show "processing cycles" %), each QEMU's CPU% from
# /proc/PID/stat (utime+stime) over the window. Each guest prints its
# offloads (ethtool -k), and each switch port the features its guest
# negotiated, its average frame size (TSO: tens of KB) and its drops, so the
# output shows offloads were on or off as meant. In the first repetition A
# also sends B an 8 MB file of random bytes (busybox nc) and both print its
# md5sum: a difference is reported as CORRUPT and the script exits 1.
# TCPBENCH_KEEP=1 keeps the work directory (consoles, switch logs).
#
# The machine may be shared: "others" is the CPU time (in % of one CPU) that
# everything else took during the window (all CPUs' busy time less the QEMUs'
# and the switch's). A run with others above -q % (25) is done again, up to
# -n tries (3), and the discarded ones are printed as comments.
#
# Usage: tools/bench/tcp_bench.sh [-r REPS] [-t SECONDS (5)] [-o "vsw vsw-nooff ovs"]
#                                 [-g GUEST_CPU (0)] [-c SWITCH_CPU (1)] [-q OTHERS%] [-n TRIES]
# Needs root, QEMU, the test guest (built here), hugepages for the switches,
# and openvswitch-switch-dpdk for ovs. Run it under the shared lock.
# A benchmark, not a test: it prints figures and asserts only the data.
set -euo pipefail

REPS=3 SECS=5 ONLY="vsw vsw-nooff ovs" GCPU=0 SCPU=1 QUIET=25 TRIES=3
while getopts "r:t:o:g:c:q:n:h" o; do
	case $o in
	r) REPS=$OPTARG ;; t) SECS=$OPTARG ;; o) ONLY=$OPTARG ;; g) GCPU=$OPTARG ;; c) SCPU=$OPTARG ;;
	q) QUIET=$OPTARG ;; n) TRIES=$OPTARG ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
[[ "$SECS" =~ ^[0-9]+$ && $SECS -ge 3 ]] || { echo "tcp_bench: -t needs at least 3 s" >&2; exit 2; }

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${VSW_BUILD:-$TOP/build}
VSWD=$BUILD/src/vswd
VSWCTL=$BUILD/tools/vswctl
GUEST=$TOP/tools/guest
W=$(mktemp -d /tmp/vsw-tcpbench.XXXXXX)
PIDS=()
source "$TOP/tools/bench/ovs_lib.sh"
OVS_DIR=$W/ovs OVS_CTL_CPU=$GCPU OVS_PMD_CPU=$SCPU OVS_PREFIX=tcpbench-ovs-$$
ovs_track() { PIDS+=("$1"); }
IPA=10.233.14.11 IPB=10.233.14.12
GUEST_TMO=$((SECS + 150))

stop_pid() { # PID: TERM, up to 5 s, KILL
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# Launchers and switches by pid; QEMUs by their pid files should a launcher
# have gone first.
stop_all() {
	local p q
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	PIDS=()
	for q in "$W"/*.qpid; do
		[[ -f $q ]] || continue
		p=$(cat "$q")
		grep -q qemu "/proc/$p/cmdline" 2>/dev/null && stop_pid "$p"
		rm -f "$q"
	done
	ovs_forget_dpdk
	return 0
}
cleanup() {
	set +e
	stop_all
	[[ -n "${TCPBENCH_KEEP:-}" ]] && echo "tcp_bench: kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # seconds command...
	local s=$1 i
	shift
	for ((i = 0; i < s * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "tcp_bench: timed out waiting for: $*" >&2
	return 1
}

[[ $(id -u) -eq 0 ]] || { echo "tcp_bench: needs root" >&2; exit 2; }
"$TOP/tools/bench/deps.sh" >/dev/null
"$GUEST/build.sh" >/dev/null
ACCEL=$("$GUEST/launch.sh" --probe) || { echo "tcp_bench: no guest boots here" >&2; exit 1; }
# This script and everything it starts run on the guests' CPU; the switches
# are started with both CPUs and pin their pollers themselves.
taskset -pc "$GCPU" $$ >/dev/null

# --- switches: start_SW sets SOCK0 SOCK1; SW_mark a|b; SW_busy; SW_info -------
start_vsw_common() { # extra port keys
	cat >"$W/vsw.yaml" <<EOF
cores: [$SCPU]
memory: 1024
run_dir: $W/vsw
log_level: warning
networks: [{ name: lan, mode: bridge }]
ports:
  - { name: p0, type: vhost-user, network: lan, path: p0.sock$1 }
  - { name: p1, type: vhost-user, network: lan, path: p1.sock$1 }
EOF
	taskset -c "$GCPU,$SCPU" "$VSWD" -c "$W/vsw.yaml" >"$W/vsw.log" 2>&1 &
	SWPID=$!
	PIDS+=($!)
	wait_for 30 test -S "$W/vsw/p1.sock"
	SOCK0=$W/vsw/p0.sock SOCK1=$W/vsw/p1.sock QROLE=--server
}
start_vsw() { start_vsw_common ""; }
start_vsw-nooff() { start_vsw_common ", disable_features: [csum, guest_csum]"; }
vctl() { "$VSWCTL" -s "$W/vsw/vsw.sock" "$@"; }
vsw_mark() { vctl --json core list >"$W/sw.$1"; }
vsw-nooff_mark() { vsw_mark "$@"; }
vsw_busy() {
	python3 - "$W/sw.a" "$W/sw.b" <<'EOF'
import json, sys
a, b = (json.load(open(f))[0] for f in sys.argv[1:])
busy, idle = b["busy_cycles"] - a["busy_cycles"], b["idle_cycles"] - a["idle_cycles"]
print("%.1f" % (100.0 * busy / (busy + idle) if busy + idle else 0))
EOF
}
vsw-nooff_busy() { vsw_busy; }
# Negotiated offload features per port, the average frame (large with TSO),
# and any drop vsw counted (nonzero counters only).
vsw_info() {
	local p
	for p in p0 p1; do
		{ vctl --json port show "$p"; vctl --json port stats "$p"; } | python3 -c '
import json, sys
dec = json.JSONDecoder()
txt = sys.stdin.read()
s, end = dec.raw_decode(txt)
st, _ = dec.raw_decode(txt[end:].lstrip())
off = {"csum", "guest_csum", "host_tso4", "host_tso6", "host_ecn", "guest_tso4", "guest_tso6", "guest_ecn"}
print("  vsw port %s features: %s; frames from the guest %d, avg %d B; to it %d, avg %d B; drops %d" % (
    sys.argv[1], " ".join(f for f in s["features"] if f in off) or "(no offloads)",
    st["rx_packets"], st["rx_bytes"] // max(st["rx_packets"], 1),
    st["tx_packets"], st["tx_bytes"] // max(st["tx_packets"], 1), st["drops"]))
def flat(d, pre=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from flat(v, pre + k + ".")
        elif v:
            yield "%s%s=%s" % (pre, k, v)
drops = list(flat(s["guest_drops"]))
if drops:
    print("  vsw port %s GUEST DROPS: %s" % (sys.argv[1], " ".join(drops)))
' "$p"
	done
}
vsw-nooff_info() { vsw_info; }

octl() { ovs_appctl "$@"; }
start_ovs() { start_ovs_common true; }
start_ovs-nooff() { start_ovs_common false; }
ovs-nooff_mark() { ovs_mark "$@"; }
ovs-nooff_busy() { ovs_busy; }
ovs-nooff_info() { ovs_info; }
start_ovs_common() { # userspace-tso-enable
	ovs_start other_config:userspace-tso-enable="$1"
	SWPID=$OVS_PID
	# dpdkvhostuserclient: OVS 3.1 gives only these TSO; its dpdkvhostuser
	# (server) ports turn host TSO off ("Linear buffers requested without
	# external buffers") and drop the guests' checksum-offloaded frames
	# ("Packet dropped: No TCP checksum support"). QEMU is the server.
	local i
	for i in 0 1; do
		ovs_add_vhost_client "vhu$i" "$W/ovs/vhu$i.sock"
	done
	SOCK0=$W/ovs/vhu0.sock SOCK1=$W/ovs/vhu1.sock QROLE=--client
}
ovs_mark() {
	ovs_env
	if [[ $1 == a ]]; then
		octl dpif-netdev/pmd-stats-clear >/dev/null
	else
		octl dpif-netdev/pmd-stats-show >"$W/sw.b"
	fi
}
ovs_busy() { # "processing cycles: N (P%)" of the PMD on SCPU
	awk -v c="$SCPU" '/^pmd thread/ { in_pmd = ($0 ~ "core_id " c ":") }
		in_pmd && /processing cycles:/ { gsub(/[()%]/, "", $4); print $4; exit }' "$W/sw.b"
}
# The features the guest negotiated (status:features, decoded), the average
# frame and OVS's drops and vhost retries on each port.
ovs_info() {
	local i
	ovs_env
	for i in vhu0 vhu1; do
		{
			ovs-vsctl --db=unix:"$W/ovs/db.sock" get Interface "$i" status:features
			ovs-vsctl --db=unix:"$W/ovs/db.sock" get Interface "$i" statistics
		} | python3 -c '
import re, sys
f, st = sys.stdin.read().split("\n", 1)
f = int(f.strip().strip("\""), 16)
names = {0: "csum", 1: "guest_csum", 7: "guest_tso4", 8: "guest_tso6", 9: "guest_ecn",
         11: "host_tso4", 12: "host_tso6", 13: "host_ecn"}
st = {k: int(v) for k, v in re.findall(r"([a-z_]+)=(\d+)", st)}
g = lambda k: st.get(k, 0)
print("  ovs port %s features: %s; frames from the guest %d, avg %d B; to it %d, avg %d B; rx_dropped %d tx_dropped %d tx_retries %d" % (
    sys.argv[1], " ".join(n for b, n in sorted(names.items()) if f >> b & 1) or "(no offloads)",
    g("rx_packets"), g("rx_bytes") // max(g("rx_packets"), 1), g("tx_packets"), g("tx_bytes") // max(g("tx_packets"), 1),
    g("rx_dropped"), g("tx_dropped"), g("tx_retries")))
' "$i"
	done
	grep -E '\|(WARN|ERR)\|' "$W/ovs/vswitchd.log" | grep -v deprecated | sed 's/^[^|]*|[^|]*|/  ovs log: /' | head -5
}

# --- guests ------------------------------------------------------------------------
# nstat: the NIC's interrupts and the driver's kicks (virtio_net's
# ethtool -S), printed before and after iperf3: how often each side woke the
# other through the switch.
GFUNCS=$(
	cat <<'EOF'
reach() { i=0; until ping -c 1 -W 1 "$1" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 60 ] || { echo "VSW-B unreachable $1"; return 1; }; done; }
offloads() { echo "VSW-B offloads $(ethtool -k eth0 | grep -E '^(rx-checksumming|tx-checksumming|tcp-segmentation-offload|rx-gro-hw):' | sed 's/: /=/; s/ \[fixed\]//' | tr '\n' ' ')"; }
nstat() { echo "VSW-B nstat $1 $(awk '/virtio/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts) $(ethtool -S eth0 | awk '$1 == "rx_queue_0_kicks:" { r = $2 } $1 == "tx_queue_0_kicks:" { t = $2 } END { print r + 0, t + 0 }')"; }
EOF
)
# B: receives the file (if asked), then serves one iperf3 test. Its nc reads
# a FIFO that never ends: busybox nc shuts its sending half when its stdin
# ends, and the peer then exits at that EOF, in the middle of sending.
guest_b_cmd() { # integrity(0|1)
	cat <<EOF
$GFUNCS
offloads
if [ $1 = 1 ]; then
	mkfifo /tmp/in; exec 3<>/tmp/in
	timeout 120 nc -l -p 5001 <&3 >/tmp/f || exit 1
	exec 3>&-
	echo "VSW-B md5 \$(md5sum </tmp/f) \$(wc -c </tmp/f) bytes"
	rm -f /tmp/f
fi
nstat 0
timeout $((SECS + 120)) iperf3 -s -1 >/dev/null 2>&1 || exit 2
nstat 1
EOF
}
# A: sends the file (if asked), then runs iperf3 to B, retried until B's
# server listens; the interval lines reach the console as they come.
guest_a_cmd() { # integrity(0|1)
	cat <<EOF
$GFUNCS
offloads
reach $IPB || exit 1
if [ $1 = 1 ]; then
	dd if=/dev/urandom of=/tmp/f bs=1M count=8 2>/dev/null
	echo "VSW-B md5 \$(md5sum </tmp/f) \$(wc -c </tmp/f) bytes"
	i=0; until nc -w 5 $IPB 5001 </tmp/f; do i=\$((i + 1)); [ \$i -lt 40 ] || exit 2; sleep 0.5; done
	rm -f /tmp/f
fi
nstat 0
i=0
until iperf3 -c $IPB -t $SECS -O 1 -i 1 -f g --forceflush 2>&1 | tee /tmp/ip.out && grep -q receiver /tmp/ip.out; do
	i=\$((i + 1)); [ \$i -lt 60 ] || exit 3; sleep 0.5
done
nstat 1
EOF
}
boot() { # NAME SOCKET IP CMDFILE
	taskset -c "$GCPU" "$GUEST/launch.sh" --accel "$ACCEL" --name "tcpbench-$1" $QROLE --socket "$2" --ip "$3/24" \
		--timeout "$GUEST_TMO" --log "$W/$1.log" --pidfile "$W/$1.qpid" --cmd-file "$4" \
		>"$W/$1-launch.log" 2>&1 &
	PIDS+=($!)
	eval "LPID_$1=$!"
}
console() { tr -d '\r' <"$W/$1.log"; }
# utime + stime of a process; "x" if it is gone (its column then reads nan).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo x; }
qemu_ticks() { ticks "$(cat "$W/$1.qpid" 2>/dev/null)"; }
# Busy ticks of all CPUs (user nice system irq softirq steal).
all_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# omitted_or_gone: A's iperf3 has printed its omitted second, or A is gone.
omitted_or_gone() { grep -q "(omitted)" "$W/a.log" 2>/dev/null || ! kill -0 "$LPID_a" 2>/dev/null; }
# measure SW INTEGRITY -> "Gbit/s busy% qemuA% qemuB% others%"; details on stderr
measure() {
	local sw=$1 integ=$2 ta0 tb0 ts0 tt0 ta1 tb1 ts1 tt1 t0 t1 rc=0 gbps busy ma mb
	"start_$sw" >&2
	rm -f "$W"/a.log "$W"/b.log "$W"/*.qpid
	guest_b_cmd "$integ" >"$W/b.cmd"
	guest_a_cmd "$integ" >"$W/a.cmd"
	boot b "$SOCK1" "$IPB" "$W/b.cmd"
	boot a "$SOCK0" "$IPA" "$W/a.cmd"
	# The end of the omitted second: the window starts.
	wait_for $((GUEST_TMO - SECS)) omitted_or_gone || true
	if ! grep -q "(omitted)" "$W/a.log" 2>/dev/null; then
		echo "  $sw: no iperf3 output from A; A: $(console a | tail -n 5 | tr '\n' '|') B: $(console b | tail -n 5 | tr '\n' '|')" >&2
		stop_all
		echo "nan nan nan nan nan"
		return
	fi
	"${sw}_mark" a >&2
	ta0=$(qemu_ticks a) tb0=$(qemu_ticks b) ts0=$(ticks "$SWPID") tt0=$(all_ticks) t0=${EPOCHREALTIME/[.,]/}
	sleep $((SECS - 1))
	"${sw}_mark" b >&2
	ta1=$(qemu_ticks a) tb1=$(qemu_ticks b) ts1=$(ticks "$SWPID") tt1=$(all_ticks) t1=${EPOCHREALTIME/[.,]/}
	busy=$("${sw}_busy")
	"${sw}_info" >"$W/info" 2>&1 || true
	wait "$LPID_a" || rc=$?
	[[ $rc -eq 0 ]] || echo "  $sw: guest A ended with $rc: $(console a | tail -n 8 | tr '\n' '|')" >&2
	rc=0
	wait "$LPID_b" || rc=$?
	[[ $rc -eq 0 ]] || echo "  $sw: guest B ended with $rc: $(console b | tail -n 8 | tr '\n' '|')" >&2
	gbps=$(console a | awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Gbits/sec") v = $(i - 1) } END { print v == "" ? "nan" : v }')
	{
		echo "  $sw guest A: $(console a | sed -n 's/^VSW-B offloads //p')"
		echo "  $sw guest B: $(console b | sed -n 's/^VSW-B offloads //p')"
		console a | grep -E 'sender|receiver' | sed "s/^/  $sw iperf3: /"
		for g in a b; do
			console $g | awk -v sw="$sw" -v g="$g" -v t="$((SECS + 1))" '/^VSW-B nstat 0/ { i = $4; r = $5; x = $6 }
				/^VSW-B nstat 1/ { printf "  %s guest %s during iperf3 (about %d s): %d interrupts, %d rx kicks, %d tx kicks\n",
					sw, toupper(g), t, $4 - i, $5 - r, $6 - x }'
		done
		cat "$W/info"
		if [[ $integ == 1 ]]; then
			ma=$(console a | sed -n 's/^VSW-B md5 //p')
			mb=$(console b | sed -n 's/^VSW-B md5 //p')
			if [[ -n "$ma" && "$ma" == "$mb" ]]; then
				echo "  $sw integrity: 8 MB of random bytes A->B, md5 ${ma%% *} both sides"
			else
				echo "  $sw integrity: CORRUPT: A sent ${ma:-nothing}, B got ${mb:-nothing}"
				echo CORRUPT >>"$W/corrupt"
			fi
		fi
	} >&2
	stop_all
	# others: every CPU's busy time less the QEMUs' and the switch's (the
	# switch's poller counts as busy all the time), in % of one CPU.
	awk -v g="$gbps" -v b="${busy:-nan}" -v a0="$ta0" -v a1="$ta1" -v b0="$tb0" -v b1="$tb1" \
		-v s0="$ts0" -v s1="$ts1" -v t="$((tt1 - tt0))" -v us=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
		function pct(v) { return sprintf("%.0f", v / (us / 1e6 * hz / 100)) }
		BEGIN {
		gone = a0 a1 b0 b1 s0 s1 ~ /x/
		printf "%s %s %s %s %s\n", g, b, a0 a1 ~ /x/ ? "nan" : pct(a1 - a0), b0 b1 ~ /x/ ? "nan" : pct(b1 - b0),
			gone ? "nan" : pct(t - (a1 - a0) - (b1 - b0) - (s1 - s0)) }'
}

# Before a run: up to 180 s for 2 s in which the rest of the machine (none
# of ours is running) used less than QUIET % of a CPU.
quiet_wait() {
	local i t0 t1 hz
	hz=$(getconf CLK_TCK)
	for ((i = 0; i < 90; i++)); do
		t0=$(all_ticks)
		sleep 2
		t1=$(all_ticks)
		(((t1 - t0) * 100 / (2 * hz) < QUIET)) && return 0
	done
	echo "# the machine stayed busy for 180 s (others > ${QUIET}%); measuring anyway"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "# TCP guest to guest (iperf3 -t $SECS -O 1), $REPS repetitions, switches: $ONLY; guests under $ACCEL"
echo "# QEMUs and control threads on CPU $GCPU, switch poller on CPU $SCPU"
echo "# rep switch Gbit/s switch-busy% qemuA-cpu% qemuB-cpu% others-cpu%"
for rep in $(seq "$REPS"); do
	for sw in $ONLY; do
		integ=0
		[[ $rep -eq 1 ]] && integ=1
		for try in $(seq "$TRIES"); do
			quiet_wait
			measure "$sw" "$integ" >"$W/r" 2>"$W/detail"
			read -r _ _ _ _ others <"$W/r"
			[[ $try -lt $TRIES && $others != nan && $others -gt $QUIET ]] || break
			echo "# discarded: $rep $sw $(cat "$W/r") (others ${others}% > ${QUIET}%)"
		done
		echo "$rep $sw $(cat "$W/r")" | tee -a "$W/results"
		cat "$W/detail"
	done
done

echo
printf "%-10s %7s  %-20s %6s %7s %7s %7s\n" switch "Gbit/s" "(all reps)" "busy%" "qemuA%" "qemuB%" "others%"
for sw in $ONLY; do
	col() { awk -v s="$sw" -v c="$1" '$2 == s && $c != "nan" { print $c }' "$W/results"; }
	g=$(col 3 | median)
	printf "%-10s %7s  %-20s %6s %7s %7s %7s\n" "$sw" "$g" "($(col 3 | tr '\n' ' ' | sed 's/ $//'))" \
		"$(col 4 | median)" "$(col 5 | median)" "$(col 6 | median)" "$(col 7 | median)"
	eval "G_${sw//-/_}=$g"
done
echo
ratio() { # label numerator denominator
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%s: %.2fx\n", l, a / b; else printf "%s: n/a\n", l }'
}
[[ " $ONLY " == *" vsw "* && " $ONLY " == *" ovs "* ]] && ratio "vsw-offloads / OVS-TSO" "$G_vsw" "$G_ovs"
[[ " $ONLY " == *" vsw "* && " $ONLY " == *" vsw-nooff "* ]] &&
	ratio "vsw-offloads / vsw-no-offloads" "$G_vsw" "$G_vsw_nooff"
if [[ -s "$W/corrupt" ]]; then
	echo "tcp_bench: DATA CORRUPTED on $(wc -l <"$W/corrupt") run(s): see 'integrity' lines above" >&2
	exit 1
fi
exit 0
