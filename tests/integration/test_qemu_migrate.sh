#!/usr/bin/env bash
# Live migration of a QEMU guest attached to the switch (issue 16), on vsw
# (default) or on Open vSwitch 3.1 with DPDK (MIGTEST_SWITCH=ovs, the
# reference: it must pass there). One bridge network, three vhost-user ports:
#   port 1  guest P, the pinger: pings M every 20 ms (busybox ping -i 0.02)
#           until the test tells it to stop (a line on its ttyS1, a pipe
#           chardev), then prints sent, received, the longest run of lost
#           pings and how many of its last 50 came back; the very last ping
#           is left out of all of these: its reply may be on its way when
#           ping is stopped
#   port 2  guest M's source QEMU (QMP socket)
#   port 3  M's destination QEMU: same command line (MAC, memory, NIC) plus
#           -incoming defer; migrate-incoming tcp:127.0.0.1:0 over QMP
# Guest memory is a shared memfd (share=on: vhost-user maps it), MIGTEST_MEM
# (128M) each. All QEMUs run on CPU 0, the switch's poller alone on the last
# CPU. Cases (MIGTEST_CASES, default all, in this order):
#   split   P pings M; `migrate` on the source; query-migrate polled to
#           completed; the source is quit; 2 s later P stops. Asserted: the
#           migration completed, the destination runs, P's last 50 pings came
#           back (pings resumed) and P lost at most
#               ceil(downtime / 20 ms) + 50
#           pings, downtime being QEMU's (query-migrate, measured on the
#           source: from stopping the guest to the end of sending its state).
#           The 50 (1 s) cover what downtime does not count: the
#           destination loading the device state and starting the rings
#           (vhost-user messages), the switch learning M's MAC on its new
#           port (the guest's announcement, or the backend's RARP), and
#           ping replies in flight when the source stopped; all on CPU 0
#           with three TCG guests. On OVS 3.1 that part was 4 to 27 pings
#           (lost 8-33 with downtimes of 92-216 ms, 9 migrations): the
#           margin is about twice the worst seen.
#   packed  the same with packed virtqueues (packed=on)
#   mq      the same with 2 queue pairs (queues: 2 on ports 2 and 3)
#   iperf   P runs an iperf3 TCP stream to M (-t 20) across the migration:
#           it must complete with its receiver summary
#   integrity  guest memory the switch writes during a migration reaches
#           the destination: P streams numbered UDP datagrams to M
#           (tools/guest/udpseq.c: 4000/s, 1200-1400 bytes, every byte
#           following from the number; MIGTEST_UDP_RATE) before, during and
#           after two migrations, port 2 to 3 and back to a new QEMU on
#           port 2. M's receiver checks each datagram and reads in bursts
#           200 ms apart (MIGTEST_UDP_PAUSE; 1000 made the guest's UDP
#           memory limit drop a third of them, InErrors, and still caught
#           nothing), so that at the switch-over datagrams wait in the
#           socket, their payload still in the RX buffers the switch wrote
#           on the source (datagrams this long are not copied out by Linux
#           virtio_net): a page written unlogged is read stale on the
#           destination. Asserted: no datagram corrupted (its length or any
#           byte not its number's) or seen twice (an old buffer read
#           again), 500 or more received after each migration (the stream
#           resumed: a hung receive queue fails here), P's end marker
#           arrived; a destination that died fails with its kernel's last
#           words. Reported: missing (allowed), out of order, and M's
#           kernel counters (IP/UDP errors, rx drops). Migrated at 4 GB/s
#           (one RAM pass, then the stop), MIGTEST_INT_BW (MB/s) and
#           MIGTEST_INT_DL (downtime limit, ms) to change it; beware: with
#           a migration slow enough to take several dirty-log rounds (64
#           MB/s, or 512 MB/s with a 30 ms limit) the destination guest's
#           kernel crashed on Open vSwitch as on vsw, under TCG here (4
#           runs of 4 on OVS); at 4 GB/s a vsw that never marks RX buffers
#           passed too (3 of 3): the guest zeroes each RX page it allocates
#           (QEMU sees that write), so nearly every page the switch fills
#           is sent again after the stop
#   cancel  max-bandwidth 4 MB/s so the migration stays in progress; after
#           1 s active, migrate_cancel. Asserted: the status is cancelled,
#           the source still runs, the pings went on (at most 2 lost over
#           the whole run, the last 50 all back); on vsw also that the
#           source port had negotiated log_all (vswctl port show) while the
#           migration ran and dropped it after the cancel (logging off)
# Printed per case: a line "MIGRESULT switch=S case=C status=... lost=N
# sent=N downtime_ms=N total_ms=N setup_ms=N ram_mb=N maxgap=N"
# (tools/bench/migrate_bench.sh reads it); integrity's has received,
# corrupted, duplicates, reordered, missing and dst_received (after the
# second migration) instead of lost and maxgap, and downtime2_ms and
# total2_ms of the migration back.
# A switch whose vhost-user backend does not offer dirty logging
# (VHOST_F_LOG_ALL and VHOST_USER_PROTOCOL_F_LOG_SHMFD) makes QEMU refuse the
# migration: that is a FAIL with QEMU's words, not a skip: the feature is
# missing. Skipped (77) without root, QEMU, a bootable guest or, for ovs,
# Open vSwitch with DPDK.
# A destination guest that dies after a completed migration (a kernel panic
# in its interrupt or slab code) runs the whole test once more, and a second
# death fails it; any other failure fails at once. Under TCG here such deaths
# came on Open vSwitch as on vsw (see integrity below; the iperf case on
# 2026-12-01: vsw in 2 of 4 CI runs; 12 runs each alternated, vsw 1 of 12,
# Open vSwitch 5 of 12 with the same list corruption panic): a QEMU/TCG or
# guest fault, not vsw's. A retry keeps one such death from failing CI. The
# first run's output, panic included, stays in the log above the retry.
if [[ -z ${MIGTEST_INNER:-} ]]; then
	rc=0
	MIGTEST_INNER=1 bash "$0" "$@" || rc=$?
	if [[ $rc -eq 75 ]]; then
		echo "RETRY: the destination guest died after a migration (above); the test runs once more"
		rc=0
		MIGTEST_INNER=2 bash "$0" "$@" || rc=$?
		[[ $rc -ne 75 ]] || rc=1
	fi
	exit "$rc"
fi
source "$(dirname "$0")/lib.sh"
source "$TOP/tools/bench/ovs_lib.sh"
GUEST=$TOP/tools/guest
QMP=(python3 "$GUEST/qmp.py")
SWITCH=${MIGTEST_SWITCH:-vsw}
# integrity is not among the defaults: under TCG here its destination guest
# died or stopped running after the migration in about 1 run of 3 on
# Open vSwitch as on vsw (2026-12-01: ovs 1 of 3, vsw 4573798 1 of 3, vsw
# now 2 of 4), a QEMU/TCG fault that would make make test fail at random.
# MIGTEST_CASES=integrity runs it.
CASES=${MIGTEST_CASES:-split packed mq iperf cancel}
MEM=${MIGTEST_MEM:-128M}
GCPU=0
IP_P=10.233.16.11 IP_M=10.233.16.12
MAC_P=52:54:00:16:00:11 MAC_M=52:54:00:16:00:12
# Pings lost beyond downtime / 20 ms (see above), and in a cancelled run.
MARGIN=50 CANCEL_LOST=2
# integrity: P's datagrams a second, and how many M must have received after
# it runs on the destination (see above).
UDP_PORT=7016 UDP_RATE=${MIGTEST_UDP_RATE:-4000} UDP_DST_MIN=500 UDP_PAUSE=${MIGTEST_UDP_PAUSE:-200}
GUEST_TMO=240

# --- can it run here? ----------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || skip "QEMU guests on a switch need root"
guest_ready
case $SWITCH in
vsw) [[ -x "$VSWD" ]] || fail "no vswd at $VSWD (build first, or set VSW_BUILD)" ;;
ovs) [[ -x "$OVSD" ]] || skip "Open vSwitch with DPDK is not installed (tools/bench/deps.sh)" ;;
*) fail "MIGTEST_SWITCH: vsw or ovs, not $SWITCH" ;;
esac
log "switch $SWITCH, guests under $ACCEL with $MEM, cases: $CASES"

# --- the switch: start_switch QUEUES sets SOCK1..3 and ROLE ---------------------------
SW_PIDS=()
OVS_DIR=$T/ovs OVS_CTL_CPU=$GCPU OVS_PMD_CPU=$LAST_CPU OVS_PREFIX=vsw-it-mig-ovs-$$
ovs_track() { track_pid "$1"; SW_PIDS+=("$1"); }
on_exit ovs_forget_dpdk

start_switch() {
	local q=$1 cfg
	SW_PIDS=()
	if [[ $SWITCH == vsw ]]; then
		cfg=$(write_config mig <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lan, mode: bridge }
ports:
  - { name: s1, type: vhost-user, network: lan, path: s1.sock }
  - { name: s2, type: vhost-user, network: lan, path: s2.sock, queues: $q }
  - { name: s3, type: vhost-user, network: lan, path: s3.sock, queues: $q }
CFG
)
		rm -rf "$T/run-mig"
		start_vswd "vswd-$CASE" "$cfg"
		SW_PIDS=("$VSWD_PID")
		RUN=$T/run-mig VSW_SOCK=$T/run-mig/vsw.sock
		wait_for "vswd's sockets" 30 test -S "$RUN/s3.sock"
		SOCK1=$RUN/s1.sock SOCK2=$RUN/s2.sock SOCK3=$RUN/s3.sock ROLE=--server
	else
		# QEMU listens (launch.sh --client); OVS connects and retries.
		ovs_start >"$T/ovs-start-$CASE.log" 2>&1 || fail "OVS did not start: $(tail -n 5 "$T/ovs-start-$CASE.log")"
		local i
		for i in 1 2 3; do ovs_add_vhost_client "vhu$i" "$T/q$i.sock"; done
		SOCK1=$T/q1.sock SOCK2=$T/q2.sock SOCK3=$T/q3.sock ROLE=--client
	fi
}
stop_switch() {
	local p
	for p in "${SW_PIDS[@]}"; do
		stop_pid "$p" 10 || true
		untrack_pid "$p"
	done
	SW_PIDS=()
	[[ $SWITCH == ovs ]] && ovs_forget_dpdk
	rm -f "$T"/q?.sock
	return 0
}

# --- guests ----------------------------------------------------------------------------
# guest NAME [launch.sh options]: in the background on CPU 0; console
# $T/NAME.log, QEMU pid $T/NAME.qpid; stopped at exit (launcher, then QEMU).
guest() {
	local name=$1
	shift
	rm -f "$T/$name.log" "$T/$name.qpid"
	taskset -c "$GCPU" "$GUEST/launch.sh" --accel "$ACCEL" --name "vsw-it-mig-$name" --timeout "$GUEST_TMO" \
		--mem "$MEM" --log "$T/$name.log" --pidfile "$T/$name.qpid" "$@" >"$T/$name-launch.log" 2>&1 &
	eval "GPID_$name=$!"
	on_exit "guest_stop $name"
}
guest_wait() { # NAME SECONDS: the launcher's status (the guest command's)
	local pid i
	eval "pid=\$GPID_$1"
	for ((i = 0; i < $2 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "$CASE: guest $1 still running after $2 s: $(console "$1" | tail -n 5)"
	local rc=0
	wait "$pid" || rc=$?
	eval "GPID_$1="
	return $rc
}
qmp() { "${QMP[@]}" "$@"; }

# P's command: pings M (or runs iperf3 to it) until a line comes on ttyS1.
# The last five pings (100 ms) are left out of the count: their replies may
# still be on the way when ping is stopped (a TCG guest under load may take
# tens of ms to answer).
P_FUNCS='reach() { i=0; until ping -c 1 -W 1 $1 >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 60 ] || { echo "VSW-P unreachable $1"; return 1; }; done; }
stty -F /dev/ttyS1 -echo'
p_ping_cmd() {
	cat <<EOF
$P_FUNCS
reach $IP_M || exit 1
ping -i 0.02 $IP_M >/tmp/ping.out 2>&1 &
pid=\$!
echo VSW-P pinging
read x </dev/ttyS1
kill -INT \$pid; wait \$pid
awk 'BEGIN { prev = -1 }
	/ packets transmitted/ { tx = \$1 }
	/seq=/ { for (i = 1; i <= NF; i++) if (\$i ~ /^seq=/) { s = substr(\$i, 5) + 0 }
		if (s in seen) next; seen[s] = 1; rx++
		if (s - prev - 1 > gap) { gap = s - prev - 1; at = prev + 1 }
		prev = s; last = s }
	END { n = tx - 5; got = 0; tail = 0
		for (s in seen) if (s + 0 < n) { got++; if (s + 0 >= n - 50) tail++ }
		if (last >= n) last = n - 1
		if (n - 1 - last > gap) { gap = n - 1 - last; at = last + 1 }
		printf "VSW-P result sent=%d received=%d maxgap=%d at=%d last50=%d\n", n, got, gap, at, tail }' /tmp/ping.out
EOF
}
p_iperf_cmd() {
	cat <<EOF
$P_FUNCS
reach $IP_M || exit 1
i=0; until iperf3 -c $IP_M -t 20 -i 1 -f m --forceflush >/tmp/ip.out 2>&1; do
	i=\$((i + 1)); [ \$i -lt 40 ] || { cat /tmp/ip.out; exit 3; }
	grep -q 'Connection refused' /tmp/ip.out || { cat /tmp/ip.out; exit 3; }; sleep 0.5
done &
pid=\$!
j=0; until grep -q ' sec ' /tmp/ip.out 2>/dev/null; do j=\$((j + 1)); [ \$j -lt 300 ] || break; sleep 0.1; done
echo VSW-P iperf running
wait \$pid || exit 3
cat /tmp/ip.out
EOF
}
# P's command in integrity: a udpseq stream to M from the first line on
# ttyS1 to the second.
p_udp_cmd() {
	cat <<EOF
$P_FUNCS
reach $IP_M || exit 1
exec 3</dev/ttyS1
echo VSW-P ready
read x <&3
udpseq send $IP_M $UDP_PORT $UDP_RATE 300 &
pid=\$!
echo VSW-P sending
read x <&3
kill -TERM \$pid; wait \$pid
EOF
}
# M: an iperf3 server and nothing else until the test stops it; in
# integrity, udpseq's receiver until P's stream ends (its end marker).
M_CMD='iperf3 -s -D >/dev/null 2>&1; echo VSW-M up; sleep 3600'
m_udp_cmd() {
	cat <<EOF
echo VSW-M up
udpseq recv $UDP_PORT 300 $UDP_PAUSE
awk '\$1 ~ /^(Ip|Udp):\$/ {
	if (!(\$1 in h)) { h[\$1] = 1; for (i = 2; i <= NF; i++) n[\$1, i] = \$i; next }
	for (i = 2; i <= NF; i++) if (n[\$1, i] ~ /^(InHdrErrors|InAddrErrors|InDiscards|NoPorts|InErrors|RcvbufErrors|InCsumErrors)\$/)
		printf "%s%s=%s ", tolower(substr(\$1, 1, length(\$1) - 1)) "_", n[\$1, i], \$i }' /proc/net/snmp >/tmp/c
for f in rx_errors rx_length_errors rx_dropped rx_nohandler; do printf "%s=%s " \$f \$(cat /sys/class/net/eth0/statistics/\$f) >>/tmp/c; done
echo "VSW-M counters \$(cat /tmp/c)"
EOF
}
udpseq_field() { sed -n "s/.* $1=\([-0-9]*\).*/\1/p" <<<"$2"; } # NAME LINE
# stream_resumed GUEST: M, now running as GUEST, receives P's datagrams
# again: at least UDP_DST_MIN more between the first progress line on that
# console and a later one, within 15 s. The last line and what the guest
# kernel said last, if it died, in the failure.
stream_resumed() {
	local i l n=0
	for ((i = 0; i < 150; i++)); do
		l=$(console "$1" | grep '^UDPSEQ-PROGRESS') || true
		if [[ -n "$l" ]]; then
			n=$(($(udpseq_field received "$(tail -n 1 <<<"$l")") - $(udpseq_field received "$(head -n 1 <<<"$l")")))
			((n >= UDP_DST_MIN)) && return 0
		fi
		sleep 0.1
	done
	fail "$CASE: M received $n datagrams in 15 s on $1 (at least $UDP_DST_MIN): the stream did not resume after the migration (receive queue hung?): $(tail -n 1 <<<"$l") $(console "$1" | grep -E 'Kernel panic|BUG|RIP:' | head -n 3 | tr '\n' ';')"
}

# --- migration -------------------------------------------------------------------------
# The switch lacks dirty logging: QEMU's migration blocker for vhost.
REFUSAL='VHOST_F_LOG_ALL|LOG_SHMFD|lacks|migration blocker|Migration disabled'
refused() {
	fail "$SWITCH: QEMU refuses to migrate a guest on this switch: its vhost-user backend does not offer dirty-page logging (VHOST_F_LOG_ALL / VHOST_USER_PROTOCOL_F_LOG_SHMFD; issue 16). QEMU said: $1"
}
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# The guests a migration goes from and to (their QMP sockets $T/NAME.qmp).
MIG_SRC=m_src MIG_DST=m_dst
# migrate_start BANDWIDTH [DOWNTIME_LIMIT_MS]: the destination listens, the
# source starts sending.
migrate_start() {
	local port err dl=${2:-300}
	qmp "$T/$MIG_DST.qmp" migrate-incoming '{"uri": "tcp:127.0.0.1:0"}' >/dev/null ||
		fail "$CASE: migrate-incoming on the destination failed"
	port=$(qmp "$T/$MIG_DST.qmp" query-migrate | json 'd["socket-address"][0]["port"]') ||
		fail "$CASE: the destination did not say which port it listens on"
	qmp "$T/$MIG_SRC.qmp" migrate-set-parameters "{\"max-bandwidth\": $1, \"downtime-limit\": $dl}" >/dev/null ||
		fail "$CASE: migrate-set-parameters failed"
	if ! err=$(qmp "$T/$MIG_SRC.qmp" migrate "{\"uri\": \"tcp:127.0.0.1:$port\"}" 2>&1 >/dev/null); then
		[[ "$err" =~ $REFUSAL ]] && refused "${err#qmp error: }"
		fail "$CASE: migrate failed at once: $err"
	fi
}
# migrate_wait SECONDS: polls until the migration ends; its last
# query-migrate reply in $T/mig.json, its status in MIG_STATUS, the time it
# was seen to end in MIG_T1. A failed migration fails the case.
migrate_wait() {
	local rc=0 st
	qmp "$T/$MIG_SRC.qmp" wait-migration "$1" >"$T/mig.json" || rc=$?
	MIG_T1=${EPOCHREALTIME/[.,]/}
	st=$(json 'd.get("status")' <"$T/mig.json")
	[[ $rc -eq 3 ]] && fail "$CASE: migration still '$st' after $1 s: $(cat "$T/mig.json")"
	[[ $rc -eq 0 ]] || fail "$CASE: query-migrate on the source failed"
	if [[ $st == failed ]]; then
		local desc
		desc=$(json 'd.get("error-desc", "")' <"$T/mig.json")
		[[ "$desc" =~ $REFUSAL ]] && refused "$desc"
		fail "$CASE: migration failed: $desc; destination: $(tail -n 5 "$T/$MIG_DST-launch.log")"
	fi
	MIG_STATUS=$st
}
mig() { json "$1" <"$T/mig.json"; }
# dst_running SECONDS: the destination's guest runs after a completed
# migration; a destination that died (a guest kernel panic: memory the
# switch wrote and the destination never got) fails with its last words.
dst_running() {
	local i pid
	for ((i = 0; i < $1 * 10; i++)); do
		qmp "$T/$MIG_DST.qmp" query-status 2>/dev/null | grep -q '"status": "running"' && return 0
		eval "pid=\$GPID_$MIG_DST"
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "FAIL: $CASE: the destination QEMU ended after the migration: $(console "$MIG_DST" | grep -E 'Kernel panic|BUG|RIP:|VSW-GUEST-RESULT' | head -n 4 | tr '\n' ';')" >&2
			exit 75 # see MIGTEST_INNER at the top
		fi
		sleep 0.1
	done
	fail "$CASE: the destination not running $1 s after the migration: $(qmp "$T/$MIG_DST.qmp" query-status 2>&1)"
}

# --- one case ------------------------------------------------------------------------
run_case() {
	local c=$1 q=1 mopts=() bw=$((4 << 30)) dl=300 t0 r st mcmd=$M_CMD
	CASE=$c MIG_SRC=m_src MIG_DST=m_dst
	case $c in
	split | iperf | cancel) ;;
	integrity) mcmd=$(m_udp_cmd) ;;
	packed) mopts=(--packed) ;;
	mq) mopts=(--queues 2) q=2 ;;
	*) fail "unknown case $c" ;;
	esac
	[[ $c == cancel ]] && bw=$((4 << 20))
	[[ $c == integrity ]] && bw=$((${MIGTEST_INT_BW:-4096} << 20)) dl=${MIGTEST_INT_DL:-300}
	t0=$SECONDS
	start_switch $q
	rm -f "$T"/m_*.qmp "$T"/p.ctl.*
	mkfifo "$T/p.ctl.in" "$T/p.ctl.out"
	local m=(--mac "$MAC_M" --ip "$IP_M/24" --cmd "$mcmd" "${mopts[@]}")
	guest m_src "$ROLE" --socket "$SOCK2" --qmp "$T/m_src.qmp" "${m[@]}"
	guest m_dst "$ROLE" --socket "$SOCK3" --qmp "$T/m_dst.qmp" "${m[@]}" -- -incoming defer
	case $c in
	iperf) p_iperf_cmd ;;
	integrity) p_udp_cmd ;;
	*) p_ping_cmd ;;
	esac >"$T/p.cmd"
	guest p "$ROLE" --socket "$SOCK1" --mac "$MAC_P" --ip "$IP_P/24" --cmd-file "$T/p.cmd" \
		-- -serial "pipe:$T/p.ctl"
	wait_for "$c: M up on the source" 90 grep -q '^VSW-M up' "$T/m_src.log"
	wait_for "$c: the destination's QMP" 30 qmp "$T/m_dst.qmp" query-status
	if [[ $c == iperf ]]; then
		wait_for "$c: P's iperf3 running" 90 grep -q '^VSW-P iperf running' "$T/p.log"
		IPERF_T0=${EPOCHREALTIME/[.,]/}
		sleep 2
	elif [[ $c == integrity ]]; then
		wait_for "$c: M's receiver listening" 30 grep -q '^UDPSEQ-LISTENING' "$T/m_src.log"
		wait_for "$c: P ready" 90 grep -q '^VSW-P ready' "$T/p.log"
		echo go >"$T/p.ctl.in"
		wait_for "$c: P's stream reaching M" 20 bash -c \
			"tr -d '\r' <'$T/m_src.log' | grep '^UDPSEQ-PROGRESS' | grep -qv ' received=0 '"
		sleep 2
	else
		wait_for "$c: P pinging" 90 grep -q '^VSW-P pinging' "$T/p.log"
		sleep 1
	fi
	[[ $c == mq ]] && { console m_src | grep -q 'queues=2 link=up' ||
		fail "mq: M has not 2 queue pairs: $(console m_src | grep NIC)"; }

	migrate_start "$bw" "$dl"
	if [[ $c == cancel ]]; then
		wait_for "cancel: migration active" 20 bash -c \
			"${QMP[*]} '$T/m_src.qmp' query-migrate | grep -q '\"status\": \"active\"'"
		sleep 1
		st=$(qmp "$T/m_src.qmp" query-migrate | json 'd["status"]')
		[[ $st == active ]] || fail "cancel: the migration was '$st' before the cancel (too fast for 4 MB/s?)"
		qmp "$T/m_src.qmp" query-migrate >"$T/precancel.json"
		if [[ $SWITCH == vsw ]]; then
			local feats
			feats=$(vswctl --json port show s2 | tr -d '\n ')
			grep -q '"log_all"' <<<"$feats" ||
				fail "cancel: vsw's port s2 has not negotiated log_all while the migration runs: $feats"
		fi
		qmp "$T/m_src.qmp" migrate_cancel >/dev/null || fail "cancel: migrate_cancel failed"
	fi
	migrate_wait 150
	if [[ $c == cancel ]]; then
		[[ $MIG_STATUS == cancelled ]] || fail "cancel: the migration ended '$MIG_STATUS', not cancelled"
		st=$(qmp "$T/m_src.qmp" query-status | json 'd["status"]')
		[[ $st == running ]] || fail "cancel: the source is '$st' after the cancel"
		if [[ $SWITCH == vsw ]]; then
			wait_for "cancel: log_all off on vsw's port s2" 10 bash -c \
				"! '$VSWCTL' -s '$VSW_SOCK' --json port show s2 | grep -q '\"log_all\"'"
		fi
		cp "$T/precancel.json" "$T/mig.json"
	else
		[[ $MIG_STATUS == completed ]] || fail "$c: the migration ended '$MIG_STATUS'"
		dst_running 20
		st=$(qmp "$T/m_src.qmp" query-status | json 'd["status"]')
		[[ $st == postmigrate ]] || fail "$c: the source is '$st' after the migration"
		qmp "$T/m_src.qmp" quit >/dev/null || true
	fi

	local res lost dt tt setup ram
	dt=$(mig 'd.get("downtime", 0)') tt=$(mig 'd.get("total-time", 0)') setup=$(mig 'd.get("setup-time", 0)')
	ram=$(mig '"%.1f" % (d.get("ram", {}).get("transferred", 0) / 1048576)')
	if [[ $c == integrity ]]; then
		# 2 s of the stream on the destination, then back to a new QEMU on
		# port 2: a second switch-over, a second chance for a page the
		# switch wrote unlogged to be read stale.
		log "$c: migrated to port 3 in $tt ms, downtime $dt ms; now back to port 2"
		stream_resumed m_dst
		guest m_back "$ROLE" --socket "$SOCK2" --qmp "$T/m_back.qmp" "${m[@]}" -- -incoming defer
		wait_for "$c: the second destination's QMP" 30 qmp "$T/m_back.qmp" query-status
		MIG_SRC=m_dst MIG_DST=m_back
		migrate_start "$bw" "$dl"
		migrate_wait 150
		[[ $MIG_STATUS == completed ]] || fail "$c: the migration back ended '$MIG_STATUS'"
		dst_running 20
		qmp "$T/m_dst.qmp" quit >/dev/null || true
		local dt2 tt2
		dt2=$(mig 'd.get("downtime", 0)') tt2=$(mig 'd.get("total-time", 0)')
		stream_resumed m_back
		sleep 1
		echo stop >"$T/p.ctl.in"
		r=0; guest_wait p 30 || r=$?
		[[ $r -eq 0 ]] || fail "$c: P ended with $r: $(console p | tail -n 8)"
		local sent_line first_dst final i ended=1
		sent_line=$(console p | grep '^UDPSEQ-SENT' | tail -n 1)
		[[ -n "$sent_line" ]] || fail "$c: P's udpseq printed no count: $(console p | tail -n 8)"
		# The receiver ends 300 ms after P's end marker: none, no result,
		# and its last progress line is all there is.
		for ((i = 0; i < 100; i++)); do
			grep -q '^VSW-M counters' "$T/m_back.log" && break
			sleep 0.1
		done
		final=$(console m_back | grep '^UDPSEQ-RESULT' | tail -n 1)
		[[ -n "$final" ]] || { ended=0; final=$(console m_back | grep '^UDPSEQ-PROGRESS' | tail -n 1); }
		first_dst=$(console m_back | grep -m 1 '^UDPSEQ-PROGRESS')
		local kc gaps
		kc=$(console m_back | sed -n 's/^VSW-M counters //p')
		gaps=$(console m_back | sed -n 's/^UDPSEQ-GAP //p' | tr '\n' ' ')
		log "$c: M's kernel: ${kc:-no counters}; the first runs of missing datagrams: ${gaps:-none}"
		local u_rx u_bad u_dup u_reord u_miss u_sent u_dst
		u_rx=$(udpseq_field received "$final") u_bad=$(udpseq_field corrupted "$final")
		u_dup=$(udpseq_field duplicates "$final") u_reord=$(udpseq_field reordered "$final")
		u_miss=$(udpseq_field missing "$final") u_sent=$(udpseq_field sent "$final")
		u_dst=$((u_rx - $(udpseq_field received "$first_dst")))
		echo "MIGRESULT switch=$SWITCH case=$c status=$MIG_STATUS sent=$u_sent received=$u_rx corrupted=$u_bad duplicates=$u_dup reordered=$u_reord missing=$u_miss dst_received=$u_dst downtime_ms=$dt total_ms=$tt setup_ms=$setup ram_mb=$ram downtime2_ms=$dt2 total2_ms=$tt2"
		((u_bad == 0)) ||
			fail "$c: M received $u_bad corrupted datagrams (bytes not those of their number): $(console m_back | grep '^UDPSEQ-BAD' | head -n 5 | tr '\n' ';') $final"
		((u_dup == 0)) ||
			fail "$c: M received $u_dup datagrams twice (an old buffer seen again): $final"
		((u_dst >= UDP_DST_MIN)) ||
			fail "$c: M received only $u_dst datagrams after the second migration (at least $UDP_DST_MIN): the stream did not resume (its receive queue hung?): $final"
		((ended)) ||
			fail "$c: P's end marker never reached M: P $sent_line; M's last: $final"
		res="$u_rx of $u_sent datagrams received, $u_dst after the second migration (back in $tt2 ms, downtime $dt2 ms), none corrupted or twice; $u_miss missing, $u_reord out of order"
	elif [[ $c == iperf ]]; then
		r=0; guest_wait p 60 || r=$?
		[[ $r -eq 0 ]] || fail "iperf: P's iperf3 did not complete across the migration (exit $r): $(console p | tail -n 12)"
		console p | grep -q 'receiver$' || fail "iperf: no receiver summary: $(console p | tail -n 8)"
		# iperf3 -t 20 started at IPERF_T0: the migration ended inside it.
		(((MIG_T1 - IPERF_T0) / 1000000 < 19)) ||
			fail "iperf: the migration ended $(((MIG_T1 - IPERF_T0) / 1000000)) s into iperf3's 20 s: not across it"
		res="iperf3 $(console p | awk '/receiver$/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }') Mbit/s completed"
		echo "MIGRESULT switch=$SWITCH case=$c status=$MIG_STATUS downtime_ms=$dt total_ms=$tt setup_ms=$setup ram_mb=$ram"
	else
		sleep 2
		echo stop >"$T/p.ctl.in"
		r=0; guest_wait p 30 || r=$?
		[[ $r -eq 0 ]] || fail "$c: P ended with $r: $(console p | tail -n 8)"
		res=$(console p | sed -n 's/^VSW-P result //p')
		[[ -n "$res" ]] || fail "$c: P printed no result: $(console p | tail -n 8)"
		local p_sent p_received p_maxgap p_at p_last50
		read -r p_sent p_received p_maxgap p_at p_last50 < <(sed 's/[a-z0-9]*=//g' <<<"$res")
		lost=$((p_sent - p_received))
		echo "MIGRESULT switch=$SWITCH case=$c status=$MIG_STATUS lost=$lost sent=$p_sent downtime_ms=$dt total_ms=$tt setup_ms=$setup ram_mb=$ram maxgap=$p_maxgap"
		((p_sent > 100)) || fail "$c: P sent only $p_sent pings"
		((p_last50 >= 50)) || fail "$c: pings did not resume: $p_last50 of P's last 50 came back ($res)"
		local bound
		if [[ $c == cancel ]]; then bound=$CANCEL_LOST; else bound=$(((dt + 19) / 20 + MARGIN)); fi
		((lost <= bound)) || fail "$c: P lost $lost pings, more than $bound (downtime $dt ms): $res"
		res="lost $lost of $p_sent pings (bound $bound; longest gap $p_maxgap from seq $p_at)"
	fi
	local what="$MIG_STATUS in"
	[[ $c == cancel ]] && what="cancelled after"
	log "$c: $what $tt ms (setup $setup ms, $ram MB sent), downtime $dt ms; $res; $((SECONDS - t0)) s for the case"
	guest_stop m_back
	guest_stop m_dst
	guest_stop m_src
	guest_stop p
	stop_switch
}

for c in $CASES; do run_case "$c"; done
echo "ok"
