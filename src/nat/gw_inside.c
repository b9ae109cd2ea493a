/* Owns what the gateway does with a guest's frame: ARP for the gateway's
 * address answered, ping to it answered, DHCP handed to the control thread,
 * IPv4 for the outside source-NATed (after the spoof check) and routed to
 * the uplink; everything else dropped under its own counter. IPv6 is never
 * forwarded: it would leave untranslated. */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include "nat/gw_priv.h"

/* Where forwarded packets for ip go until a session knows. With the spoof
 * check on, only the MAC bound to ip may claim it: otherwise one
 * gratuitous ARP would take another guest's forwards. */
static void learn_seen(struct vsw_gw *gw, uint32_t ip, const struct rte_ether_addr *mac)
{
	if (!gw_inside(gw, ip) || ip == gw->gw_ip)
		return;
	uint64_t k = gw_mac_key(mac);
	if (gw->net.spoof_check && __atomic_load_n(&gw->bound[ip - gw->base], __ATOMIC_RELAXED) != k)
		return;
	uint64_t *slot = &gw->seen[ip - gw->base];
	if (__atomic_load_n(slot, __ATOMIC_RELAXED) != k)
		__atomic_store_n(slot, k, __ATOMIC_RELAXED);
}

static void inside_arp(struct vsw_gw *gw, struct rte_mbuf *m)
{
	struct rte_arp_hdr *a = gw_arp_hdr(m);
	if (a == NULL) {
		gw->st.bad_frame++;
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t sip = rte_be_to_cpu_32(a->arp_data.arp_sip);
	uint32_t tip = rte_be_to_cpu_32(a->arp_data.arp_tip);
	if (!rte_is_unicast_ether_addr(&a->arp_data.arp_sha)) {
		gw->st.bad_frame++;
		rte_pktmbuf_free(m);
		return;
	}
	learn_seen(gw, sip, &a->arp_data.arp_sha);
	if (a->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) || tip != gw->gw_ip ||
	    sip == gw->gw_ip) {
		rte_pktmbuf_free(m); /* someone else's, or a gratuitous announcement */
		return;
	}
	m = gw_writable(gw, m);
	if (m == NULL)
		return;
	gw_arp_reply(m, &gw->in_mac, gw->gw_ip);
	gw->st.arp_replied_inside++;
	gw_to_inside(gw, m);
}

static bool spoofed(const struct vsw_gw *gw, uint32_t src, const struct rte_ether_addr *mac)
{
	if (!gw->net.spoof_check)
		return false;
	if (!gw_inside(gw, src))
		return false; /* the NAT refuses it with its own reason */
	return __atomic_load_n(&gw->bound[src - gw->base], __ATOMIC_RELAXED) != gw_mac_key(mac);
}

static void to_gateway(struct vsw_gw *gw, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		       uint16_t l3_len)
{
	if (gw_is_dhcp(m, ip, l3_len)) {
		gw_dhcp_handoff(gw, m);
		return;
	}
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
	if ((dst == gw->gw_ip || dst == gw->ext_ip) && gw_is_echo_request(m, ip, l3_len)) {
		m = gw_writable(gw, m);
		if (m == NULL)
			return;
		gw_echo_reply(m, l3_len, &gw->in_mac);
		gw->st.ping_replied++;
		gw_to_inside(gw, m);
		return;
	}
	gw->st.to_gateway_other++;
	rte_pktmbuf_free(m);
}

static void outbound(struct vsw_gw *gw, struct rte_mbuf *m, struct rte_mbuf **out,
		     uint16_t *nout, uint64_t now_ms)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);
	if (spoofed(gw, src, &eth->src_addr)) {
		gw->st.spoofed++;
		rte_pktmbuf_free(m);
		return;
	}
	/* The NAT reads up to an ICMP error's inner header: those bytes must
	 * be in the first segment, the rest of the frame may be chained. */
	uint32_t len = rte_pktmbuf_pkt_len(m) - sizeof(*eth);
	if (rte_pktmbuf_data_len(m) < rte_pktmbuf_pkt_len(m) &&
	    rte_pktmbuf_data_len(m) < sizeof(*eth) + 128u) {
		if (rte_pktmbuf_linearize(m) < 0) {
			gw->st.bad_frame++;
			rte_pktmbuf_free(m);
			return;
		}
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		ip = (struct rte_ipv4_hdr *)(eth + 1);
	}
	bool partial = (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) != 0;
	enum vsw_nat_verdict v =
		vsw_nat_out(gw->nat, (uint8_t *)ip, len, partial, eth->src_addr.addr_bytes, now_ms);
	if (v != VSW_NAT_OK) {
		rte_pktmbuf_free(m); /* counted by the NAT */
		return;
	}
	learn_seen(gw, src, &eth->src_addr);
	eth->src_addr = gw->up_mac;
	gw_route_out(gw, m, dst, out, nout, now_ms);
}

static void inside_ipv4(struct vsw_gw *gw, struct rte_mbuf *m, struct rte_mbuf **out,
			uint16_t *nout, uint64_t now_ms)
{
	uint16_t l3_len;
	struct rte_ipv4_hdr *ip = gw_ipv4_hdr(m, &l3_len);
	if (ip == NULL) {
		gw->st.bad_frame++;
		rte_pktmbuf_free(m);
		return;
	}
	/* The bridge floods broadcasts and not yet learned unicast to the
	 * gateway too: only DHCP is for it among broadcasts, and only frames
	 * to its own MAC are routed. */
	const struct rte_ether_addr *dmac = &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr;
	if (!rte_is_same_ether_addr(dmac, &gw->in_mac)) {
		if (rte_is_broadcast_ether_addr(dmac) && gw_is_dhcp(m, ip, l3_len)) {
			gw_dhcp_handoff(gw, m);
			return;
		}
		gw->st.not_for_us++;
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
	/* The uplink address from inside is the gateway too (no hairpin
	 * through the NAT): it answers ping there. */
	if (dst == gw->gw_ip || dst == gw->bcast || dst == UINT32_MAX || dst == gw->ext_ip) {
		to_gateway(gw, m, ip, l3_len);
		return;
	}
	if ((dst & gw->mask) == gw->base) {
		gw->st.inside_routed++;
		rte_pktmbuf_free(m);
		return;
	}
	if ((dst >> 28) == 0xe) { /* multicast (RTE_IS_IPV4_MCAST shifts into the sign bit) */
		gw->st.not_for_us++;
		rte_pktmbuf_free(m);
		return;
	}
	m = gw_writable(gw, m);
	if (m != NULL)
		outbound(gw, m, out, nout, now_ms);
}

void gw_from_inside(struct vsw_gw *gw, struct rte_mbuf *m, struct rte_mbuf **out,
		    uint16_t *nout, uint64_t now_ms)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)) {
		gw->st.bad_frame++;
		rte_pktmbuf_free(m);
		return;
	}
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_ARP:
		inside_arp(gw, m);
		return;
	case RTE_ETHER_TYPE_IPV4:
		inside_ipv4(gw, m, out, nout, now_ms);
		return;
	case RTE_ETHER_TYPE_IPV6:
		gw->st.ipv6++;
		break;
	default:
		gw->st.not_ip++;
		break;
	}
	rte_pktmbuf_free(m);
}
