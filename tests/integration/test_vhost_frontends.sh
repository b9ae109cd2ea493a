#!/usr/bin/env bash
# The vhost-user backend against DPDK's net_virtio_user frontend in the
# variants users run: vsw as server and as client (server=1 on the
# frontend), 1 and 4 queue pairs, the packed ring, mergeable buffers off,
# in_order on and off. Each passes exact counts both ways, and port.show
# names the negotiated features. Then: a frontend killed
# mid-traffic comes back; vswd restarted under client-mode frontends
# resumes traffic without restarting them.
source "$(dirname "$0")/lib.sh"

M1=02:00:00:00:41:01
M2=02:00:00:00:41:02

# setup NAME MODE QUEUES: vswd with two ports g1 g2 in one bridge.
setup() {
	local name=$1 mode=$2 q=$3
	CFG=$(write_config "$name" <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks: [{ name: lan, mode: bridge }]
ports:
  - { name: g1, type: vhost-user, network: lan, path: g1.sock, mode: $mode, queues: $q }
  - { name: g2, type: vhost-user, network: lan, path: g2.sock, mode: $mode, queues: $q }
CFG
)
	RUN=$T/run-$name
	VSW_SOCK=$RUN/vsw.sock
	mkdir -p "$RUN"
}

# guests NAME Q DEVARGS_EXTRA: two testpmd guests, rxonly, q queues.
guests() {
	local name=$1 q=$2 extra=$3 g mac
	for g in 1 2; do
		eval "mac=\$M$g"
		tp_start "${name}_g$g" "net_virtio_user0,path=$RUN/g$g.sock,mac=$mac,queues=$q,queue_size=256$extra" \
			--forward-mode=rxonly --eth-peer=0,ff:ff:ff:ff:ff:ff --txpkts=64 --rxq="$q" --txq="$q"
	done
}

# exchange NAME Q: learning broadcasts both ways, then unicast g1 -> g2;
# every count exact.
exchange() {
	local name=$1 q=$2 n=$(($2 * 32))
	wait_links_up 2 30
	tp_cmd "${name}_g1" "start"
	tp_cmd "${name}_g2" "start tx_first 1"
	wait_stat "${name}_g1" RX-packets "$n" 30
	tp_cmd "${name}_g1" "stop"
	tp_cmd "${name}_g1" "start tx_first 1"
	wait_stat "${name}_g2" RX-packets "$n" 30
	tp_cmd "${name}_g1" "stop"
	tp_cmd "${name}_g1" "set eth-peer 0 $M2"
	tp_cmd "${name}_g1" "start tx_first 2"
	wait_stat "${name}_g2" RX-packets $((3 * n)) 30
	sleep 0.5
	assert_eq "$(tp_port_stat "${name}_g2" RX-packets)" $((3 * n)) "$name: g2 RX"
	assert_eq "$(tp_port_stat "${name}_g1" RX-packets)" "$n" "$name: g1 RX (unicast must not come back)"
	local st
	st=$(vswctl --json port stats g2)
	assert_contains "$st" "\"tx_packets\": $((3 * n))" "$name: vsw's tx count for g2"
	# The unicast, and only it, was copied guest to guest: split or packed.
	local direct
	direct=$(vswctl --json core list | python3 -c 'import json,sys; print(sum(c["direct_packets"] for c in json.load(sys.stdin)))')
	assert_eq "$direct" $((2 * n)) "$name: frames copied guest to guest"
}

variant() { # NAME MODE QUEUES EXTRA_DEVARGS
	local name=$1 mode=$2 q=$3 extra=$4
	log "variant $name: vsw $mode, $q queue pair(s), devargs '$extra'"
	setup "$name" "$mode" "$q"
	if [[ $mode == server ]]; then
		start_vswd "$name" "$CFG"
		wait_for "vswd sockets" 20 test -S "$RUN/g2.sock"
		guests "$name" "$q" "$extra"
	else
		# vsw connects and retries with back-off until the frontends listen.
		start_vswd "$name" "$CFG"
		wait_for "vswd" 20 test -S "$VSW_SOCK"
		guests "$name" "$q" ",server=1$extra"
	fi
	exchange "$name" "$q"
}

pid_of() { eval "echo \${_TP_PID_$1:-}"; }

variant srv server 1 ""
# A frontend killed mid-traffic: its port waits; a new frontend works.
tp_cmd srv_g2 "stop"
tp_cmd srv_g2 "set eth-peer 0 $M1"
tp_cmd srv_g2 "start tx_first 8"
kill -KILL "$(pid_of srv_g1)"
wait_for "g1 link down" 20 bash -c "'$VSWCTL' -s '$VSW_SOCK' port show g1 | grep -q 'link: down'"
eval "_TP_PID_srv_g1="
rm -f "$T/srv_g1.in"
tp_start srv_g1 "net_virtio_user0,path=$RUN/g1.sock,mac=$M1,queue_size=256" \
	--forward-mode=rxonly --eth-peer=0,$M2 --txpkts=64
wait_for "g1 link up" 20 bash -c "'$VSWCTL' -s '$VSW_SOCK' port show g1 | grep -q 'link: up'"
tp_cmd srv_g2 "stop"
tp_cmd srv_g2 "clear port stats all"
tp_cmd srv_g2 "start"
tp_cmd srv_g1 "start tx_first 1"
wait_stat srv_g2 RX-packets 32 30
tp_stop srv_g1; tp_stop srv_g2; stop_pid "$VSWD_PID"

variant mq4 server 4 ""
tp_stop mq4_g1; tp_stop mq4_g2; stop_pid "$VSWD_PID"
variant packed server 1 ",packed_vq=1"
tp_stop packed_g1; tp_stop packed_g2; stop_pid "$VSWD_PID"
variant nomrg server 1 ",mrg_rxbuf=0,in_order=1"
# What was negotiated, as port.show reports it.
feats() { vswctl --json port show "$1" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["features"]))'; }
assert_eq "$(feats g1)" "version_1 indirect_desc in_order" "nomrg: negotiated features"
tp_stop nomrg_g1; tp_stop nomrg_g2; stop_pid "$VSWD_PID"
# virtio_user takes in-order paths by default: the other paths too.
variant ooo server 1 ",in_order=0"
assert_eq "$(feats g1)" "version_1 mrg_rxbuf indirect_desc" "ooo: negotiated features"
tp_stop ooo_g1; tp_stop ooo_g2; stop_pid "$VSWD_PID"
variant cli client 2 ""

# vswd restarted under running client-mode frontends: they take it back.
log "restarting vswd under client-mode frontends"
stop_pid "$VSWD_PID"
start_vswd cli2 "$CFG"
wait_links_up 2 30
tp_cmd cli_g1 "stop"; tp_cmd cli_g2 "stop"
tp_cmd cli_g1 "clear port stats all"; tp_cmd cli_g2 "clear port stats all"
tp_cmd cli_g2 "start"
tp_cmd cli_g1 "start tx_first 1"
wait_stat cli_g2 RX-packets 64 30
echo "ok"
