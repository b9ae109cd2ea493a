/* The gateway of a NAT network: one switch port on the network's bridge,
 * with its own MAC, that stands for the gateway address (ARP, ping, DHCP)
 * and owns the network's uplink, an ethdev port no bridge sees. Frames the
 * guests send it are source-NATed onto the uplink; frames from the uplink
 * are translated back and handed to the bridge as the port's received
 * frames. The bridge knows nothing of NAT: to it the gateway is a port.
 *
 * Threads: any worker may send to the port (a multi-producer ring); the one
 * worker that polls its rx queue does all the work (NAT table, uplink,
 * ARP), so none of it locks. DHCP runs on the control thread (it writes the
 * lease file): the worker hands DHCP frames over by a ring and an eventfd,
 * and takes the replies back by another ring. */
#ifndef VSW_NAT_GATEWAY_H
#define VSW_NAT_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "common/cfg_types.h"
#include "common/evloop.h"
#include "nat/dhcp.h"
#include "nat/nat.h"
#include "switch/port.h"

struct vsw_gw;

struct vsw_gw_params {
	const struct vsw_cfg_network *net; /* copied */
	/* The uplink, opened (vsw_ethdev_port_open) but not attached to the
	 * switch; the gateway owns it from now on and destroys it. */
	struct vsw_port *uplink;
	struct rte_ether_addr uplink_mac;
	struct rte_mempool *mp;     /* for frames the gateway makes */
	struct vsw_evloop *loop;    /* the control thread's, for the DHCP eventfd */
	const char *lease_file;     /* NULL: leases are not kept */
	uint32_t dns[VSW_MAX_DNS];  /* what DHCP hands out (resolved by the caller) */
	unsigned int ndns;
	/* Waits one RCU grace period of the workers (for the forward table). */
	void (*sync)(void *ctx);
	void *sync_ctx;
};

/* Why the gateway dropped or answered frames, beside the NAT's own
 * verdicts (vsw_nat_stats). Written by the gateway's worker only, except
 * dhcp_out and dhcp_reply_drops (the control thread's). */
struct vsw_gw_stats {
	uint64_t arp_replied_inside, arp_replied_uplink, ping_replied;
	uint64_t dhcp_in, dhcp_out;
	uint64_t dhcp_ring_full;   /* DHCP frames dropped: the control thread is behind */
	uint64_t dhcp_reply_drops; /* answers dropped: no mbuf or the worker is behind */
	uint64_t spoofed;          /* source address not leased to the sender's MAC */
	uint64_t ipv6;             /* IPv6 from a guest: not translated, dropped */
	uint64_t not_ip;           /* neither ARP nor IPv4 nor IPv6 */
	uint64_t inside_routed;    /* a guest sent the gateway a frame for another guest */
	uint64_t to_gateway_other; /* to the gateway's address, not ping/DHCP */
	uint64_t no_route;         /* outside the uplink's network with no uplink_gateway */
	uint64_t unresolved;       /* next hop not resolved by ARP in time, or hold queue full */
	uint64_t arp_requests;     /* sent on the uplink */
	uint64_t inside_unknown;   /* a forwarded packet for a guest whose MAC is not known yet */
	uint64_t ring_full;        /* guests sent faster than the gateway's worker took */
	uint64_t uplink_tx_drops;  /* the uplink device refused frames */
	uint64_t not_for_us;       /* from the uplink: broadcast/other addresses, ignored */
	uint64_t bad_frame;        /* runts, bad ARP, headers not in the first segment */
	uint64_t no_mbuf;
};

/* Makes port (allocated by the switch from the uplink's configuration,
 * in the NAT network) the gateway: sets its ops and priv. Returns 0, or -1
 * with err set; on error the uplink is still the caller's. */
int vsw_gw_open(struct vsw_port *port, const struct vsw_gw_params *prm, char *err, size_t errlen);

/* The gateway of port, or NULL if port is not a gateway. */
struct vsw_gw *vsw_gw_of(const struct vsw_port *port);

/* Control thread, about once a second: DHCP lease expiry. */
void vsw_gw_tick(struct vsw_gw *gw);

/* Control-thread views for the control socket. */
const struct vsw_dhcp *vsw_gw_dhcp(const struct vsw_gw *gw);
const struct vsw_nat *vsw_gw_nat(const struct vsw_gw *gw);
struct vsw_port *vsw_gw_uplink(const struct vsw_gw *gw);
void vsw_gw_get_stats(const struct vsw_gw *gw, struct vsw_gw_stats *out);
void vsw_gw_macs(const struct vsw_gw *gw, struct rte_ether_addr *inside,
		 struct rte_ether_addr *uplink);
/* The next hop's state: "resolved", "resolving", "failed" or "none". */
const char *vsw_gw_next_hop(const struct vsw_gw *gw, struct rte_ether_addr *mac);

/* Adds (replacing one of the same proto and port is an error) or removes a
 * port forward at run time; returns 0 or -1 with err set. */
int vsw_gw_forward_add(struct vsw_gw *gw, const struct vsw_nat_forward *f, char *err,
		       size_t errlen);
int vsw_gw_forward_del(struct vsw_gw *gw, uint8_t proto, uint16_t ext_port, char *err,
		       size_t errlen);

#endif
