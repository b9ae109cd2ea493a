#!/usr/bin/env bash
# Packet pools are sized from the ports and queues of the configuration:
# twice what the ports can hold at once, at least 8191, as 2^n-1 (one pool
# per NUMA socket; this machine has one). pool.list reports each pool's
# size and how many mbufs are in use: none when no packet moves.
source "$(dirname "$0")/lib.sh"

pool_line() { # NAME RX_QUEUES RX_DESC -> pool.list, then the daemon's pool log line
	local cfg null=""
	# net_null: an endless source, its packets flooded to v0 (no guest: dropped).
	[[ $2 -gt 0 ]] && null="  - { name: n0, type: ethdev, network: lan, devargs: \"net_null_$1\", rx_queues: $2, tx_queues: 1, rx_desc: $3, tx_desc: 1024 }"
	cfg=$(write_config "$1" <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
log_level: info
networks: [{ name: lan, mode: bridge }]
ports:
$null
  - { name: v0, type: vhost-user, network: lan, path: v0.sock }
CFG
)
	start_vswd "$1" "$cfg"
	wait_for "vswd $1" 20 test -S "$T/run-$1/vsw.sock"
	VSW_SOCK=$T/run-$1/vsw.sock
	vswctl --json pool list | tr -d ' \n'
	echo
	vswctl shutdown >/dev/null
	wait "$VSWD_PID" || fail "vswd $1 exited with $?"
	grep "packet pool on socket" "$T/$1.log"
}

# pools_check OUTPUT SIZE MAX_IN_USE: pool.list names the one pool with its
# size; in use + available = size; in use at most MAX_IN_USE.
pools_check() {
	local list
	list=$(grep '^\[' <<<"$1") || fail "no pool.list output: $1"
	python3 - "$list" "$2" "$3" <<'PY' || fail "pool.list: $list"
import json, sys
p = json.loads(sys.argv[1]); size = int(sys.argv[2]); most = int(sys.argv[3])
assert len(p) == 1 and p[0]["name"] == "vsw_mbufs_s0" and p[0]["socket"] == 0, p
assert p[0]["size"] == size and p[0]["in_use"] + p[0]["available"] == size, p
assert 0 <= p[0]["in_use"] <= most, p
PY
}

# 4 x 4096 rx + 1024 tx + 2 bursts of 32 for the worker and the control
# thread (ethdev), 64 (vhost-user, one queue pair), 2 x (384 + 128) (the
# worker's and the control thread's caches and bursts) = 18624; twice that
# rounds up to 65535.
out=$(pool_line big 4 4096)
assert_contains "$out" "65535 mbufs (ports there need 18624)" "large rings"
# The worker's burst and flood copies are all that is held at any moment.
pools_check "$out" 65535 256
# 512 + 1024 + 128 + 64 + 1024 = 2752: the 8191 floor.
out=$(pool_line small 1 512)
assert_contains "$out" "8191 mbufs (ports there need 2752)" "small rings"
pools_check "$out" 8191 256
# vhost-user alone (64 + 1024 = 1088): the floor, and nothing in use.
out=$(pool_line rest 0 0)
assert_contains "$out" "8191 mbufs (ports there need 1088)" "vhost-user only"
pools_check "$out" 8191 0
echo "ok"
