/* The gateway's state, shared by its files: gateway.c (port ops, the
 * worker's loop), gw_inside.c (frames from guests), gw_uplink.c (frames
 * from the uplink), gw_frames.c (ARP and ping
 * answers, shared frames, the inside queue), gw_neigh.c (neighbours on the
 * uplink), gw_control.c (the control thread's side: DHCP, forwards). */
#ifndef VSW_NAT_GW_PRIV_H
#define VSW_NAT_GW_PRIV_H

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "nat/gateway.h"

#define GW_RING_SIZE 1024     /* guests' frames waiting for the gateway's worker */
#define GW_DHCP_RING 64       /* DHCP frames each way between worker and control thread */
#define GW_INQ 128            /* frames for the inside waiting to be handed to the bridge */
#define GW_HOLD 8             /* frames held while the next hop is resolved */
#define GW_ARP_RETRY_MS 1000
#define GW_ARP_TRIES 3
#define GW_ARP_REACHABLE_MS 300000 /* then asked again, the old answer used meanwhile */
#define GW_ARP_FAILED_MS 5000      /* after the tries failed, frames dropped this long */

/* The gateway's neighbours on the uplink, found by ARP: the next hop
 * (uplink_gateway) and hosts of the uplink's own network. A small table:
 * an address has GW_NH_PROBE slots it may sit in; a new one takes a free
 * slot or the one used longest ago (never the router's). NH_NONE: free. */
#define GW_NH_SLOTS 64
#define GW_NH_PROBE 4
enum gw_nh_state { NH_NONE, NH_RESOLVING, NH_RESOLVED, NH_FAILED };
struct gw_next_hop {
	uint32_t ip;           /* host byte order */
	enum gw_nh_state state;
	struct rte_ether_addr mac;
	uint64_t since_ms;     /* resolved at / first asked at / failed at */
	uint64_t asked_ms;     /* last request sent */
	uint64_t used_ms;      /* last frame sent through it */
	unsigned int tries;
	uint16_t nheld;
	struct rte_mbuf *held[GW_HOLD];
};

struct vsw_gw {
	struct vsw_port *port;   /* the switch port that is the gateway */
	struct vsw_port *uplink; /* owned */
	struct rte_mempool *mp;
	struct vsw_cfg_network net;
	uint32_t gw_ip, mask, base, bcast; /* inside, host byte order */
	uint32_t ext_ip, ext_mask;         /* uplink */
	struct rte_ether_addr in_mac, up_mac;
	uint32_t hosts;                    /* addresses in the inside subnet */
	/* Per inside address (index ip - base): the MAC it is bound to by DHCP
	 * or a static lease (spoof check), and the MAC last seen using it
	 * (where forwarded packets go). Bit 63: valid. 64-bit stores, so the
	 * worker and the control thread may both write without tearing. */
	uint64_t *bound, *seen;
	struct vsw_nat *nat;
	struct rte_ring *to_gw;      /* MP/SC: guests -> worker */
	struct rte_ring *dhcp_in;    /* SP/SC: worker -> control thread */
	struct rte_ring *dhcp_out;   /* SP/SC: control thread -> worker */
	int dhcp_efd;
	struct vsw_evloop *loop;
	struct vsw_dhcp *dhcp;       /* control thread only */
	void (*sync)(void *ctx);
	void *sync_ctx;
	/* The worker's: frames for the inside not yet handed to the bridge. */
	struct rte_mbuf *inq[GW_INQ];
	uint16_t inq_head, inq_n;
	struct gw_next_hop nh[GW_NH_SLOTS];
	uint64_t next_expire_ms;
	uint64_t ms_div;             /* TSC ticks per millisecond */
	struct vsw_gw_stats st;      /* dhcp_out/dhcp_ring_full: control thread */
};

/* The MAC's six bytes as memcpy lays them in a uint64_t, top bit set (0 is
 * "none"). Made from two loads in registers on little-endian CPUs: bytes
 * stored into k and read back whole stalled store forwarding per packet. */
static inline uint64_t gw_mac_key(const struct rte_ether_addr *m)
{
	uint64_t k = 0;
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint32_t lo;
	uint16_t hi;
	memcpy(&lo, m->addr_bytes, sizeof(lo));
	memcpy(&hi, m->addr_bytes + sizeof(lo), sizeof(hi));
	k = lo | (uint64_t)hi << 32;
#else
	memcpy(&k, m->addr_bytes, RTE_ETHER_ADDR_LEN);
#endif
	return k | (1ull << 63);
}

static inline bool gw_inside(const struct vsw_gw *gw, uint32_t ip)
{
	return (ip & gw->mask) == gw->base && ip != gw->base && ip != gw->bcast;
}

/* gw_frames.c: queue a frame for the inside (dropped and counted if full). */
void gw_to_inside(struct vsw_gw *gw, struct rte_mbuf *m);
/* An mbuf the gateway may write: m itself, or a copy if others share it
 * (a flooded frame); NULL (m freed, counted) if no copy could be made. */
struct rte_mbuf *gw_writable(struct vsw_gw *gw, struct rte_mbuf *m);

/* gw_inside.c: a guest's frame; out collects frames for the uplink. */
void gw_from_inside(struct vsw_gw *gw, struct rte_mbuf *m, struct rte_mbuf **out,
		    uint16_t *nout, uint64_t now_ms);

/* gw_uplink.c */
void gw_from_uplink(struct vsw_gw *gw, struct rte_mbuf *m, struct rte_mbuf **out,
		    uint16_t *nout, uint64_t now_ms);

/* gw_neigh.c */
/* Sets the destination MAC of an outbound frame (m's IPv4 destination is
 * dst) and appends it to out, or holds it while the next hop is resolved. */
void gw_route_out(struct vsw_gw *gw, struct rte_mbuf *m, uint32_t dst, struct rte_mbuf **out,
		  uint16_t *nout, uint64_t now_ms);
/* Retries, aging and giving up on neighbours; appends requests to out
 * (room for GW_NH_SLOTS). */
void gw_nh_timer(struct vsw_gw *gw, struct rte_mbuf **out, uint16_t *nout, uint64_t now_ms);
void gw_nh_flush(struct vsw_gw *gw); /* frees held frames (destroy) */
/* The neighbour entry of ip, or NULL. */
const struct gw_next_hop *gw_nh_find(const struct vsw_gw *gw, uint32_t ip);
/* e answered with mac: its held frames go to out (at most GW_HOLD). */
void gw_nh_resolved(struct vsw_gw *gw, struct gw_next_hop *e, const struct rte_ether_addr *mac,
		    struct rte_mbuf **out, uint16_t *nout, uint64_t now_ms);

/* gw_frames.c: answers built in place (m must be writable). */
void gw_arp_reply(struct rte_mbuf *m, const struct rte_ether_addr *mine, uint32_t my_ip);
/* A new ARP request from (mac, ip) for target; NULL if no mbuf. */
struct rte_mbuf *gw_arp_request(struct rte_mempool *mp, const struct rte_ether_addr *mac,
				uint32_t ip, uint32_t target);
/* Turns an ICMP echo request (IPv4 header after Ethernet, ihl*4 = l3_len)
 * into its reply from the address it was sent to, from MAC mine. */
void gw_echo_reply(struct rte_mbuf *m, uint16_t l3_len, const struct rte_ether_addr *mine);
/* The frame's ARP header if it is a valid Ethernet/IPv4 ARP, else NULL. */
struct rte_arp_hdr *gw_arp_hdr(struct rte_mbuf *m);
/* The IPv4 header if the frame holds a whole one (IHL >= 5, total length
 * within the frame) in its first segment, else NULL; *l3_len = IHL * 4. */
struct rte_ipv4_hdr *gw_ipv4_hdr(struct rte_mbuf *m, uint16_t *l3_len);
/* True if m is an ICMP echo request (header checksum not checked) with its
 * ICMP header in the first segment. */
bool gw_is_echo_request(struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l3_len);
/* True if m is UDP to port 67 (a DHCP client message). */
bool gw_is_dhcp(struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l3_len);

/* gw_control.c: hand a DHCP frame to the control thread (worker side). */
void gw_dhcp_handoff(struct vsw_gw *gw, struct rte_mbuf *m);
int gw_control_open(struct vsw_gw *gw, const struct vsw_gw_params *prm, char *err, size_t errlen);
void gw_control_close(struct vsw_gw *gw);

#endif
