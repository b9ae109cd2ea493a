/* vsw's configuration as data: the plain types the data path (switch,
 * pmd, vhost_user) and the parser (src/control/config.c) both use, so the
 * data path does not depend on the parser. */
#ifndef VSW_CFG_TYPES_H
#define VSW_CFG_TYPES_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#define VSW_NAME_MAX 32
#define VSW_MAX_CORES 64
#define VSW_MAX_NETWORKS 64
#define VSW_MAX_PORTS 256
#define VSW_MAX_QUEUE_PAIRS 16
#define VSW_MAX_TRUNK_VLANS 64
#define VSW_MAX_STATIC_MACS 64
#define VSW_MAX_FORWARDS 64
#define VSW_MAX_STATIC_LEASES 64
#define VSW_MAX_DNS 3
#define VSW_SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))

enum vsw_net_mode { VSW_NET_BRIDGE, VSW_NET_NAT, VSW_NET_HOST_ONLY };
enum vsw_port_type { VSW_PORT_VHOST_USER, VSW_PORT_ETHDEV };

/* Virtio features a port may switch off for old or buggy guests (the
 * bits of disabled_features, in the order of vsw_feature_names). */
enum {
	VSW_FEAT_MRG_RXBUF = 1u << 0,
	VSW_FEAT_INDIRECT_DESC = 1u << 1,
	VSW_FEAT_EVENT_IDX = 1u << 2,
	VSW_FEAT_RING_PACKED = 1u << 3,
	VSW_FEAT_MQ = 1u << 4,
	VSW_FEAT_MTU = 1u << 5,
	VSW_FEAT_IN_ORDER = 1u << 6,
	VSW_FEAT_CSUM = 1u << 7,
	VSW_FEAT_GUEST_CSUM = 1u << 8,
	VSW_FEAT_HOST_TSO4 = 1u << 9,
	VSW_FEAT_HOST_TSO6 = 1u << 10,
	VSW_FEAT_HOST_ECN = 1u << 11,
	VSW_FEAT_GUEST_TSO4 = 1u << 12,
	VSW_FEAT_GUEST_TSO6 = 1u << 13,
	VSW_FEAT_GUEST_ECN = 1u << 14,
	VSW_FEAT_LOG_ALL = 1u << 15, /* dirty logging: without it QEMU refuses to migrate */
};

struct vsw_ipv4_prefix {
	uint32_t addr; /* host byte order */
	uint8_t len;
};

struct vsw_cfg_forward {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port; /* on the uplink address */
	uint32_t to_addr;
	uint16_t to_port;
};

struct vsw_cfg_static_lease {
	uint8_t mac[6];
	uint32_t ip; /* host byte order, inside subnet */
};

struct vsw_cfg_network {
	char name[VSW_NAME_MAX];
	enum vsw_net_mode mode;
	uint32_t mac_aging_s;
	uint32_t mac_table_size;
	/* host-only */
	char interface[IF_NAMESIZE];
	bool has_address;
	struct vsw_ipv4_prefix address;
	/* nat */
	struct vsw_ipv4_prefix subnet; /* gateway address and prefix length */
	uint32_t dhcp_start, dhcp_end;
	char uplink[VSW_NAME_MAX];
	struct vsw_ipv4_prefix uplink_address;
	uint32_t uplink_gateway;
	unsigned int nforwards;
	struct vsw_cfg_forward forwards[VSW_MAX_FORWARDS];
	unsigned int ndns; /* 0: the host's nameservers (/etc/resolv.conf) when vswd starts */
	uint32_t dns[VSW_MAX_DNS];
	uint32_t lease_s;  /* DHCP lease time */
	uint16_t dhcp_mtu; /* the MTU DHCP hands out (option 26); 0: none */
	unsigned int nstatic_leases;
	struct vsw_cfg_static_lease static_leases[VSW_MAX_STATIC_LEASES];
	uint32_t max_sessions; /* NAT sessions at once */
	uint32_t tcp_est_s, tcp_trans_s, udp_s, icmp_s; /* idle timeouts */
	bool spoof_check; /* translate only addresses leased or statically given to the sender's MAC */
};

struct vsw_cfg_port {
	char name[VSW_NAME_MAX];
	enum vsw_port_type type;
	char network[VSW_NAME_MAX];
	uint16_t mtu;
	uint16_t vlan; /* access VLAN, 0: untagged */
	unsigned int ntrunk;
	uint16_t trunk[VSW_MAX_TRUNK_VLANS];
	unsigned int nmacs;
	uint8_t macs[VSW_MAX_STATIC_MACS][6];
	int core; /* pin the port's rx queues to this worker core, -1: spread */
	/* vhost-user */
	char path[VSW_SUN_PATH_MAX];
	bool client; /* vsw connects to a listening frontend */
	uint16_t queues;
	uint32_t disabled_features; /* bit i: vsw_feature_names[i] */
	bool has_owner, has_group;
	uid_t owner;
	gid_t group;
	int socket_mode; /* -1: leave as created */
	/* ethdev */
	char devargs[256];
	uint16_t rx_queues, tx_queues, rx_desc, tx_desc;
};

struct vsw_config {
	char source[PATH_MAX]; /* file name, or "<built-in default>" */
	unsigned int ncores;
	unsigned int cores[VSW_MAX_CORES];
	uint32_t memory_mb;
	char control_socket[VSW_SUN_PATH_MAX];
	int control_socket_mode;
	char run_dir[PATH_MAX];
	int log_level; /* RTE_LOG_* */
	/* Seconds a socket keeper holds the listening sockets after a stop;
	 * 0: none, the socket files go with vswd. */
	uint32_t socket_hold_s;
	unsigned int nnetworks;
	struct vsw_cfg_network networks[VSW_MAX_NETWORKS];
	unsigned int nports;
	struct vsw_cfg_port ports[VSW_MAX_PORTS];
};

#endif
