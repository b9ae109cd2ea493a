#!/usr/bin/env bash
# NAT benchmark (issue 15): 64-byte UDP from a guest through a NAT to a host
# outside and back, with 1, 1000 and 100000 flows, vsw against Open vSwitch
# 3.1 with DPDK doing the same NAT with conntrack, in one run, repetitions
# interleaved (each measurement starts the switch and the generator afresh).
#
#   generator:  tools/bench/nat_gen (build/tools/bench/nat_gen), CPU 0, two
#               net_virtio_user ports: P0 the guest on the NAT's inside, P1
#               the host outside; a closed loop of -k frames (P0 sends the
#               next flow's frame for each one that comes back, P1 reflects
#               and answers ARP for the next hop)
#   under test: vsw: a NAT network, P0 on a vhost-user port, the uplink an
#               ethdev port net_vhost0 (DPDK's vhost PMD) that P1 connects
#               to, spoof_check off, worker on CPU 1
#               ovs: bridge br0 (netdev), two dpdkvhostuser ports, one PMD on
#               CPU 1, flows doing what vsw's gateway does: out
#               ct(commit,nat(src=UPLINK:1024-65535)), dec_ttl, MACs of the
#               uplink and the next hop; back ct(nat,table=1), +est:
#               dec_ttl, MACs of the gateway and the guest
#
# Per measurement: Mpps = frames through the NAT per second, both directions
# (what the generator received on P0 and P1); switch cycles per frame = the
# switch's busy TSC cycles (vsw: core.list busy_cycles; OVS: pmd-stats-show
# processing cycles) over the frames it carried in the same window; the
# switch's idle share; the generator's busy cycles per frame it received;
# then at the end frames lost (the guest's frames that never came back: on
# the way out or on the way back), the generator's own TX drops, and refills
# (the loop ran dry for 50 ms and was filled again). Medians per switch and
# flow count, the vsw/OVS ratio of Mpps (one core each: Mpps per core) and
# of cycles per frame. Target (issue 15): vsw >= 2x OVS's Mpps per core.
#
# Usage: tools/bench/nat_bench.sh [-r REPS (3)] [-s SECONDS (5)] [-n "1 1000 100000"]
#        [-o "vsw ovs"] [-k IN_FLIGHT (1024)] [-z FRAME (64)] [-w WARMUP_SECONDS (2)]
#        [-x MAX_OTHERS% (10)]
# others% is what other processes took of CPUs 0 and 1 during the window (in
# % of one CPU): this machine may be shared, and a run that others disturbed
# measures them. Runs above -x are printed but left out of the medians; the
# runs column says how many were kept.
# Frame sizes are on the wire, FCS included. VSW_BUILD=DIR picks the vsw
# build (default build/ of this tree; it needs tools/bench/nat_gen). Needs
# root, hugepages and openvswitch-switch-dpdk (tools/bench/deps.sh). Run it
# under the shared lock:
#   flock /tmp/vsw-dpdk.lock timeout 3600 tools/bench/nat_bench.sh
# A benchmark, not a test: it prints figures and ratios and asserts nothing.
set -euo pipefail

REPS=3 SECS=5 FLOWS="1 1000 100000" ONLY="vsw ovs" INFLIGHT=1024 FRAME=64 WARM=2 MAXOTH=10
while getopts "r:s:n:o:k:z:w:x:h" o; do
	case $o in
	r) REPS=$OPTARG ;; s) SECS=$OPTARG ;; n) FLOWS=$OPTARG ;; o) ONLY=$OPTARG ;;
	k) INFLIGHT=$OPTARG ;; z) FRAME=$OPTARG ;; w) WARM=$OPTARG ;; x) MAXOTH=$OPTARG ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
[[ $(id -u) -eq 0 ]] || { echo "nat_bench: needs root" >&2; exit 2; }

TOP=$(cd "$(dirname "$0")/../.." && pwd)
source "$TOP/tools/bench/bench_lib.sh"
source "$TOP/tools/bench/ovs_lib.sh"
BUILD=${VSW_BUILD:-$TOP/build}
VSWD=$BUILD/src/vswd
VSWCTL=$BUILD/tools/vswctl
NATGEN=$BUILD/tools/bench/nat_gen
for f in "$VSWD" "$VSWCTL" "$NATGEN"; do
	[[ -x $f ]] || { echo "nat_bench: $f missing (ninja -C $BUILD)" >&2; exit 2; }
done
"$TOP/tools/bench/deps.sh" >/dev/null
W=$(mktemp -d /tmp/vsw-natbench.XXXXXX)
PIDS=()
GEN_PREFIX=bench-natgen-$$

# The addresses of config/nat.yaml's example and test_nat.sh.
GUEST_MAC=52:54:00:12:34:01 HOST_MAC=02:00:00:00:00:fe
GUEST_IP=192.168.122.100 OUT_IP=203.0.113.7 UP_IP=198.51.100.2 NH_IP=198.51.100.1
OVS_GW_MAC=02:76:00:00:00:01 OVS_UP_MAC=02:76:00:00:00:02

# vswd's DPDK file prefix is its run_dir's FNV-1a (src/common/eal_args.c).
vsw_prefix() { python3 -c 'import sys
h = 2166136261
for b in sys.argv[1].encode(): h = ((h ^ b) * 16777619) & 0xffffffff
print("vsw-%08x" % h)' "$1"; }

cleanup() {
	set +e
	stop_all
	rm -rf "$W" "/var/run/dpdk/$GEN_PREFIX" "/var/run/dpdk/$OVS_PREFIX" "/var/run/dpdk/$(vsw_prefix "$W/vsw")"
}
trap cleanup EXIT

# --- the switches: start_SW sets SOCK0 SOCK1 GW_MAC; SW_mark a|b; SW_cycles -> "busy idle" ---

start_vsw() {
	cat >"$W/vsw.yaml" <<EOF
cores: [1]
memory: 1024
run_dir: $W/vsw
log_level: warning
networks:
  - name: nat
    mode: nat
    subnet: 192.168.122.1/24
    uplink: up
    uplink_address: $UP_IP/24
    uplink_gateway: $NH_IP
    dns: [192.0.2.53]
    max_sessions: 262144
    spoof_check: false
ports:
  - { name: up, type: ethdev, network: nat, devargs: "net_vhost0,iface=$W/up.sock" }
  - { name: g0, type: vhost-user, network: nat, path: g0.sock }
EOF
	"$VSWD" -c "$W/vsw.yaml" >"$W/vsw.log" 2>&1 &
	PIDS+=($!)
	wait_for 30 test -S "$W/vsw/g0.sock"
	wait_for 10 test -S "$W/up.sock"
	SOCK0=$W/vsw/g0.sock SOCK1=$W/up.sock
	GW_MAC=$("$VSWCTL" -s "$W/vsw/vsw.sock" --json nat show nat | python3 -c 'import json, sys; print(json.load(sys.stdin)["gateway_mac"])')
}
vsw_mark() { "$VSWCTL" -s "$W/vsw/vsw.sock" --json core list >"$W/sw.$1"; }
vsw_cycles() {
	python3 - "$W/sw.a" "$W/sw.b" <<'EOF'
import json, sys
a, b = (json.load(open(f))[0] for f in sys.argv[1:])
print(b["busy_cycles"] - a["busy_cycles"], b["idle_cycles"] - a["idle_cycles"])
EOF
}
# What vsw's gateway dropped, by reason (those not zero), after a run.
vsw_drops() {
	"$VSWCTL" -s "$W/vsw/vsw.sock" --json nat show nat | python3 -c 'import json, sys
c = json.load(sys.stdin)["counters"]
print(" ".join("%s=%d" % kv for kv in sorted(c["drops_by_reason"].items()) if kv[1]) or "none")'
}

OVS_DIR=$W/ovs OVS_CTL_CPU=0 OVS_PMD_CPU=1 OVS_PREFIX=bench-natovs-$$
ovs_track() { PIDS+=("$1"); }
ovs_ofctl() { ovs-ofctl -O OpenFlow13 "$@"; }
start_ovs() {
	ovs_start
	ovs_vsctl --timeout=30 add-port br0 vhu0 -- set Interface vhu0 type=dpdkvhostuser ofport_request=1
	ovs_vsctl --timeout=30 add-port br0 vhu1 -- set Interface vhu1 type=dpdkvhostuser ofport_request=2
	wait_for 20 test -S "$OVS_DIR/vhu1"
	# The generator's P1 is the next hop (vsw finds its MAC by ARP).
	cat >"$W/flows" <<EOF
table=0,priority=10,ip,in_port=1,dl_dst=$OVS_GW_MAC,actions=ct(commit,zone=1,nat(src=$UP_IP:1024-65535)),dec_ttl,set_field:$OVS_UP_MAC->eth_src,set_field:$HOST_MAC->eth_dst,output:2
table=0,priority=10,ip,in_port=2,dl_dst=$OVS_UP_MAC,nw_dst=$UP_IP,actions=ct(zone=1,nat,table=1)
table=0,priority=0,actions=drop
table=1,priority=10,ct_state=+trk+est,ip,actions=dec_ttl,set_field:$OVS_GW_MAC->eth_src,set_field:$GUEST_MAC->eth_dst,output:1
table=1,priority=0,actions=drop
EOF
	ovs_ofctl del-flows br0
	ovs_ofctl add-flows br0 "$W/flows"
	SOCK0=$OVS_DIR/vhu0 SOCK1=$OVS_DIR/vhu1 GW_MAC=$OVS_GW_MAC
}
ovs_mark() {
	if [[ $1 == a ]]; then ovs_appctl dpif-netdev/pmd-stats-clear >/dev/null; else ovs_appctl dpif-netdev/pmd-stats-show >"$W/sw.b"; fi
}
ovs_cycles() { # the PMD thread's block only (not the main thread's)
	awk '/^[^ \t]/ { p = /^pmd thread/ } p && /idle cycles:/ { i = $3 } p && /processing cycles:/ { b = $3 }
		END { print b, i }' "$W/sw.b"
}
ovs_drops() {
	ovs_appctl dpif-netdev/pmd-stats-show | awk '/^[^ \t]/ { p = /^pmd thread/ }
		p && /(miss with failed upcall|datapath passes per packet):/ { sub(/^ +/, ""); printf "%s; ", $0 }'
	echo "conns=$(ovs_appctl dpctl/ct-stats-show 2>/dev/null | awk '/Connections?:|Total/ { print $NF; exit }')"
}

# What else ran on the two CPUs during the window: non-idle time of CPUs 0
# and 1 (/proc/stat, so short-lived processes count too) less what the
# generator and the switch took, in % of one CPU. The machine is shared;
# a run with much of it is disturbed.
others_mark() { # MARK PID...
	local m=$1 p t
	shift
	t=0
	for p in "$@"; do
		[[ -r /proc/$p/stat ]] || continue
		read -r -a f <"/proc/$p/stat"
		t=$((t + f[13] + f[14]))
	done
	echo "$EPOCHREALTIME $t $(awk '/^cpu[01] / { s += $2 + $3 + $4 + $7 + $8 } END { print s }' /proc/stat)" >"$W/others.$m"
}
others_window() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { t = $1; o = $2; a = $3 } NR == 2 {
		printf "%.1f\n", 100 * (($3 - a) - ($2 - o)) / hz / ($1 - t) }' "$W/others.a" "$W/others.b"
}

# --- the generator ---

gen_start() { # FLOWS
	stdbuf -oL "$NATGEN" --lcores=0@0 --main-lcore=0 --no-pci --in-memory --single-file-segments \
		--file-prefix="$GEN_PREFIX" -m 512 --log-level='*:warning' \
		--vdev="net_virtio_user0,path=$SOCK0,mac=$GUEST_MAC,queue_size=1024" \
		--vdev="net_virtio_user1,path=$SOCK1,mac=$HOST_MAC,queue_size=1024" -- \
		-g "$GW_MAC" -f "$1" -k "$INFLIGHT" -z "$FRAME" -q 1024 \
		-a "$GUEST_IP" -d "$OUT_IP" -n "$NH_IP" >"$W/gen.log" 2>&1 &
	GEN_PID=$!
	PIDS+=("$GEN_PID")
	wait_for 40 grep -qE '^(READY|NOLOOP)' "$W/gen.log"
	grep -q '^READY' "$W/gen.log" || { echo "nat_bench: no frame came back: $(tail -n 2 "$W/gen.log")" >&2; return 1; }
}
gen_mark() { # MARK-NUMBER: asks for a MARK line, waits for it
	kill -USR1 "$GEN_PID"
	wait_for 5 bash -c "[ \$(grep -c '^MARK' '$W/gen.log') -ge $1 ]"
}
# key=value of a generator line: genv LINE KEY
genv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

NCOLS=10
measure() { # SWITCH FLOWS -> "Mpps sw-cyc/frame sw-idle% gen-cyc/frame lost lost-out lost-back gen-txdrop refills others%"
	local sw=$1 flows=$2 a b end t0 t1 busy idle
	"start_$sw"
	local swpids=("${PIDS[@]}")
	gen_start "$flows"
	sleep "$WARM"
	t0=$EPOCHREALTIME
	"${sw}_mark" a
	others_mark a "$GEN_PID" "${swpids[@]}"
	gen_mark 1
	sleep "$SECS"
	gen_mark 2
	others_mark b "$GEN_PID" "${swpids[@]}"
	"${sw}_mark" b
	t1=$EPOCHREALTIME
	read -r busy idle < <("${sw}_cycles")
	kill -TERM "$GEN_PID"
	wait_for 10 grep -q '^INFLIGHT' "$W/gen.log"
	echo "$sw $flows: $("${sw}_drops")" >>"$W/drops"
	stop_all
	[[ $sw == ovs ]] && ovs_forget_dpdk
	a=$(grep '^MARK' "$W/gen.log" | sed -n 1p) b=$(grep '^MARK' "$W/gen.log" | sed -n 2p)
	end=$(grep '^END' "$W/gen.log") ready=$(grep '^READY' "$W/gen.log")
	awk -v hz="$(genv "$a" hz)" -v ta="$(genv "$a" tsc)" -v tb="$(genv "$b" tsc)" \
		-v r0a="$(genv "$a" rx0)" -v r0b="$(genv "$b" rx0)" -v r1a="$(genv "$a" rx1)" -v r1b="$(genv "$b" rx1)" \
		-v ga="$(genv "$a" busy)" -v gb="$(genv "$b" busy)" -v busy="$busy" -v idle="$idle" \
		-v swt="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		-v tx0="$(($(genv "$end" tx0) - $(genv "$ready" tx0)))" -v rx0="$(($(genv "$end" rx0) - $(genv "$ready" rx0)))" \
		-v tx1="$(($(genv "$end" tx1) - $(genv "$ready" tx1)))" -v rx1="$(($(genv "$end" rx1) - $(genv "$ready" rx1)))" \
		-v oth="$(others_window)" \
		-v drop="$(($(genv "$end" txdrop0) + $(genv "$end" txdrop1)))" -v refills="$(genv "$end" refills)" 'BEGIN {
		dt = (tb - ta) / hz; fr = (r0b - r0a) + (r1b - r1a); rate = fr / dt
		# the switch was sampled just outside the generator s window: its own span
		printf "%.3f %.0f %.1f %.0f %d %d %d %d %d %s\n", rate / 1e6, busy / (rate * swt),
			100 * idle / (busy + idle), (gb - ga) / fr, tx0 - rx0, tx0 - rx1, tx1 - rx0, drop, refills, oth }'
}

echo "# NAT benchmark: $REPS repetitions of ${SECS}s (after ${WARM}s), flows $FLOWS, switches $ONLY,"
echo "#   ${FRAME}-byte frames, $INFLIGHT in flight; vsw from $BUILD"
echo "# rep switch flows Mpps(both directions) sw-cycles/frame sw-idle% gen-cycles/frame lost lost-out lost-back gen-txdrop refills others%"
echo "#   (lost, lost-out, lost-back: frames of the loop, i.e. from the start of the -k frames to the end)"
: >"$W/results"
: >"$W/drops"
for rep in $(seq "$REPS"); do
	for flows in $FLOWS; do
		for sw in $ONLY; do
			r=$(measure "$sw" "$flows" 2>>"$W/errors.log") || { stop_all; r=""; }
			[[ $(wc -w <<<"$r") -eq $NCOLS ]] || r=$(printf 'nan %.0s' $(seq $NCOLS))
			echo "$rep $sw $flows $r" | tee -a "$W/results"
		done
	done
done

col() { # SWITCH FLOWS COLUMN -> its values in the undisturbed runs
	awk -v s="$1" -v f="$2" -v k="$3" -v x="$MAXOTH" '$2 == s && $3 == f && $k != "nan" && $13 + 0 <= x + 0 { print $k }' "$W/results"
}
echo
echo "# medians over the runs with others% <= $MAXOTH (runs: kept/made); lost: the largest of all runs"
printf "%-6s %7s %9s %10s %6s %9s %10s %10s %9s %8s %8s\n" switch flows "Mpps(med)" "cyc/frame" "idle%" "gen-cyc" \
	"lost(max)" "gen-txdrop" "refills" "others%" "runs"
for flows in $FLOWS; do
	for sw in $ONLY; do
		m=$(col "$sw" "$flows" 4 | median) c=$(col "$sw" "$flows" 5 | median)
		printf "%-6s %7s %9s %10s %6s %9s %10s %10s %9s %8s %8s\n" "$sw" "$flows" "$m" "$c" \
			"$(col "$sw" "$flows" 6 | median)" "$(col "$sw" "$flows" 7 | median)" \
			"$(MAXOTH=inf col "$sw" "$flows" 8 | sort -g | tail -n1)" "$(col "$sw" "$flows" 11 | median)" \
			"$(col "$sw" "$flows" 12 | median)" "$(col "$sw" "$flows" 13 | median)" "$(col "$sw" "$flows" 4 | wc -l)/$REPS"
		eval "M_${sw}_$flows=$m C_${sw}_$flows=$c"
	done
done
if [[ " $ONLY " == *" vsw "* && " $ONLY " == *" ovs "* ]]; then
	echo
	echo "# target (issue 15): vsw >= 2x OVS's Mpps per core (one core each)"
	for flows in $FLOWS; do
		eval "mv=\$M_vsw_$flows mo=\$M_ovs_$flows cv=\$C_vsw_$flows co=\$C_ovs_$flows"
		# shellcheck disable=SC2154 # set by the eval
		awk -v f="$flows" -v mv="$mv" -v mo="$mo" -v cv="$cv" -v co="$co" '
			function n(x) { return x != "" && x != "nan" }
			BEGIN { r = (n(mv) && n(mo) && mo > 0) ? mv / mo : 0
				c = (n(cv) && n(co) && co > 0) ? cv / co : 0
				printf("%6s flows: vsw/ovs Mpps %.2fx (%s), cycles/frame %.2fx\n", f, r, (r >= 2 ? "met" : "MISSED"), c) }'
	done
fi
echo
echo "# drops seen by the switches after each run (vsw: gateway and NAT drops by reason; ovs: PMD stats):"
sed 's/^/#   /' "$W/drops"
[[ -s "$W/errors.log" ]] && { echo "# errors:"; tail -n 20 "$W/errors.log"; }
exit 0
