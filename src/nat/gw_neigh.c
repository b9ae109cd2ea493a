/* Owns the gateway's neighbours on the uplink (gw_priv.h): which MAC an
 * address has, found by ARP (a request, retries a second apart, frames held
 * meanwhile, the answer refreshed after 5 minutes while still used, dropped
 * when no longer answered or used), and routing an outbound frame to its
 * next hop. */
#include <rte_arp.h>
#include <rte_byteorder.h>

#include "nat/gw_priv.h"

static uint32_t nh_slot(uint32_t ip, unsigned int i)
{
	return ((ip * 2654435761u) >> 26) + i; /* 6 bits: GW_NH_SLOTS */
}

const struct gw_next_hop *gw_nh_find(const struct vsw_gw *gw, uint32_t ip)
{
	for (unsigned int i = 0; i < GW_NH_PROBE; i++) {
		const struct gw_next_hop *e = &gw->nh[nh_slot(ip, i) % GW_NH_SLOTS];
		if (e->state != NH_NONE && e->ip == ip)
			return e;
	}
	return NULL;
}

static void drop_held(struct vsw_gw *gw, struct gw_next_hop *e)
{
	gw->st.unresolved += e->nheld;
	rte_pktmbuf_free_bulk(e->held, e->nheld);
	e->nheld = 0;
}

/* A slot for ip: free, else the one used longest ago that is not the
 * router's (its frames, if held, are dropped). */
static struct gw_next_hop *nh_take(struct vsw_gw *gw, uint32_t ip)
{
	struct gw_next_hop *v = NULL;
	for (unsigned int i = 0; i < GW_NH_PROBE; i++) {
		struct gw_next_hop *e = &gw->nh[nh_slot(ip, i) % GW_NH_SLOTS];
		if (e->state == NH_NONE) {
			v = e;
			break;
		}
		if (e->ip != gw->net.uplink_gateway && (v == NULL || e->used_ms < v->used_ms))
			v = e;
	}
	if (v == NULL)
		return NULL;
	drop_held(gw, v);
	*v = (struct gw_next_hop){ .ip = ip, .state = NH_NONE };
	return v;
}

static void send_request(struct vsw_gw *gw, struct gw_next_hop *e, struct rte_mbuf **out,
			 uint16_t *nout, uint64_t now_ms)
{
	e->asked_ms = now_ms;
	e->tries++;
	struct rte_mbuf *r = gw_arp_request(gw->mp, &gw->up_mac, gw->ext_ip, e->ip);
	if (r == NULL) {
		gw->st.no_mbuf++;
		return;
	}
	gw->st.arp_requests++;
	out[(*nout)++] = r;
}

void gw_nh_flush(struct vsw_gw *gw)
{
	for (unsigned int i = 0; i < GW_NH_SLOTS; i++) {
		rte_pktmbuf_free_bulk(gw->nh[i].held, gw->nh[i].nheld);
		gw->nh[i].nheld = 0;
	}
}

/* Adds at most 2 frames to out (the frame, an ARP request). */
void gw_route_out(struct vsw_gw *gw, struct rte_mbuf *m, uint32_t dst, struct rte_mbuf **out,
		  uint16_t *nout, uint64_t now_ms)
{
	uint32_t hop = (dst & gw->ext_mask) == (gw->ext_ip & gw->ext_mask) ? dst : gw->net.uplink_gateway;
	if (hop == 0) {
		gw->st.no_route++;
		rte_pktmbuf_free(m);
		return;
	}
	struct gw_next_hop *e = (struct gw_next_hop *)gw_nh_find(gw, hop);
	if (e == NULL && (e = nh_take(gw, hop)) == NULL) {
		gw->st.unresolved++;
		rte_pktmbuf_free(m);
		return;
	}
	e->used_ms = now_ms;
	switch (e->state) {
	case NH_RESOLVED:
		rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = e->mac;
		out[(*nout)++] = m;
		return;
	case NH_FAILED:
		gw->st.unresolved++;
		rte_pktmbuf_free(m);
		return;
	case NH_NONE:
		e->state = NH_RESOLVING;
		e->since_ms = now_ms;
		e->tries = 0;
		send_request(gw, e, out, nout, now_ms);
		/* fall through */
	case NH_RESOLVING:
		if (e->nheld == GW_HOLD) {
			gw->st.unresolved++;
			rte_pktmbuf_free(m);
			return;
		}
		e->held[e->nheld++] = m;
		return;
	}
}

static void nh_timer_one(struct vsw_gw *gw, struct gw_next_hop *e, struct rte_mbuf **out,
			 uint16_t *nout, uint64_t now_ms)
{
	switch (e->state) {
	case NH_RESOLVING:
		if (now_ms - e->asked_ms < GW_ARP_RETRY_MS)
			return;
		if (e->tries >= GW_ARP_TRIES) {
			drop_held(gw, e);
			e->state = NH_FAILED;
			e->since_ms = now_ms;
			return;
		}
		send_request(gw, e, out, nout, now_ms);
		return;
	case NH_RESOLVED:
		/* Unused for a while: forget it. Used: ask again now and then,
		 * the old answer serving meanwhile; no answer to GW_ARP_TRIES
		 * such requests: it is gone (an answer resets tries). */
		if (now_ms - e->used_ms >= GW_ARP_REACHABLE_MS) {
			e->state = NH_NONE;
		} else if (now_ms - e->since_ms >= GW_ARP_REACHABLE_MS &&
			   now_ms - e->asked_ms >= GW_ARP_RETRY_MS) {
			if (e->tries >= GW_ARP_TRIES) {
				e->state = NH_FAILED;
				e->since_ms = now_ms;
				return;
			}
			send_request(gw, e, out, nout, now_ms);
		}
		return;
	case NH_FAILED:
		if (now_ms - e->since_ms >= GW_ARP_FAILED_MS)
			e->state = NH_NONE;
		return;
	case NH_NONE:
		return;
	}
}

void gw_nh_timer(struct vsw_gw *gw, struct rte_mbuf **out, uint16_t *nout, uint64_t now_ms)
{
	for (unsigned int i = 0; i < GW_NH_SLOTS; i++)
		nh_timer_one(gw, &gw->nh[i], out, nout, now_ms);
}

void gw_nh_resolved(struct vsw_gw *gw, struct gw_next_hop *e, const struct rte_ether_addr *mac,
		    struct rte_mbuf **out, uint16_t *nout, uint64_t now_ms)
{
	e->mac = *mac;
	e->state = NH_RESOLVED;
	e->since_ms = now_ms;
	e->tries = 0;
	for (uint16_t i = 0; i < e->nheld; i++) {
		rte_pktmbuf_mtod(e->held[i], struct rte_ether_hdr *)->dst_addr = *mac;
		out[(*nout)++] = e->held[i];
	}
	e->nheld = 0;
	RTE_SET_USED(gw);
}

