/* Owns a queue's set-up on guest memory (features, ring addresses, the
 * notification suppression it starts with), its base for GET_VRING_BASE,
 * and the dispatch of vring.h's entry points to split.c or packed.c. What
 * those two share at run time is in layout.c. */
#include <errno.h>
#include <stddef.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <stdio.h>
#include <string.h>

#include "vring/layout.h"
#include "vring/prefetch.h"

uint16_t vsw_split_dequeue(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			   uint16_t n);
uint16_t vsw_split_enqueue(struct vsw_vq *vq, struct rte_mbuf *const *pkts, uint16_t n);
uint16_t vsw_split_peek(struct vsw_vq *vq, struct vsw_vq_view *v, uint16_t n, bool *stopped);
void vsw_split_peek_done(struct vsw_vq *vq, const struct vsw_vq_view *v, uint16_t k);
uint16_t vsw_packed_peek(struct vsw_vq *vq, struct vsw_vq_view *v, uint16_t n, bool *stopped);
void vsw_packed_peek_done(struct vsw_vq *vq, const struct vsw_vq_view *v, uint16_t k);
uint16_t vsw_packed_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n,
				  bool hold);
uint16_t vsw_split_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n,
				 bool hold);
uint16_t vsw_packed_dequeue(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			    uint16_t n);
uint16_t vsw_packed_enqueue(struct vsw_vq *vq, struct rte_mbuf *const *pkts, uint16_t n);

static int init(struct vsw_vq *vq, const struct vsw_vq_setup *s);

bool vsw_have_prefetchw;

void vsw_prefetch_init(void)
{
#if defined(__x86_64__)
	unsigned int a, b, c, d;
	/* CPUID 0x80000001: ECX bit 8 is PREFETCHW ("3DNowPrefetch"). */
	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		vsw_have_prefetchw = (c >> 8) & 1;
#endif
}

int vsw_vq_init(struct vsw_vq *vq, const struct vsw_vq_setup *s)
{
	static bool probed;
	if (!probed) {
		vsw_prefetch_init();
		probed = true;
	}
	int rc = init(vq, s);
	/* A queue that failed to set up must never be touched by a poller. */
	if (rc < 0)
		vq->broken = true;
	return rc;
}

static int init(struct vsw_vq *vq, const struct vsw_vq_setup *s)
{
	memset(vq, 0, sizeof(*vq));
	snprintf(vq->name, sizeof(vq->name), "%s", s->name ? s->name : "vq");
	vq->call_fd = -1;
	if (s->size == 0 || s->size > VSW_VQ_MAX_SIZE || (!s->packed && (s->size & (s->size - 1))))
		return -EINVAL;
	if (s->mem == NULL || s->mem->nregions == 0)
		return -EFAULT;
	vq->mem = s->mem;
	vq->packed = s->packed;
	vq->size = s->size;
	vq->mask = (uint16_t)(s->size - 1);
	vq->features = s->features;
	vq->event_idx = vsw_feature_has(s->features, VSW_VIRTIO_RING_F_EVENT_IDX);
	vq->mrg_rxbuf = vsw_feature_has(s->features, VSW_VIRTIO_NET_F_MRG_RXBUF);
	vq->tx_offloads = vsw_feature_has(s->features, VSW_VIRTIO_NET_F_CSUM) ||
			  vsw_feature_has(s->features, VSW_VIRTIO_NET_F_HOST_TSO4) ||
			  vsw_feature_has(s->features, VSW_VIRTIO_NET_F_HOST_TSO6) ||
			  vsw_feature_has(s->features, VSW_VIRTIO_NET_F_HOST_UFO) ||
			  vsw_feature_has(s->features, VSW_VIRTIO_NET_F_HOST_USO);
	vq->rx_offloads = (vsw_feature_has(s->features, VSW_VIRTIO_NET_F_GUEST_CSUM) ? VSW_OFF_CSUM : 0) |
			  (vsw_feature_has(s->features, VSW_VIRTIO_NET_F_GUEST_TSO4) ? VSW_OFF_TSO4 : 0) |
			  (vsw_feature_has(s->features, VSW_VIRTIO_NET_F_GUEST_TSO6) ? VSW_OFF_TSO6 : 0) |
			  (vsw_feature_has(s->features, VSW_VIRTIO_NET_F_GUEST_ECN) ? VSW_OFF_ECN : 0);
	vq->hdr_len = vsw_vq_hdr_len(s->features);
	vq->mtu_pkt_len = s->max_pkt_len ? RTE_MIN(s->max_pkt_len, (uint32_t)VSW_VQ_MAX_PKT) : VSW_VQ_MAX_PKT;
	/* A TSO frame may be 64 KB whatever the MTU: its segments are not. */
	vq->max_pkt_len = vsw_feature_has(s->features, VSW_VIRTIO_NET_F_HOST_TSO4) ||
					  vsw_feature_has(s->features, VSW_VIRTIO_NET_F_HOST_TSO6)
				  ? VSW_VQ_MAX_PKT
				  : vq->mtu_pkt_len;
	vq->call_fd = s->call_fd;
	if (s->log != NULL && s->log_size > 0) {
		vq->log = s->log;
		vq->log_size = s->log_size;
		vq->log_ring = s->log_ring;
		vq->log_used_gpa = s->log_used_gpa;
		vq->log_desc_gpa = s->log_desc_gpa;
		vq->log_on = true;
	}
	size_t n = s->size;
	/* Alignment the spec requires (2.7.10.1, 2.8.10.1); misaligned rings
	 * would make every access undefined behaviour. */
	if ((s->desc_uaddr & 15) || (s->avail_uaddr & (s->packed ? 3 : 1)) || (s->used_uaddr & 3))
		return -EINVAL;
	if (s->packed) {
		vq->pdesc = vsw_uva_to_hva(s->mem, s->desc_uaddr, n * sizeof(struct vring_packed_desc));
		vq->driver_event = vsw_uva_to_hva(s->mem, s->avail_uaddr, sizeof(struct vring_packed_event));
		vq->device_event = vsw_uva_to_hva(s->mem, s->used_uaddr, sizeof(struct vring_packed_event));
		if (vq->pdesc == NULL || vq->driver_event == NULL || vq->device_event == NULL)
			return -EFAULT;
		uint16_t idx = s->base & 0x7fff;
		if (idx >= s->size)
			return -EINVAL;
		vq->last_avail_idx = vq->last_used_idx = idx;
		vq->avail_wrap = vq->used_wrap = (s->base >> 15) & 1;
		/* A base with a used half (bits 16-31, as QEMU sends) gives the
		 * used position separately. */
		if (s->base >> 16) {
			uint16_t uidx = (s->base >> 16) & 0x7fff;
			if (uidx >= s->size)
				return -EINVAL;
			vq->last_used_idx = uidx;
			vq->used_wrap = (s->base >> 31) & 1;
		}
		/* We poll: ask the driver not to notify us. */
		__atomic_store_n(&vq->device_event->flags, RING_EVENT_FLAGS_DISABLE, __ATOMIC_RELAXED);
	} else {
		vq->desc = vsw_uva_to_hva(s->mem, s->desc_uaddr, n * sizeof(struct vring_desc));
		vq->avail = vsw_uva_to_hva(s->mem, s->avail_uaddr, 4 + 2 * n + 2);
		vq->used = vsw_uva_to_hva(s->mem, s->used_uaddr, 4 + 8 * n + 2);
		if (vq->desc == NULL || vq->avail == NULL || vq->used == NULL)
			return -EFAULT;
		vq->last_avail_idx = vq->last_used_idx = (uint16_t)s->base;
		/* After a backend restart the frontend may give a base that is not
		 * where the previous backend stopped (virtio_user sends 0); the
		 * used index in guest memory is that position, written only by
		 * a device. Resume there, as a frontend's own recovery expects. */
		uint16_t used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
		if (used_idx != vq->last_used_idx) {
			VSW_LOG(WARNING, vring, "%s: base %u but used index %u: resuming at %u",
				vq->name, vq->last_used_idx, used_idx, used_idx);
			vq->last_avail_idx = vq->last_used_idx = used_idx;
		}
		/* split.c's tx_take: DPDK's in-order PMD cleans up once more
		 * than its ring less this many are used. */
		if (vsw_feature_has(s->features, VSW_VIRTIO_F_IN_ORDER))
			vq->tx_park = (uint16_t)RTE_MIN(n / 4, (size_t)32);
		vq->tx_mark_idx = vq->last_avail_idx;
		vq->tx_park_cycles = rte_get_tsc_hz() * VSW_TX_PARK_US / 1000000;
		/* We poll: suppress the driver's kicks. */
		if (vq->event_idx)
			vsw_split_avail_event(vq, true);
		else
			__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
	/* What was just written (the suppression fields) is in the log too. */
	if (vq->log_on && vq->log_ring)
		vsw_vq_log_write(vq, vq->log_used_gpa, vq->packed ? 4 : 4 + 8 * n + 2);
	return 0;
}

uint32_t vsw_vq_get_base(const struct vsw_vq *vq)
{
	if (vq->packed)
		return (uint32_t)vq->last_avail_idx | (uint32_t)vq->avail_wrap << 15 |
		       (uint32_t)vq->last_used_idx << 16 | (uint32_t)vq->used_wrap << 31;
	return vq->last_avail_idx;
}

uint16_t vsw_vq_dequeue_burst(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			      uint16_t n)
{
	if (unlikely(vq->broken || n == 0))
		return 0;
	return vq->packed ? vsw_packed_dequeue(vq, mp, pkts, n) : vsw_split_dequeue(vq, mp, pkts, n);
}

uint16_t vsw_vq_enqueue_burst(struct vsw_vq *vq, struct rte_mbuf *const *pkts, uint16_t n)
{
	if (unlikely(vq->broken)) {
		vq->stats.drop_no_buf += n;
		return 0;
	}
	if (n == 0)
		return 0;
	return vq->packed ? vsw_packed_enqueue(vq, pkts, n) : vsw_split_enqueue(vq, pkts, n);
}

uint16_t vsw_vq_peek(struct vsw_vq *vq, struct vsw_vq_view *v, uint16_t n, bool *stopped)
{
	*stopped = true;
	if (unlikely(vq->broken || n == 0))
		return 0;
	return vq->packed ? vsw_packed_peek(vq, v, n, stopped) : vsw_split_peek(vq, v, n, stopped);
}

void vsw_vq_peek_done(struct vsw_vq *vq, const struct vsw_vq_view *v, uint16_t k)
{
	if (k == 0)
		return;
	if (vq->packed)
		vsw_packed_peek_done(vq, v, k);
	else
		vsw_split_peek_done(vq, v, k);
}

static uint16_t enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n,
			      bool hold)
{
	if (unlikely(vq->broken)) {
		vq->stats.drop_no_buf += n;
		return 0;
	}
	if (n == 0)
		return 0;
	return vq->packed ? vsw_packed_enqueue_views(vq, v, n, hold)
			  : vsw_split_enqueue_views(vq, v, n, hold);
}

uint16_t vsw_vq_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n)
{
	return enqueue_views(vq, v, n, false);
}

uint16_t vsw_vq_enqueue_views_held(struct vsw_vq *vq, const struct vsw_vq_view *const *v,
				   uint16_t n)
{
	return enqueue_views(vq, v, n, true);
}
