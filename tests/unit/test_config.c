/* Unit tests of the YAML configuration loader: every example in config/
 * loads, the built-in default loads, and each bad input gets its own
 * message with file:line:column (the text is asserted, not just failure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/config_json.h"
#include "control/config.h"

static cpu_set_t two_cpus;
static const struct vsw_config_env env = { .cpus = &two_cpus };
static struct vsw_config cfg;

static int parse(const char *text, struct vsw_config_error *err)
{
	return vsw_config_parse(&cfg, text, strlen(text), "t.yaml", &env, err);
}

struct bad_case {
	const char *yaml;
	const char *expect; /* substring of the message, location included */
};

#define NET "networks:\n  - name: lan\n    mode: bridge\n"
#define VPORT(name, path) "  - name: " name "\n    type: vhost-user\n    network: lan\n    path: " path "\n"
/* A NAT network "n" on lines 1-6; its own keys start on line 7, column 5. */
#define NATNET_SU(subnet, up_addr)                                                                  \
	"networks:\n  - name: n\n    mode: nat\n    subnet: " subnet "\n    uplink: up\n"          \
	"    uplink_address: " up_addr "\n"
#define NATNET_S(subnet) NATNET_SU(subnet, "198.51.100.2/24")
#define NATNET NATNET_S("192.168.1.1/24")
#define EPORT(name, net) "  - name: " name "\n    type: ethdev\n    network: " net "\n    devargs: net_tap_" name "\n"
/* Two NAT networks in flow style on lines 2 and 3: the second's subnet
 * value starts at column 35. */
#define NAT_FLOW(name, subnet, up, up_addr)                                                        \
	"  - { name: " name ", mode: nat, subnet: " subnet ", uplink: " up ", uplink_address: " up_addr \
	" }\n"

static const struct bad_case bad_cases[] = {
	{ "corez: [1]\n", "t.yaml:1:1: unknown key 'corez' (allowed: cores, memory," },
	{ "cores: 1\n", "t.yaml:1:8: cores: must be a list, not a scalar" },
	{ "cores: [7]\n", "t.yaml:1:9: cores: core 7 does not exist or is not available to vswd (allowed: 0, 1)" },
	{ "cores: [1, 1]\n", "t.yaml:1:12: cores: core 1 is listed twice" },
	{ "cores: []\n", "t.yaml:1:8: cores: needs at least one core" },
	{ "memory: 10\n", "t.yaml:1:9: memory: 10 is out of range (allowed: 64-65536)" },
	{ "memory: lots\n", "t.yaml:1:9: memory: must be a whole number (allowed: 64-65536)" },
	{ "memory: 12abc\n", "t.yaml:1:9: memory: '12abc' is not a whole number" },
	{ "socket_hold: 601\n", "t.yaml:1:14: socket_hold: 601 is out of range (allowed: 0-600)" },
	{ "socket_hold: -1\n", "t.yaml:1:14: socket_hold: " },
	{ "cores: [1\n", "t.yaml:2:1: invalid YAML" },
	{ "", "t.yaml:1:1: the file is empty" },
	{ "log_level: loud\n", "t.yaml:1:12: log_level: 'loud' is not a log level (allowed: error, warning" },
	{ "run_dir: tmp/vsw\n", "t.yaml:1:10: run_dir: 'tmp/vsw' must be an absolute path" },
	{ "networks:\n  - name: a\n    mode: bridge\n  - name: a\n    mode: nat\n",
	  "t.yaml:4:5: networks[1]: missing required key 'subnet' (the gateway address and prefix" },
	{ "networks:\n  - name: a\n    mode: bridge\n  - name: a\n    mode: bridge\n",
	  "t.yaml:4:11: networks[1].name: network name 'a' is already used by networks[0]" },
	{ NET "ports:\n  - name: vm1\n    type: vhost-user\n    network: nope\n    path: /tmp/a.sock\n",
	  "t.yaml:7:14: ports[0]: no network named 'nope' (networks: lan)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") VPORT("vm1", "/tmp/b.sock"),
	  "t.yaml:9:11: ports[1]: port name 'vm1' is already used by ports[0]" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") VPORT("vm2", "/tmp/a.sock"),
	  "t.yaml:12:11: ports[1]: socket path '/tmp/a.sock' is already used by port 'vm1'" },
	{ "networks:\n  - name: lan\n", "t.yaml:2:5: networks[0]: missing required key 'mode' (bridge, nat or host-only)" },
	{ "networks:\n  - name: lan\n    mode: switch\n",
	  "t.yaml:3:11: networks[0].mode: 'switch' is not allowed (allowed: bridge, nat, host-only)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    queues: 17\n",
	  "t.yaml:9:13: ports[0].queues: 17 is out of range (allowed: 1-16)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    vlan: 4095\n",
	  "t.yaml:9:11: ports[0].vlan: 4095 is out of range (allowed: 1-4094)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    vlan: 10\n    trunk: [10]\n",
	  "t.yaml:10:12: ports[0]: a port has either an access 'vlan' or a 'trunk' list, not both" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    macs: [\"52:54:00:zz:00:01\"]\n",
	  "t.yaml:9:12: ports[0].macs: '52:54:00:zz:00:01' is not a MAC address" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    macs: [\"01:00:5e:00:00:01\"]\n",
	  "t.yaml:9:12: ports[0].macs: '01:00:5e:00:00:01' is a multicast address" },
	{ "networks:\n  - name: h\n    mode: host-only\n    address: 10.1.2.3\n",
	  "t.yaml:4:14: networks[0].address: '10.1.2.3' is not an IPv4 address with prefix length" },
	{ "networks:\n  - name: h\n    mode: host-only\n    address: 10.1.2.0/24\n",
	  "t.yaml:4:14: networks[0].address: '10.1.2.0/24' is the network or broadcast address" },
	{ "networks:\n  - name: lan\n    name: lan2\n    mode: bridge\n",
	  "t.yaml:3:5: networks[0]: key 'name' appears twice" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    devargs: net_tap0\n",
	  "t.yaml:9:14: ports[0]: key 'devargs' does not apply to a vhost-user port" },
	{ "networks:\n  - name: h\n    mode: host-only\nports:\n  - name: up\n    type: ethdev\n"
	  "    network: h\n    devargs: net_tap0\n",
	  "t.yaml:6:11: ports[0]: host-only network 'h' takes vhost-user ports only" },
	{ "networks:\n  - name: n\n    mode: nat\n    subnet: 192.168.1.1/24\n    uplink: vm1\n"
	  "    uplink_address: 198.51.100.2/24\nports:\n  - name: vm1\n    type: vhost-user\n"
	  "    network: n\n    path: /tmp/a.sock\n",
	  "t.yaml:5:13: networks[0].uplink: 'vm1' must name an ethdev port in network 'n'" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    disable_features: [foo]\n",
	  "t.yaml:9:24: ports[0].disable_features: 'foo' is not a feature vsw can turn off (allowed: mrg_rxbuf," },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    socket_mode: \"0999\"\n",
	  "t.yaml:9:18: ports[0].socket_mode: '0999' is not a file mode" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    owner: no-such-user-vsw\n",
	  "t.yaml:9:12: ports[0].owner: no user named 'no-such-user-vsw' on this machine" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    group: no-such-group-vsw\n",
	  "t.yaml:9:12: ports[0].group: no group named 'no-such-group-vsw' on this machine" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    owner: \"#12x\"\n",
	  "t.yaml:9:12: ports[0].owner: no user named '#12x' on this machine" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    group: \"#\"\n",
	  "t.yaml:9:12: ports[0].group: no group named '#' on this machine" },
	{ NET "ports:\n  - name: up\n    type: ethdev\n    network: lan\n    devargs: net_tap0\n    rx_desc: 1000\n",
	  "t.yaml:9:14: ports[0].rx_desc: 1000 is not a power of two" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    core: 0\n",
	  "t.yaml:9:11: ports[0]: core 0 is not one of the worker cores" },
	{ NET "ports:\n  - name: \"bad name\"\n    type: vhost-user\n    network: lan\n    path: /tmp/a.sock\n",
	  "t.yaml:5:11: ports[0].name: 'bad name' is not a valid name" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    mode: client\n    socket_mode: \"0660\"\n",
	  "t.yaml:5:5: ports[0]: owner, group and socket_mode apply to server mode only" },
	{ "cores: [1]\n---\ncores: [0]\n", "t.yaml:3:1: a second YAML document" },
	{ NET "ports:\n  - name: vm1\n    type: tap\n    network: lan\n", "t.yaml:6:11: ports[0].type: 'tap' is not allowed (allowed: vhost-user, ethdev)" },
	{ NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    mtu: 9001\n",
	  "t.yaml:9:10: ports[0].mtu: 9001 is out of range (allowed: 68-9000)" },
	{ "networks:\n  - name: n\n    mode: nat\n    subnet: 192.168.1.1/24\n    uplink: up\n"
	  "    uplink_address: 198.51.100.2/24\n    dhcp_start: 10.0.0.5\n",
	  "t.yaml:7:17: networks[0].dhcp_start: must be a host address inside subnet" },
	{ "networks:\n  - name: b\n    mode: bridge\n    interface: x\n",
	  "t.yaml:4:16: networks[0]: key 'interface' does not apply to a bridge network" },
	{ "networks: {name: x}\n", "t.yaml:1:11: networks: must be a list, not a mapping" },
	/* NAT networks (issue 15): keys, values and how they fit together. */
	{ NATNET "    dns: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]\n",
	  "t.yaml:7:44: networks[0].dns: too many DNS servers (at most 3)" },
	{ NATNET "    dns: [8.8.8]\n",
	  "t.yaml:7:11: networks[0].dns: '8.8.8' is not an IPv4 address (allowed: dotted quad" },
	{ NATNET "    dns: []\n",
	  "t.yaml:7:10: networks[0].dns: needs at least one address (leave dns out to hand out the "
	  "host's nameservers from /etc/resolv.conf)" },
	{ NATNET "    dns: 8.8.8.8\n", "t.yaml:7:10: networks[0].dns: must be a list, not a scalar" },
	{ NATNET "    dns: [224.0.0.1]\n",
	  "t.yaml:7:11: networks[0].dns: '224.0.0.1' is not a unicast address" },
	{ NATNET "    dns: [0.0.0.0]\n", "t.yaml:7:11: networks[0].dns: '0.0.0.0' is not a unicast address" },
	{ NATNET "    dns: [192.0.2.1, 192.0.2.1]\n",
	  "t.yaml:7:22: networks[0].dns: '192.0.2.1' is listed twice" },
	{ NATNET "    lease_time: 59\n",
	  "t.yaml:7:17: networks[0].lease_time: 59 is out of range (allowed: 60-31536000)" },
	{ NATNET "    lease_time: 31536001\n",
	  "t.yaml:7:17: networks[0].lease_time: 31536001 is out of range (allowed: 60-31536000)" },
	{ NATNET "    mtu: 575\n",
	  "t.yaml:7:10: networks[0].mtu: '575' is not an MTU to hand out (allowed: 576-9000, or 0: "
	  "send no MTU option)" },
	{ NATNET "    mtu: 9001\n", "t.yaml:7:10: networks[0].mtu: '9001' is not an MTU to hand out" },
	{ NATNET "    mtu: 1500x\n", "t.yaml:7:10: networks[0].mtu: '1500x' is not an MTU to hand out" },
	{ NATNET "    mtu: \"1500\"\n", "t.yaml:7:10: networks[0].mtu: '1500' is not an MTU to hand out" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:zz\", ip: 192.168.1.10 }\n",
	  "t.yaml:8:16: networks[0].static_leases[0].mac: '52:54:00:00:00:zz' is not a MAC address" },
	{ NATNET "    static_leases:\n      - { mac: \"01:00:5e:00:00:01\", ip: 192.168.1.10 }\n",
	  "t.yaml:8:16: networks[0].static_leases[0].mac: '01:00:5e:00:00:01' is a multicast "
	  "address; a guest's MAC is unicast" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:01\", ip: 10.0.0.5 }\n",
	  "t.yaml:8:41: networks[0].static_leases[0].ip: 10.0.0.5 is outside subnet 192.168.1.1/24" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:01\", ip: 192.168.1.1 }\n",
	  "t.yaml:8:41: networks[0].static_leases[0].ip: 192.168.1.1 is the gateway address of "
	  "subnet 192.168.1.1/24" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:01\", ip: 192.168.1.0 }\n",
	  "t.yaml:8:41: networks[0].static_leases[0].ip: 192.168.1.0 is the network address of "
	  "subnet 192.168.1.1/24" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:01\", ip: 192.168.1.255 }\n",
	  "t.yaml:8:41: networks[0].static_leases[0].ip: 192.168.1.255 is the broadcast address of "
	  "subnet 192.168.1.1/24" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:01\", ip: 192.168.1.10 }\n"
	  "      - { mac: \"52:54:00:00:00:01\", ip: 192.168.1.11 }\n",
	  "t.yaml:9:16: networks[0].static_leases[1].mac: '52:54:00:00:00:01' already has a static "
	  "lease (static_leases[0])" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:01\", ip: 192.168.1.10 }\n"
	  "      - { mac: \"52:54:00:00:00:02\", ip: 192.168.1.10 }\n",
	  "t.yaml:9:41: networks[0].static_leases[1].ip: 192.168.1.10 is already given to "
	  "static_leases[0]" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:01\", ip: 192.168.1.10, host: a }\n",
	  "t.yaml:8:55: networks[0].static_leases[0]: unknown key 'host' (allowed: mac, ip)" },
	{ NATNET "    static_leases:\n      - { mac: \"52:54:00:00:00:01\" }\n",
	  "t.yaml:8:9: networks[0].static_leases[0]: missing required key 'ip'" },
	{ NATNET "    static_leases: { mac: \"52:54:00:00:00:01\" }\n",
	  "t.yaml:7:20: networks[0].static_leases: must be a list, not a mapping" },
	{ NATNET "    max_sessions: 15\n",
	  "t.yaml:7:19: networks[0].max_sessions: 15 is out of range (allowed: 16-4194304)" },
	{ NATNET "    max_sessions: 4194305\n",
	  "t.yaml:7:19: networks[0].max_sessions: 4194305 is out of range (allowed: 16-4194304)" },
	{ NATNET "    timeouts: { tcp_established: 0 }\n",
	  "t.yaml:7:34: networks[0].timeouts.tcp_established: 0 is out of range (allowed: 1-604800)" },
	{ NATNET "    timeouts: { tcp_transitory: 604801 }\n",
	  "t.yaml:7:33: networks[0].timeouts.tcp_transitory: 604801 is out of range (allowed: 1-604800)" },
	{ NATNET "    timeouts: { udp: 604801 }\n",
	  "t.yaml:7:22: networks[0].timeouts.udp: 604801 is out of range (allowed: 1-604800)" },
	{ NATNET "    timeouts: { icmp: 0 }\n",
	  "t.yaml:7:23: networks[0].timeouts.icmp: 0 is out of range (allowed: 1-604800)" },
	{ NATNET "    timeouts: { tcp: 5 }\n",
	  "t.yaml:7:17: networks[0].timeouts: unknown key 'tcp' (allowed: tcp_established, "
	  "tcp_transitory, udp, icmp)" },
	{ NATNET "    timeouts: 5\n",
	  "t.yaml:7:15: networks[0].timeouts: must be a mapping of keys to values, not a scalar" },
	{ NATNET "    spoof_check: yes\n",
	  "t.yaml:7:18: networks[0].spoof_check: 'yes' is not allowed (allowed: true, false)" },
	{ NATNET "    spoof_check: \"true\"\n",
	  "t.yaml:7:18: networks[0].spoof_check: 'true' is not allowed (allowed: true, false)" },
	{ "networks:\n  - name: b\n    mode: bridge\n    dns: [192.0.2.1]\n",
	  "t.yaml:4:10: networks[0]: key 'dns' does not apply to a bridge network" },
	{ "networks:\n  - name: b\n    mode: bridge\n    mtu: 1500\n",
	  "t.yaml:4:10: networks[0]: key 'mtu' does not apply to a bridge network" },
	{ "networks:\n  - name: h\n    mode: host-only\n    spoof_check: false\n",
	  "t.yaml:4:18: networks[0]: key 'spoof_check' does not apply to a host-only network" },
	{ "networks:\n  - name: h\n    mode: host-only\n    timeouts: { udp: 5 }\n",
	  "t.yaml:4:15: networks[0]: key 'timeouts' does not apply to a host-only network" },
	{ NATNET_S("10.0.0.1/15"),
	  "t.yaml:4:13: networks[0].subnet: '10.0.0.1/15' is too large a NAT subnet (allowed: "
	  "prefix length 16-30; the gateway keeps per-address tables for the whole subnet)" },
	{ NATNET_S("192.168.1.0/24"),
	  "t.yaml:4:13: networks[0].subnet: '192.168.1.0/24' is the network or broadcast address" },
	{ NATNET_S("192.168.1.255/24"),
	  "t.yaml:4:13: networks[0].subnet: '192.168.1.255/24' is the network or broadcast address" },
	{ NATNET_S("10.0.0.1/16") "    dhcp_start: 10.0.0.2\n    dhcp_end: 10.0.16.2\n",
	  "t.yaml:8:15: networks[0].dhcp_end: the range 10.0.0.2-10.0.16.2 holds 4097 addresses (at "
	  "most 4096, the largest pool the DHCP server keeps)" },
	{ NATNET_S("192.168.1.100/24") "    dhcp_start: 192.168.1.50\n    dhcp_end: 192.168.1.150\n",
	  "t.yaml:7:17: networks[0].dhcp_start: the range 192.168.1.50-192.168.1.150 includes the "
	  "gateway address 192.168.1.100 (subnet 192.168.1.100/24); start it after or end it before "
	  "the gateway" },
	{ NATNET "    dhcp_start: 192.168.1.1\n",
	  "t.yaml:7:17: networks[0].dhcp_start: the range 192.168.1.1-192.168.1.254 includes the "
	  "gateway address 192.168.1.1" },
	{ NATNET_S("192.168.1.254/24") "    dhcp_end: 192.168.1.254\n",
	  "t.yaml:7:15: networks[0].dhcp_end: the range 192.168.1.1-192.168.1.254 includes the "
	  "gateway address 192.168.1.254" },
	{ NATNET "    dhcp_start: 192.168.1.100\n    dhcp_end: 192.168.1.50\n",
	  "t.yaml:8:15: networks[0].dhcp_end: must be a host address inside subnet, not below "
	  "dhcp_start" },
	{ NATNET "    dhcp_end: 192.168.1.255\n",
	  "t.yaml:7:15: networks[0].dhcp_end: must be a host address inside subnet" },
	{ NATNET "    forwards:\n      - { proto: tcp, port: 22, to: 192.168.1.1 }\n",
	  "t.yaml:8:37: networks[0].forwards[0]: 'to' 192.168.1.1 is the gateway address of subnet "
	  "192.168.1.1/24; forwards lead to a guest" },
	{ NATNET "    forwards:\n      - { proto: tcp, port: 22, to: 192.168.1.0 }\n",
	  "t.yaml:8:37: networks[0].forwards[0]: 'to' 192.168.1.0 is the network address of subnet" },
	{ NATNET "    forwards:\n      - { proto: udp, port: 53, to: 192.168.1.255 }\n",
	  "t.yaml:8:37: networks[0].forwards[0]: 'to' 192.168.1.255 is the broadcast address of "
	  "subnet" },
	{ NATNET_SU("192.168.1.1/24", "198.51.100.0/24"),
	  "t.yaml:6:21: networks[0].uplink_address: '198.51.100.0/24' is the network or broadcast "
	  "address" },
	{ NATNET "    uplink_gateway: 198.51.100.2\n",
	  "t.yaml:7:21: networks[0].uplink_gateway: 198.51.100.2 is vsw's own uplink_address; give "
	  "the next hop's address" },
	{ NATNET "    uplink_gateway: 198.51.100.255\n",
	  "t.yaml:7:21: networks[0].uplink_gateway: 198.51.100.255 is the broadcast address of the "
	  "uplink_address network 198.51.100.2/24" },
	{ NATNET "    uplink_gateway: 198.51.101.1\n",
	  "t.yaml:7:21: networks[0].uplink_gateway: must be inside the uplink_address network" },
	{ NATNET_SU("192.168.1.1/24", "192.168.0.2/16"),
	  "t.yaml:6:21: networks[0].uplink_address: 192.168.0.2/16 overlaps subnet 192.168.1.1/24; "
	  "the uplink's network and the inside network must not overlap" },
	{ "networks:\n" NAT_FLOW("a", "10.1.0.1/16", "up1", "198.51.100.2/24")
	  NAT_FLOW("b", "10.1.5.1/24", "up2", "198.51.100.3/24"),
	  "t.yaml:3:35: networks[1].subnet: 10.1.5.1/24 overlaps subnet 10.1.0.1/16 of nat network "
	  "'a' (networks[0])" },
	{ "networks:\n  - { name: h, mode: host-only, address: 10.1.0.1/16 }\n"
	  NAT_FLOW("b", "10.1.5.1/24", "up2", "198.51.100.3/24"),
	  "t.yaml:3:35: networks[1].subnet: 10.1.5.1/24 overlaps address 10.1.0.1/16 of host-only "
	  "network 'h' (networks[0])" },
	{ "networks:\n" NAT_FLOW("a", "10.1.0.1/16", "up1", "198.51.100.2/24")
	  "  - { name: h, mode: host-only, address: 10.1.5.1/24 }\n",
	  "t.yaml:3:42: networks[1].address: 10.1.5.1/24 overlaps subnet 10.1.0.1/16 of nat network "
	  "'a' (networks[0])" },
	{ "networks:\n" NAT_FLOW("a", "10.1.0.1/24", "up", "198.51.100.2/24")
	  NAT_FLOW("b", "10.2.0.1/24", "up", "198.51.100.3/24") "ports:\n" EPORT("up", "a"),
	  "t.yaml:2:56: networks[0].uplink: port 'up' is also the uplink of NAT network 'b' "
	  "(networks[1]); each NAT network needs an uplink of its own" },
	{ NATNET "ports:\n" EPORT("up", "n") EPORT("up2", "n"),
	  "t.yaml:12:5: ports[1]: ethdev port 'up2' is in NAT network 'n' whose uplink is 'up'; a "
	  "NAT network has one uplink" },
};

static void test_bad_inputs(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct vsw_config_error err = { .msg = "" };
		int rc = parse(bad_cases[i].yaml, &err);
		if (rc == 0 || strstr(err.msg, bad_cases[i].expect) == NULL) {
			failures++;
			print_error("case %zu:\n--- yaml ---\n%s--- expected ---\n%s\n--- got (rc %d) ---\n%s\n",
				 i, bad_cases[i].yaml, bad_cases[i].expect, rc, err.msg);
		}
	}
	assert_int_equal(failures, 0);
}

static const char *const examples[] = { "default.yaml", "host-only.yaml", "bridge.yaml",
					 "nat.yaml" };

static void test_examples_load(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		char path[1024];
		struct vsw_config_error err = { .msg = "" };
		snprintf(path, sizeof(path), "%s/config/%s", VSW_SOURCE_DIR, examples[i]);
		if (vsw_config_load_file(&cfg, path, &env, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		assert_true(cfg.nnetworks >= 1);
		assert_true(cfg.nports >= 1);
	}
}

static void test_default_matches_file(void **state)
{
	(void)state;
	struct vsw_config_error err;
	assert_int_equal(vsw_config_load_default(&cfg, &env, &err), 0);
	assert_int_equal(cfg.nnetworks, 1);
	assert_int_equal(cfg.networks[0].mode, VSW_NET_HOST_ONLY);
	assert_string_equal(cfg.networks[0].interface, "vsw-host0");
	assert_int_equal(cfg.nports, 2);
	assert_string_equal(cfg.ports[0].path, "/run/vsw/vm1.sock");
	assert_false(cfg.ports[0].client);
	assert_int_equal(cfg.ncores, 1);
	assert_int_equal(cfg.cores[0], 1); /* the last CPU of {0, 1} */
	assert_string_equal(cfg.control_socket, "/run/vsw/vsw.sock");
}

static void test_values_and_defaults(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	const char *y = "run_dir: /tmp/vswx\n" NET "    mac_aging: 42\n"
			"ports:\n" VPORT("vm1", "a.sock")
			"    queues: 4\n    mode: client\n    disable_features: [ring_packed, mrg_rxbuf, log_all]\n"
			"    trunk: [10, 20]\n    macs: [\"52:54:00:00:00:01\"]\n"
			"  - name: up\n    type: ethdev\n    network: lan\n    devargs: \"0000:3b:00.0\"\n";
	if (parse(y, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.networks[0].mac_aging_s, 42);
	assert_int_equal(cfg.networks[0].mac_table_size, 8192);
	assert_string_equal(cfg.ports[0].path, "/tmp/vswx/a.sock");
	assert_string_equal(cfg.control_socket, "/tmp/vswx/vsw.sock");
	assert_int_equal(cfg.ports[0].queues, 4);
	assert_true(cfg.ports[0].client);
	assert_int_equal(cfg.ports[0].disabled_features,
			 VSW_FEAT_RING_PACKED | VSW_FEAT_MRG_RXBUF | VSW_FEAT_LOG_ALL);
	assert_int_equal(cfg.ports[0].ntrunk, 2);
	assert_int_equal(cfg.ports[0].trunk[1], 20);
	assert_int_equal(cfg.ports[0].macs[0][5], 1);
	assert_int_equal(cfg.ports[0].mtu, 1500);
	assert_int_equal(cfg.ports[1].rx_desc, 1024);
	assert_int_equal(cfg.ports[1].core, -1);
}

static void test_nat_values(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	char path[1024];
	snprintf(path, sizeof(path), "%s/config/nat.yaml", VSW_SOURCE_DIR);
	if (vsw_config_load_file(&cfg, path, &env, &err) != 0)
		fail_msg("%s", err.msg);
	const struct vsw_cfg_network *n = &cfg.networks[0];
	assert_int_equal(n->subnet.addr, 0xC0A87A01u);
	assert_int_equal(n->subnet.len, 24);
	assert_int_equal(n->dhcp_start, 0xC0A87A64u);
	assert_int_equal(n->nforwards, 1);
	assert_int_equal(n->forwards[0].port, 2222);
	assert_int_equal(n->forwards[0].to_port, 22);
	assert_int_equal(n->ndns, 0);
	assert_int_equal(n->lease_s, 3600);
	assert_true(n->spoof_check);

	/* The optional settings the file shows as "    #key: value" load when
	 * the '#' is taken away, and say their defaults where they claim to. */
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char text[8192] = "", line[512];
	int uncommented = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "    #", 5) == 0 && line[5] != ' ') {
			memmove(line + 4, line + 5, strlen(line + 5) + 1);
			uncommented++;
		}
		strncat(text, line, sizeof(text) - strlen(text) - 1);
	}
	fclose(f);
	assert_int_equal(uncommented, 7);
	if (parse(text, &err) != 0)
		fail_msg("nat.yaml uncommented: %s\n%s", err.msg, text);
	assert_int_equal(n->ndns, 2);
	assert_int_equal(n->nstatic_leases, 1);
	assert_int_equal(n->static_leases[0].ip, 0xC0A87A0Au);
	assert_int_equal(n->lease_s, 3600);
	assert_int_equal(n->dhcp_mtu, 1500);
	assert_int_equal(n->max_sessions, 65536);
	assert_int_equal(n->tcp_est_s, 7440);
	assert_int_equal(n->tcp_trans_s, 240);
	assert_int_equal(n->udp_s, 300);
	assert_int_equal(n->icmp_s, 60);
	assert_true(n->spoof_check);
}

/* Every NAT key given, each with a value other than its default. */
static const char nat_all_keys[] =
	"cores: [1]\n"
	"networks:\n"
	"  - name: n\n"
	"    mode: nat\n"
	"    subnet: 10.20.0.1/16\n"
	"    dhcp_start: 10.20.1.0\n"
	"    dhcp_end: 10.20.16.255\n" /* exactly 4096 addresses */
	"    uplink: up\n"
	"    uplink_address: 198.51.100.2/24\n"
	"    uplink_gateway: 198.51.100.1\n"
	"    forwards: [{ proto: udp, port: 5353, to: 10.20.0.5, to_port: 53 }]\n"
	"    dns: [192.0.2.53, 192.0.2.54, 203.0.113.9]\n"
	"    lease_time: 600\n"
	"    mtu: 0\n"
	"    static_leases:\n"
	"      - { mac: \"52:54:00:AB:00:01\", ip: 10.20.0.5 }\n"
	"      - mac: \"52:54:00:ab:00:02\"\n"
	"        ip: 10.20.200.9\n" /* outside the DHCP range: allowed */
	"    max_sessions: 4194304\n"
	"    timeouts: { tcp_established: 604800, tcp_transitory: 1, udp: 30, icmp: 10 }\n"
	"    spoof_check: false\n"
	"  - { name: h, mode: host-only, address: 10.21.0.1/16 }\n"
	"ports:\n"
	"  - { name: up, type: ethdev, network: n, devargs: net_tap0 }\n"
	"  - { name: vm1, type: vhost-user, network: n, path: a.sock }\n";

static void test_nat_keys(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	if (parse(nat_all_keys, &err) != 0)
		fail_msg("%s", err.msg);
	const struct vsw_cfg_network *n = &cfg.networks[0];
	assert_int_equal(n->subnet.addr, 0x0A140001u);
	assert_int_equal(n->subnet.len, 16);
	assert_int_equal(n->dhcp_start, 0x0A140100u);
	assert_int_equal(n->dhcp_end, 0x0A1410FFu);
	assert_int_equal(n->uplink_gateway, 0xC6336401u);
	assert_int_equal(n->ndns, 3);
	assert_int_equal(n->dns[0], 0xC0000235u);
	assert_int_equal(n->dns[1], 0xC0000236u);
	assert_int_equal(n->dns[2], 0xCB007109u);
	assert_int_equal(n->lease_s, 600);
	assert_int_equal(n->dhcp_mtu, 0);
	assert_int_equal(n->nstatic_leases, 2);
	static const uint8_t mac0[6] = { 0x52, 0x54, 0x00, 0xab, 0x00, 0x01 };
	static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0xab, 0x00, 0x02 };
	assert_memory_equal(n->static_leases[0].mac, mac0, 6);
	assert_int_equal(n->static_leases[0].ip, 0x0A140005u);
	assert_memory_equal(n->static_leases[1].mac, mac1, 6);
	assert_int_equal(n->static_leases[1].ip, 0x0A14C809u);
	assert_int_equal(n->max_sessions, 4194304);
	assert_int_equal(n->tcp_est_s, 604800);
	assert_int_equal(n->tcp_trans_s, 1);
	assert_int_equal(n->udp_s, 30);
	assert_int_equal(n->icmp_s, 10);
	assert_false(n->spoof_check);
	assert_int_equal(n->nforwards, 1);
	assert_int_equal(n->forwards[0].to_port, 53);
}

/* A NAT network that gives none of the optional keys gets the documented
 * defaults; the DHCP range defaults to the larger side of the gateway,
 * at most 4096 addresses, and a range given by one end is completed the
 * same way. */
static void test_nat_defaults(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	if (parse(NATNET "ports:\n" EPORT("up", "n"), &err) != 0)
		fail_msg("%s", err.msg);
	const struct vsw_cfg_network *n = &cfg.networks[0];
	assert_int_equal(n->ndns, 0); /* the host's resolv.conf, read by vswd */
	assert_int_equal(n->lease_s, 3600);
	assert_int_equal(n->dhcp_mtu, 1500);
	assert_int_equal(n->nstatic_leases, 0);
	assert_int_equal(n->max_sessions, 65536);
	assert_int_equal(n->tcp_est_s, 7440);
	assert_int_equal(n->tcp_trans_s, 240);
	assert_int_equal(n->udp_s, 300);
	assert_int_equal(n->icmp_s, 60);
	assert_true(n->spoof_check);
	assert_int_equal(n->uplink_gateway, 0);
	assert_int_equal(n->dhcp_start, 0xC0A80102u);
	assert_int_equal(n->dhcp_end, 0xC0A801FEu);

	static const struct {
		const char *yaml;
		uint32_t start, end;
	} ranges[] = {
		{ NATNET_S("192.168.1.254/24"), 0xC0A80101u, 0xC0A801FDu },
		{ NATNET_S("192.168.1.100/24"), 0xC0A80165u, 0xC0A801FEu },
		{ NATNET_S("192.168.1.200/24"), 0xC0A80101u, 0xC0A801C7u },
		{ NATNET_S("192.168.1.2/30"), 0xC0A80101u, 0xC0A80101u },
		{ NATNET_S("10.0.0.1/16"), 0x0A000002u, 0x0A001001u },
		{ NATNET_S("10.0.255.254/16"), 0x0A000001u, 0x0A001000u },
		{ NATNET "    dhcp_start: 192.168.1.10\n", 0xC0A8010Au, 0xC0A801FEu },
		{ NATNET "    dhcp_end: 192.168.1.50\n", 0xC0A80102u, 0xC0A80132u },
		{ NATNET_S("192.168.1.100/24") "    dhcp_start: 192.168.1.50\n", 0xC0A80132u, 0xC0A80163u },
		{ NATNET_S("192.168.1.100/24") "    dhcp_end: 192.168.1.150\n", 0xC0A80165u, 0xC0A80196u },
		{ NATNET_S("10.0.0.1/16") "    dhcp_start: 10.0.0.2\n", 0x0A000002u, 0x0A001001u },
		{ NATNET_S("10.0.0.1/16") "    dhcp_end: 10.0.255.254\n", 0x0A00EFFFu, 0x0A00FFFEu },
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		char y[512];
		snprintf(y, sizeof(y), "%sports:\n" EPORT("up", "n"), ranges[i].yaml);
		if (parse(y, &err) != 0)
			fail_msg("range case %zu: %s", i, err.msg);
		if (n->dhcp_start != ranges[i].start || n->dhcp_end != ranges[i].end)
			fail_msg("range case %zu: %08x-%08x, expected %08x-%08x", i, n->dhcp_start,
				 n->dhcp_end, ranges[i].start, ranges[i].end);
	}

	/* The edges of each range, and keys given alone. */
	assert_int_equal(parse(NATNET "    mtu: 576\n    spoof_check: true\n    lease_time: 60\n"
				      "    max_sessions: 16\n    timeouts: { udp: 30 }\nports:\n" EPORT("up", "n"),
			       &err), 0);
	assert_int_equal(n->dhcp_mtu, 576);
	assert_true(n->spoof_check);
	assert_int_equal(n->lease_s, 60);
	assert_int_equal(n->max_sessions, 16);
	assert_int_equal(n->udp_s, 30);
	assert_int_equal(n->tcp_est_s, 7440);
	assert_int_equal(n->icmp_s, 60);
	assert_int_equal(parse(NATNET "    mtu: 9000\n    lease_time: 31536000\nports:\n" EPORT("up", "n"),
			       &err), 0);
	assert_int_equal(n->dhcp_mtu, 9000);
	assert_int_equal(n->lease_s, 31536000);
	/* Two host-only networks may overlap (the host's own routing), and
	 * a NAT subnet may sit next to another without overlapping. */
	assert_int_equal(parse("networks:\n  - { name: a, mode: host-only, address: 10.1.0.1/16 }\n"
			       "  - { name: b, mode: host-only, address: 10.1.5.1/24 }\n"
			       NAT_FLOW("c", "10.2.0.1/16", "up", "198.51.100.2/24") "ports:\n"
			       EPORT("up", "c"), &err), 0);
}

static void test_nat_static_lease_limit(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	size_t size = 16384, used = 0;
	char *y = malloc(size);
	assert_non_null(y);
	used += (size_t)snprintf(y, size, NATNET "    static_leases:\n");
	for (int i = 0; i <= VSW_MAX_STATIC_LEASES; i++)
		used += (size_t)snprintf(y + used, size - used,
					 "      - { mac: \"52:54:00:00:00:%02x\", ip: 192.168.1.%d }\n",
					 i, 10 + i);
	assert_true(used < size);
	assert_int_equal(parse(y, &err), -1);
	assert_string_equal(err.msg, "t.yaml:72:9: networks[0].static_leases: too many static leases "
				     "(at most 64)");
	/* One fewer loads. */
	*strrchr(y, '-') = '\0';
	*(strrchr(y, '\n') + 1) = '\0';
	used = strlen(y);
	snprintf(y + used, size - used, "ports:\n" EPORT("up", "n"));
	if (parse(y, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.networks[0].nstatic_leases, VSW_MAX_STATIC_LEASES);
	assert_int_equal(cfg.networks[0].static_leases[63].ip, 0xC0A80100u + 10 + 63);
	free(y);
}

/* Loads text, dumps it, loads the dump (and its JSON tree) again: all three
 * must be the same configuration. */
static void assert_round_trip(const char *what, const char *text_in, bool from_file)
{
	static struct vsw_config again;
	struct vsw_config_error err = { .msg = "" };
	int rc = from_file ? vsw_config_load_file(&cfg, text_in, &env, &err)
			   : vsw_config_parse(&cfg, text_in, strlen(text_in), "t", &env, &err);
	if (rc != 0)
		fail_msg("%s: %s", what, err.msg);
	memset(cfg.source, 0, sizeof(cfg.source));
	char *text = vsw_config_dump_yaml(&cfg);
	assert_non_null(text);
	if (vsw_config_parse(&again, text, strlen(text), "dump", &env, &err) != 0)
		fail_msg("%s: dump does not load: %s\n%s", what, err.msg, text);
	free(text);
	memset(again.source, 0, sizeof(again.source));
	if (memcmp(&cfg, &again, sizeof(cfg)) != 0)
		fail_msg("%s: dump loads to a different configuration", what);
	json_t *root = vsw_config_to_json(&cfg);
	assert_non_null(root);
	if (vsw_config_from_json(&again, root, &env, &err) != 0)
		fail_msg("%s: JSON does not load: %s", what, err.msg);
	json_decref(root);
	memset(again.source, 0, sizeof(again.source));
	if (memcmp(&cfg, &again, sizeof(cfg)) != 0)
		fail_msg("%s: JSON loads to a different configuration", what);
}

static void test_nat_round_trip(void **state)
{
	(void)state;
	assert_round_trip("every NAT key", nat_all_keys, false);
	assert_false(cfg.networks[0].spoof_check);
	assert_int_equal(cfg.networks[0].nstatic_leases, 2);
	char *text = vsw_config_dump_yaml(&cfg);
	assert_non_null(text);
	assert_non_null(strstr(text, "    dns: [192.0.2.53, 192.0.2.54, 203.0.113.9]\n"));
	assert_non_null(strstr(text, "      - { mac: \"52:54:00:ab:00:02\", ip: 10.20.200.9 }\n"));
	assert_non_null(strstr(text, "    mtu: 0\n"));
	assert_non_null(strstr(text, "    spoof_check: false\n"));
	assert_non_null(strstr(text, "tcp_transitory: 1,"));
	free(text);
	assert_round_trip("NAT defaults", NATNET "ports:\n" EPORT("up", "n"), false);
	text = vsw_config_dump_yaml(&cfg);
	assert_non_null(text);
	assert_null(strstr(text, "dns:")); /* none given: the host's, said by leaving it out */
	assert_non_null(strstr(text, "    spoof_check: true\n"));
	free(text);
}

static void test_unreadable_file(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	assert_int_equal(vsw_config_load_file(&cfg, "/nonexistent/vsw.yaml", &env, &err), -1);
	assert_string_equal(err.msg, "/nonexistent/vsw.yaml:0:0: cannot open: No such file or directory");
}

static void test_socket_hold(void **state)
{
	(void)state;
	static struct vsw_config again;
	struct vsw_config_error err = { .msg = "" };
	assert_int_equal(parse("cores: [1]\n", &err), 0);
	assert_int_equal(cfg.socket_hold_s, 0); /* default: sockets go with vswd */
	assert_int_equal(parse("socket_hold: 30\n", &err), 0);
	assert_int_equal(cfg.socket_hold_s, 30);
	char *text = vsw_config_dump_yaml(&cfg);
	assert_non_null(text);
	assert_non_null(strstr(text, "socket_hold: 30\n"));
	assert_int_equal(vsw_config_parse(&again, text, strlen(text), "dump", &env, &err), 0);
	free(text);
	assert_int_equal(again.socket_hold_s, 30);
}

/* A socket's owner and group by name or by "#number" (an id with no name
 * here); absent ones stay unset. */
static void test_socket_owner(void **state)
{
	(void)state;
	struct vsw_config_error err = { .msg = "" };
	assert_int_equal(parse(NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    owner: root\n"
			       "    group: \"#4321\"\n", &err), 0);
	assert_true(cfg.ports[0].has_owner);
	assert_int_equal(cfg.ports[0].owner, 0);
	assert_true(cfg.ports[0].has_group);
	assert_int_equal(cfg.ports[0].group, 4321);
	assert_int_equal(parse(NET "ports:\n" VPORT("vm1", "/tmp/a.sock") "    owner: \"#1234\"\n"
			       "    group: root\n", &err), 0);
	assert_int_equal(cfg.ports[0].owner, 1234);
	assert_int_equal(cfg.ports[0].group, 0);
	assert_int_equal(parse(NET "ports:\n" VPORT("vm1", "/tmp/a.sock"), &err), 0);
	assert_false(cfg.ports[0].has_owner);
	assert_false(cfg.ports[0].has_group);
}

/* config.dump's text, and the JSON tree run-time changes edit, both load
 * back to the very same configuration. */
static void test_dump_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/config/%s", VSW_SOURCE_DIR, examples[i]);
		assert_round_trip(examples[i], path, true);
	}
	struct vsw_config_error err = { .msg = "" };
	static struct vsw_config again;
	assert_int_equal(vsw_config_load_default(&cfg, &env, &err), 0);
	char *text = vsw_config_dump_yaml(&cfg);
	assert_non_null(text);
	assert_int_equal(vsw_config_parse(&again, text, strlen(text), "dump", &env, &err), 0);
	free(text);
	memset(cfg.source, 0, sizeof(cfg.source));
	memset(again.source, 0, sizeof(again.source));
	assert_memory_equal(&cfg, &again, sizeof(cfg));
}

/* An edited item of the JSON tree is parsed with the file's rules. */
static void test_json_edit(void **state)
{
	(void)state;
	static struct vsw_config again;
	/* bridge.yaml: vm1 is the second port. */
	char path[1024];
	struct vsw_config_error err = { .msg = "" };
	snprintf(path, sizeof(path), "%s/config/bridge.yaml", VSW_SOURCE_DIR);
	assert_int_equal(vsw_config_load_file(&cfg, path, &env, &err), 0);
	json_t *root = vsw_config_to_json(&cfg);
	size_t idx = 99;
	json_t *vm1 = vsw_config_json_item(root, "ports", "vm1", &idx);
	assert_non_null(vm1);
	assert_int_equal(idx, 1);
	assert_null(vsw_config_json_item(root, "ports", "nope", NULL));
	json_object_set_new(vm1, "vlan", json_integer(30));
	json_object_set_new(vm1, "trunk", json_pack("[i,i]", 5, 6));
	assert_int_equal(vsw_config_from_json(&again, root, &env, &err), -1);
	assert_non_null(strstr(err.msg, "either an access 'vlan' or a 'trunk'"));
	json_object_del(vm1, "trunk");
	json_object_del(vm1, "macs");
	if (vsw_config_from_json(&again, root, &env, &err) != 0)
		fail_msg("edited vm1 does not load: %s", err.msg);
	assert_int_equal(again.ports[1].vlan, 30);
	assert_int_equal(again.ports[1].ntrunk, 0);
	assert_int_equal(again.ports[1].nmacs, 0);
	assert_string_equal(again.ports[1].path, cfg.ports[1].path);
	json_object_set_new(vm1, "vlan", json_integer(4095));
	assert_int_equal(vsw_config_from_json(&again, root, &env, &err), -1);
	assert_non_null(strstr(err.msg, "ports[1].vlan"));
	json_object_set_new(vm1, "vlan", json_string("ten"));
	assert_int_equal(vsw_config_from_json(&again, root, &env, &err), -1);
	assert_non_null(strstr(err.msg, "vlan"));
	json_decref(root);
}

/* Names of digits only stay names through the JSON tree ("007" is not 7). */
static void test_json_digit_names(void **state)
{
	(void)state;
	static const char yaml[] = "cores: [1]\nnetworks:\n  - { name: 007, mode: bridge }\n"
				   "ports:\n  - { name: 12, type: vhost-user, network: 007, path: a.sock }\n";
	static struct vsw_config again;
	struct vsw_config_error err = { .msg = "" };
	if (vsw_config_parse(&cfg, yaml, strlen(yaml), "t", &env, &err) != 0)
		fail_msg("%s", err.msg);
	json_t *root = vsw_config_to_json(&cfg);
	assert_non_null(vsw_config_json_item(root, "networks", "007", NULL));
	if (vsw_config_from_json(&again, root, &env, &err) != 0)
		fail_msg("%s", err.msg);
	json_decref(root);
	assert_string_equal(again.networks[0].name, "007");
	assert_string_equal(again.ports[0].network, "007");
	assert_string_equal(again.ports[0].name, "12");
}

int main(void)
{
	CPU_ZERO(&two_cpus);
	CPU_SET(0, &two_cpus);
	CPU_SET(1, &two_cpus);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_examples_load),
		cmocka_unit_test(test_default_matches_file),
		cmocka_unit_test(test_values_and_defaults),
		cmocka_unit_test(test_nat_values),
		cmocka_unit_test(test_nat_keys),
		cmocka_unit_test(test_nat_defaults),
		cmocka_unit_test(test_nat_static_lease_limit),
		cmocka_unit_test(test_nat_round_trip),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_socket_hold),
		cmocka_unit_test(test_socket_owner),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_json_edit),
		cmocka_unit_test(test_json_digit_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
