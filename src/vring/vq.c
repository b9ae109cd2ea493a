/* Owns what both ring layouts share: queue set-up on guest memory, the
 * broken state, guest notifications (and their gathering per worker round),
 * the virtio-net TX header, and the dispatch to split.c or packed.c. */
#include <errno.h>
#include <stdarg.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_net.h>

#include "vring/layout.h"
#include "vring/prefetch.h"

uint16_t vsw_split_dequeue(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			   uint16_t n);
uint16_t vsw_split_enqueue(struct vsw_vq *vq, struct rte_mbuf *const *pkts, uint16_t n);
uint16_t vsw_split_peek(struct vsw_vq *vq, struct vsw_vq_view *v, uint16_t n, bool *stopped);
void vsw_split_peek_done(struct vsw_vq *vq, const struct vsw_vq_view *v, uint16_t k);
uint16_t vsw_packed_peek(struct vsw_vq *vq, struct vsw_vq_view *v, uint16_t n, bool *stopped);
void vsw_packed_peek_done(struct vsw_vq *vq, const struct vsw_vq_view *v, uint16_t k);
uint16_t vsw_packed_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n);
uint16_t vsw_split_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n);
uint16_t vsw_packed_dequeue(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			    uint16_t n);
uint16_t vsw_packed_enqueue(struct vsw_vq *vq, struct rte_mbuf *const *pkts, uint16_t n);

void vsw_vq_break(struct vsw_vq *vq, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!vq->broken)
		VSW_LOG(ERR, vring, "%s: queue stopped, guest broke the ring rules: %s", vq->name, why);
	vq->broken = true;
	vq->stats.broken++;
}

static inline bool has(uint64_t features, int bit)
{
	return features & (1ull << bit);
}

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
	vq->event_idx = has(s->features, VSW_VIRTIO_RING_F_EVENT_IDX);
	vq->mrg_rxbuf = has(s->features, VSW_VIRTIO_NET_F_MRG_RXBUF);
	vq->tx_offloads = has(s->features, VSW_VIRTIO_NET_F_CSUM) ||
			  has(s->features, VSW_VIRTIO_NET_F_HOST_TSO4) ||
			  has(s->features, VSW_VIRTIO_NET_F_HOST_TSO6) ||
			  has(s->features, VSW_VIRTIO_NET_F_HOST_UFO) ||
			  has(s->features, VSW_VIRTIO_NET_F_HOST_USO);
	vq->hdr_len = vsw_vq_hdr_len(s->features);
	vq->max_pkt_len = s->max_pkt_len ? RTE_MIN(s->max_pkt_len, (uint32_t)VSW_VQ_MAX_PKT) : VSW_VQ_MAX_PKT;
	vq->call_fd = s->call_fd;
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
		/* We poll: suppress the driver's kicks. With EVENT_IDX the avail
		 * event is kept just behind our position on every burst. */
		if (vq->event_idx)
			__atomic_store_n((uint16_t *)&vq->used->ring[n], (uint16_t)(vq->last_avail_idx - 1),
					 __ATOMIC_RELAXED);
		else
			__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
	return 0;
}

uint32_t vsw_vq_get_base(const struct vsw_vq *vq)
{
	if (vq->packed)
		return (uint32_t)vq->last_avail_idx | (uint32_t)vq->avail_wrap << 15 |
		       (uint32_t)vq->last_used_idx << 16 | (uint32_t)vq->used_wrap << 31;
	return vq->last_avail_idx;
}

/* This thread's watch slot (see vsw_vq_watch_notifications). */
static __thread uint64_t *watch_slot;
static __thread uint64_t watch_seq;

void vsw_vq_watch_notifications(uint64_t *slot)
{
	watch_slot = slot;
}

static void kick_guest(struct vsw_vq *vq)
{
	if (vq->call_fd < 0)
		return;
	uint64_t one = 1;
	/* The frontend shares the eventfd's file description, so it can make
	 * it blocking again and fill its counter: then this write never
	 * returns. The slot lets the control thread see that and interrupt
	 * us (EINTR). */
	if (watch_slot != NULL)
		__atomic_store_n(watch_slot, ++watch_seq | 1, __ATOMIC_RELEASE);
	ssize_t n = write(vq->call_fd, &one, sizeof(one));
	int err = errno;
	if (watch_slot != NULL)
		__atomic_store_n(watch_slot, 0, __ATOMIC_RELEASE);
	/* EAGAIN means the counter is saturated: the guest will wake anyway. */
	if (n == sizeof(one))
		vq->stats.notifications++;
	else if (n < 0 && err == EINTR)
		vsw_vq_break(vq, "a notification write to its call fd blocked (a blocking, full "
				 "eventfd) and was interrupted");
}

/* Split notification checks gathered on this thread (see vring.h): the
 * used-index range this thread published on each queue. Kept here, not in
 * the queue: workers sharing a tx queue (under its lock) each check the
 * ranges they published; where two ranges overlap a guest may get an extra
 * interrupt, never a missing one. */
#define DEFER_MAX 64
static __thread struct {
	bool on;
	unsigned int n;
	struct {
		struct vsw_vq *vq;
		uint16_t old, new_idx;
	} e[DEFER_MAX];
} deferred;

static void check_split(struct vsw_vq *vq, uint16_t old, uint16_t new_idx)
{
	if (vq->event_idx) {
		uint16_t ev = __atomic_load_n(&vq->avail->ring[vq->size], __ATOMIC_RELAXED);
		if ((uint16_t)(new_idx - ev - 1) < (uint16_t)(new_idx - old))
			kick_guest(vq);
	} else if (!(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT)) {
		kick_guest(vq);
	}
}

void vsw_vq_notify_flush(void)
{
	if (deferred.n == 0)
		return;
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Over the round's whole range: what the guest asked to hear about is
	 * in it or not, as for one larger burst. */
	for (unsigned int i = 0; i < deferred.n; i++)
		check_split(deferred.e[i].vq, deferred.e[i].old, deferred.e[i].new_idx);
	deferred.n = 0;
}

void vsw_vq_notify_defer(bool on)
{
	vsw_vq_notify_flush();
	deferred.on = on;
}

void vsw_vq_notify_split(struct vsw_vq *vq, uint16_t old, uint16_t new_idx)
{
	if (deferred.on) {
		unsigned int i = 0;
		while (i < deferred.n && deferred.e[i].vq != vq)
			i++;
		if (i == deferred.n) {
			if (deferred.n == DEFER_MAX) {
				vsw_vq_notify_flush();
				i = 0;
			}
			deferred.e[i].vq = vq;
			deferred.e[i].old = old;
			deferred.n = i + 1;
		}
		deferred.e[i].new_idx = new_idx;
		return;
	}
	/* The used index store must be visible before we read the guest's
	 * suppression fields, or we may miss an interrupt it asked for. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	check_split(vq, old, new_idx);
}

void vsw_vq_notify_packed(struct vsw_vq *vq, uint16_t old_idx, bool old_wrap, uint16_t new_idx,
			  bool new_wrap)
{
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t flags = __atomic_load_n(&vq->driver_event->flags, __ATOMIC_RELAXED);
	if (flags == RING_EVENT_FLAGS_DISABLE)
		return;
	if (flags != RING_EVENT_FLAGS_DESC || !vq->event_idx) {
		kick_guest(vq);
		return;
	}
	/* Positions on a circle of two laps (2 * size): did the used index
	 * pass the descriptor the driver asked to hear about? */
	uint16_t ow = __atomic_load_n(&vq->driver_event->off_wrap, __ATOMIC_RELAXED);
	uint32_t lap = 2u * vq->size;
	uint32_t ev = (ow & 0x7fffu) + ((ow >> 15) ? vq->size : 0);
	uint32_t from = old_idx + (old_wrap ? vq->size : 0);
	uint32_t to = new_idx + (new_wrap ? vq->size : 0);
	if ((ev + lap - from) % lap < (to + lap - from) % lap)
		kick_guest(vq);
}

int vsw_vq_apply_tx_hdr(const struct virtio_net_hdr *h, struct rte_mbuf *m)
{
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint32_t start = h->csum_start, at = (uint32_t)h->csum_start + h->csum_offset;
		/* The guest asks us to finish a checksum: both offsets must lie
		 * inside the packet (a header pointing past it is an attack). */
		if (at + 2 > m->pkt_len || start >= m->pkt_len)
			return -1;
		uint16_t sum = 0;
		if (rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &sum) != 0)
			return -1;
		sum = (uint16_t)~sum;
		if (sum == 0)
			sum = 0xffff;
		struct rte_mbuf *seg = m;
		uint32_t off = at;
		while (seg != NULL && off >= seg->data_len) {
			off -= seg->data_len;
			seg = seg->next;
		}
		if (seg == NULL || off + 2 > seg->data_len)
			return -1; /* the checksum field straddles segments: not from a sane guest */
		/* csum_start + csum_offset may be odd: no uint16_t store there. */
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, off), &sum, sizeof(sum));
	}
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		if (h->gso_size == 0)
			return -1;
		/* Segmentation is later work; the size travels with the mbuf. */
		m->tso_segsz = h->gso_size;
	}
	return 0;
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

uint16_t vsw_vq_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n)
{
	if (unlikely(vq->broken)) {
		vq->stats.drop_no_buf += n;
		return 0;
	}
	if (n == 0)
		return 0;
	return vq->packed ? vsw_packed_enqueue_views(vq, v, n) : vsw_split_enqueue_views(vq, v, n);
}
