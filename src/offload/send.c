/* Owns sending frames to a receiver that may not take every offload a frame
 * asks for: runs of frames it takes as they are go in one call; each other
 * frame is segmented or has its checksum finished here first. */
#include "offload/offload.h"

/* One frame asking more than the receiver takes. true if it went. */
static bool send_soft(struct rte_mbuf *m, uint8_t can, struct rte_mempool *mp, bool takes,
		      vsw_off_send_fn send, void *ctx)
{
	struct rte_mbuf *segs[VSW_OFF_MAX_SEGS];
	if (vsw_off_needs(m) & ~can & (VSW_OFF_TSO4 | VSW_OFF_TSO6 | VSW_OFF_ECN)) {
		int k = vsw_off_tso_segment(m, mp, segs, VSW_OFF_MAX_SEGS, !(can & VSW_OFF_CSUM));
		if (k <= 0)
			return false;
		uint16_t got = send(ctx, segs, (uint16_t)k);
		/* A receiver that takes ownership keeps what it took. */
		uint16_t from = takes ? got : 0;
		rte_pktmbuf_free_bulk(segs + from, (unsigned int)(k - from));
		if (got < k)
			return false;
		if (takes)
			rte_pktmbuf_free(m); /* gone out as its segments */
		return true;
	}
	/* The checksum is written into a copy of ours when others may get m. */
	struct rte_mbuf *c = m;
	if (rte_mbuf_refcnt_read(m) > 1 || RTE_MBUF_CLONED(m) || RTE_MBUF_HAS_EXTBUF(m))
		c = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
	if (c == NULL)
		return false;
	bool ok = vsw_off_csum_complete(c) == 0 && send(ctx, &c, 1) == 1;
	if (c != m && (!ok || !takes))
		rte_pktmbuf_free(c);
	if (ok && takes && c != m)
		rte_pktmbuf_free(m); /* gone out as its copy */
	return ok;
}

uint16_t vsw_off_send(struct rte_mbuf **pkts, uint16_t n, uint8_t can, struct rte_mempool *mp,
		      bool takes, vsw_off_send_fn send, void *ctx)
{
	uint16_t sent = 0, from = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (likely((vsw_off_needs(pkts[i]) & ~can) == 0))
			continue;
		if (i > from) {
			uint16_t k = send(ctx, pkts + from, (uint16_t)(i - from));
			sent += k;
			if (k < i - from)
				return sent;
		}
		if (!send_soft(pkts[i], can, mp, takes, send, ctx))
			return sent;
		sent++;
		from = (uint16_t)(i + 1);
	}
	if (n > from)
		sent += send(ctx, pkts + from, (uint16_t)(n - from));
	return sent;
}
