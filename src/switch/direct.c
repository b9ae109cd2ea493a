/* Owns the copy-once path between guests. A run of frames from one guest
 * to another guest on the same bridge, known unicast, with no trunk or
 * capture on either port (untagged ports, or access VLANs: frames go as
 * they came), is copied from the sender's TX buffers straight into the
 * receiver's RX buffers: one copy and no mbuf instead of two copies through
 * an mbuf. The run ends at the first frame that needs more (flooding, a tag
 * to add or strip or a tagged frame on an access port, an ethdev or host
 * port, an offload request (a checksum, TSO) the receiver does not take
 * as it is, a chain peek cannot look at, an MTU drop, a destination
 * behind the ingress port): that frame
 * and the rest go through the bridge as mbufs, after the run, so frames
 * leave in the order the guest sent them. Decisions (learning, lookup,
 * destination checks) are made once per conversation, a run of frames with
 * the same destination and source, not per frame. */
#include <string.h>

#include <rte_ether.h>

#include "offload/offload.h"
#include "switch/bridge.h"
#include "switch/direct.h"
#include "vring/vring.h"

/* Frames leave and enter the port as they are: no tag to strip or insert
 * (an untagged port or an access VLAN, no trunk) and no capture to feed. */
static bool plain_port(struct vsw_port *p)
{
	return p->cfg.ntrunk == 0 && __atomic_load_n(&p->capture, __ATOMIC_ACQUIRE) == NULL;
}

/* Sends views[0..n) to dest; counts as the bridge's flush does. The
 * receiver sees them only at vsw_vq_release_held, after the sender has its
 * buffers back: on a tx queue of this worker's own, or on a shared one
 * whose lock the caller then keeps (*kept) and lets go of after the
 * release; kept NULL: a shared queue is published at once. One lock kept
 * at a time, so no two workers wait on each other. */
static void send_views(struct vsw_fwd_ctx *c, struct vsw_port *dest,
		       const struct vsw_vq_view *const *views, uint16_t n, struct vsw_txq *kept)
{
	struct vsw_port_counters *pc = &dest->counters[c->cidx];
	uint16_t sent = 0;
	struct vsw_txq t;
	if (vsw_txq_take(c, dest, &t)) {
		bool keep = t.shared && kept != NULL;
		sent = dest->ops->tx_views(dest, t.q, views, n, !t.shared || keep);
		if (keep)
			*kept = t;
		else
			vsw_txq_release(dest, &t);
	}
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < sent; i++)
		bytes += views[i]->len;
	pc->tx_packets += sent;
	pc->tx_bytes += bytes;
	pc->drops[VSW_DROP_NO_BUF] += n - sent;
}

/* Destination and source, the header's first 12 bytes, are equal. */
static inline bool same_pair(const struct rte_ether_hdr *a, const struct rte_ether_hdr *b)
{
	uint64_t a0, b0;
	uint32_t a1, b1;
	memcpy(&a0, a, 8);
	memcpy(&b0, b, 8);
	memcpy(&a1, (const uint8_t *)a + 8, 4);
	memcpy(&b1, (const uint8_t *)b + 8, 4);
	return a0 == b0 && a1 == b1;
}

/* Polls of the queue that skip the look after a burst for a port this path
 * does not serve: few enough that frames for guests soon take it again. */
#define DIRECT_SKIP_ROUNDS 8

/* d is a known port of in's network that only takes mbufs. */
static bool dest_elsewhere(const struct vsw_port *d, const struct vsw_port *in)
{
	return d != NULL && d != in && d->net == in->net && d->ops->tx_views == NULL;
}

uint16_t vsw_direct_input(struct vsw_fwd_ctx *c, struct vsw_port *in, uint16_t q, bool *rest)
{
	*rest = true;
	if (in->ops->rx_peek == NULL || !plain_port(in))
		return 0;
	if (unlikely(in->direct_skip[q] > 0)) {
		in->direct_skip[q]--;
		return 0;
	}
	struct vsw_vq_view v[VSW_BURST];
	bool stopped;
	uint16_t n = in->ops->rx_peek(in, q, v, VSW_BURST, &stopped);
	/* A burst is one conversation, or a few: runs of frames with the same
	 * destination and source. Decisions are made once per conversation;
	 * per frame there is a compare, a length check and a pointer. */
	struct vsw_fdb_key src[VSW_BURST], dst[VSW_BURST];
	uint16_t start[VSW_BURST + 1];
	uint16_t nc = 0, k = 0;
	/* On an access VLAN a tagged frame is the bridge's to drop. */
	uint16_t vlan = in->cfg.vlan;
	bool no_tags = vlan != 0;
	for (; k < n; k++) {
		if (no_tags && v[k].eth.ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
			break;
		if (k > 0 && same_pair(&v[k].eth, &v[k - 1].eth))
			continue;
		if (rte_is_multicast_ether_addr(&v[k].eth.src_addr) ||
		    rte_is_multicast_ether_addr(&v[k].eth.dst_addr))
			break;
		vsw_fdb_key_set(&src[nc], &v[k].eth.src_addr, vlan);
		vsw_fdb_key_set(&dst[nc], &v[k].eth.dst_addr, vlan);
		start[nc++] = k;
	}
	if (k == 0) {
		*rest = n > 0 || stopped;
		return 0;
	}
	/* The bridge learns a burst's sources before it looks anything up: a
	 * frame sent to an address this very burst comes from (a MAC moving to
	 * this port) is its to decide, so the run ends before it. */
	struct vsw_fdb_key usrc[VSW_BURST];
	uint16_t src_run[VSW_BURST];
	uint16_t ns = vsw_bridge_unique(src, nc, usrc, src_run);
	for (uint16_t i = 0; i < nc; i++) {
		uint16_t j = 0;
		while (j < ns && memcmp(&usrc[j], &dst[i], sizeof(dst[i])) != 0)
			j++;
		if (j < ns) {
			nc = i;
			k = start[i];
			break;
		}
	}
	if (k == 0)
		return 0; /* *rest stays true */
	start[nc] = k;
	struct vsw_fdb *fdb = __atomic_load_n(&in->net->fdb, __ATOMIC_ACQUIRE);
	uint16_t out[VSW_BURST];
	vsw_bridge_lookup(fdb, dst, nc, out);
	struct vsw_port *dest[VSW_BURST];
	uint16_t run = 0, ci = 0;
	for (; ci < nc; ci++) {
		struct vsw_port *d = out[ci] == VSW_FDB_NONE ? NULL : c->ports[out[ci]];
		if (d == NULL || d == in || d->net != in->net || d->ops->tx_views == NULL ||
		    !plain_port(d))
			break;
		uint32_t limit = (uint32_t)d->cfg.mtu + RTE_ETHER_HDR_LEN;
		/* A frame that leaves work to its receiver (a checksum, TCP
		 * segmentation) goes only to a guest that takes that work as it
		 * is; for others the port does it, the mbuf way. A TSO frame is
		 * judged against the MTU by its segments. */
		uint8_t can = __atomic_load_n(&d->rx_offloads, __ATOMIC_RELAXED);
		dest[ci] = d;
		for (; run < start[ci + 1] && vsw_view_wire_len(&v[run]) <= limit &&
		       !(v[run].needs & ~can);
		     run++)
			;
		if (run < start[ci + 1]) {
			if (run > start[ci])
				ci++; /* the frames before the long one go */
			break;
		}
	}
	if (run == 0) {
		/* The first frames go where this path does not: the next
		 * bursts most likely too. */
		if (ci == 0 && dest_elsewhere(out[0] == VSW_FDB_NONE ? NULL : c->ports[out[0]], in))
			in->direct_skip[q] = DIRECT_SKIP_ROUNDS;
		return 0;
	}
	nc = ci; /* conversations with frames sent; the last may end early */
	start[nc] = run;
	/* The sources of the frames sent: the unique runs up to the last one's. */
	vsw_bridge_learn(c, in, fdb, usrc, (uint16_t)(src_run[nc - 1] + 1));
	struct vsw_port_counters *rc = &in->counters[c->cidx];
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < run; i++)
		bytes += v[i].len;
	rc->rx_packets += run;
	rc->rx_bytes += bytes;
	/* One batch per destination, in the order destinations first appear;
	 * usually there is one. */
	const struct vsw_vq_view *batch[VSW_BURST];
	uint64_t sent_mask = 0;
	/* One destination (nearly always): its queue's lock, if shared, is
	 * kept until the frames are shown. */
	bool one_dest = true;
	for (uint16_t i = 1; i < nc; i++)
		one_dest = one_dest && dest[i] == dest[0];
	struct vsw_txq kept = { .shared = false };
	for (uint16_t i = 0; i < nc; i++) {
		if (sent_mask >> i & 1)
			continue;
		uint16_t nb = 0;
		for (uint16_t j = i; j < nc; j++) {
			if (dest[j] != dest[i])
				continue;
			for (uint16_t f = start[j]; f < start[j + 1]; f++)
				batch[nb++] = &v[f];
			sent_mask |= 1ull << j;
		}
		send_views(c, dest[i], batch, nb, one_dest ? &kept : NULL);
	}
	/* The sender's buffers go back first: a guest that forwards what it
	 * receives then finds room in its TX ring. */
	in->ops->rx_peek_done(in, q, v, run);
	vsw_vq_release_held();
	vsw_txq_release(dest[0], &kept);
	*rest = run < n || stopped;
	return run;
}
