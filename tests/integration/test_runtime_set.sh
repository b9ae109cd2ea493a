#!/usr/bin/env bash
# port.set and network.set on a running vswd, through vswctl only, with
# dpdk-testpmd guests: static MACs from the config are in the table; moving a
# port to another VLAN isolates it and moving its peer there joins them, in
# place, while unicast between two other guests loses nothing; a new MAC
# table size keeps the learned entries; a new socket path re-creates only
# that port; bad changes get clear errors and change nothing; config.dump
# shows the result.
source "$(dirname "$0")/lib.sh"

cfg=$(write_config set <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lan, mode: bridge, mac_table_size: 1024 }
ports:
  - { name: g1, type: vhost-user, network: lan, path: g1.sock }
  - { name: g2, type: vhost-user, network: lan, path: g2.sock }
  - { name: g3, type: vhost-user, network: lan, path: g3.sock, macs: ["02:00:00:00:99:03"] }
CFG
)
start_vswd set "$cfg"
RUN=$T/run-set
VSW_SOCK=$RUN/vsw.sock
wait_for "vswd" 20 test -S "$RUN/g3.sock"
assert_contains "$(vswctl fdb show network=lan)" "02:00:00:00:99:03" "static MAC from the config"

M1=02:00:00:00:61:01 M2=02:00:00:00:61:02 M3=02:00:00:00:61:03
tp_guest g1 $M1 $M2
tp_guest g2 $M2 $M1
tp_guest g3 $M3 $M1
wait_links_up 3 30
for g in g1 g2 g3; do tp_cmd $g "start"; done

# Everyone learned: one burst each (g1's goes to g2, the others' to g1).
tp_cmd g1 "stop"; tp_cmd g1 "start tx_first 1"; sleep 0.5
wait_stat g2 RX-packets 32 20
tp_cmd g2 "stop"; tp_cmd g2 "start tx_first 1"; sleep 0.5
wait_stat g1 RX-packets 32 20
tp_cmd g3 "stop"; tp_cmd g3 "start tx_first 1"
wait_stat g1 RX-packets 64 20
tp_cmd g3 "stop"

# g3 to VLAN 10 in place while g2 sends bursts to g1: none lost.
before=$(tp_port_stat g1 RX-packets)
for i in $(seq 8); do
	tp_cmd g2 "stop"
	tp_cmd g2 "start tx_first 1"
	if [[ $i == 4 ]]; then
		out=$(vswctl --json port set g3 vlan=10)
		assert_contains "$out" '"applied": "in place"' "vlan change"
	fi
	sleep 0.2
done
wait_stat g1 RX-packets $((before + 8 * 32)) 30
assert_contains "$(vswctl config dump)" "vlan: 10" "config.dump after port.set"

# g3 (VLAN 10) to g1 (untagged): nothing arrives; g1 to VLAN 10: it does.
before=$(tp_port_stat g1 RX-packets)
tp_cmd g3 "start tx_first 1"; sleep 1; tp_cmd g3 "stop"
assert_eq "$(tp_port_stat g1 RX-packets)" "$before" "g1 RX from a guest on another VLAN"
vswctl port set g1 vlan=10 >/dev/null
tp_cmd g3 "start tx_first 1"; sleep 0.5; tp_cmd g3 "stop"
wait_stat g1 RX-packets $((before + 32)) 20
# Two guests on one access VLAN: once g1 has spoken there, g3's unicast to
# it is copied guest to guest (frames go as they came, no tag to change).
direct_packets() { vswctl --json core list | python3 -c 'import json,sys; print(sum(c["direct_packets"] for c in json.load(sys.stdin)))'; }
tp_cmd g1 "stop"; tp_cmd g1 "start tx_first 1"; sleep 0.5
direct0=$(direct_packets)
before=$(tp_port_stat g1 RX-packets)
tp_cmd g3 "start tx_first 1"; sleep 0.5; tp_cmd g3 "stop"
wait_stat g1 RX-packets $((before + 32)) 20
assert_eq $(($(direct_packets) - direct0)) 32 "g3 to g1 within VLAN 10, copied directly"
# The static MAC followed g3 to VLAN 10.
assert_contains "$(vswctl fdb show network=lan)" "02:00:00:00:99:03" "static MAC after the VLAN change"

# Static MACs replaced at run time; null removes a key (g1 back to untagged).
vswctl port set g2 'macs=["02:00:00:00:99:02"]' >/dev/null
fdb=$(vswctl --json fdb show network=lan)
assert_contains "$fdb" "02:00:00:00:99:02" "static MAC set at run time"
vswctl port set g1 vlan=null g3=x 2>/dev/null && fail "an unknown key was accepted"
vswctl port set g1 vlan=null >/dev/null
vswctl port set g3 vlan=null >/dev/null
[[ "$(vswctl config dump)" != *"vlan: 10"* ]] || fail "vlan: 10 still in the config after null"
# Changing VLANs forgets what the port had learned: g1 speaks again.
before=$(tp_port_stat g2 RX-packets)
tp_cmd g1 "stop"; tp_cmd g1 "start tx_first 1"
wait_stat g2 RX-packets $((before + 32)) 20

# A larger MAC table keeps what was learned: unicast g2 -> g1 is not flooded to g3.
out=$(vswctl --json network set lan mac_table_size=4096 mac_aging=120)
assert_contains "$out" '"applied": "in place"' "network.set"
show=$(vswctl network show lan)
assert_contains "$show" "mac_table_size: 4096" "network show after network.set"
assert_contains "$show" "mac_aging: 120" "network show after network.set"
assert_contains "$(vswctl fdb show network=lan)" "$M1" "learned MAC kept over the resize"
tp_cmd g3 "start" # drain what was flooded to it while it was stopped
sleep 0.5
g3rx=$(tp_port_stat g3 RX-packets)
before=$(tp_port_stat g1 RX-packets)
tp_cmd g2 "stop"; tp_cmd g2 "start tx_first 2"
wait_stat g1 RX-packets $((before + 64)) 20
sleep 0.3
assert_eq "$(tp_port_stat g3 RX-packets)" "$g3rx" "g3 RX of unicast to g1 (flooded?)"

# Bad changes: clear errors, nothing changed.
set +e
out=$(vswctl port set g1 vlan=5000 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "vlan 5000"
assert_contains "$out" "vlan" "error names the key"
set +e
out=$(vswctl port set g1 network=nowhere 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "missing network"
assert_contains "$out" "nowhere" "error names the network"
set +e
out=$(vswctl port set g1 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "nothing to change"
assert_contains "$out" "nothing to change" "error message"
set +e
out=$(vswctl network set lan mode=host-only 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "mode change"
assert_contains "$out" "mode cannot change" "error message"

# Socket permissions in place; a new path re-creates g3 alone.
vswctl port set g2 socket_mode=0600 >/dev/null
assert_eq "$(stat -c %a "$RUN/g2.sock")" 600 "g2 socket mode"
tp_stop g3
out=$(vswctl --json port set g3 path=g3b.sock)
assert_contains "$out" '"applied": "re-created"' "path change"
wait_for "g3b.sock" 10 test -S "$RUN/g3b.sock"
[[ ! -e "$RUN/g3.sock" ]] || fail "old socket g3.sock left behind"
assert_contains "$(vswctl port list)" "g3" "g3 after re-creation"
before=$(tp_port_stat g1 RX-packets)
tp_cmd g2 "stop"; tp_cmd g2 "start tx_first 1"
wait_stat g1 RX-packets $((before + 32)) 20
echo "ok"
