/* Owns the gateway's frames as frames: ARP replies and requests, ICMP echo
 * replies, recognising ARP, IPv4, ping and DHCP frames without trusting
 * them (every header must lie in the frame's first segment, where the
 * gateway reads and writes it), a copy of a frame others share before it
 * is written, and the queue of frames for the inside. */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "nat/gw_priv.h"

struct rte_arp_hdr *gw_arp_hdr(struct rte_mbuf *m)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
		return NULL;
	struct rte_arp_hdr *a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *,
							sizeof(struct rte_ether_hdr));
	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4)
		return NULL;
	return a;
}

struct rte_ipv4_hdr *gw_ipv4_hdr(struct rte_mbuf *m, uint16_t *l3_len)
{
	const uint32_t off = sizeof(struct rte_ether_hdr);
	if (rte_pktmbuf_data_len(m) < off + sizeof(struct rte_ipv4_hdr))
		return NULL;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, off);
	uint16_t ihl = (uint16_t)((ip->version_ihl & 0xf) * 4);
	uint16_t total = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || total < ihl ||
	    off + total > rte_pktmbuf_pkt_len(m) || off + ihl > rte_pktmbuf_data_len(m))
		return NULL;
	*l3_len = ihl;
	return ip;
}

static bool l4_in_first_seg(struct rte_mbuf *m, uint16_t l3_len, uint16_t need)
{
	return rte_pktmbuf_data_len(m) >= sizeof(struct rte_ether_hdr) + l3_len + need;
}

bool gw_is_echo_request(struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l3_len)
{
	if (ip->next_proto_id != IPPROTO_ICMP || (ip->fragment_offset & rte_cpu_to_be_16(0x3fff)) ||
	    !l4_in_first_seg(m, l3_len, sizeof(struct rte_icmp_hdr)) ||
	    rte_be_to_cpu_16(ip->total_length) < l3_len + sizeof(struct rte_icmp_hdr) ||
	    m->nb_segs != 1)
		return false;
	const struct rte_icmp_hdr *ic = (const struct rte_icmp_hdr *)((const uint8_t *)ip + l3_len);
	return ic->icmp_type == RTE_IP_ICMP_ECHO_REQUEST && ic->icmp_code == 0;
}

bool gw_is_dhcp(struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l3_len)
{
	if (ip->next_proto_id != IPPROTO_UDP || (ip->fragment_offset & rte_cpu_to_be_16(0x3fff)) ||
	    !l4_in_first_seg(m, l3_len, sizeof(struct rte_udp_hdr)))
		return false;
	const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)((const uint8_t *)ip + l3_len);
	return u->dst_port == rte_cpu_to_be_16(67);
}

void gw_arp_reply(struct rte_mbuf *m, const struct rte_ether_addr *mine, uint32_t my_ip)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_tha = a->arp_data.arp_sha;
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	a->arp_data.arp_sha = *mine;
	a->arp_data.arp_sip = rte_cpu_to_be_32(my_ip);
	eth->dst_addr = a->arp_data.arp_tha;
	eth->src_addr = *mine;
	/* Padding after the ARP body is kept: a 60-byte frame stays 60. */
	m->ol_flags = 0;
}

struct rte_mbuf *gw_arp_request(struct rte_mempool *mp, const struct rte_ether_addr *mac,
				uint32_t ip, uint32_t target)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	const uint16_t len = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(eth, 0, len);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = *mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = *mac;
	a->arp_data.arp_sip = rte_cpu_to_be_32(ip);
	a->arp_data.arp_tip = rte_cpu_to_be_32(target);
	return m;
}

void gw_echo_reply(struct rte_mbuf *m, uint16_t l3_len, const struct rte_ether_addr *mine)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + l3_len);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = *mine;
	uint32_t a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* Type 8 -> 0: the checksum grows by 8 << 8 (RFC 1624). */
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	uint32_t sum = (uint16_t)~rte_be_to_cpu_16(ic->icmp_cksum) + (uint32_t)(~(8u << 8) & 0xffff);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ic->icmp_cksum = rte_cpu_to_be_16((uint16_t)~sum);
	m->ol_flags = 0;
}

void gw_to_inside(struct vsw_gw *gw, struct rte_mbuf *m)
{
	if (gw->inq_n == GW_INQ) {
		gw->st.ring_full++;
		rte_pktmbuf_free(m);
		return;
	}
	gw->inq[(gw->inq_head + gw->inq_n++) % GW_INQ] = m;
}

struct rte_mbuf *gw_writable(struct vsw_gw *gw, struct rte_mbuf *m)
{
	if (rte_mbuf_refcnt_read(m) == 1 && !RTE_MBUF_CLONED(m))
		return m;
	struct rte_mbuf *c = rte_pktmbuf_copy(m, gw->mp, 0, UINT32_MAX);
	rte_pktmbuf_free(m);
	if (c == NULL)
		gw->st.no_mbuf++;
	return c;
}
