/* Owns finding a frame's headers for offloads (vsw_off_parse, on an mbuf;
 * vsw_off_parse_buf, on bytes copied out) without trusting any length in
 * it, and putting what it found into mbuf metadata. */
#include <netinet/in.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "offload/chain.h"

#define IPV6_HDR 40u
#define TCP_HDR_MIN 20u
#define UDP_HDR 8u
#define IPV6_FRAG_HDR 8u

/* A header that would end at end must lie within limit (the frame, or the IP
 * packet) and within the avail bytes looked at. */
static int need(uint32_t end, uint32_t limit, uint32_t avail)
{
	if (end > limit)
		return VSW_OFF_ETRUNC;
	return end > avail ? VSW_OFF_EMALFORMED : 0;
}

static int parse_ipv4(const uint8_t *p, uint32_t avail, uint32_t pkt_len, struct vsw_l4_hdrs *h)
{
	uint32_t off = h->l2_len;
	int rc = need(off + sizeof(struct rte_ipv4_hdr), pkt_len, avail);
	if (rc != 0)
		return rc;
	uint32_t ihl = (p[off] & 0xfu) * 4u, total = vsw_off_get16(p + off + 2);
	if ((p[off] >> 4) != 4 || ihl < sizeof(struct rte_ipv4_hdr) || total < ihl)
		return VSW_OFF_EMALFORMED;
	if (off + total > pkt_len)
		return VSW_OFF_ETRUNC;
	h->ipv = 4;
	h->l3_len = (uint16_t)ihl;
	h->l3_total = off + total;
	h->proto = p[off + 9];
	h->fragment = (vsw_off_get16(p + off + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
	return 0;
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS;
}

static int parse_ipv6(const uint8_t *p, uint32_t avail, uint32_t pkt_len, struct vsw_l4_hdrs *h)
{
	uint32_t off = h->l2_len;
	int rc = need(off + IPV6_HDR, pkt_len, avail);
	if (rc != 0)
		return rc;
	if ((p[off] >> 4) != 6)
		return VSW_OFF_EMALFORMED;
	uint32_t end = off + IPV6_HDR + vsw_off_get16(p + off + 4);
	if (end > pkt_len)
		return VSW_OFF_ETRUNC;
	h->ipv = 6;
	h->l3_total = end;
	uint8_t nh = p[off + 6];
	uint32_t l3 = IPV6_HDR;
	for (unsigned int n = 0; ipv6_ext(nh) || nh == IPPROTO_FRAGMENT; n++) {
		if (n == VSW_OFF_EXT_MAX)
			return VSW_OFF_EMALFORMED;
		const uint8_t *x = p + off + l3;
		if ((rc = need(off + l3 + 8, end, avail)) != 0)
			return rc;
		uint32_t len = nh == IPPROTO_FRAGMENT ? IPV6_FRAG_HDR : (x[1] + 1u) * 8u;
		if (l3 - IPV6_HDR + len > VSW_OFF_EXT_BYTES_MAX)
			return VSW_OFF_EMALFORMED;
		if ((rc = need(off + l3 + len, end, avail)) != 0)
			return rc;
		l3 += len;
		if (nh == IPPROTO_FRAGMENT) {
			/* Past a fragment header lies part of a datagram, not a
			 * header to offload. */
			h->fragment = true;
			nh = x[0];
			break;
		}
		nh = x[0];
	}
	h->l3_len = (uint16_t)l3;
	h->proto = nh;
	return 0;
}

int vsw_off_parse_buf(const uint8_t *p, uint32_t len, uint32_t pkt_len, struct vsw_l4_hdrs *h)
{
	memset(h, 0, sizeof(*h));
	uint32_t avail = RTE_MIN(RTE_MIN(len, pkt_len), VSW_OFF_HDR_MAX);
	int rc = need(RTE_ETHER_HDR_LEN, pkt_len, avail);
	if (rc != 0)
		return rc;
	uint32_t off = RTE_ETHER_HDR_LEN;
	uint16_t type = vsw_off_get16(p + 12);
	for (unsigned int tags = 0; type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ; tags++) {
		if (tags == VSW_OFF_VLAN_MAX)
			return VSW_OFF_EMALFORMED;
		if ((rc = need(off + 4, pkt_len, avail)) != 0)
			return rc;
		type = vsw_off_get16(p + off + 2);
		off += 4;
	}
	h->l2_len = (uint16_t)off;
	h->l3_total = pkt_len;
	if (type == RTE_ETHER_TYPE_IPV4)
		rc = parse_ipv4(p, avail, pkt_len, h);
	else if (type == RTE_ETHER_TYPE_IPV6)
		rc = parse_ipv6(p, avail, pkt_len, h);
	else
		return 0;
	if (rc != 0 || h->fragment)
		return rc;
	uint32_t l4 = off + h->l3_len;
	if (h->proto == IPPROTO_TCP) {
		if ((rc = need(l4 + TCP_HDR_MIN, h->l3_total, avail)) != 0)
			return rc;
		uint32_t doff = (p[l4 + 12] >> 4) * 4u;
		if (doff < TCP_HDR_MIN)
			return VSW_OFF_EMALFORMED;
		if ((rc = need(l4 + doff, h->l3_total, avail)) != 0)
			return rc;
		h->l4_len = (uint16_t)doff;
	} else if (h->proto == IPPROTO_UDP) {
		if ((rc = need(l4 + UDP_HDR, h->l3_total, avail)) != 0)
			return rc;
		h->l4_len = UDP_HDR;
	}
	return 0;
}

int vsw_off_parse_hdrs(const struct rte_mbuf *m, struct vsw_l4_hdrs *h,
		       uint8_t copy[VSW_OFF_HDR_MAX], const uint8_t **hdrs)
{
	uint32_t avail = RTE_MIN(m->pkt_len, VSW_OFF_HDR_MAX);
	const uint8_t *p = rte_pktmbuf_read(m, 0, avail, copy);
	if (p == NULL) {
		memset(h, 0, sizeof(*h));
		return VSW_OFF_ETRUNC;
	}
	*hdrs = p;
	return vsw_off_parse_buf(p, avail, m->pkt_len, h);
}

int vsw_off_parse(const struct rte_mbuf *m, struct vsw_l4_hdrs *h)
{
	uint8_t copy[VSW_OFF_HDR_MAX];
	const uint8_t *hdrs;
	return vsw_off_parse_hdrs(m, h, copy, &hdrs);
}

void vsw_off_set_meta(struct rte_mbuf *m, const struct vsw_l4_hdrs *h)
{
	m->ol_flags &= ~(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6);
	if (h->ipv == 4)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
	else if (h->ipv == 6)
		m->ol_flags |= RTE_MBUF_F_TX_IPV6;
	m->l2_len = h->l2_len;
	m->l3_len = h->l3_len;
	m->l4_len = h->l4_len;
}
