/* A NAT network's gateway (src/nat/gateway.h) opened without the switch or
 * a device, for test_gateway.c and fuzz_gateway.c: the gateway port is
 * allocated and configured as vswd_gateway_create does; its uplink is a
 * fake port whose rx_burst hands out frames the test queued and whose
 * tx_burst keeps what the gateway sent for the test to look at; the DHCP
 * eventfd runs on an event loop of the test's. Also frame builders (ARP,
 * IPv4 UDP/TCP/ICMP echo, DHCP) with valid checksums, written plainly
 * (tests/unit/net_bytes.h), so the gateway's output is checked against
 * code that is not its own. */
#ifndef VSW_TEST_GW_HARNESS_H
#define VSW_TEST_GW_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "common/cfg_types.h"
#include "common/evloop.h"
#include "nat/gateway.h"

/* The network (host byte order). */
#define GWH_GW_IP 0xc0a87a01u     /* 192.168.122.1/24 */
#define GWH_NET(h) (0xc0a87a00u | (h))
#define GWH_RANGE_START GWH_NET(100)
#define GWH_RANGE_END GWH_NET(199)
#define GWH_STATIC_IP GWH_NET(50) /* a static lease (GWH_STATIC_MAC) */
#define GWH_EXT_IP 0xc6336402u    /* 198.51.100.2/24, the uplink's address */
#define GWH_ROUTER_IP 0xc6336401u /* 198.51.100.1, the next hop */
#define GWH_DNS_IP 0xc0000235u    /* 192.0.2.53 */
#define GWH_REMOTE_IP 0xcb007105u /* 203.0.113.5, a host behind the router */
#define GWH_MAX_SESSIONS 16
#define GWH_LEASE_S 3600

extern const uint8_t GWH_UP_MAC[6];     /* the uplink device's MAC */
extern const uint8_t GWH_ROUTER_MAC[6];
extern const uint8_t GWH_STATIC_MAC[6];
extern const uint8_t GWH_BCAST[6];
extern const uint8_t GWH_ZERO[6];

#define GWH_UP_RXQ 128   /* frames queued for the fake uplink's rx_burst */
#define GWH_UP_TXLOG 256 /* frames the fake uplink keeps; beyond it refuses */
#define GWH_FRAME_MAX 1600

struct gwh {
	struct rte_mempool *mp;
	struct vsw_evloop *loop;
	struct vsw_cfg_network net;
	struct vsw_port *port;   /* the gateway */
	struct vsw_port *uplink; /* the fake; the gateway's once open */
	struct vsw_gw *gw;
	uint8_t in_mac[6];       /* the gateway's own, on the inside */
	/* The fake uplink. */
	struct rte_mbuf *up_rx[GWH_UP_RXQ];
	unsigned int up_rx_head, up_rx_n;
	struct rte_mbuf *up_tx[GWH_UP_TXLOG]; /* what the gateway sent; the test's */
	unsigned int up_tx_n;
	bool up_destroyed;
	char lease_file[96];     /* "" : leases not kept */
};

/* Fills h->net with the test network (see the defines; spoof check on,
 * one static lease, GWH_MAX_SESSIONS sessions). The caller may change it
 * before gwh_open. */
void gwh_default_net(struct gwh *h);

/* Opens the gateway on h->net (gwh_default_net first). lease_dir: keep
 * leases in a file there (NULL: not kept). Returns 0, or -1 with err. */
int gwh_open(struct gwh *h, struct rte_mempool *mp, struct vsw_evloop *loop,
	     const char *lease_dir, char *err, size_t errlen);
/* Destroys the gateway through its port's ops (which destroys the fake
 * uplink too) and frees what the fake uplink still holds. */
void gwh_close(struct gwh *h);

/* An mbuf holding bytes (NULL: no mbuf left, or too long). */
struct rte_mbuf *gwh_mbuf(struct gwh *h, const uint8_t *bytes, size_t len);
/* A guest's frame to the gateway as the bridge sends it (tx_burst:
 * ownership passes). Returns how many the gateway took (0 or 1). */
uint16_t gwh_guest_send(struct gwh *h, struct rte_mbuf *m);
/* Queues a frame for the fake uplink to receive; false: queue full (m freed). */
bool gwh_uplink_queue(struct gwh *h, struct rte_mbuf *m);
/* The gateway's rx_burst (the worker's poll). */
uint16_t gwh_poll(struct gwh *h, struct rte_mbuf **pkts, uint16_t n);
/* The control thread's turn: runs the event loop once without waiting. */
void gwh_control(struct gwh *h);
/* Frees what the fake uplink has sent and empties its log. */
void gwh_uplink_clear(struct gwh *h);

/* The worker's clock, and its timers run by hand: with the worker's own
 * timers frozen (gwh_freeze_timers), gwh_timer runs the neighbours' ARP
 * timer and the NAT's expiry at now_ms; requests go out on the uplink. */
uint64_t gwh_now_ms(const struct gwh *h);
void gwh_freeze_timers(struct gwh *h);
void gwh_timer(struct gwh *h, uint64_t now_ms);

/* Polls until the gateway has nothing more for the inside, running the
 * control side in between, and frees all it returned and all the uplink
 * sent; returns how many frames that was. */
unsigned int gwh_drain(struct gwh *h);
/* Frames the gateway holds for unresolved neighbours on the uplink. */
unsigned int gwh_held(const struct gwh *h);
/* An outbound frame (translated already) routed at now_ms by the worker's
 * own function, as if it had come then: what it sends goes on the uplink. */
void gwh_route_at(struct gwh *h, struct rte_mbuf *m, uint32_t dst, uint64_t now_ms);

/* --- frame builders (write into f, return the frame's length) --- */
size_t gwh_arp(uint8_t *f, uint16_t op, const uint8_t dmac[6], const uint8_t smac[6],
	       uint32_t sip, const uint8_t tha[6], uint32_t tip);
/* IPv4 with payload l4 of l4len bytes; its L4 checksum (UDP, TCP, ICMP)
 * is computed here if l4 is long enough to hold one, and the IPv4
 * header's. TTL 64, DF clear, id 0x1234. */
size_t gwh_ipv4(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint8_t proto,
		uint32_t src, uint32_t dst, const uint8_t *l4, size_t l4len);
size_t gwh_udp(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint32_t src,
	       uint16_t sport, uint32_t dst, uint16_t dport, const void *payload, size_t plen);
size_t gwh_tcp(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint32_t src,
	       uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags, uint32_t seq);
size_t gwh_echo(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint32_t src,
		uint32_t dst, uint16_t id, uint16_t seq);
/* A DHCP client message from mac (broadcast, UDP 68 -> 67): type 1
 * DISCOVER, 3 REQUEST (req_ip/server_id as options when non-zero), 7
 * RELEASE (ciaddr = req_ip, to the gateway's address). */
size_t gwh_dhcp(uint8_t *f, const uint8_t mac[6], uint8_t type, uint32_t xid, uint32_t req_ip,
		uint32_t server_id);

/* Recomputes the IPv4 header checksum of frame f and, for UDP/TCP/ICMP
 * with the L4 header all there, its L4 checksum. */
void gwh_fix_csums(uint8_t *f);

/* --- checks --- */
bool gwh_ip_csum_ok(const uint8_t *ip);
/* The L4 checksum of a plain (IHL 5) UDP/TCP/ICMP packet is right. */
bool gwh_l4_csum_ok(const uint8_t *ip);
/* Option code of a DHCP reply frame: its value's first byte, -1 if absent. */
int gwh_dhcp_opt(const uint8_t *f, size_t len, uint8_t code, const uint8_t **val);

#endif
