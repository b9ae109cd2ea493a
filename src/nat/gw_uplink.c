/* Owns what the gateway does with a frame from the uplink: ARP for the
 * uplink address answered, ARP from a neighbour handed to the neighbour
 * table, ping to the uplink address answered, and IPv4 to it translated
 * back by the NAT and handed to the guest it belongs to. */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include "nat/gw_priv.h"

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
	/* Any ARP from a neighbour we know tells its MAC (RFC 826's merge rule). */
	struct gw_next_hop *e = sip == 0 ? NULL : (struct gw_next_hop *)gw_nh_find(gw, sip);
	if (e != NULL)
		gw_nh_resolved(gw, e, &a->arp_data.arp_sha, out, nout, now_ms);
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
		/* A forward's first packet: the guest's MAC from what the
		 * gateway saw, else from its lease (with the spoof check on,
		 * both are the bound MAC). */
		uint32_t to = rte_be_to_cpu_32(ip->dst_addr);
		uint64_t k = 0;
		if (gw_inside(gw, to)) {
			k = __atomic_load_n(&gw->seen[to - gw->base], __ATOMIC_RELAXED);
			if (k == 0)
				k = __atomic_load_n(&gw->bound[to - gw->base], __ATOMIC_RELAXED);
		}
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
