#!/usr/bin/env bash
# Switch benchmark: vsw against the two switches users would pick instead,
# with the same generator, in one run, repetitions interleaved.
#
#   generator:  dpdk-testpmd, two net_virtio_user ports, "mac" forwarding with
#               --eth-peer set across, so the switch sees learned unicast; CPU 0
#   under test: vsw (bridge network, two vhost-user ports, worker on CPU 1)
#               testpmd-vhost (two net_vhost ports, io forwarding, CPU 1)
#               ovs (Open vSwitch with DPDK, NORMAL bridge, one PMD on CPU 1)
#
# Every packet the generator receives crossed the switch once, so the
# generator's RX rate is the switch's forwarding rate. Cycles per packet come
# from each switch's own accounting: vsw's core.list (busy TSC cycles /
# packets), testpmd's --record-core-cycles, OVS's pmd-stats-show ("avg
# processing cycles per packet"). Each is measured over the same window.
#
# Sizes are frame sizes on the wire, FCS included (64 and 1518 are the
# smallest and largest standard frames); the generator sends size - 4 bytes.
# Usage: tools/bench/switch_bench.sh [-r REPS] [-s SECONDS] [-z "64 1518"] [-o "vsw testpmd ovs"]
#        [-v ",packed_vq=1"]  (more devargs for the generator's virtio_user ports)
# A benchmark, not a test: it prints figures and ratios and asserts nothing.
set -euo pipefail

REPS=5 SECS=5 SIZES="64 1518" ONLY="vsw testpmd ovs" GEN_VDEV=""
while getopts "r:s:z:o:v:" o; do
	case $o in
	r) REPS=$OPTARG ;; s) SECS=$OPTARG ;; z) SIZES=$OPTARG ;; o) ONLY=$OPTARG ;; v) GEN_VDEV=$OPTARG ;;
	*) echo "usage: $0 [-r REPS] [-s SECONDS] [-z SIZES] [-o SWITCHES] [-v GEN_DEVARGS]" >&2; exit 2 ;;
	esac
done

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${VSW_BUILD:-$TOP/build}
VSWD=$BUILD/src/vswd
VSWCTL=$BUILD/tools/vswctl
"$TOP/tools/bench/deps.sh" >/dev/null
W=$(mktemp -d /tmp/vsw-bench.XXXXXX)
PIDS=()
MAC0=02:00:00:00:00:01
MAC1=02:00:00:00:00:02

cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT

stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	PIDS=()
}

wait_for() { # seconds command...
	local s=$1 i
	shift
	for ((i = 0; i < s * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "bench: timed out waiting for: $*" >&2
	return 1
}

# A testpmd that reads commands from a fifo: tp NAME LCORES VDEV... -- APPARGS
tp() {
	local name=$1 lcores=$2
	shift 2
	local eal=() app=()
	while [[ $# -gt 0 && $1 != -- ]]; do eal+=("--vdev=$1"); shift; done
	[[ $# -gt 0 ]] && shift
	app=("$@")
	rm -f "$W/$name.in"
	mkfifo "$W/$name.in"
	exec {fd}<>"$W/$name.in"
	stdbuf -oL dpdk-testpmd --lcores="$lcores" --main-lcore=0 --no-pci --in-memory --single-file-segments \
		--file-prefix="bench-$name-$$" -m 1024 --log-level='*:warning' "${eal[@]}" \
		-- -i --total-num-mbufs=32768 "${app[@]}" <"$W/$name.in" >"$W/$name.log" 2>&1 &
	PIDS+=($!)
	wait_for 30 grep -q "testpmd>" "$W/$name.log"
}
tpc() { echo "$2" >"$W/$1.in"; }

gen_start() { # SOCK0 SOCK1 SIZE
	tp gen "0@0,1@0" "net_virtio_user0,path=$1,mac=$MAC0,queue_size=1024$GEN_VDEV" \
		"net_virtio_user1,path=$2,mac=$MAC1,queue_size=1024$GEN_VDEV" -- \
		--forward-mode=mac --eth-peer=0,$MAC1 --eth-peer=1,$MAC0 --txpkts="$(($3 - 4))" \
		--nb-cores=1 --rxd=1024 --txd=1024
	wait_for 20 bash -c "grep -c 'Link status' '$W/gen.log' >/dev/null; true"
}

# Total packets the generator received on both ports since its stats were cleared.
gen_rx() {
	local before
	before=$(grep -c "Throughput (since last show)" "$W/gen.log" || true)
	tpc gen "show port stats all"
	wait_for 10 bash -c "[ \$(grep -c 'Throughput (since last show)' '$W/gen.log') -ge $((before + 2)) ]"
	sleep 0.2
	tac "$W/gen.log" | awk '/RX-packets:/ { s += $2; if (++n == 2) { print s; exit } }'
}

start_vsw() {
	cat >"$W/vsw.yaml" <<EOF
cores: [1]
memory: 1024
run_dir: $W/vsw
log_level: warning
networks: [{ name: lan, mode: bridge }]
ports:
  - { name: p0, type: vhost-user, network: lan, path: p0.sock }
  - { name: p1, type: vhost-user, network: lan, path: p1.sock }
EOF
	"$VSWD" -c "$W/vsw.yaml" >"$W/vsw.log" 2>&1 &
	PIDS+=($!)
	wait_for 30 test -S "$W/vsw/p1.sock"
	SOCK0=$W/vsw/p0.sock SOCK1=$W/vsw/p1.sock
}
vsw_cycles_mark() { "$VSWCTL" -s "$W/vsw/vsw.sock" --json core list >"$W/vsw.$1.json"; }
vsw_cycles() {
	python3 - "$W/vsw.a.json" "$W/vsw.b.json" <<'EOF'
import json, sys
a, b = (json.load(open(f))[0] for f in sys.argv[1:])
pk = b["packets"] - a["packets"]
busy = b["busy_cycles"] - a["busy_cycles"]
idle = b["idle_cycles"] - a["idle_cycles"]
rounds = b.get("busy_rounds", 0) - a.get("busy_rounds", 0)
print("%.0f %.0f %.1f" % (busy / pk if pk else 0, 100.0 * idle / (busy + idle) if busy + idle else 0,
                         pk / rounds if rounds else 0))
EOF
}

start_testpmd() {
	tp sw "0@0,1@1" "net_vhost0,iface=$W/tp0.sock" "net_vhost1,iface=$W/tp1.sock" -- \
		--forward-mode=io --nb-cores=1 --record-core-cycles --rxd=1024 --txd=1024
	tpc sw "start"
	SOCK0=$W/tp0.sock SOCK1=$W/tp1.sock
}
testpmd_cycles_mark() {
	if [[ $1 == a ]]; then tpc sw "clear fwd stats all"; return; fi
	local before
	before=$(grep -c "CPU cycles/packet" "$W/sw.log" || true)
	tpc sw "show fwd stats all"
	wait_for 10 bash -c "[ \$(grep -c 'CPU cycles/packet' '$W/sw.log') -gt $before ]"
}
testpmd_cycles() {
	# "CPU cycles/packet=273.41 (busy cycles=... / total Rx=...) at 2.4 GHz"
	local line busy total
	line=$(grep "CPU cycles/packet" "$W/sw.log" | tail -n1)
	sed -E 's/.*CPU cycles\/packet=([0-9.]+).*/\1/' <<<"$line" | awk '{printf "%.0f - -\n", $1}'
}

ovs_env() {
	export OVS_RUNDIR=$W/ovs OVS_DBDIR=$W/ovs OVS_LOGDIR=$W/ovs OVS_SYSCONFDIR=$W/ovs
}
start_ovs() {
	ovs_env
	rm -rf "$W/ovs"
	mkdir -p "$W/ovs"
	ovsdb-tool create "$W/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovsdb-server "$W/ovs/conf.db" --remote=punix:"$W/ovs/db.sock" --pidfile="$W/ovs/db.pid" \
		--unixctl="$W/ovs/db.ctl" --log-file="$W/ovs/db.log" -vconsole:off 2>>"$W/ovs/db.stderr" &
	PIDS+=($!)
	wait_for 10 test -S "$W/ovs/db.sock"
	local V="ovs-vsctl --db=unix:$W/ovs/db.sock --no-wait"
	$V init
	$V set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-lcore-mask=0x1 \
		other_config:pmd-cpu-mask=0x2 other_config:dpdk-socket-mem=1024 \
		"other_config:dpdk-extra=--no-pci --in-memory --file-prefix=bench-ovs-$$"
	/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk unix:"$W/ovs/db.sock" \
		--pidfile="$W/ovs/vswitchd.pid" --unixctl="$W/ovs/vswitchd.ctl" \
		--log-file="$W/ovs/vswitchd.log" >"$W/ovs/stdout.log" 2>&1 &
	PIDS+=($!)
	wait_for 60 test -S "$W/ovs/vswitchd.ctl"
	V="ovs-vsctl --db=unix:$W/ovs/db.sock --timeout=30"
	$V add-br br0 -- set bridge br0 datapath_type=netdev
	$V add-port br0 vhu0 -- set Interface vhu0 type=dpdkvhostuser
	$V add-port br0 vhu1 -- set Interface vhu1 type=dpdkvhostuser
	wait_for 20 test -S "$W/ovs/vhu1"
	SOCK0=$W/ovs/vhu0 SOCK1=$W/ovs/vhu1
}
ovs_cycles_mark() {
	ovs_env
	if [[ $1 == a ]]; then
		ovs-appctl -t "$W/ovs/vswitchd.ctl" dpif-netdev/pmd-stats-clear >/dev/null
	else
		ovs-appctl -t "$W/ovs/vswitchd.ctl" dpif-netdev/pmd-stats-show >"$W/ovs.stats"
	fi
}
ovs_cycles() {
	awk -F: '/avg processing cycles per packet/ { split($2, a, " "); c = a[1] }
		/idle cycles/ { split($2, b, " "); gsub(/[()%]/, "", b[2]); i = b[2] }
		END { printf "%.0f %s -\n", c, i ? i : "-" }' "$W/ovs.stats"
}

measure() { # SWITCH SIZE -> "mpps cycles idle% packets-per-busy-round"
	local sw=$1 size=$2 rx
	"start_$sw"
	gen_start "$SOCK0" "$SOCK1" "$size"
	tpc gen "start tx_first 16"
	sleep 2
	"${sw}_cycles_mark" a
	gen_rx >/dev/null # also resets "since last show"
	tpc gen "clear port stats all"
	sleep "$SECS"
	rx=$(gen_rx)
	"${sw}_cycles_mark" b
	local cyc
	cyc=$("${sw}_cycles")
	tpc gen "stop" || true
	stop_all
	awk -v rx="$rx" -v s="$SECS" -v c="$cyc" 'BEGIN { printf "%.3f %s\n", rx / s / 1e6, c }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "# switch benchmark: $REPS repetitions of ${SECS}s, sizes $SIZES, switches $ONLY${GEN_VDEV:+, generator devargs $GEN_VDEV}"
echo "# rep switch size Mpps cycles/packet idle% packets/busy-round (vsw: near 32 x queues polled = saturated)"
for rep in $(seq "$REPS"); do
	for size in $SIZES; do
		for sw in $ONLY; do
			r=$(measure "$sw" "$size" 2>>"$W/errors.log") || r="nan nan nan nan"
			echo "$rep $sw $size $r" | tee -a "$W/results"
		done
	done
done

echo
printf "%-8s %-6s %10s %14s %8s %12s\n" switch size "Mpps(med)" "cycles/pkt" "idle%" "pkts/round"
for size in $SIZES; do
	for sw in $ONLY; do
		mpps=$(awk -v s="$sw" -v z="$size" '$2 == s && $3 == z { print $4 }' "$W/results" | median)
		cyc=$(awk -v s="$sw" -v z="$size" '$2 == s && $3 == z { print $5 }' "$W/results" | median)
		idle=$(awk -v s="$sw" -v z="$size" '$2 == s && $3 == z && $6 != "-" { print $6 }' "$W/results" | median)
		rnd=$(awk -v s="$sw" -v z="$size" '$2 == s && $3 == z && $7 != "-" { print $7 }' "$W/results" | median)
		printf "%-8s %-6s %10s %14s %8s %12s\n" "$sw" "$size" "$mpps" "$cyc" "$idle" "$rnd"
		eval "M_${sw}_$size=$mpps C_${sw}_$size=$cyc"
	done
done
echo
for size in $SIZES; do
	for peer in testpmd ovs; do
		[[ " $ONLY " == *" vsw "* && " $ONLY " == *" $peer "* ]] || continue
		eval "mv=\$M_vsw_$size mp=\$M_${peer}_$size cv=\$C_vsw_$size cp=\$C_${peer}_$size"
		awk -v s="$size" -v p="$peer" -v mv="$mv" -v mp="$mp" -v cv="$cv" -v cp="$cp" 'BEGIN {
			printf "%s B: vsw/%s Mpps %.2fx, cycles/packet %.2fx\n", s, p,
				(mp > 0 ? mv / mp : 0), (cp > 0 ? cv / cp : 0) }'
	done
done
[[ -s "$W/errors.log" ]] && { echo "# errors:"; tail -n 20 "$W/errors.log"; }
exit 0
