/* Owns the bridge's forwarding decision and batching (see bridge.h). The
 * whole burst shares one ingress port, so one network and one MAC table:
 * source learning and destination lookup are each one bulk hash pass. */
#include <string.h>

#include <rte_ether.h>
#include <rte_prefetch.h>

#include "offload/offload.h"
#include "switch/bridge.h"
#include "switch/capture.h"

static inline void count_drop(struct vsw_port *p, unsigned int cidx, enum vsw_drop_reason why,
			      uint64_t n)
{
	p->counters[cidx].drops[why] += n;
}

/* Queues m for dest. Tags it if dest carries vlan tagged; a shared mbuf is
 * copied first, since the other destinations must not see the tag. */
static void enqueue(struct vsw_fwd_ctx *c, struct vsw_port *dest, struct rte_mbuf *m,
		    uint16_t vlan)
{
	bool tag = vlan != 0 && dest->cfg.ntrunk != 0;
	uint32_t limit = (uint32_t)dest->cfg.mtu + RTE_ETHER_HDR_LEN;
	if (vsw_wire_len(m) > limit) {
		count_drop(dest, c->cidx, VSW_DROP_MTU, 1);
		rte_pktmbuf_free(m);
		return;
	}
	if (tag) {
		if (rte_mbuf_refcnt_read(m) > 1 || RTE_MBUF_CLONED(m)) {
			struct rte_mbuf *copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
			rte_pktmbuf_free(m);
			if (copy == NULL) {
				count_drop(dest, c->cidx, VSW_DROP_NO_BUF, 1);
				return;
			}
			m = copy;
		}
		m->vlan_tci = vlan;
		if (rte_vlan_insert(&m) != 0) {
			count_drop(dest, c->cidx, VSW_DROP_BAD_PACKET, 1);
			rte_pktmbuf_free(m);
			return;
		}
	}
	struct vsw_tx_batch *b = &c->batches[dest->id];
	if (b->n == 0)
		c->touched[c->ntouched++] = dest->id;
	b->pkts[b->n++] = m;
}

static void flood(struct vsw_fwd_ctx *c, struct vsw_port *in, struct rte_mbuf *m, uint16_t vlan)
{
	const struct vsw_members *mem = __atomic_load_n(&in->net->members, __ATOMIC_ACQUIRE);
	struct vsw_port *dests[VSW_MAX_PORTS];
	unsigned int nd = 0;
	for (uint16_t i = 0; i < mem->n; i++) {
		struct vsw_port *p = c->ports[mem->ports[i]];
		if (p != NULL && p != in && vsw_port_has_vlan(p, vlan))
			dests[nd++] = p;
	}
	if (nd == 0) {
		count_drop(in, c->cidx, VSW_DROP_NO_DEST, 1);
		rte_pktmbuf_free(m);
		return;
	}
	if (nd > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(nd - 1));
	for (unsigned int i = 0; i < nd; i++)
		enqueue(c, dests[i], m, vlan);
}

/* Works out the packet's VLAN on this port; strips a trunk's tag. Returns
 * -1 for a frame the port may not carry. */
static int ingress_vlan(struct vsw_port *in, struct rte_mbuf *m, uint16_t *vlan)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	bool tagged = eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	if (!tagged || (in->cfg.vlan == 0 && in->cfg.ntrunk == 0)) {
		/* An unconfigured port is one untagged domain: any tag is payload. */
		*vlan = in->cfg.vlan;
		return 0;
	}
	if (in->cfg.ntrunk == 0 || m->data_len < RTE_ETHER_HDR_LEN + 4)
		return -1; /* tagged frame on an access port */
	const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eth + 1);
	uint16_t vid = rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
	if (vid == 0 || !vsw_port_has_vlan(in, vid))
		return -1;
	if (rte_vlan_strip(m) != 0)
		return -1;
	/* rte_vlan_insert moves l2_len with the tag; rte_vlan_strip does not. */
	if (m->ol_flags & VSW_TX_OFFLOADS)
		m->l2_len -= RTE_VLAN_HLEN;
	*vlan = vid;
	return 0;
}

/* Bursts usually carry few distinct addresses (often one flow): each run of
 * equal keys is learned or looked up once, not once per packet. */
uint16_t vsw_bridge_unique(const struct vsw_fdb_key *keys, uint16_t n, struct vsw_fdb_key *u,
			   uint16_t *run_of)
{
	uint16_t nu = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (nu == 0 || memcmp(&u[nu - 1], &keys[i], sizeof(keys[i])) != 0)
			u[nu++] = keys[i];
		if (run_of != NULL)
			run_of[i] = (uint16_t)(nu - 1);
	}
	return nu;
}

void vsw_bridge_learn(struct vsw_fwd_ctx *c, struct vsw_port *in, struct vsw_fdb *fdb,
		      const struct vsw_fdb_key *u, uint16_t nu)
{
	uint32_t full = vsw_fdb_learn_bulk(fdb, u, nu, (nu == 64 ? ~0ull : (1ull << nu) - 1), in->id,
					   c->now);
	if (full)
		in->counters[c->cidx].drops[VSW_DROP_TABLE_FULL] += full; /* counted, still forwarded */
}

void vsw_bridge_lookup(const struct vsw_fdb *fdb, const struct vsw_fdb_key *dst, uint16_t n,
		       uint16_t *out)
{
	struct vsw_fdb_key u[VSW_BURST];
	uint16_t run_of[VSW_BURST], uout[VSW_BURST];
	uint16_t nu = vsw_bridge_unique(dst, n, u, run_of);
	vsw_fdb_lookup_bulk(fdb, u, nu, uout);
	for (uint16_t i = 0; i < n; i++)
		out[i] = uout[run_of[i]];
}

void vsw_bridge_input(struct vsw_fwd_ctx *c, struct vsw_port *in, struct rte_mbuf **pkts,
		      uint16_t n)
{
	struct vsw_fdb_key src[VSW_BURST], dst[VSW_BURST];
	uint16_t vlan[VSW_BURST], out[VSW_BURST];
	struct rte_mbuf *ok[VSW_BURST];
	uint64_t bytes = 0;
	uint16_t k = 0;
	struct vsw_port_counters *rc = &in->counters[c->cidx];

	rc->rx_packets += n;
	struct vsw_capture *cap = __atomic_load_n(&in->capture, __ATOMIC_ACQUIRE);
	if (unlikely(cap != NULL) && vsw_capture_wants(cap, false))
		vsw_capture_burst(cap, pkts, n, false);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += m->pkt_len;
		if (m->data_len < RTE_ETHER_HDR_LEN || ingress_vlan(in, m, &vlan[k]) < 0) {
			rc->drops[VSW_DROP_BAD_PACKET]++;
			rte_pktmbuf_free(m);
			continue;
		}
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (rte_is_multicast_ether_addr(&eth->src_addr)) {
			rc->drops[VSW_DROP_BAD_PACKET]++;
			rte_pktmbuf_free(m);
			continue;
		}
		vsw_fdb_key_set(&src[k], &eth->src_addr, vlan[k]);
		vsw_fdb_key_set(&dst[k], &eth->dst_addr, vlan[k]);
		ok[k++] = m;
	}
	rc->rx_bytes += bytes;
	if (k == 0)
		return;
	struct vsw_fdb *fdb = __atomic_load_n(&in->net->fdb, __ATOMIC_ACQUIRE);
	struct vsw_fdb_key usrc[VSW_BURST];
	vsw_bridge_learn(c, in, fdb, usrc, vsw_bridge_unique(src, k, usrc, NULL));
	vsw_bridge_lookup(fdb, dst, k, out);
	for (uint16_t i = 0; i < k; i++) {
		struct rte_mbuf *m = ok[i];
		if (out[i] == VSW_FDB_NONE || rte_is_multicast_ether_addr(&dst[i].mac)) {
			flood(c, in, m, vlan[i]);
			continue;
		}
		struct vsw_port *dest = c->ports[out[i]];
		if (dest == in) {
			/* The destination lives behind the port it came from. */
			rc->drops[VSW_DROP_NO_DEST]++;
			rte_pktmbuf_free(m);
		} else if (dest == NULL || dest->net != in->net) {
			flood(c, in, m, vlan[i]); /* a stale entry of a removed port */
		} else {
			enqueue(c, dest, m, vlan[i]);
		}
	}
}

void vsw_bridge_flush(struct vsw_fwd_ctx *c)
{
	for (uint16_t t = 0; t < c->ntouched; t++) {
		uint16_t id = c->touched[t];
		struct vsw_tx_batch *b = &c->batches[id];
		struct vsw_port *p = c->ports[id];
		uint16_t n = b->n;
		b->n = 0;
		if (p == NULL) {
			rte_pktmbuf_free_bulk(b->pkts, n);
			continue;
		}
		/* Ports send a prefix of the batch, so prefix sums give the exact
		 * byte count of what was sent; the mbufs are gone afterwards. */
		uint64_t cum[VSW_BURST + 1];
		cum[0] = 0;
		for (uint16_t i = 0; i < n; i++)
			cum[i + 1] = cum[i] + b->pkts[i]->pkt_len;
		struct vsw_capture *cap = __atomic_load_n(&p->capture, __ATOMIC_ACQUIRE);
		if (unlikely(cap != NULL) && vsw_capture_wants(cap, true))
			vsw_capture_burst(cap, b->pkts, n, true);
		enum vsw_drop_reason why = VSW_DROP_DEST_FULL;
		uint16_t sent;
		struct vsw_txq t;
		if (vsw_txq_take(c, p, &t)) {
			sent = p->ops->tx_burst(p, t.q, b->pkts, n, &why);
			vsw_txq_release(p, &t);
		} else {
			rte_pktmbuf_free_bulk(b->pkts, n);
			sent = 0;
			why = VSW_DROP_NO_BUF;
		}
		struct vsw_port_counters *pc = &p->counters[c->cidx];
		pc->tx_packets += sent;
		pc->tx_bytes += cum[sent];
		pc->drops[why] += n - sent;
	}
	c->ntouched = 0;
}
