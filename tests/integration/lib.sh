# Shared helpers for integration tests: start/stop vswd and peers by pid,
# temporary run directories, assertions, and a cleanup trap that leaves no
# process, socket, netns or hugepage file behind even when a test fails.
# Source it; then call the helpers. Exit 77 means "skipped, with a reason".
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VSW_BUILD=${VSW_BUILD:-$TOP/build}
VSWD=$VSW_BUILD/src/vswd
VSWCTL=$VSW_BUILD/tools/vswctl
TESTPMD=${TESTPMD:-dpdk-testpmd}
T=$(mktemp -d /tmp/vsw-it.XXXXXX)
_PIDS=()
_NETNS=()
_CLEANUPS=()

log() { echo "[$(date +%T)] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# guest_ready [COMMAND...]: QEMU and each host COMMAND (tools/guest/deps.sh
# installs what is missing), the test guest built (tools/guest/build.sh);
# sets ACCEL to what boots it (kvm or tcg), or skips with the reason.
guest_ready() {
	local guest=$TOP/tools/guest c
	for c in qemu-system-x86_64 "$@"; do
		command -v "$c" >/dev/null && continue
		"$guest/deps.sh" >"$T/deps.out" 2>&1 ||
			skip "QEMU is missing and tools/guest/deps.sh could not install it: $(tail -n1 "$T/deps.out")"
		break
	done
	"$guest/build.sh" >"$T/build.out" 2>&1 ||
		skip "the test guest could not be built (tools/guest/build.sh): $(tail -n1 "$T/build.out")"
	ACCEL=$("$guest/launch.sh" --probe 2>/dev/null) ||
		skip "neither KVM nor TCG boots the test guest here (launch.sh --probe: ${ACCEL:-none})"
}

# --- QEMU test guests (after guest_ready) --------------------------------------------
# guest NAME [launch.sh options]: boots a guest in the background; its console
# is $T/NAME.log, the launcher's own output $T/NAME-launch.log, its QEMU pid
# $T/NAME.qpid; GUEST_TIMEOUT (120 s) bounds it. Cleanup stops the launcher
# (which stops its QEMU), then the QEMU by its pid should the launcher have
# died first.
guest() {
	local name=$1
	shift
	"$TOP/tools/guest/launch.sh" --name "vsw-it-$name" --timeout "${GUEST_TIMEOUT:-120}" \
		--log "$T/$name.log" --pidfile "$T/$name.qpid" "$@" >"$T/$name-launch.log" 2>&1 &
	eval "GPID_$name=$!"
	on_exit "guest_stop $name"
}
guest_stop() {
	local pid q
	eval "pid=\${GPID_$1:-}"
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then stop_pid "$pid" 10 || true; fi
	eval "GPID_$1="
	q=$(cat "$T/$1.qpid" 2>/dev/null) || return 0
	if kill -0 "$q" 2>/dev/null && grep -q qemu "/proc/$q/cmdline" 2>/dev/null; then
		stop_pid "$q" 5 || true
	fi
	return 0
}
# guest_wait NAME: the launcher's exit status (the guest command's status).
guest_wait() {
	local pid rc=0
	eval "pid=\$GPID_$1"
	wait "$pid" || rc=$?
	eval "GPID_$1="
	return $rc
}
console() { tr -d '\r' <"$T/$1.log" 2>/dev/null; }

# veth_netns NS HOST_IF NS_IF ADDR/LEN: a network namespace NS (deleted at
# exit) holding NS_IF with ADDR, the far end of a veth whose near end HOST_IF
# (deleted at exit) stays here, up, for an af_packet port to read.
veth_netns() {
	ip netns add "$1"
	_NETNS+=("$1")
	on_exit "ip link del $2 2>/dev/null"
	ip link add "$2" type veth peer name "$3"
	ip link set "$3" netns "$1"
	ip link set "$2" up
	ip -n "$1" addr add "$4" dev "$3"
	ip -n "$1" link set "$3" up
	ip -n "$1" link set lo up
}

# track_pid PID: stopped (TERM, then KILL) at exit if still running.
track_pid() { _PIDS+=("$1"); }
# untrack_pid PID: a process the test has reaped itself (its pid may be reused).
untrack_pid() {
	local p keep=()
	for p in "${_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	_PIDS=("${keep[@]}")
}
on_exit() { _CLEANUPS+=("$1"); }

stop_pid() { # stop_pid PID [seconds]: TERM, wait, KILL; returns its exit status
	local pid=$1 secs=${2:-10} i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null
}

_cleanup() {
	local rc=$? c p
	set +e
	for c in "${_CLEANUPS[@]}"; do eval "$c"; done
	for p in "${_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && stop_pid "$p" 5 >/dev/null 2>&1
	done
	for n in "${_NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	if [[ $rc -ne 0 && $rc -ne 77 ]]; then
		for f in "$T"/*.log; do
			[[ -f "$f" ]] && { echo "--- $f (tail)"; tail -n 30 "$f"; }
		done
	fi
	rm -rf "$T"
	exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# wait_for DESCRIPTION SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for $what"
}

# A config file with its own run dir under $T. Usage: write_config NAME <<EOF ... EOF
# The text may use @RUN@ for the run directory.
write_config() {
	local name=$1 run=$T/run-$1
	sed "s|@RUN@|$run|g" >"$T/$name.yaml"
	echo "$T/$name.yaml"
}

# start_bridge NAME PORT...: vswd on the last CPU with vhost-user ports
# PORT (socket PORT.sock) in one bridge network, the set-up most tests
# start from. Sets CFG (the config's path), RUN, VSW_SOCK and VSWD_PID;
# returns when the sockets are there.
start_bridge() {
	local name=$1 p
	shift
	CFG=$({
		printf 'cores: [%s]\nrun_dir: @RUN@\nnetworks: [{ name: lan, mode: bridge }]\nports:\n' "$LAST_CPU"
		for p in "$@"; do
			printf '  - { name: %s, type: vhost-user, network: lan, path: %s.sock }\n' "$p" "$p"
		done
	} | write_config "$name")
	RUN=$T/run-$name
	VSW_SOCK=$RUN/vsw.sock
	start_vswd "$name" "$CFG"
	wait_for "vswd sockets" 20 test -S "$RUN/${*: -1}.sock"
}

# start_vswd NAME CONFIG [extra args]: starts vswd in the background; sets VSWD_PID.
start_vswd() {
	local name=$1 cfg=$2
	shift 2
	"$VSWD" -c "$cfg" "$@" >"$T/$name.log" 2>&1 &
	VSWD_PID=$!
	track_pid "$VSWD_PID"
}

assert_eq() { [[ "$1" == "$2" ]] || fail "${3:-values differ}: expected '$2', got '$1'"; }
assert_contains() { grep -qF -- "$2" <<<"$1" || fail "${3:-output} does not contain '$2': $1"; }

# A worker core that exists here: the last CPU.
LAST_CPU=$(($(nproc) - 1))

# --- dpdk-testpmd as a guest: net_virtio_user is a real vhost-user frontend.
# tp_start NAME VDEV [testpmd app args...]: testpmd pinned to CPU 0 (vswd's
# worker has the last CPU), commands read from a fifo; its output in $T/NAME.log.
tp_start() {
	local name=$1 vdev=$2 fd
	shift 2
	mkfifo "$T/$name.in"
	# Hold the fifo open so testpmd never reads EOF between our commands.
	exec {fd}<>"$T/$name.in"
	eval "_TP_FD_$name=$fd"
	# VDEV: one, or several separated by spaces (a testpmd with two ports).
	local vdevs=() v
	for v in $vdev; do vdevs+=(--vdev="$v"); done
	stdbuf -oL $TESTPMD --lcores=0@0,1@0 --no-pci --in-memory --single-file-segments \
		--file-prefix="vsw-it-$name-$$" -m 256 --log-level='*:warning' \
		"${vdevs[@]}" -- -i --total-num-mbufs=8192 "$@" \
		<"$T/$name.in" >"$T/$name.log" 2>&1 &
	eval "_TP_PID_$name=$!"
	track_pid $!
	on_exit "tp_stop $name"
	# The EAL leaves its telemetry sockets behind, even on a clean exit.
	on_exit "rm -rf /var/run/dpdk/vsw-it-$name-$$"
	wait_for "testpmd $name prompt" 30 grep -q "testpmd>" "$T/$name.log"
}

tp_cmd() { echo "$2" >"$T/$1.in"; }

# tp_guest NAME MAC PEER: a testpmd guest on vswd's socket $RUN/NAME.sock,
# receiving (rxonly), sending 64-byte frames to PEER when told to.
tp_guest() {
	tp_start "$1" "net_virtio_user0,path=$RUN/$1.sock,mac=$2,queue_size=256" \
		--forward-mode=rxonly --eth-peer=0,"$3" --txpkts=64
}

# tp_stop NAME: quit cleanly (so virtio_user closes its socket), else kill.
tp_stop() {
	local pid
	eval "pid=\${_TP_PID_$1:-}"
	[[ -n "$pid" ]] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	tp_cmd "$1" "quit" 2>/dev/null || true
	local i
	for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$pid" 5 || true
	eval "_TP_PID_$1="
}

# tp_port_stat NAME FIELD: e.g. tp_port_stat g1 RX-packets (port 0, since start or clear).
tp_port_stat() {
	local name=$1 field=$2 before
	before=$(grep -c "Throughput (since last show)" "$T/$name.log" || true)
	tp_cmd "$name" "show port stats 0"
	wait_for "stats from $name" 10 bash -c \
		"[ \$(grep -c 'Throughput (since last show)' '$T/$name.log') -gt $before ]"
	sleep 0.2 # the block's last lines
	awk -v f="$field:" '
		/NIC statistics for port 0/ { v = "" }
		{ for (i = 1; i <= NF; i++) if ($i == f) v = $(i + 1) }
		END { print v }' "$T/$name.log"
}

# wait_stat NAME FIELD VALUE SECONDS: until testpmd NAME's port 0 FIELD equals VALUE.
wait_stat() {
	local name=$1 field=$2 want=$3 secs=$4 got="" end=$((SECONDS + $4))
	while ((SECONDS < end)); do
		got=$(tp_port_stat "$name" "$field")
		[[ "$got" == "$want" ]] && return 0
		sleep 0.3
	done
	fail "$name $field: expected $want within ${secs}s, got '$got'"
}

vswctl() { "$VSWCTL" -s "$VSW_SOCK" "$@"; }

# telemetry CONFIG COMMAND: DPDK telemetry's answer to COMMAND (e.g.
# /vsw/ports) from the vswd running CONFIG, as one line of JSON.
telemetry() {
	local prefix
	prefix=$("$VSWD" --check -c "$1" | grep -o 'file-prefix=[^ ]*' | cut -d= -f2)
	python3 - "/var/run/dpdk/$prefix/dpdk_telemetry.v2" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.recv(1024)
s.send(sys.argv[2].encode())
print(json.dumps(json.loads(s.recv(65536))))
PY
}

# wait_links_up N SECONDS: until vswd (at $VSW_SOCK) reports N ports up.
wait_links_up() {
	wait_for "$1 links up" "$2" bash -c \
		"[[ \$('$VSWCTL' -s '$VSW_SOCK' --json port list | grep -c '\"up\"') -eq $1 ]]"
}
