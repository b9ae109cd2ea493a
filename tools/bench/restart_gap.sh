#!/usr/bin/env bash
# How long two QEMU guests lose each other when vswd restarts: guest A pings B
# every 20 ms; vswd gets SIGTERM, stays down DOWN seconds, and is started
# again. Host-side timestamps of A's console lines give the gap in pings
# (last reply before the stop to the first after); the figure that matters is
# the gap minus the time vswd was down (SIGTERM to the new exec).
# Also printed: exec to serving (the control socket answers) and SIGTERM to
# exit of vswd itself.
#
# usage: tools/bench/restart_gap.sh [-m server|client] [-r REPS] [-d DOWN] [-H HOLD] [-s]
#   -m  vsw's socket role: server (QEMU reconnects, reconnect=1) or client
#       (QEMU listens, vsw reconnects); default both, one after the other
#   -r  restarts per role (default 3)   -d  seconds vswd stays down (default 2)
#   -H  socket_hold for the restarts (default 0: the sockets go with vswd);
#       with it a socket keeper holds them and the next vswd takes them over
#   -s  static (permanent) ARP entries in the guests. Without them the gap
#       is mostly the guests' own neighbour resolution: Linux evicts its
#       entries when the carrier drops and, while a ping keeps one wanted,
#       probes once a second, so pings resume at the guest's first probe
#       after its carrier is back rather than when the path through vsw is
# Needs root, QEMU and the test guest (tools/guest); runs under TCG without KVM.
# Not a test: it prints figures.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
VSW_BUILD=${VSW_BUILD:-$TOP/build}
VSWD=$VSW_BUILD/src/vswd
VSWCTL=$VSW_BUILD/tools/vswctl
GUEST=$TOP/tools/guest
roles="server client" reps=3 down=2 hold=0 arp_a="" arp_b=""
while getopts "m:r:d:H:sh" o; do
	case $o in
	m) roles=$OPTARG ;;
	r) reps=$OPTARG ;;
	d) down=$OPTARG ;;
	H) hold=$OPTARG ;;
	s) arp_a="arp -s 10.233.9.12 52:54:00:09:00:12;" arp_b="arp -s 10.233.9.11 52:54:00:09:00:11;" ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
	esac
done
W=$(mktemp -d /tmp/vsw-restart.XXXXXX)
pids=()
cleanup() {
	set +e
	stop_all
	rm -rf "$W"
}
# Our children by pid, then the QEMUs by their pid files, then socket keepers
# (by the pid their vswd logged) that a failed run left holding sockets.
stop_all() {
	local p q
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $(sed -n 's/.*socket keeper (pid \([0-9]*\)) holds.*/\1/p' "$W"/vswd-*.log 2>/dev/null); do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == vswd-keeper ]] && kill -TERM "$p"
	done
	for q in "$W"/*.qpid; do
		[[ -f $q ]] && p=$(cat "$q") && grep -q qemu "/proc/$p/cmdline" 2>/dev/null &&
			kill -TERM "$p" 2>/dev/null
		rm -f "$q"
	done
	sleep 1
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	pids=()
}
trap cleanup EXIT
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
"$GUEST/build.sh" >/dev/null
cpu=$(($(nproc) - 1))

vswd_start() { # role: starts vswd; sets VPID, and SERVE to exec-to-serving ms
	local t0 sock=$W/run-$1/vsw.sock
	t0=$(now_ms)
	"$VSWD" -c "$W/$1.yaml" >>"$W/vswd-$1.log" 2>&1 &
	VPID=$!
	pids+=("$VPID")
	# A held control socket is there all along: wait for an answer.
	until [[ -S $sock ]] && "$VSWCTL" -s "$sock" -t 10 version >/dev/null 2>&1; do sleep 0.002; done
	SERVE=$(($(now_ms) - t0))
}

run_role() {
	local role=$1 qopt mode
	if [[ $role == server ]]; then qopt=--server mode=server; else qopt=--client mode=client; fi
	mkdir -p "$W/q-$role"
	cat >"$W/$role.yaml" <<CFG
cores: [$cpu]
run_dir: $W/run-$role
socket_hold: $hold
networks: [{ name: lan, mode: bridge }]
ports:
  - { name: a, type: vhost-user, network: lan, path: $W/q-$role/a.sock, mode: $mode }
  - { name: b, type: vhost-user, network: lan, path: $W/q-$role/b.sock, mode: $mode }
CFG
	[[ $role == server ]] && vswd_start "$role"
	local secs=$((30 + reps * (int_down + 12)))
	"$GUEST/launch.sh" $qopt --socket "$W/q-$role/b.sock" --ip 10.233.9.12/24 --linkwait 60 --mac 52:54:00:09:00:12 \
		--timeout $((secs + 30)) --log "$W/b-$role.log" --pidfile "$W/b-$role.qpid" --cmd "$arp_b sleep $((secs + 20))" \
		>/dev/null 2>&1 &
	pids+=($!)
	"$GUEST/launch.sh" $qopt --socket "$W/q-$role/a.sock" --ip 10.233.9.11/24 --linkwait 60 --mac 52:54:00:09:00:11 \
		--timeout $((secs + 30)) --log "$W/a-$role.log" --pidfile "$W/a-$role.qpid" \
		--cmd "$arp_a $CARRIER ping -i 0.02 -w $secs 10.233.9.12 | while read -r l; do echo \"P \$l\"; done" \
		>/dev/null 2>&1 &
	pids+=($!)
	if [[ $role == client ]]; then
		while [[ ! -S $W/q-$role/a.sock || ! -S $W/q-$role/b.sock ]]; do sleep 0.1; done
		vswd_start "$role"
	fi
	# A's console, each line with the host's time.
	touch "$W/a-$role.log"
	tail -F --pid=$$ "$W/a-$role.log" 2>/dev/null | while IFS= read -r l; do echo "$(now_ms) $l"; done \
		>"$W/a-$role.stamped" &
	pids+=($!)
	local i=0
	while ! grep -qs "bytes from" "$W/a-$role.stamped"; do
		sleep 0.2
		i=$((i + 1))
		[[ $i -lt 600 ]] || { echo "no pings in 120 s; A's console:"; tail "$W/a-$role.log"; exit 1; }
	done
	sleep 2
	for ((r = 1; r <= reps; r++)); do
		local tterm texit texec before after gap cup cdelta
		tterm=$(now_ms)
		kill -TERM "$VPID"
		wait "$VPID" || true
		texit=$(now_ms)
		sleep "$down"
		texec=$(now_ms)
		vswd_start "$role"
		# The first reply after the restart.
		i=0
		until after=$(awk -v t="$texec" '$1 > t && /bytes from/ { print $1; exit }' "$W/a-$role.stamped") &&
			[[ -n "$after" ]]; do
			sleep 0.05
			i=$((i + 1))
			[[ $i -lt 600 ]] || { echo "pings did not resume in 30 s"; exit 1; }
		done
		before=$(awk -v t="$tterm" '$1 <= t && /bytes from/ { v = $1 } END { print v }' "$W/a-$role.stamped")
		cup=$(awk -v t="$texec" '$1 > t && / C 1/ { print $1; exit }' "$W/a-$role.stamped")
		gap=$((after - before))
		cdelta=${cup:+$((cup - texec))}
		printf '%-6s rep %d: down %5d ms (SIGTERM to exit %4d ms), exec to serving %4d ms, to A'"'"'s carrier %5s ms, ping gap %5d ms, gap - down %5d ms\n' \
			"$role" "$r" $((texec - tterm)) $((texit - tterm)) "$SERVE" "${cdelta:-?}" "$gap" $((gap - (texec - tterm)))
		[[ -z ${VERBOSE:-} ]] || awk -v a="$tterm" -v b="$after" -v t="$texec" \
			'$1 >= a && $1 <= b && !/bytes from/ { $1 = $1 - t; print "    A at exec" ($1 >= 0 ? "+" : "") $0 }' \
			"$W/a-$role.stamped" | head -40
		sleep 3
	done
	# The last stop leaves no keeper behind.
	"$VSWCTL" -s "$W/run-$role/vsw.sock" shutdown hold=0 >/dev/null 2>&1 || kill -TERM "$VPID" 2>/dev/null || true
	wait "$VPID" 2>/dev/null || true
	stop_all
}

# In A: a line "C 0" / "C 1" whenever eth0's carrier changes (10 ms polls).
CARRIER='( o=x; while :; do c=$(cat /sys/class/net/eth0/carrier 2>/dev/null); [ "$c" != "$o" ] && echo "C $c"; o=$c; usleep 10000; done ) &'
int_down=${down%.*}
for role in $roles; do run_role "$role"; done
