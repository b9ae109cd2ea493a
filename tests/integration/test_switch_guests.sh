#!/usr/bin/env bash
# Three dpdk-testpmd guests (net_virtio_user, a vhost-user frontend nobody
# here wrote) on a vsw bridge: broadcast floods to the others and never back;
# after learning, unicast reaches only its port; the counts of vswctl and of
# the guests match exactly; a guest in another network sees nothing.
source "$(dirname "$0")/lib.sh"

cfg=$(write_config sw <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lan, mode: bridge }
  - { name: other, mode: bridge, mac_aging: 2 }
ports:
  - { name: g1, type: vhost-user, network: lan, path: g1.sock }
  - { name: g2, type: vhost-user, network: lan, path: g2.sock }
  - { name: g3, type: vhost-user, network: lan, path: g3.sock }
  - { name: v1, type: vhost-user, network: lan, path: v1.sock, vlan: 20 }
  - { name: x1, type: vhost-user, network: other, path: x1.sock }
CFG
)
start_vswd sw "$cfg"
RUN=$T/run-sw
VSW_SOCK=$RUN/vsw.sock
wait_for "vswd" 20 test -S "$RUN/x1.sock"

for g in g1 g2 g3 v1 x1; do
	n=${g:1}
	mac="02:00:00:00:0${n}:0$([[ $g == x* ]] && echo 9 || ([[ $g == v* ]] && echo 7) || echo 1)"
	tp_start "$g" "net_virtio_user0,path=$RUN/$g.sock,mac=$mac,queue_size=256" \
		--forward-mode=rxonly --eth-peer=0,ff:ff:ff:ff:ff:ff --txpkts=64
	eval "MAC_$g=$mac"
done
wait_links_up 5 20
tp_cmd v1 "start"
tp_cmd x1 "start"

# Phase 1: each lan guest sends one burst of 32 broadcasts.
for g in g1 g2 g3; do
	tp_cmd $g "start tx_first 1"
	sleep 0.5
done
for g in g1 g2 g3; do
	wait_stat $g RX-packets 64 20
done
assert_eq "$(tp_port_stat x1 RX-packets)" 0 "other network's guest"
assert_eq "$(tp_port_stat v1 RX-packets)" 0 "guest on VLAN 20 (the others are untagged)"
out=$(vswctl fdb show network=lan)
for g in g1 g2 g3; do eval "assert_contains \"\$out\" \"\$MAC_$g\" 'fdb of lan'"; done
# Floods go through the bridge as mbufs, never the copy-once path.
assert_contains "$(vswctl --json core list)" '"direct_packets": 0' "no broadcast copied directly"

# Phase 2: g1 sends 4 bursts of unicast to g2: only g2 gets them.
for g in g1 g2 g3 v1 x1; do tp_cmd $g "stop"; tp_cmd $g "clear port stats all"; done
for g in g1 g2 g3; do vswctl port clear-stats $g >/dev/null; done
sleep 0.5
for g in g2 g3 x1; do tp_cmd $g "start"; done
tp_cmd g1 "set eth-peer 0 $MAC_g2"
tp_cmd g1 "start tx_first 4"
wait_stat g2 RX-packets 128 20
sleep 0.5
assert_eq "$(tp_port_stat g2 RX-packets)" 128 "g2 RX"
assert_eq "$(tp_port_stat g1 TX-packets)" 128 "g1 TX"
assert_eq "$(tp_port_stat g3 RX-packets)" 0 "g3 RX (unicast must not flood)"
assert_eq "$(tp_port_stat x1 RX-packets)" 0 "x1 RX"
stats=$(vswctl --json port stats g2)
assert_contains "$stats" '"tx_packets": 128' "vsw's count for g2"
stats=$(vswctl --json port stats g1)
assert_contains "$stats" '"rx_packets": 128' "vsw's count for g1"
assert_contains "$(vswctl --json port stats g3)" '"tx_packets": 0' "vsw's count for g3"
# Known unicast between two plain guest ports is copied guest to guest.
cores=$(vswctl --json core list)
assert_contains "$cores" '"direct_packets": 128' "unicast copied directly"
# Every round is counted, and the rounds that moved packets are among them.
assert_eq "$(python3 -c 'import json,sys; c = json.loads(sys.argv[1])[0]; print(c["rounds"] > c["busy_rounds"] > 0)' "$cores")" True "rounds counted"

# MAC move: g2's address shows up behind g3 (a VM moved), unicast follows.
tp_stop g3
tp_start g3b "net_virtio_user0,path=$RUN/g3.sock,mac=$MAC_g2,queue_size=256" \
	--forward-mode=rxonly --eth-peer=0,ff:ff:ff:ff:ff:ff --txpkts=64
wait_for "g3 back" 20 bash -c "'$VSWCTL' -s '$VSW_SOCK' port show g3 | grep -q 'link: up'"
tp_cmd g3b "start tx_first 1"
wait_for "MAC move" 10 bash -c "'$VSWCTL' -s '$VSW_SOCK' fdb show network=lan | grep '$MAC_g2' | grep -q g3"
assert_contains "$(vswctl network show lan)" "moves: 1" "move counter"
tp_cmd g3b "stop"; tp_cmd g3b "clear port stats all"; tp_cmd g3b "start"
tp_cmd g1 "stop"; tp_cmd g1 "start tx_first 1"
wait_stat g3b RX-packets 32 20

# Aging: network "other" forgets x1's MAC two seconds after it fell silent.
tp_cmd x1 "stop"; tp_cmd x1 "start tx_first 1"
wait_for "x1 learned" 10 bash -c "'$VSWCTL' -s '$VSW_SOCK' fdb show network=other | grep -q '$MAC_x1'"
tp_cmd x1 "stop"
wait_for "x1 aged out" 10 bash -c "! '$VSWCTL' -s '$VSW_SOCK' fdb show network=other | grep -q '$MAC_x1'"

# core.list shows the worker with its queues and cycles.
cores=$(vswctl --json core list)
assert_contains "$cores" '"g1:0"' "core.list queues"
echo "ok"
