#!/usr/bin/env bash
# vswd driven only through vswctl: add a network and vhost-user ports at run
# time, connect testpmd guests, compare port.stats with the guests' own
# counts exactly, capture packets to pcapng and read them back with tshark,
# delete a port while another keeps forwarding without loss, check DPDK
# telemetry, and start a second daemon from config.dump.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed (tools/setup/deps.sh installs it)"

cfg=$(write_config ctl <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
CFG
)
start_vswd ctl "$cfg"
RUN=$T/run-ctl
VSW_SOCK=$RUN/vsw.sock
wait_for "control socket" 20 test -S "$VSW_SOCK"

vswctl network add name=lan mode=bridge mac_aging=60 >/dev/null
for g in g1 g2 g3; do vswctl port add name=$g type=vhost-user network=lan path=$g.sock >/dev/null; done
set +e
out=$(vswctl port add name=g4 type=vhost-user network=nowhere path=g4.sock 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "port add to a missing network"
assert_contains "$out" "no network named 'nowhere' (networks: lan)" "error message"
set +e
out=$(vswctl port stats nope 2>&1); rc=$?
set -e
assert_eq "$rc" 1 "stats of a missing port"
assert_contains "$out" "no port named nope; ports are: g1, g2, g3" "error message"

M1=02:00:00:00:51:01 M2=02:00:00:00:51:02 M3=02:00:00:00:51:03
tp_guest g1 $M1 $M2
tp_guest g2 $M2 $M1
tp_guest g3 $M3 $M1
wait_links_up 3 30

# Learn everyone, then capture what g1 receives.
tp_cmd g1 "start"; tp_cmd g3 "start"
tp_cmd g2 "start tx_first 1"
wait_stat g1 RX-packets 32 30
tp_cmd g2 "stop"
vswctl capture start name=g1 file="$T/g1.pcapng" direction=tx packets=64 >/dev/null
tp_cmd g2 "start tx_first 2"
wait_stat g1 RX-packets 96 30
sleep 1
n=$(tshark -r "$T/g1.pcapng" 2>/dev/null | wc -l)
assert_eq "$n" 64 "packets in the capture"
src=$(tshark -r "$T/g1.pcapng" -T fields -e eth.src -e eth.dst 2>/dev/null | sort -u)
assert_eq "$src" "$M2	$M1" "addresses in the capture"

# Exact counts: vswctl against the guests.
assert_contains "$(vswctl --json port stats g1)" "\"tx_packets\": $(tp_port_stat g1 RX-packets)" "g1 counts"
assert_contains "$(vswctl --json port stats g2)" "\"rx_packets\": $(tp_port_stat g2 TX-packets)" "g2 counts"

# Delete g3 while g2 keeps sending to g1 in bursts: nothing lost.
tp_cmd g2 "stop"
before=$(tp_port_stat g1 RX-packets)
for i in $(seq 12); do
	tp_cmd g2 "start tx_first 1"
	[[ $i == 6 ]] && vswctl port del g3 >/dev/null
	sleep 0.2
	tp_cmd g2 "stop"
done
wait_stat g1 RX-packets $((before + 12 * 32)) 30
list=$(vswctl port list)
[[ "$list" != *g3* ]] || fail "g3 still listed after port del"

# DPDK telemetry shows the same ports and counters (/vsw/...).
tel() { telemetry "$cfg" "$1"; }
sleep 1.2 # published once a second
assert_contains "$(tel /vsw/ports)" '"g1"' "telemetry port list"
assert_contains "$(tel /vsw/port,g1)" '"link": "up"' "telemetry port counters"
assert_contains "$(tel /vsw/cores)" '"cycles_per_packet"' "telemetry cores"

# config.dump loads into a second daemon that builds the same switch.
vswctl config dump >"$T/dump.yaml"
stop_pid "$VSWD_PID"
start_vswd ctl2 "$T/dump.yaml"
wait_for "second daemon" 20 test -S "$VSW_SOCK"
list=$(vswctl port list)
assert_contains "$list" "g1" "ports of the second daemon"
assert_contains "$list" "g2" "ports of the second daemon"
assert_contains "$(vswctl network show lan)" "mac_aging: 60" "network settings"
echo "ok"
