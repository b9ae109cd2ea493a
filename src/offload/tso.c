/* Owns TCP segmentation in software (vsw_off_tso_segment): one pass over
 * the TSO frame's chain, each segment copied into one new mbuf with its
 * headers rewritten and its checksums computed over the copy. */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "offload/chain.h"

/* A read position in a chain that only moves forward. */
struct cursor {
	const struct rte_mbuf *seg;
	uint32_t off;
};

static void cursor_copy(struct cursor *c, uint8_t *dst, uint32_t len)
{
	while (len > 0 && c->seg != NULL) {
		if (c->off >= c->seg->data_len) {
			c->off -= c->seg->data_len;
			c->seg = c->seg->next;
			continue;
		}
		uint32_t n = RTE_MIN((uint32_t)c->seg->data_len - c->off, len);
		memcpy(dst, rte_pktmbuf_mtod_offset(c->seg, const uint8_t *, c->off), n);
		dst += n;
		len -= n;
		c->off += n;
	}
}

static uint32_t room(struct rte_mempool *mp)
{
	uint32_t buf = rte_pktmbuf_data_room_size(mp);
	return buf - RTE_MIN(buf, (uint32_t)RTE_PKTMBUF_HEADROOM);
}

/* What each segment's headers are rewritten from. */
struct tso {
	struct vsw_l4_hdrs h;
	uint32_t hlen, mss, nseg, seq;
	uint16_t id;
	uint8_t flags;
	bool full;
};

/* Rewrites the headers of segment i (payload plen bytes, already copied
 * after them at d + hlen) and fills in its checksums and metadata. */
static void finish_segment(const struct tso *t, struct rte_mbuf *s, uint32_t i, uint32_t plen)
{
	uint8_t *d = rte_pktmbuf_mtod(s, uint8_t *), *ip = d + t->h.l2_len, *th = ip + t->h.l3_len;
	uint32_t tcp_len = t->h.l4_len + plen, phdr;
	if (t->h.ipv == 4) {
		vsw_off_put16(ip + offsetof(struct rte_ipv4_hdr, total_length), (uint16_t)(t->h.l3_len + tcp_len));
		vsw_off_put16(ip + offsetof(struct rte_ipv4_hdr, packet_id), (uint16_t)(t->id + i));
		memset(ip + offsetof(struct rte_ipv4_hdr, hdr_checksum), 0, 2);
		uint16_t c = (uint16_t)~rte_raw_cksum(ip, t->h.l3_len);
		memcpy(ip + offsetof(struct rte_ipv4_hdr, hdr_checksum), &c, 2);
		phdr = rte_raw_cksum(ip + offsetof(struct rte_ipv4_hdr, src_addr), 8);
	} else {
		vsw_off_put16(ip + offsetof(struct rte_ipv6_hdr, payload_len),
			      (uint16_t)(t->h.l3_len - sizeof(struct rte_ipv6_hdr) + tcp_len));
		phdr = rte_raw_cksum(ip + offsetof(struct rte_ipv6_hdr, src_addr), 32);
	}
	/* Pseudo-header: addresses, protocol, TCP length (the upper-layer
	 * length; IPv6 extension headers are not part of it). */
	phdr += rte_cpu_to_be_16(IPPROTO_TCP) + rte_cpu_to_be_16((uint16_t)tcp_len);

	uint32_t seq = rte_cpu_to_be_32(t->seq + i * t->mss);
	memcpy(th + offsetof(struct rte_tcp_hdr, sent_seq), &seq, 4);
	uint8_t flags = t->flags;
	if (i + 1 < t->nseg)
		flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
	if (i > 0)
		flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
	th[offsetof(struct rte_tcp_hdr, tcp_flags)] = flags;

	uint16_t c;
	if (t->full) {
		memset(th + offsetof(struct rte_tcp_hdr, cksum), 0, 2);
		c = (uint16_t)~vsw_off_fold(phdr + rte_raw_cksum(th, tcp_len));
		s->ol_flags = 0;
	} else {
		c = (uint16_t)vsw_off_fold(phdr);
		s->ol_flags = RTE_MBUF_F_TX_TCP_CKSUM | (t->h.ipv == 4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
	}
	memcpy(th + offsetof(struct rte_tcp_hdr, cksum), &c, 2);
	s->l2_len = t->h.l2_len;
	s->l3_len = t->h.l3_len;
	s->l4_len = t->h.l4_len;
	s->data_len = (uint16_t)(t->hlen + plen);
	s->pkt_len = t->hlen + plen;
}

int vsw_off_tso_segment(const struct rte_mbuf *m, struct rte_mempool *mp, struct rte_mbuf **out,
			uint16_t max, bool full)
{
	uint8_t copy[VSW_OFF_HDR_MAX];
	const uint8_t *hdrs;
	struct tso t = { .full = full, .mss = m->tso_segsz };
	int rc = vsw_off_parse_hdrs(m, &t.h, copy, &hdrs);
	if (rc != 0)
		return rc;
	if (t.h.ipv == 0 || t.h.proto != IPPROTO_TCP || t.h.fragment)
		return VSW_OFF_ENOTTCP;
	if (t.mss == 0)
		return VSW_OFF_EMALFORMED;
	t.hlen = (uint32_t)t.h.l2_len + t.h.l3_len + t.h.l4_len;
	uint32_t payload = t.h.l3_total - t.hlen;
	t.nseg = payload == 0 ? 1 : (payload + t.mss - 1) / t.mss;
	if (t.nseg > max)
		return VSW_OFF_ETOOMANY;
	if (t.hlen + RTE_MIN(t.mss, payload) > room(mp))
		return VSW_OFF_ETOOBIG;
	if (rte_pktmbuf_alloc_bulk(mp, out, t.nseg) != 0)
		return VSW_OFF_ENOMBUF;

	const uint8_t *ip = hdrs + t.h.l2_len, *th = ip + t.h.l3_len;
	if (t.h.ipv == 4)
		t.id = vsw_off_get16(ip + offsetof(struct rte_ipv4_hdr, packet_id));
	uint32_t seq;
	memcpy(&seq, th + offsetof(struct rte_tcp_hdr, sent_seq), 4);
	t.seq = rte_be_to_cpu_32(seq);
	t.flags = th[offsetof(struct rte_tcp_hdr, tcp_flags)];

	struct cursor c = { m, t.hlen };
	for (uint32_t i = 0; i < t.nseg; i++) {
		uint32_t plen = RTE_MIN(t.mss, payload - i * t.mss);
		uint8_t *d = rte_pktmbuf_mtod(out[i], uint8_t *);
		memcpy(d, hdrs, t.hlen);
		cursor_copy(&c, d + t.hlen, plen);
		finish_segment(&t, out[i], i, plen);
	}
	return (int)t.nseg;
}
