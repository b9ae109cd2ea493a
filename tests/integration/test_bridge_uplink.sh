#!/usr/bin/env bash
# Bridge mode with an ethdev uplink: a veth into a network namespace that
# plays the outside host; the uplink is net_af_packet on the host end. The
# namespace pings a dpdk-testpmd icmpecho guest behind vsw.
source "$(dirname "$0")/lib.sh"
NS=vswit-ns$$
VA=vswa$$
VB=vswb$$
veth_netns "$NS" "$VA" "$VB" 10.232.0.1/24

cfg=$(write_config br <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lan, mode: bridge }
ports:
  - { name: up0, type: ethdev, network: lan, devargs: "net_af_packet0,iface=$VA" }
  - { name: g1, type: vhost-user, network: lan, path: g1.sock }
CFG
)
start_vswd br "$cfg"
RUN=$T/run-br
VSW_SOCK=$RUN/vsw.sock
wait_for "vswd" 20 test -S "$RUN/g1.sock"
tp_start g1 "net_virtio_user0,path=$RUN/g1.sock,mac=02:00:00:00:32:01" --forward-mode=icmpecho
tp_cmd g1 "start"
out=$(ip netns exec "$NS" ping -c 3 -i 0.3 -W 2 10.232.0.2 2>&1) || fail "ping from the namespace failed: $out"
assert_contains "$out" "3 received" "ping"
fdb=$(vswctl fdb show network=lan)
assert_contains "$fdb" "02:00:00:00:32:01" "guest MAC learned"
assert_contains "$fdb" "up0" "outside MAC learned on the uplink"
echo "ok"
