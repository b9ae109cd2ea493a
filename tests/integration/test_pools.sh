#!/usr/bin/env bash
# Packet pools are sized from the ports and queues of the configuration:
# twice what the ports can hold at once, at least 8191, as 2^n-1 (one pool
# per NUMA socket; this machine has one).
source "$(dirname "$0")/lib.sh"

pool_line() { # NAME RX_QUEUES RX_DESC -> the daemon's pool log line
	local cfg
	cfg=$(write_config "$1" <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
log_level: info
networks: [{ name: lan, mode: bridge }]
ports:
  - { name: n0, type: ethdev, network: lan, devargs: "net_null_$1", rx_queues: $2, tx_queues: 1, rx_desc: $3, tx_desc: 1024 }
  - { name: v0, type: vhost-user, network: lan, path: v0.sock }
CFG
)
	start_vswd "$1" "$cfg"
	wait_for "vswd $1" 20 test -S "$T/run-$1/vsw.sock"
	VSW_SOCK=$T/run-$1/vsw.sock vswctl shutdown >/dev/null
	wait "$VSWD_PID" || fail "vswd $1 exited with $?"
	grep "packet pool on socket" "$T/$1.log"
}

# 4 x 4096 rx + 1024 tx + 2 bursts of 32 for the worker and the control
# thread (ethdev), 64 (vhost-user, one queue pair), 2 x (384 + 128) (the
# worker's and the control thread's caches and bursts) = 18624; twice that
# rounds up to 65535.
assert_contains "$(pool_line big 4 4096)" "65535 mbufs (ports there need 18624)" "large rings"
# 512 + 1024 + 128 + 64 + 1024 = 2752: the 8191 floor.
assert_contains "$(pool_line small 1 512)" "8191 mbufs (ports there need 2752)" "small rings"
echo "ok"
