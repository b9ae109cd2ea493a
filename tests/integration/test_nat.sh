#!/usr/bin/env bash
# A NAT network with real parts: two QEMU guests (tools/guest) get their
# addresses by DHCP from vsw (udhcpc: address, default route, DNS, MTU; g1
# by a static lease), ping the gateway, and reach servers in a network
# namespace behind the uplink (net_af_packet on a veth): ping, iperf3 TCP
# and UDP to an address on the uplink's network and to one behind the
# uplink_gateway (next hop by ARP). The server sees the uplink's address.
# A port forward lets the namespace reach an iperf3 server in g1; g2 pings g1
# directly (L2 inside the network). vswd is restarted under g2, which asks
# for its address again and gets the same one (the lease file). The
# counters and sessions are checked through vswctl.
# Skipped (77) without root or when no guest can boot here.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "NAT guests need root (vswd, veth, netns)"
guest_ready iperf3 ethtool
GUEST_TIMEOUT=180
log "guests run under $ACCEL"

NS=vswnat$$
VA=vsnA$$
VB=vsnB$$
VA=${VA:0:15}
VB=${VB:0:15}
veth_netns "$NS" "$VA" "$VB" 198.51.100.1/24
ip -n "$NS" addr add 203.0.113.7/32 dev lo
ip -n "$NS" addr add 198.51.100.3/24 dev "$VB"
# A veth hands af_packet frames with the checksum left to "hardware" (the
# namespace's TCP would reach the guests with a partial checksum); a real NIC
# or tap on the uplink does not.
ip netns exec "$NS" ethtool -K "$VB" tx off >/dev/null
# A router's job in the namespace: 203.0.113.7 is "behind" 198.51.100.1.
ip netns exec "$NS" iperf3 -s --logfile "$T/srv.log" >/dev/null 2>&1 &
track_pid $!

G1MAC=52:54:00:12:34:01
G2MAC=52:54:00:12:34:02
cfg=$(write_config nat <<CFG
cores: [$LAST_CPU]
run_dir: @RUN@
networks:
  - name: nat
    mode: nat
    subnet: 192.168.122.1/24
    dhcp_start: 192.168.122.100
    dhcp_end: 192.168.122.199
    dns: [192.0.2.53]
    mtu: 1400
    uplink: up0
    uplink_address: 198.51.100.2/24
    uplink_gateway: 198.51.100.1
    static_leases: [{ mac: "$G1MAC", ip: 192.168.122.50 }]
    forwards:
      - { proto: tcp, port: 2222, to: 192.168.122.50, to_port: 5201 }
      - { proto: tcp, port: 8080, to: 192.168.122.50, to_port: 80 }
ports:
  - { name: up0, type: ethdev, network: nat, devargs: "net_af_packet0,iface=$VA" }
  - { name: g1, type: vhost-user, network: nat, path: g1.sock }
  - { name: g2, type: vhost-user, network: nat, path: g2.sock }
CFG
)
RUN=$T/run-nat
VSW_SOCK=$RUN/vsw.sock
start_vswd nat "$cfg"
wait_for "vswd" 30 test -S "$RUN/g2.sock"


FUNCS='reach() { i=0; until ping -c 1 -W 1 "$1" >/dev/null 2>&1; do
	i=$((i + 1)); if [ $i -ge 60 ]; then echo "VSW-T unreachable $1"; return 1; fi; done; }
pings() { h=$1; shift; reach $h || return 1; ping -c 5 -i 0.2 "$@" $h; }
iperfc() { h=$1; shift; i=0; while [ $i -lt 40 ]; do
	iperf3 -c $h -f m "$@" >/tmp/ip.out 2>&1 && { cat /tmp/ip.out; return 0; }
	i=$((i + 1)); sleep 0.5; done; cat /tmp/ip.out; return 1; }
lease() { echo "VSW-T $1 ip=$(ip -4 addr show eth0 | awk "/inet /{print \$2}") $(ip route | grep default | tr -s " " | tr " " _) dns=$(grep nameserver /etc/resolv.conf | tr -d "\n" | tr " " _) mtu=$(cat /sys/class/net/eth0/mtu)"; }'

guest g1 --socket "$RUN/g1.sock" --mac "$G1MAC" --ip dhcp --cmd "$FUNCS
lease lease
pings 192.168.122.1 || exit 1
pings 198.51.100.1 || exit 2
pings 203.0.113.7 || exit 3
# Two neighbours on the uplink's network at once: each keeps its ARP entry.
ping -c 10 -i 0.2 198.51.100.3 >/tmp/p3.out 2>&1 & ping -c 10 -i 0.2 198.51.100.1; wait
grep -q '10 packets received' /tmp/p3.out || { cat /tmp/p3.out; exit 6; }
iperfc 203.0.113.7 -t 2 || exit 4
iperfc 198.51.100.1 -u -b 20M -t 2 || exit 5
ethtool -k eth0 | grep -q '^tcp-segmentation-offload: on' && echo VSW-T tso-on
mkdir -p /www; dd if=/dev/urandom of=/www/blob bs=65536 count=64 2>/dev/null
echo VSW-T blob \$(sha256sum /www/blob | cut -c1-64)
httpd -p 80 -h /www
echo VSW-T serving
timeout 90 iperf3 -s -1 >/tmp/srv.out 2>&1; rc=\$?
grep -o 'Accepted connection from [0-9.]*' /tmp/srv.out | sed 's/^/VSW-T /'
exit \$rc"

guest g2 --socket "$RUN/g2.sock" --mac "$G2MAC" --ip dhcp --cmd "$FUNCS
lease lease
pings 192.168.122.50 || exit 1
pings 203.0.113.7 || exit 2
# An address of its own choosing: not leased to g2, so not translated.
ip addr add 192.168.122.77/24 dev eth0
ping -c 3 -W 1 -I 192.168.122.77 203.0.113.7 >/dev/null 2>&1 && echo VSW-T spoof-passed
ip addr del 192.168.122.77/24 dev eth0
echo VSW-T phase1
# vswd goes away and comes back: wait for the carrier to drop and return.
i=0; while [ \"\$(cat /sys/class/net/eth0/carrier)\" = 1 ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
i=0; while [ \"\$(cat /sys/class/net/eth0/carrier)\" != 1 ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
udhcpc -i eth0 -q -n -t 10 -T 1 -s /bin/vsw-udhcpc.script >/dev/null 2>&1 || echo VSW-T renew-failed
lease again
pings 203.0.113.7 || exit 3
# The restarted vswd keeps 16 sessions at most: a long ping holds one while
# one-shot pings (a new ICMP id each) fill the table; it must not suffer.
ping -c 25 -i 0.2 203.0.113.7 >/tmp/long.out 2>&1 &
sleep 0.5
ok=0; for i in \$(seq 30); do ping -c 1 -W 1 203.0.113.7 >/dev/null 2>&1 && ok=\$((ok + 1)); done
wait
echo VSW-T flood ok=\$ok long=\$(grep -o '[0-9]* packets received' /tmp/long.out)"

# --- the forward: the namespace reaches g1's iperf3 server via 198.51.100.2:2222
wait_for "g1 to serve" 240 grep -q "VSW-T serving" "$T/g1.log"
# A 4 MiB file from g1's web server through the forward: the guest's TSO
# frames cross the NAT whole and are cut for the wire; it must arrive intact.
want=$(sed -n 's/^VSW-T blob //p' "$T/g1.log" | tr -d '\r')
got=$(ip netns exec "$NS" python3 -c '
import hashlib, sys, time, urllib.request
for i in range(20):
    try:
        print(hashlib.sha256(urllib.request.urlopen("http://198.51.100.2:8080/blob", timeout=20).read()).hexdigest()); break
    except OSError: time.sleep(0.5)')
[[ -n "$want" && "$got" == "$want" ]] || fail "the file from g1 through the NAT differs: sent $want, got '$got'"
grep -q 'VSW-T tso-on' "$T/g1.log" || fail "g1 has no TSO: the NAT's TSO path was not exercised"
log "4 MiB over HTTP from g1 through the forward: sha256 matches"

# "serving" comes just before the server listens: a refusal (the guest's
# RST, through the forward) is retried.
for i in $(seq 20); do
	out=$(ip netns exec "$NS" iperf3 -c 198.51.100.2 -p 2222 -t 2 -f m 2>&1) && break
	sleep 0.5
done
grep -q receiver <<<"$out" || fail "iperf3 through the port forward failed: $out"
log "forward: $(grep -E 'sender' <<<"$out" | tr -s ' ')"
rc=0; guest_wait g1 || rc=$?
[[ $rc -eq 0 ]] || fail "g1 ended with $rc: $(console g1 | tail -n 20)"
c1=$(console g1)
assert_contains "$c1" "VSW-T lease ip=192.168.122.50/24 default_via_192.168.122.1" "g1's static lease and route"
assert_contains "$c1" "dns=nameserver_192.0.2.53" "g1's DNS"
assert_contains "$c1" "mtu=1400" "g1's MTU from DHCP"
assert_contains "$c1" "VSW-T Accepted connection from 198.51.100.1" "g1 served the namespace through the forward"
grep -q "Accepted connection from 198.51.100.2" "$T/srv.log" ||
	fail "the outside server did not see the uplink's address: $(cat "$T/srv.log")"
! console g1 | grep 'packets transmitted' | grep -qv ' 0% packet loss' ||
	fail "g1 lost pings: $(console g1 | grep -A2 statistics)"

# --- counters and sessions while g2 still runs
wait_for "g2 phase 1" 120 grep -q "VSW-T phase1" "$T/g2.log"
show=$(vswctl --json nat show nat)
python3 - "$show" <<'PY' || fail "nat show: $show"
import json, sys
s = json.loads(sys.argv[1]); c = s["counters"]
assert c["translated_out"] > 100 and c["translated_in"] > 100, c
assert c["ping_replied"] >= 5 and c["arp_replied"] >= 1, c
assert c["dhcp"]["ack"] >= 2 and c["dhcp"]["offer"] >= 2, c["dhcp"]
assert s["next_hop"] == "resolved", s
assert c["arp_requests"] <= 6, c  # one per neighbour, not one per packet
assert s["forwards"][0] == {"proto": "tcp", "port": 2222, "to": "192.168.122.50", "to_port": 5201}, s
PY
assert_eq "$(grep -c 'VSW-T spoof-passed' "$T/g2.log")" 0 "pings from an address not leased to g2"
python3 -c 'import json,sys; c=json.loads(sys.argv[1])["counters"]["drops_by_reason"]; assert c["spoofed"] >= 3, c' "$show" ||
	fail "spoofed pings not counted: $show"

# Forwards at run time: added, listed, in config.dump, refused twice, removed.
vswctl nat forward-add nat proto=udp port=5353 to=192.168.122.100 to_port=53 >/dev/null
assert_contains "$(vswctl --json nat forwards nat)" '"port": 5353' "a run-time forward"
assert_contains "$(vswctl config dump)" "proto: udp, port: 5353, to: 192.168.122.100, to_port: 53" "forward in config.dump"
out=$(vswctl nat forward-add nat proto=udp port=5353 to=192.168.122.100 2>&1) && fail "a second forward of udp 5353 was accepted"
assert_contains "$out" "forwarded already" "duplicate forward"
out=$(vswctl nat forward-add nat proto=tcp port=80 to=10.9.9.9 2>&1) && fail "a forward outside the subnet was accepted"
assert_contains "$out" "inside the subnet" "forward outside the subnet"
# Bad parameters to the nat.* methods: each refused with what is wrong.
while IFS='|' read -r args want; do
	# shellcheck disable=SC2086 # the arguments are words
	out=$(vswctl nat $args 2>&1) && fail "vswctl nat $args was accepted"
	assert_contains "$out" "$want" "vswctl nat $args"
done <<'BAD'
forward-add nat proto=icmp port=80 to=192.168.122.100|proto must be tcp or udp
forward-add nat proto=tcp port=0 to=192.168.122.100|port must be 1..65535
forward-add nat proto=tcp port=70000 to=192.168.122.100|port must be 1..65535
forward-add nat proto=tcp port=http to=192.168.122.100|port must be 1..65535
forward-add nat proto=tcp port=80 to=192.168.122|to must be an IPv4 address
forward-add nat proto=tcp port=80 to=192.168.122.100 to_port=0|to_port must be 1..65535
forward-add nat proto=tcp port=80|missing
forward-del nat proto=sctp port=80|proto must be tcp or udp
sessions nat proto=gre|proto must be tcp, udp or icmp
sessions nat addr=300.1.1.1|addr must be an IPv4 address
sessions nat port=-1|port must be 0..65535
sessions nat limit=0|limit must be
BAD
[[ "$(vswctl --json nat forwards nat)" != *'"port": 80,'* ]] || fail "a refused forward was added"
vswctl nat forward-del nat proto=udp port=5353 >/dev/null
[[ "$(vswctl --json nat forwards nat)" != *5353* ]] || fail "forward-del left the forward"
out=$(vswctl nat show default 2>&1) && fail "nat show of a missing network succeeded"
assert_contains "$out" "no network named default" "nat show of a missing network"

# DPDK telemetry: /vsw/nat,<network>.
tel=$(telemetry "$cfg" /vsw/nat,nat)
python3 -c 'import json,sys; t=json.loads(sys.argv[1])["/vsw/nat"]; assert t["translated_out"] > 100 and t["max_sessions"] == 65536 and t["leases"] >= 2, t' "$tel" ||
	fail "telemetry /vsw/nat: $tel"

sess=$(vswctl --json nat sessions nat proto=icmp)
assert_contains "$sess" '"external": "198.51.100.2"' "an ICMP session"
leases=$(vswctl --json nat leases nat)
g2ip=$(python3 -c 'import json,sys; print([l["ip"] for l in json.loads(sys.argv[1]) if l["mac"]=="52:54:00:12:34:02" and l["state"]=="bound"][0])' "$leases") ||
	fail "no bound lease for g2: $leases"
log "leases: g1 192.168.122.50 (static), g2 $g2ip"

# A NAT setting changed at run time re-makes the gateway; leases stay.
out=$(vswctl network set nat lease_time=600)
assert_contains "$out" "gateway re-created" "network set lease_time"
assert_contains "$(vswctl --json nat leases nat)" '"52:54:00:12:34:02"' "g2's lease after the gateway was re-made"
assert_contains "$(vswctl network set nat mac_aging=120)" "in place" "network set mac_aging"

# --- restart: the lease file keeps g2's address
stop_pid "$VSWD_PID" 10 || true
untrack_pid "$VSWD_PID"
test -s "$RUN/nat.leases" || fail "no lease file in the run directory"
# The same network, with room for 16 sessions (run directory and lease file
# the same).
sed 's/^    mode: nat$/    mode: nat\n    max_sessions: 16/' "$cfg" >"$T/nat-small.yaml"
start_vswd nat2 "$T/nat-small.yaml"
wait_for "vswd again" 30 test -S "$RUN/g2.sock"
rc=0; guest_wait g2 || rc=$?
[[ $rc -eq 0 ]] || fail "g2 ended with $rc: $(console g2 | tail -n 20)"
c2=$(console g2)
assert_contains "$c2" "VSW-T lease ip=$g2ip/24" "g2's first lease"
assert_contains "$c2" "VSW-T again ip=$g2ip/24" "g2's address after the restart"
flood=$(grep 'VSW-T flood' <<<"$c2") || fail "g2 did not flood: $(tail -n 20 <<<"$c2")"
assert_contains "$flood" "long=25 packets received" "the long ping while the table was full"
ok=$(sed 's/.*ok=\([0-9]*\).*/\1/' <<<"$flood")
((ok <= 16)) || fail "more one-shot pings passed than a 16-session table holds: $flood"
show=$(vswctl --json nat show nat)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); c=s["counters"]["drops_by_reason"]; assert c["table_full"] > 0 and s["sessions"] <= 16, s' "$show" ||
	fail "table full not counted: $show"
log "16-session table: $ok of 30 new pings got through, the long one lost none"
log "ok: DHCP, ping, TCP, UDP, next hop, forward, L2 inside, restart"
