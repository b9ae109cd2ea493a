/* Owns the copy-once path between guests. A run of frames from one guest
 * to another guest on the same bridge, known unicast, with no VLAN or
 * capture on either port, is copied from the sender's TX buffers straight
 * into the receiver's RX buffers: one copy and no mbuf instead of two
 * copies through an mbuf. The run ends at the first frame that needs more
 * (flooding, VLANs, an ethdev or host port, an offload header, a chained
 * buffer, an MTU drop, a destination behind the ingress port): that frame
 * and the rest go through the bridge as mbufs, after the run, so frames
 * leave in the order the guest sent them. */
#include <string.h>

#include <rte_ether.h>

#include "switch/bridge.h"
#include "switch/direct.h"
#include "vring/vring.h"

static bool plain_port(struct vsw_port *p)
{
	return p->cfg.vlan == 0 && p->cfg.ntrunk == 0 &&
	       __atomic_load_n(&p->capture, __ATOMIC_ACQUIRE) == NULL;
}

/* Sends views[0..n) to dest; counts as the bridge's flush does. */
static void send_views(struct vsw_fwd_ctx *c, struct vsw_port *dest,
		       const struct vsw_vq_view *const *views, uint16_t n)
{
	struct vsw_port_counters *pc = &dest->counters[c->cidx];
	uint16_t nq = dest->ops->nb_tx_queues(dest), sent = 0;
	if (nq > 0) {
		uint16_t q = c->txq % nq;
		bool shared = __atomic_load_n(&dest->tx_shared, __ATOMIC_ACQUIRE);
		if (shared)
			rte_spinlock_lock(&dest->txq_lock[q]);
		sent = dest->ops->tx_views(dest, q, views, n);
		if (shared)
			rte_spinlock_unlock(&dest->txq_lock[q]);
	}
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < sent; i++)
		bytes += views[i]->len;
	pc->tx_packets += sent;
	pc->tx_bytes += bytes;
	pc->drops[VSW_DROP_NO_BUF] += n - sent;
}

uint16_t vsw_direct_input(struct vsw_fwd_ctx *c, struct vsw_port *in, uint16_t q, bool *rest)
{
	*rest = true;
	if (in->ops->rx_peek == NULL || !plain_port(in))
		return 0;
	struct vsw_vq_view v[VSW_BURST];
	bool stopped;
	uint16_t n = in->ops->rx_peek(in, q, v, VSW_BURST, &stopped);
	struct vsw_fdb_key src[VSW_BURST], dst[VSW_BURST];
	uint16_t k = 0;
	for (; k < n; k++) {
		if (rte_is_multicast_ether_addr(&v[k].eth.src_addr) ||
		    rte_is_multicast_ether_addr(&v[k].eth.dst_addr))
			break;
		vsw_fdb_key_set(&src[k], &v[k].eth.src_addr, 0);
		vsw_fdb_key_set(&dst[k], &v[k].eth.dst_addr, 0);
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
	uint16_t ns = vsw_bridge_unique(src, k, usrc, src_run);
	for (uint16_t i = 0; i < k; i++) {
		uint16_t j = 0;
		while (j < ns && memcmp(&usrc[j], &dst[i], sizeof(dst[i])) != 0)
			j++;
		if (j < ns) {
			k = i;
			break;
		}
	}
	if (k == 0)
		return 0; /* *rest stays true */
	struct vsw_fdb *fdb = __atomic_load_n(&in->net->fdb, __ATOMIC_ACQUIRE);
	uint16_t out[VSW_BURST];
	vsw_bridge_lookup(fdb, dst, k, out);
	struct vsw_port *dest[VSW_BURST], *d = NULL;
	uint32_t limit = 0;
	uint16_t run = 0;
	for (; run < k; run++) {
		/* A destination is checked once per run of frames to it. */
		if (d == NULL || out[run] != out[run - 1]) {
			d = out[run] == VSW_FDB_NONE ? NULL : c->ports[out[run]];
			if (d == NULL || d == in || d->net != in->net || d->ops->tx_views == NULL ||
			    !plain_port(d))
				break;
			limit = (uint32_t)d->cfg.mtu + RTE_ETHER_HDR_LEN;
		}
		if (v[run].len > limit)
			break;
		dest[run] = d;
	}
	if (run == 0)
		return 0;
	/* The sources of the frames sent: the unique runs up to the last one's. */
	vsw_bridge_learn(c, in, fdb, usrc, (uint16_t)(src_run[run - 1] + 1));
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
	for (uint16_t i = 0; i < run; i++) {
		if (sent_mask >> i & 1)
			continue;
		uint16_t nb = 0;
		for (uint16_t j = i; j < run; j++) {
			if (dest[j] == dest[i]) {
				batch[nb++] = &v[j];
				sent_mask |= 1ull << j;
			}
		}
		send_views(c, dest[i], batch, nb);
	}
	in->ops->rx_peek_done(in, q, v, run);
	*rest = run < n || stopped;
	return run;
}
