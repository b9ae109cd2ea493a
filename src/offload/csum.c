/* Owns completing partial checksums in software: the L4 checksum of a frame
 * with DPDK/Linux checksum offload metadata, and virtio's generic one. */
#include <string.h>

#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "offload/chain.h"

static bool is_udp(const struct rte_mbuf *m)
{
	return !(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) &&
	       (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM;
}

/* Where the IP packet ends by its own length field; never past the frame. */
static uint32_t ip_end(const struct rte_mbuf *m)
{
	uint32_t at, add;
	if (m->ol_flags & RTE_MBUF_F_TX_IPV4) {
		at = m->l2_len + 2u; /* total_length */
		add = m->l2_len;
	} else if (m->ol_flags & RTE_MBUF_F_TX_IPV6) {
		at = m->l2_len + 4u; /* payload_len */
		add = m->l2_len + 40u;
	} else {
		return m->pkt_len;
	}
	uint8_t buf[2];
	const uint8_t *p = rte_pktmbuf_read(m, at, sizeof(buf), buf);
	if (p == NULL)
		return m->pkt_len;
	return RTE_MIN(add + vsw_off_get16(p), m->pkt_len);
}

uint32_t vsw_off_l4_csum_offset(const struct rte_mbuf *m)
{
	return (uint32_t)m->l2_len + m->l3_len +
	       (is_udp(m) ? offsetof(struct rte_udp_hdr, dgram_cksum) : offsetof(struct rte_tcp_hdr, cksum));
}

uint16_t vsw_off_l4_csum(const struct rte_mbuf *m)
{
	uint32_t start = (uint32_t)m->l2_len + m->l3_len, end = ip_end(m);
	uint16_t c = (uint16_t)~vsw_off_chain_sum(m, start, end > start ? end - start : 0);
	/* UDP's 0 means "no checksum"; its ones' complement twin says the same sum. */
	return c == 0 && is_udp(m) ? 0xffff : c;
}

static int ipv4_hdr_csum(struct rte_mbuf *m)
{
	uint8_t buf[60];
	const uint8_t *p = rte_pktmbuf_read(m, m->l2_len, 1, buf);
	if (p == NULL)
		return VSW_OFF_ETRUNC;
	uint32_t ihl = (*p & 0xfu) * 4u, at = offsetof(struct rte_ipv4_hdr, hdr_checksum);
	if (ihl < sizeof(struct rte_ipv4_hdr))
		return VSW_OFF_EMALFORMED;
	if ((p = rte_pktmbuf_read(m, m->l2_len, ihl, buf)) == NULL)
		return VSW_OFF_ETRUNC;
	if (p != buf)
		memcpy(buf, p, ihl);
	memset(buf + at, 0, 2);
	uint16_t c = (uint16_t)~rte_raw_cksum(buf, ihl);
	return vsw_off_chain_write(m, m->l2_len + at, &c, sizeof(c));
}

int vsw_off_csum_complete(struct rte_mbuf *m)
{
	uint64_t ol = m->ol_flags, l4 = ol & RTE_MBUF_F_TX_L4_MASK;
	if ((ol & RTE_MBUF_F_TX_TCP_SEG) || l4 == RTE_MBUF_F_TX_SCTP_CKSUM)
		return VSW_OFF_EUNSUPP;
	int rc;
	if ((ol & RTE_MBUF_F_TX_IP_CKSUM) && (ol & RTE_MBUF_F_TX_IPV4) && (rc = ipv4_hdr_csum(m)) != 0)
		return rc;
	if (l4 != 0) {
		uint32_t at = vsw_off_l4_csum_offset(m);
		if (at + 2 > ip_end(m))
			return VSW_OFF_ETRUNC;
		uint16_t c = vsw_off_l4_csum(m);
		if ((rc = vsw_off_chain_write(m, at, &c, sizeof(c))) != 0)
			return rc;
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM);
	return 0;
}

int vsw_off_csum_generic(struct rte_mbuf *m, uint32_t start, uint32_t offset)
{
	if ((uint64_t)start + offset + 2 > m->pkt_len)
		return VSW_OFF_ETRUNC;
	uint16_t c = (uint16_t)~vsw_off_chain_sum(m, start, m->pkt_len - start);
	if (c == 0)
		c = 0xffff;
	return vsw_off_chain_write(m, start + offset, &c, sizeof(c));
}
