/* Owns the vhost-user port type: the switch's rx/tx bursts become
 * dequeue/enqueue on the device's queues, each only while it is running;
 * and the announcement of a guest that arrived by live migration
 * (SEND_RARP): its MAC learned on this port, and a RARP frame sent into the
 * bridge as if from the guest, which the port's worker picks up with the
 * guest's own frames (the control thread owns no tx queue to send on). */
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "common/log.h"
#include "switch/network.h"
#include "switch/switch.h"
#include "vhost_user/vhost_port.h"
#include "vhost_user/vhost_user.h"

/* Frames waiting to enter the bridge from the port (RARP announcements:
 * QEMU sends a handful, 50-100 ms apart). */
#define INJECT_RING 16

struct vhost_port {
	struct vsw_vhost_dev *dev;
	struct rte_mempool *pool;
	struct vsw_port *port;
	void (*sync)(void *);
	void *sync_ctx;
	struct vsw_vhost_ops ops;
	/* The device's queues live as long as it does: cached here so the
	 * per-burst path makes no call to find them. */
	struct vsw_vhost_vq *rxq[VSW_VHOST_MAX_QUEUE_PAIRS], *txq[VSW_VHOST_MAX_QUEUE_PAIRS];
	/* Injected frames: the control thread enqueues and then bumps
	 * inject_seq; the worker polling rx queue 0 drains them when it sees
	 * inject_seen behind, so its cost is one compare per burst. */
	uint32_t inject_seq, inject_seen;
	struct rte_ring *inject;
};

/* Takes up to n injected frames, rx queue 0 only. */
static uint16_t take_injected(struct vhost_port *vp, struct rte_mbuf **pkts, uint16_t n)
{
	uint32_t seq = __atomic_load_n(&vp->inject_seq, __ATOMIC_ACQUIRE);
	unsigned int k = rte_ring_sc_dequeue_burst(vp->inject, (void **)pkts, n, NULL);
	/* Seen once the ring is empty; a frame enqueued after seq was read
	 * comes with a later seq. */
	if (rte_ring_empty(vp->inject))
		vp->inject_seen = seq;
	return (uint16_t)k;
}

static inline bool injected(const struct vhost_port *vp, uint16_t q)
{
	return q == 0 && __atomic_load_n(&vp->inject_seq, __ATOMIC_RELAXED) != vp->inject_seen;
}

static uint16_t vp_rx(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct vhost_port *vp = p->priv;
	struct vsw_vhost_vq *v = vp->txq[q];
	if (!__atomic_load_n(&v->running, __ATOMIC_ACQUIRE))
		return 0;
	uint16_t k = 0;
	if (unlikely(injected(vp, q)))
		k = take_injected(vp, pkts, n);
	return (uint16_t)(k + vsw_vq_dequeue_burst(&v->vq, vp->pool, pkts + k, (uint16_t)(n - k)));
}

static uint16_t vp_rx_peek(struct vsw_port *p, uint16_t q, struct vsw_vq_view *views, uint16_t n,
			   bool *stopped)
{
	struct vhost_port *vp = p->priv;
	struct vsw_vhost_vq *v = vp->txq[q];
	if (!__atomic_load_n(&v->running, __ATOMIC_ACQUIRE)) {
		*stopped = false;
		return 0;
	}
	uint16_t k = vsw_vq_peek(&v->vq, views, n, stopped);
	/* An injected frame waits for rx_burst, which the worker calls
	 * after a peek only when told there is more. */
	if (unlikely(injected(vp, q)))
		*stopped = true;
	return k;
}

static void vp_rx_peek_done(struct vsw_port *p, uint16_t q, const struct vsw_vq_view *views,
			    uint16_t k)
{
	struct vhost_port *vp = p->priv;
	/* Still running: the queue stops only after the workers' grace period. */
	vsw_vq_peek_done(&vp->txq[q]->vq, views, k);
}

/* The guest's rx queue behind tx queue q, or NULL when it is not running.
 * A guest may use fewer queue pairs than offered: then its first queue,
 * with that queue's lock taken if workers share it (*lock0; always after
 * the caller's own lock, so no two workers wait on each other). */
static struct vsw_vhost_vq *tx_queue_get(struct vsw_port *p, uint16_t q, bool *lock0)
{
	struct vhost_port *vp = p->priv;
	struct vsw_vhost_vq *v = vp->rxq[q];
	bool fallback = q != 0 && !__atomic_load_n(&v->running, __ATOMIC_ACQUIRE);
	/* Read once: workers coming and going change it under us. */
	*lock0 = fallback && __atomic_load_n(&p->tx_shared, __ATOMIC_ACQUIRE);
	if (fallback) {
		v = vp->rxq[0];
		if (*lock0)
			rte_spinlock_lock(&p->txq_lock[0]);
	}
	return __atomic_load_n(&v->running, __ATOMIC_ACQUIRE) ? v : NULL;
}

static void tx_queue_put(struct vsw_port *p, bool lock0)
{
	if (lock0)
		rte_spinlock_unlock(&p->txq_lock[0]);
}

/* A guest's RX ring that is merely slow gets a few more tries while each
 * makes progress (the guest frees buffers as we go), as Open vSwitch does
 * (8); one that takes nothing is given up on at once. */
#define TX_RETRIES 8

/* Each try counts what it could not place; the frames still unsent at the
 * end are the drops. */
static void count_unsent(struct vsw_vq *q, uint64_t before, uint16_t unsent)
{
	q->stats.drop_no_buf = before + unsent;
}

static uint16_t enqueue(void *arg, struct rte_mbuf **pkts, uint16_t n)
{
	struct vsw_vq *q = arg;
	uint64_t before = q->stats.drop_no_buf;
	uint16_t sent = 0;
	for (unsigned int tries = 0; sent < n && tries <= TX_RETRIES; tries++) {
		uint16_t k = vsw_vq_enqueue_burst(q, pkts + sent, (uint16_t)(n - sent));
		if (k == 0)
			break;
		sent += k;
	}
	count_unsent(q, before, (uint16_t)(n - sent));
	return sent;
}

/* The guest gets what it negotiated to take; the rest (segments, finished
 * checksums) is done here first. */
static uint16_t tx_to_guest(struct vhost_port *vp, struct vsw_vq *q, struct rte_mbuf **pkts,
			    uint16_t n)
{
	return vsw_off_send(pkts, n, vsw_vq_rx_offloads(q), vp->pool, false, enqueue, q);
}

static uint16_t vp_tx(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
		      enum vsw_drop_reason *why)
{
	bool lock0;
	struct vsw_vhost_vq *v = tx_queue_get(p, q, &lock0);
	uint16_t sent = v != NULL ? tx_to_guest(p->priv, &v->vq, pkts, n) : 0;
	tx_queue_put(p, lock0);
	/* The guest has its copy; ours go back to the pool either way. */
	rte_pktmbuf_free_bulk(pkts, n);
	*why = VSW_DROP_NO_BUF;
	return sent;
}

static uint16_t vp_tx_views(struct vsw_port *p, uint16_t q, const struct vsw_vq_view *const *views,
			    uint16_t n, bool hold)
{
	bool lock0;
	struct vsw_vhost_vq *v = tx_queue_get(p, q, &lock0);
	uint16_t sent = 0;
	/* Queue 0 standing in for q is shared when locked: publish at once. */
	hold = hold && !lock0;
	if (v != NULL) {
		uint64_t before = v->vq.stats.drop_no_buf;
		for (unsigned int tries = 0; sent < n && tries <= TX_RETRIES; tries++) {
			uint16_t k = hold ? vsw_vq_enqueue_views_held(&v->vq, views + sent,
								      (uint16_t)(n - sent))
					  : vsw_vq_enqueue_views(&v->vq, views + sent,
								 (uint16_t)(n - sent));
			if (k == 0)
				break;
			sent += k;
		}
		count_unsent(&v->vq, before, (uint16_t)(n - sent));
	}
	tx_queue_put(p, lock0);
	return sent;
}

static uint16_t vp_nb_rx(const struct vsw_port *p)
{
	return p->cfg.queues;
}

static uint16_t vp_nb_tx(const struct vsw_port *p)
{
	return p->cfg.queues;
}

static void free_injected(struct vhost_port *vp)
{
	struct rte_mbuf *m;
	while (rte_ring_dequeue(vp->inject, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(vp->inject);
}

static void vp_destroy(struct vsw_port *p)
{
	struct vhost_port *vp = p->priv;
	vsw_vhost_destroy(vp->dev);
	free_injected(vp);
	free(vp);
	p->priv = NULL;
}

static const struct vsw_port_ops vhost_port_ops = {
	.rx_burst = vp_rx,
	.tx_burst = vp_tx,
	.rx_peek = vp_rx_peek,
	.rx_peek_done = vp_rx_peek_done,
	.tx_views = vp_tx_views,
	.nb_rx_queues = vp_nb_rx,
	.nb_tx_queues = vp_nb_tx,
	.destroy = vp_destroy,
};

static void on_sync(void *ctx)
{
	struct vhost_port *vp = ctx;
	vp->sync(vp->sync_ctx);
}

static void on_link(void *ctx, bool up)
{
	struct vhost_port *vp = ctx;
	uint8_t off = 0;
	if (up && vp->dev != NULL) {
		uint64_t f = vsw_vhost_features(vp->dev);
		off |= (f >> VSW_VIRTIO_NET_F_GUEST_CSUM & 1) ? VSW_OFF_CSUM : 0;
		off |= (f >> VSW_VIRTIO_NET_F_GUEST_TSO4 & 1) ? VSW_OFF_TSO4 : 0;
		off |= (f >> VSW_VIRTIO_NET_F_GUEST_TSO6 & 1) ? VSW_OFF_TSO6 : 0;
		off |= (f >> VSW_VIRTIO_NET_F_GUEST_ECN & 1) ? VSW_OFF_ECN : 0;
	}
	__atomic_store_n(&vp->port->rx_offloads, off, __ATOMIC_RELEASE);
	vp->port->link_up = up;
}

/* RFC 903 reverse request, as QEMU sends for a guest that cannot announce
 * itself: broadcast, from mac, sender and target hardware address mac,
 * protocol addresses 0; padded to the 60-byte minimum frame. */
static struct rte_mbuf *rarp_frame(struct rte_mempool *pool, const uint8_t mac[6])
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, 60);
	if (f == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x80, f[13] = 0x35; /* RARP */
	uint8_t *a = f + 14;
	a[1] = 1;                    /* hardware type: Ethernet */
	a[2] = 0x08, a[3] = 0x00;    /* protocol type: IPv4 */
	a[4] = 6, a[5] = 4;          /* address lengths */
	a[7] = 3;                    /* reverse request */
	memcpy(a + 8, mac, 6);       /* sender hardware address */
	memcpy(a + 18, mac, 6);      /* target hardware address */
	return m;
}

static void on_announce(void *ctx, const uint8_t mac[6])
{
	struct vhost_port *vp = ctx;
	struct vsw_port *p = vp->port;
	struct rte_ether_addr a;
	memcpy(a.addr_bytes, mac, 6);
	if (!rte_is_unicast_ether_addr(&a) || rte_is_zero_ether_addr(&a)) {
		VSW_LOG(WARNING, vhost, "port %s: SEND_RARP for a MAC that is not a unicast "
					"address; ignored",
			p->name);
		return;
	}
	/* The table points the MAC here now, before any frame of the guest
	 * has come through (an access port's VLAN; a trunk's untagged one). */
	if (p->net != NULL) {
		uint16_t vlan = p->cfg.ntrunk ? 0 : p->cfg.vlan;
		if (vsw_fdb_learn(p->net->fdb, &a, vlan, p->id, vsw_switch_now()) < 0)
			VSW_LOG(WARNING, vhost, "port %s: SEND_RARP: the MAC table is full", p->name);
	}
	struct rte_mbuf *m = rarp_frame(vp->pool, mac);
	if (m == NULL || rte_ring_sp_enqueue(vp->inject, m) != 0) {
		VSW_LOG(WARNING, vhost, "port %s: SEND_RARP: no room for the RARP frame", p->name);
		rte_pktmbuf_free(m);
		return;
	}
	__atomic_fetch_add(&vp->inject_seq, 1, __ATOMIC_RELEASE);
}

static uint64_t feature_mask(uint32_t disabled)
{
	/* In the order of vsw_feature_names. */
	static const int bits[] = { VSW_VIRTIO_NET_F_MRG_RXBUF, VSW_VIRTIO_RING_F_INDIRECT_DESC,
				    VSW_VIRTIO_RING_F_EVENT_IDX, VSW_VIRTIO_F_RING_PACKED,
				    VSW_VIRTIO_NET_F_MQ,	VSW_VIRTIO_NET_F_MTU,
				    VSW_VIRTIO_F_IN_ORDER,	VSW_VIRTIO_NET_F_CSUM,
				    VSW_VIRTIO_NET_F_GUEST_CSUM, VSW_VIRTIO_NET_F_HOST_TSO4,
				    VSW_VIRTIO_NET_F_HOST_TSO6, VSW_VIRTIO_NET_F_HOST_ECN,
				    VSW_VIRTIO_NET_F_GUEST_TSO4, VSW_VIRTIO_NET_F_GUEST_TSO6,
				    VSW_VIRTIO_NET_F_GUEST_ECN, VSW_VHOST_F_LOG_ALL };
	uint64_t m = 0;
	for (unsigned int i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (disabled & (1u << i))
			m |= 1ull << bits[i];
	return m;
}

int vsw_vhost_port_open(struct vsw_port *port, struct vsw_evloop *loop, struct rte_mempool *pool,
			void (*sync)(void *), void *sync_ctx, char *err, size_t errlen)
{
	struct vhost_port *vp = calloc(1, sizeof(*vp));
	if (vp == NULL) {
		snprintf(err, errlen, "port %s: out of memory", port->name);
		return -1;
	}
	vp->pool = pool;
	vp->port = port;
	vp->sync = sync;
	vp->sync_ctx = sync_ctx;
	vp->ops = (struct vsw_vhost_ops){ .sync = on_sync, .link = on_link, .announce = on_announce };
	static unsigned int rings;
	char rname[RTE_RING_NAMESIZE];
	snprintf(rname, sizeof(rname), "vsw_inject_%u", rings++);
	vp->inject = rte_ring_create(rname, INJECT_RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (vp->inject == NULL) {
		snprintf(err, errlen, "port %s: no memory for its injection ring", port->name);
		free(vp);
		return -1;
	}
	const struct vsw_cfg_port *c = &port->cfg;
	struct vsw_vhost_settings s = {
		.name = port->name,
		.path = c->path,
		.client = c->client,
		.queue_pairs = c->queues,
		.disabled_features = feature_mask(c->disabled_features),
		.mtu = c->mtu,
		/* The frame the guest may send: its MTU plus Ethernet and VLAN headers. */
		.max_pkt_len = (uint32_t)c->mtu + 18,
		.has_owner = c->has_owner,
		.has_group = c->has_group,
		.owner = c->owner,
		.group = c->group,
		.socket_mode = c->socket_mode,
	};
	/* priv first: the device may call back (link) as soon as it exists. */
	port->priv = vp;
	vp->dev = vsw_vhost_create(&s, loop, &vp->ops, vp, err, errlen);
	if (vp->dev == NULL) {
		port->priv = NULL;
		free_injected(vp);
		free(vp);
		return -1;
	}
	for (uint16_t q = 0; q < c->queues; q++) {
		vp->rxq[q] = vsw_vhost_rxq(vp->dev, q);
		vp->txq[q] = vsw_vhost_txq(vp->dev, q);
	}
	port->ops = &vhost_port_ops;
	return 0;
}

int vsw_vhost_port_set_access(struct vsw_port *port, const struct vsw_cfg_port *c, char *err,
			      size_t errlen)
{
	struct vhost_port *vp = port->priv;
	if (vp == NULL || vp->dev == NULL)
		return 0;
	return vsw_vhost_set_socket_access(vp->dev, c->has_owner, c->owner, c->has_group, c->group,
					   c->socket_mode, err, errlen);
}

static void stats_add(struct vsw_vq_stats *sum, const struct vsw_vq_stats *q)
{
	/* Workers write these as they go: each read is a whole (maybe old) value. */
	const uint64_t *a = (const uint64_t *)q;
	uint64_t *s = (uint64_t *)sum;
	for (size_t i = 0; i < sizeof(*q) / sizeof(uint64_t); i++)
		s[i] += __atomic_load_n(&a[i], __ATOMIC_RELAXED);
}

int vsw_vhost_port_state(const struct vsw_port *port, bool *connected, uint64_t *features,
			 uint16_t *running_pairs, struct vsw_vq_stats *st)
{
	const struct vhost_port *vp = port->priv;
	if (port->cfg.type != VSW_PORT_VHOST_USER || vp == NULL || vp->dev == NULL)
		return -1;
	*connected = vsw_vhost_connected(vp->dev);
	*features = vsw_vhost_features(vp->dev);
	*running_pairs = vsw_vhost_running_rx_pairs(vp->dev);
	memset(st, 0, sizeof(*st));
	for (uint16_t i = 0; i < port->cfg.queues; i++) {
		stats_add(st, &vp->rxq[i]->vq.stats);
		stats_add(st, &vp->txq[i]->vq.stats);
	}
	return 0;
}

enum vsw_path_check vsw_vhost_port_check_socket(struct vsw_port *port)
{
	struct vhost_port *vp = port->priv;
	if (port->cfg.type != VSW_PORT_VHOST_USER || vp == NULL || vp->dev == NULL)
		return VSW_PATH_OK;
	return vsw_vhost_check_socket(vp->dev);
}
