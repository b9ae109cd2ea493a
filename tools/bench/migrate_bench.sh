#!/usr/bin/env bash
# Live migration of a QEMU guest through vsw against Open vSwitch 3.1 with
# DPDK (issue 16's benchmark), in the harness of
# tests/integration/test_qemu_migrate.sh: a pinging guest P (every 20 ms) on
# port 1, the migrating guest M's source QEMU on port 2 and its destination
# on port 3 of one bridge network, both switches given the same QEMUs (TCG,
# 128M shared memfd, all on CPU 0) and the switch's poller alone on the last
# CPU. Every measurement starts the switch and the three QEMUs afresh; the
# switches take turns within each repetition (vsw, ovs, vsw, ovs, ...).
#
# Per run: pings P lost (sent - received), P's longest run of lost pings,
# QEMU's downtime (query-migrate "downtime": the source's view, from
# stopping the guest to the end of sending its state) and total migration
# time; then the medians per switch. A run that did not migrate prints the
# reason (e.g. QEMU's refusal when the switch's vhost-user backend does not
# offer dirty logging) and counts as no figure. Target (issue 16): vsw's
# lost pings no more than OVS's.
#
# Usage: tools/bench/migrate_bench.sh [-r REPS (3)] [-o "vsw ovs"] [-c CASE (split)]
#   CASE: split, packed or mq (the cases of test_qemu_migrate.sh that ping)
# VSW_BUILD=DIR picks the vsw build (default: build/ of this tree). Needs
# root, QEMU, the test guest and openvswitch-switch-dpdk
# (tools/bench/deps.sh). Run it under the shared lock:
#   flock /tmp/vsw-dpdk.lock tools/bench/migrate_bench.sh -r 3
set -euo pipefail

REPS=3 ONLY="vsw ovs" CASE=split
while getopts "r:o:c:h" o; do
	case $o in
	r) REPS=$OPTARG ;; o) ONLY=$OPTARG ;; c) CASE=$OPTARG ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "migrate_bench: -r needs a number" >&2; exit 2; }
case $CASE in split | packed | mq) ;; *) echo "migrate_bench: -c split, packed or mq" >&2; exit 2 ;; esac

TOP=$(cd "$(dirname "$0")/../.." && pwd)
export VSW_BUILD=${VSW_BUILD:-$TOP/build}
W=$(mktemp -d /tmp/vsw-migbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
[[ $(id -u) -eq 0 ]] || { echo "migrate_bench: needs root" >&2; exit 2; }

echo "# live migration, case $CASE, $REPS repetitions, switches: $ONLY; vsw from $VSW_BUILD"
echo "# rep switch lost-pings sent longest-gap(pings) downtime-ms total-ms"
for rep in $(seq "$REPS"); do
	for sw in $ONLY; do
		rc=0
		MIGTEST_SWITCH=$sw MIGTEST_CASES=$CASE timeout --kill-after=10 400 \
			bash "$TOP/tests/integration/test_qemu_migrate.sh" >"$W/out" 2>&1 || rc=$?
		line=$(sed -n 's/^MIGRESULT //p' "$W/out" | tail -n 1)
		if [[ -z "$line" ]]; then
			echo "$rep $sw nan nan nan nan nan" >>"$W/results"
			echo "$rep $sw did not migrate (exit $rc): $(grep -m1 -E '^(FAIL|SKIP):' "$W/out" || tail -n 1 "$W/out")"
			continue
		fi
		# key=value pairs of the MIGRESULT line
		declare -A f=()
		for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
		echo "$rep $sw ${f[lost]:-nan} ${f[sent]:-nan} ${f[maxgap]:-nan} ${f[downtime_ms]:-nan} ${f[total_ms]:-nan}" |
			tee -a "$W/results"
		[[ $rc -eq 0 ]] || echo "#   (the test failed: $(grep -m1 '^FAIL:' "$W/out" || echo "exit $rc"))"
		unset f
	done
done

L_vsw=nan L_ovs=nan
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -v s="$1" -v c="$2" '$2 == s && $c != "nan" { print $c }' "$W/results"; }
echo
printf "%-6s %6s  %-16s %12s %12s %10s %5s\n" switch lost "(all reps)" "longest-gap" "downtime-ms" "total-ms" runs
for sw in $ONLY; do
	printf "%-6s %6s  %-16s %12s %12s %10s %5s\n" "$sw" "$(col "$sw" 3 | median)" \
		"($(col "$sw" 3 | tr '\n' ' ' | sed 's/ $//'))" "$(col "$sw" 5 | median)" \
		"$(col "$sw" 6 | median)" "$(col "$sw" 7 | median)" "$(col "$sw" 3 | wc -l)/$REPS"
	eval "L_$sw=$(col "$sw" 3 | median)"
done
echo
if [[ " $ONLY " == *" vsw "* && " $ONLY " == *" ovs "* ]]; then
	if [[ $L_vsw == nan || $L_ovs == nan ]]; then
		echo "target (vsw's lost pings <= OVS's): n/a (no figure for $([[ $L_vsw == nan ]] && echo vsw || echo ovs))"
	elif awk -v a="$L_vsw" -v b="$L_ovs" 'BEGIN { exit !(a <= b) }'; then
		echo "target (vsw's lost pings <= OVS's): met ($L_vsw <= $L_ovs, medians)"
	else
		echo "target (vsw's lost pings <= OVS's): NOT met ($L_vsw > $L_ovs, medians)"
	fi
fi
