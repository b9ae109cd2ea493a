/* Owns what split.c and packed.c share at run time (declared in
 * layout.h): the broken state, dirty logging of the used ring and packed
 * descriptors, guest notifications (and their gathering per worker round,
 * watched for a blocking call fd), the virtio-net header both ways, the
 * views of frames for the copy-once path, and the used entries a worker
 * holds back until the sender has its buffers (vsw_vq_release_held). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_net.h>
#include <rte_tcp.h>

#include "offload/offload.h"
#include "vring/layout.h"

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

void vsw_vq_log_used_split(struct vsw_vq *vq, uint16_t old, uint16_t n)
{
	if (!vq->log_ring || n == 0)
		return;
	uint64_t base = vq->log_used_gpa;
	vsw_vq_log_write(vq, base + offsetof(struct vring_used, idx), sizeof(uint16_t));
	uint16_t at = old & vq->mask;
	uint32_t first = RTE_MIN((uint32_t)n, (uint32_t)vq->size - at);
	vsw_vq_log_write(vq, base + 4 + 8ull * at, 8ull * first);
	if (n > first)
		vsw_vq_log_write(vq, base + 4, 8ull * (n - first));
	if (vq->event_idx)
		vsw_vq_log_write(vq, base + 4 + 8ull * vq->size, sizeof(uint16_t));
}

void vsw_vq_log_desc_packed(struct vsw_vq *vq, uint16_t pos)
{
	if (vq->log_ring)
		vsw_vq_log_write(vq, vq->log_desc_gpa + 16ull * pos, 16);
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

const char *vsw_hdr_err_name(int e)
{
	static const char *const names[VSW_HDR__MAX] = {
		[VSW_HDR_OK] = "ok",		 [VSW_HDR_CSUM] = "csum",	  [VSW_HDR_GSO_SIZE] = "gso_size",
		[VSW_HDR_GSO_TYPE] = "gso_type", [VSW_HDR_HDR_LEN] = "hdr_len", [VSW_HDR_ECN] = "ecn",
		[VSW_HDR_NOT_TCP] = "tso_not_tcp",
	};
	return e >= 0 && e < VSW_HDR__MAX ? names[e] : "unknown";
}

/* A checksum request (virtio 1.2, 5.1.6.2): plain TCP or UDP over IP with
 * the offsets where they belong stays partial (the receiver or the port
 * finishes it); anything else is finished here, as the guest asked. */
static int csum_request(const struct virtio_net_hdr *h, struct rte_mbuf *m)
{
	uint32_t start = h->csum_start, at = start + h->csum_offset;
	if (start >= m->pkt_len || at + 2 > m->pkt_len)
		return VSW_HDR_CSUM; /* offsets past the frame: an attack (CVE-2024-11614) */
	struct vsw_l4_hdrs l;
	if (vsw_off_parse(m, &l) == 0 && !l.fragment && start == (uint32_t)l.l2_len + l.l3_len &&
	    ((l.proto == IPPROTO_TCP && h->csum_offset == 16) ||
	     (l.proto == IPPROTO_UDP && h->csum_offset == 6))) {
		vsw_off_set_meta(m, &l);
		m->ol_flags |= l.proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
		return VSW_HDR_OK;
	}
	return vsw_off_csum_generic(m, start, h->csum_offset) == 0 ? VSW_HDR_OK : VSW_HDR_CSUM;
}

int vsw_vq_apply_tx_hdr(const struct vsw_vq *vq, const struct virtio_net_hdr *h, struct rte_mbuf *m)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	bool ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;
	bool needs_csum = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (needs_csum && !vsw_feature_has(vq->features, VSW_VIRTIO_NET_F_CSUM))
		return VSW_HDR_CSUM;
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (ecn)
			return VSW_HDR_ECN;
		return needs_csum ? csum_request(h, m) : VSW_HDR_OK;
	}
	int ipv = gso == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : gso == VIRTIO_NET_HDR_GSO_TCPV6 ? 6 : 0;
	if (ipv == 0 ||
	    !vsw_feature_has(vq->features, ipv == 4 ? VSW_VIRTIO_NET_F_HOST_TSO4 : VSW_VIRTIO_NET_F_HOST_TSO6))
		return VSW_HDR_GSO_TYPE; /* UDP (UFO) and USO are not offered */
	if (ecn && !vsw_feature_has(vq->features, VSW_VIRTIO_NET_F_HOST_ECN))
		return VSW_HDR_ECN;
	if (!needs_csum)
		return VSW_HDR_CSUM; /* segments need their checksums made */
	if (h->gso_size == 0 || h->gso_size > m->pkt_len)
		return VSW_HDR_GSO_SIZE;
	if (h->hdr_len > m->pkt_len)
		return VSW_HDR_HDR_LEN;
	struct vsw_l4_hdrs l;
	if (vsw_off_parse(m, &l) != 0 || l.proto != IPPROTO_TCP || l.fragment)
		return VSW_HDR_NOT_TCP;
	if (l.ipv != ipv)
		return VSW_HDR_GSO_TYPE;
	if (h->csum_start != (uint32_t)l.l2_len + l.l3_len || h->csum_offset != 16)
		return VSW_HDR_CSUM;
	vsw_off_set_meta(m, &l);
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM;
	m->tso_segsz = h->gso_size;
	return VSW_HDR_OK;
}

int vsw_vq_tx_meta_slow(struct vsw_vq *vq, const struct virtio_net_hdr *h, struct rte_mbuf *m)
{
	if (vq->tx_offloads && (h->flags | h->gso_type)) {
		int e = vsw_vq_apply_tx_hdr(vq, h, m);
		if (unlikely(e != VSW_HDR_OK)) {
			vq->stats.drop_bad_hdr[e]++;
			return -1;
		}
	}
	/* Frames up to 64 KB were taken for TSO; others keep to the MTU. */
	if (unlikely(m->pkt_len > vq->mtu_pkt_len && !(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG))) {
		vq->stats.drop_too_big++;
		return -1;
	}
	return 0;
}

/* Copies the first n bytes of v's frame (n <= len) out of its pieces. */
static void view_gather(const struct vsw_vq_view *v, uint8_t *dst, uint32_t n)
{
	const uint8_t *p = v->frame;
	uint32_t l = v->nmore ? v->first_len : v->len;
	for (unsigned int i = 0; n > 0; i++) {
		uint32_t c = RTE_MIN(l, n);
		memcpy(dst, p, c);
		dst += c;
		n -= c;
		if (i == v->nmore)
			break;
		p = v->more[i];
		l = v->more_len[i];
	}
}

/* vsw_vq_apply_tx_hdr's checks, in its order, for a frame in guest memory;
 * where it would take the request as it is, so does the view; where it
 * would refuse it or do work itself (finish an unusual checksum), the
 * frame is dequeue's, which also counts the refusal. */
bool vsw_view_offloads(const struct vsw_vq *vq, const struct virtio_net_hdr *h,
		       struct vsw_vq_view *v)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	bool ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (ecn || !vsw_view_csum(vq, h, v) || v->len > vq->mtu_pkt_len)
			return false;
		view_gather(v, v->hdrs, RTE_ETHER_HDR_LEN);
		return true;
	}
	int ipv = gso == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : gso == VIRTIO_NET_HDR_GSO_TCPV6 ? 6 : 0;
	if (ipv == 0 ||
	    !vsw_feature_has(vq->features, ipv == 4 ? VSW_VIRTIO_NET_F_HOST_TSO4 : VSW_VIRTIO_NET_F_HOST_TSO6) ||
	    (ecn && !vsw_feature_has(vq->features, VSW_VIRTIO_NET_F_HOST_ECN)) ||
	    h->flags != VIRTIO_NET_HDR_F_NEEDS_CSUM || !vsw_feature_has(vq->features, VSW_VIRTIO_NET_F_CSUM) ||
	    h->gso_size == 0 || h->gso_size > v->len || h->hdr_len > v->len)
		return false;
	/* The headers are parsed from our copy, and that copy is what the
	 * receiver gets: what was checked is what is delivered, whatever the
	 * sender writes meanwhile. */
	uint32_t n = RTE_MIN(v->len, (uint32_t)VSW_VIEW_HDRS);
	view_gather(v, v->hdrs, n);
	struct vsw_l4_hdrs l;
	if (vsw_off_parse_buf(v->hdrs, n, v->len, &l) != 0 || l.proto != IPPROTO_TCP || l.fragment ||
	    l.ipv != ipv || h->csum_start != (uint32_t)l.l2_len + l.l3_len || h->csum_offset != 16)
		return false;
	uint32_t l4 = (uint32_t)l.l2_len + l.l3_len;
	v->needs = (uint8_t)(VSW_OFF_CSUM | (ipv == 4 ? VSW_OFF_TSO4 : VSW_OFF_TSO6) |
			     (v->hdrs[l4 + 13] & RTE_TCP_CWR_FLAG ? VSW_OFF_ECN : 0));
	v->csum_start = (uint16_t)l4;
	v->csum_offset = 16;
	v->hdrs_len = (uint16_t)(l4 + l.l4_len);
	v->gso_size = h->gso_size;
	return true;
}

bool vsw_view_piece(struct vsw_vq *vq, struct vsw_view_acc *a, struct vsw_vq_view *v,
		    uint64_t addr, uint32_t len)
{
	if (len == 0)
		return true; /* dequeue reads nothing from it either */
	a->total += len; /* 64 bits: the sum so far is at most 12 + 64 KB */
	if (a->total > 12ull + vq->max_pkt_len)
		return false; /* dequeue drops it as too big */
	/* In one region: a piece across two is dequeue's, which copies it in parts. */
	const uint8_t *p = vsw_gpa_to_hva(vq->mem, addr, len, &vq->mem_hint);
	if (p == NULL)
		return false;
	if (a->hdr == NULL) {
		if (len < 12)
			return false; /* a header in pieces is dequeue's to put together */
		a->hdr = p;
		if (len == 12)
			return true;
		p += 12;
		len -= 12;
	}
	if (!a->data) {
		v->frame = p;
		v->first_len = len;
		v->nmore = 0;
		a->data = true;
		return true;
	}
	if (v->nmore == VSW_VIEW_PIECES - 1)
		return false;
	v->more[v->nmore] = p;
	v->more_len[v->nmore++] = len;
	return true;
}

bool vsw_view_finish(struct vsw_vq *vq, struct vsw_view_acc *a, struct vsw_vq_view *v)
{
	/* The Ethernet header in the first piece: it is read from there. */
	if (!a->data || v->first_len < RTE_ETHER_HDR_LEN)
		return false;
	v->len = (uint32_t)(a->total - 12);
	if (v->nmore == 0)
		v->first_len = v->len;
	v->needs = 0;
	v->hdrs_len = 0;
	if (vq->tx_offloads) {
		struct virtio_net_hdr h;
		memcpy(&h, a->hdr, 12);
		if (h.flags | h.gso_type)
			return vsw_view_offloads(vq, &h, v);
	}
	if (v->len > vq->mtu_pkt_len)
		return false;
	memcpy(&v->eth, v->frame, RTE_ETHER_HDR_LEN);
	return true;
}

void vsw_vq_rx_hdr(const struct vsw_vq *vq, const struct rte_mbuf *m, const struct vsw_vq_view *v,
		   struct virtio_net_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->num_buffers = 1;
	if (v != NULL) {
		/* As for an mbuf below: only what the guest negotiated. */
		if ((v->needs & VSW_OFF_CSUM) && (vq->rx_offloads & VSW_OFF_CSUM)) {
			h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h->csum_start = v->csum_start;
			h->csum_offset = v->csum_offset;
			if ((v->needs & (VSW_OFF_TSO4 | VSW_OFF_TSO6)) &&
			    (vq->rx_offloads & v->needs) == v->needs) {
				h->gso_type = (v->needs & VSW_OFF_TSO6) ? VIRTIO_NET_HDR_GSO_TCPV6
									: VIRTIO_NET_HDR_GSO_TCPV4;
				if (v->needs & VSW_OFF_ECN)
					h->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
				h->gso_size = v->gso_size;
				h->hdr_len = v->hdrs_len;
			}
		}
		return;
	}
	uint64_t ol = m->ol_flags;
	if ((ol & RTE_MBUF_F_TX_L4_MASK) && (vq->rx_offloads & VSW_OFF_CSUM)) {
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = (uint16_t)(m->l2_len + m->l3_len);
		h->csum_offset = (ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM ? 6 : 16;
		uint8_t need = vsw_off_needs(m);
		if ((ol & RTE_MBUF_F_TX_TCP_SEG) && (vq->rx_offloads & need) == need) {
			h->gso_type = (ol & RTE_MBUF_F_TX_IPV6) ? VIRTIO_NET_HDR_GSO_TCPV6
								: VIRTIO_NET_HDR_GSO_TCPV4;
			if (need & VSW_OFF_ECN)
				h->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
			h->gso_size = m->tso_segsz;
			h->hdr_len = (uint16_t)(m->l2_len + m->l3_len + m->l4_len);
		}
	} else if ((ol & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
		   (vq->rx_offloads & VSW_OFF_CSUM)) {
		h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
}

/* The queues this thread holds used entries on (vsw_vq_enqueue_views_held). */
#define HOLD_MAX 8
static __thread struct {
	unsigned int n;
	struct vsw_vq *vq[HOLD_MAX];
} holding;

bool vsw_vq_hold(struct vsw_vq *vq, uint16_t idx, bool wrap)
{
	if (vq->held)
		return true;
	if (holding.n == HOLD_MAX)
		return false;
	holding.vq[holding.n++] = vq;
	vq->held = true;
	vq->held_idx = idx;
	vq->held_wrap = wrap;
	return true;
}

void vsw_vq_release_held(void)
{
	for (unsigned int i = 0; i < holding.n; i++) {
		struct vsw_vq *vq = holding.vq[i];
		/* Even on a queue broken since: those frames were written whole. */
		if (vq->packed) {
			__atomic_store_n(&vq->pdesc[vq->held_pos].flags, vq->held_flags,
					 __ATOMIC_RELEASE);
			if (unlikely(vq->log_on))
				vsw_vq_log_desc_packed(vq, vq->held_pos); /* again: written only now */
			vsw_vq_notify_packed(vq, vq->held_idx, vq->held_wrap, vq->last_used_idx,
					     vq->used_wrap);
		} else {
			vsw_split_publish_used(vq, vq->held_idx,
					       (uint16_t)(vq->last_used_idx - vq->held_idx));
		}
		vq->held = false;
	}
	holding.n = 0;
}
