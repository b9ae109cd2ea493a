/* Owns sums and writes over mbuf chains (see chain.h) and the error names. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "offload/chain.h"

const char *vsw_off_strerror(int rc)
{
	switch (rc) {
	case 0: return "ok";
	case VSW_OFF_ETRUNC: return "truncated";
	case VSW_OFF_EMALFORMED: return "malformed";
	case VSW_OFF_ENOTTCP: return "not_tcp";
	case VSW_OFF_EUNSUPP: return "unsupported";
	case VSW_OFF_ESHARED: return "shared";
	case VSW_OFF_ETOOBIG: return "too_big";
	case VSW_OFF_ETOOMANY: return "too_many";
	case VSW_OFF_ENOMBUF: return "no_mbuf";
	}
	return "unknown";
}

static const struct rte_mbuf *seg_at(const struct rte_mbuf *m, uint32_t *off)
{
	while (m != NULL && *off >= m->data_len) {
		*off -= m->data_len;
		m = m->next;
	}
	return m;
}

uint16_t vsw_off_chain_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	/* Not rte_raw_cksum_mbuf: DPDK 22.11's truncates a segment's unfolded
	 * sum to 16 bits before swapping it when the segment starts at an odd
	 * position, which loses carries. Each piece is folded here first; a
	 * piece starting at an odd position is byte-swapped (RFC 1071). */
	const struct rte_mbuf *seg = seg_at(m, &off);
	uint32_t sum = 0, done = 0;
	for (; seg != NULL && done < len; seg = seg->next, off = 0) {
		uint32_t n = RTE_MIN(seg->data_len - off, len - done);
		uint16_t s = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n);
		sum += (done & 1) ? rte_bswap16(s) : s;
		done += n;
	}
	return (uint16_t)vsw_off_fold(sum);
}

static bool writable(const struct rte_mbuf *seg)
{
	return rte_mbuf_refcnt_read(seg) == 1 && !RTE_MBUF_CLONED(seg) &&
	       (!RTE_MBUF_HAS_EXTBUF(seg) || rte_mbuf_ext_refcnt_read(seg->shinfo) == 1);
}

int vsw_off_chain_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	if ((uint64_t)off + len > m->pkt_len)
		return VSW_OFF_ETRUNC;
	struct rte_mbuf *first = (struct rte_mbuf *)(uintptr_t)seg_at(m, &off), *seg = first;
	uint32_t o = off, left = len;
	for (; seg != NULL && left > 0; seg = seg->next, o = 0) {
		if (!writable(seg))
			return VSW_OFF_ESHARED;
		left -= RTE_MIN(seg->data_len - o, left);
	}
	if (left > 0)
		return VSW_OFF_ETRUNC; /* the chain is shorter than its pkt_len */
	const uint8_t *s = src;
	for (seg = first, o = off; len > 0; seg = seg->next, o = 0) {
		uint32_t n = RTE_MIN(seg->data_len - o, len);
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, o), s, n);
		s += n;
		len -= n;
	}
	return 0;
}
