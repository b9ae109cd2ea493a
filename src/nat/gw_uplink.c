/* Owns the gateway's side on the uplink: ARP for the uplink address
 * answered, the next hop resolved (a request, retries a second apart,
 * frames held meanwhile, the answer refreshed after 5 minutes while still
 * used), ping to the uplink address answered, and IPv4 to it translated
 * back by the NAT and handed to the guest it belongs to. */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include "nat/gw_priv.h"

static void send_request(struct vsw_gw *gw, struct rte_mbuf **out, uint16_t *nout,
			 uint64_t now_ms)
{
	struct gw_next_hop *nh = &gw->nh;
	nh->asked_ms = now_ms;
	nh->tries++;
	struct rte_mbuf *r = gw_arp_request(gw->mp, &gw->up_mac, gw->ext_ip, nh->ip);
	if (r == NULL) {
		gw->st.no_mbuf++;
		return;
	}
	gw->st.arp_requests++;
	out[(*nout)++] = r;
}

static void drop_held(struct vsw_gw *gw)
{
	struct gw_next_hop *nh = &gw->nh;
	gw->st.unresolved += nh->nheld;
	rte_pktmbuf_free_bulk(nh->held, nh->nheld);
	nh->nheld = 0;
}

void gw_nh_flush(struct vsw_gw *gw)
{
	rte_pktmbuf_free_bulk(gw->nh.held, gw->nh.nheld);
	gw->nh.nheld = 0;
}

/* out has room for VSW_BURST + GW_HOLD + 1 frames (gateway.c). */
void gw_route_out(struct vsw_gw *gw, struct rte_mbuf *m, uint32_t dst, struct rte_mbuf **out,
		  uint16_t *nout, uint64_t now_ms)
{
	uint32_t hop = (dst & gw->ext_mask) == (gw->ext_ip & gw->ext_mask) ? dst : gw->net.uplink_gateway;
	if (hop == 0) {
		gw->st.no_route++;
		rte_pktmbuf_free(m);
		return;
	}
	struct gw_next_hop *nh = &gw->nh;
	if (nh->ip != hop) {
		/* A new next hop (only on the uplink's own network, or at the
		 * start): forget the old one. */
		drop_held(gw);
		*nh = (struct gw_next_hop){ .ip = hop, .state = NH_NONE };
	}
	switch (nh->state) {
	case NH_RESOLVED:
		rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = nh->mac;
		out[(*nout)++] = m;
		return;
	case NH_FAILED:
		gw->st.unresolved++;
		rte_pktmbuf_free(m);
		return;
	case NH_NONE:
		nh->state = NH_RESOLVING;
		nh->since_ms = now_ms;
		nh->tries = 0;
		send_request(gw, out, nout, now_ms);
		/* fall through */
	case NH_RESOLVING:
		if (nh->nheld == GW_HOLD) {
			gw->st.unresolved++;
			rte_pktmbuf_free(m);
			return;
		}
		nh->held[nh->nheld++] = m;
		return;
	}
}

void gw_nh_timer(struct vsw_gw *gw, struct rte_mbuf **out, uint16_t *nout, uint64_t now_ms)
{
	struct gw_next_hop *nh = &gw->nh;
	switch (nh->state) {
	case NH_RESOLVING:
		if (now_ms - nh->asked_ms < GW_ARP_RETRY_MS)
			return;
		if (nh->tries >= GW_ARP_TRIES) {
			drop_held(gw);
			nh->state = NH_FAILED;
			nh->since_ms = now_ms;
			return;
		}
		send_request(gw, out, nout, now_ms);
		return;
	case NH_RESOLVED:
		/* Ask again now and then; the old answer serves meanwhile. */
		if (now_ms - nh->since_ms >= GW_ARP_REACHABLE_MS &&
		    now_ms - nh->asked_ms >= GW_ARP_RETRY_MS)
			send_request(gw, out, nout, now_ms);
		return;
	case NH_FAILED:
		if (now_ms - nh->since_ms >= GW_ARP_FAILED_MS)
			nh->state = NH_NONE;
		return;
	case NH_NONE:
		return;
	}
}

static void resolved(struct vsw_gw *gw, const struct rte_ether_addr *mac, struct rte_mbuf **out,
		     uint16_t *nout, uint64_t now_ms)
{
	struct gw_next_hop *nh = &gw->nh;
	nh->mac = *mac;
	nh->state = NH_RESOLVED;
	nh->since_ms = now_ms;
	nh->tries = 0;
	for (uint16_t i = 0; i < nh->nheld; i++) {
		rte_pktmbuf_mtod(nh->held[i], struct rte_ether_hdr *)->dst_addr = *mac;
		out[(*nout)++] = nh->held[i];
	}
	nh->nheld = 0;
}

static void uplink_arp(struct vsw_gw *gw, struct rte_mbuf *m, struct rte_mbuf **out,
		       uint16_t *nout, uint64_t now_ms)
{
	struct rte_arp_hdr *a = gw_arp_hdr(m);
	if (a == NULL || !rte_is_unicast_ether_addr(&a->arp_data.arp_sha)) {
		gw->st.bad_frame++;
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t sip = rte_be_to_cpu_32(a->arp_data.arp_sip);
	uint32_t tip = rte_be_to_cpu_32(a->arp_data.arp_tip);
	/* Any ARP from the next hop tells its MAC (RFC 826's merge rule). */
	if (sip == gw->nh.ip && sip != 0 && gw->nh.state != NH_NONE)
		resolved(gw, &a->arp_data.arp_sha, out, nout, now_ms);
	if (a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) && tip == gw->ext_ip) {
		gw_arp_reply(m, &gw->up_mac, gw->ext_ip);
		gw->st.arp_replied_uplink++;
		out[(*nout)++] = m;
		return;
	}
	rte_pktmbuf_free(m);
}

static void uplink_ipv4(struct vsw_gw *gw, struct rte_mbuf *m, uint64_t now_ms)
{
	uint16_t l3_len;
	struct rte_ipv4_hdr *ip = gw_ipv4_hdr(m, &l3_len);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (ip == NULL) {
		gw->st.bad_frame++;
		rte_pktmbuf_free(m);
		return;
	}
	if (ip->dst_addr != rte_cpu_to_be_32(gw->ext_ip) ||
	    !rte_is_same_ether_addr(&eth->dst_addr, &gw->up_mac)) {
		gw->st.not_for_us++;
		rte_pktmbuf_free(m);
		return;
	}
	if (rte_pktmbuf_data_len(m) < rte_pktmbuf_pkt_len(m) &&
	    rte_pktmbuf_data_len(m) < sizeof(*eth) + 128u && rte_pktmbuf_linearize(m) < 0) {
		gw->st.bad_frame++;
		rte_pktmbuf_free(m);
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint8_t mac[6];
	bool known = false;
	enum vsw_nat_verdict v = vsw_nat_in(gw->nat, (uint8_t *)ip, rte_pktmbuf_pkt_len(m) - sizeof(*eth),
					    false, mac, &known, now_ms);
	if (v == VSW_NAT_NOT_MINE && gw_is_echo_request(m, ip, l3_len)) {
		gw_echo_reply(m, l3_len, &gw->up_mac);
		gw->st.ping_replied++;
		/* Straight back to the sender's MAC, as a host answers. */
		enum vsw_drop_reason why;
		if (gw->uplink->ops->tx_burst(gw->uplink, 0, &m, 1, &why) != 1)
			gw->st.uplink_tx_drops++;
		return;
	}
	if (v != VSW_NAT_OK) {
		rte_pktmbuf_free(m);
		return;
	}
	if (!known) {
		uint32_t to = rte_be_to_cpu_32(ip->dst_addr);
		uint64_t k = gw_inside(gw, to) ? __atomic_load_n(&gw->seen[to - gw->base], __ATOMIC_RELAXED) : 0;
		if (k == 0)
			k = gw_inside(gw, to) ? __atomic_load_n(&gw->bound[to - gw->base], __ATOMIC_RELAXED) : 0;
		if (k == 0) {
			gw->st.inside_unknown++;
			struct rte_mbuf *r = gw_arp_request(gw->mp, &gw->in_mac, gw->gw_ip, to);
			if (r != NULL)
				gw_to_inside(gw, r);
			rte_pktmbuf_free(m);
			return;
		}
		memcpy(mac, &k, sizeof(mac));
	}
	memcpy(eth->dst_addr.addr_bytes, mac, sizeof(mac));
	eth->src_addr = gw->in_mac;
	gw_to_inside(gw, m);
}

void gw_from_uplink(struct vsw_gw *gw, struct rte_mbuf *m, struct rte_mbuf **out,
		    uint16_t *nout, uint64_t now_ms)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)) {
		gw->st.bad_frame++;
		rte_pktmbuf_free(m);
		return;
	}
	switch (rte_be_to_cpu_16(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type)) {
	case RTE_ETHER_TYPE_ARP:
		uplink_arp(gw, m, out, nout, now_ms);
		return;
	case RTE_ETHER_TYPE_IPV4:
		uplink_ipv4(gw, m, now_ms);
		return;
	default:
		gw->st.not_for_us++;
		rte_pktmbuf_free(m);
		return;
	}
}
