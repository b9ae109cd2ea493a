#!/usr/bin/env bash
# Host-only: vsw makes the host interface (net_tap) with its address; the
# kernel pings a dpdk-testpmd guest in icmpecho mode through it and gets
# replies. The interface is gone when vswd stops.
source "$(dirname "$0")/lib.sh"
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun: cannot make a tap interface"
IF=vswit$$
IF=${IF:0:15}
cfg=$(write_config ho <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks:
  - { name: lab, mode: host-only, interface: $IF, address: 10.231.0.1/24 }
ports:
  - { name: g1, type: vhost-user, network: lab, path: g1.sock }
CFG
)
start_vswd ho "$cfg"
RUN=$T/run-ho
VSW_SOCK=$RUN/vsw.sock
wait_for "vswd" 20 test -S "$RUN/g1.sock"
wait_for "host interface" 10 ip link show "$IF"
ip -4 addr show dev "$IF" | grep -q "10.231.0.1/24" || fail "host interface has no address"
tp_start g1 "net_virtio_user0,path=$RUN/g1.sock,mac=02:00:00:00:31:01" --forward-mode=icmpecho
tp_cmd g1 "start"
out=$(ping -c 3 -i 0.3 -W 2 -I "$IF" 10.231.0.2 2>&1) || fail "ping through vsw failed: $out"
assert_contains "$out" "3 received" "ping"
list=$(vswctl port list)
assert_contains "$list" "$IF" "the host interface is a port"
stop_pid "$VSWD_PID"
! ip link show "$IF" >/dev/null 2>&1 || fail "host interface left behind"
echo "ok"
