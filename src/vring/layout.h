/* Ring layouts from the virtio 1.2 specification (little-endian, as on the
 * hosts vsw runs on) and what split.c and packed.c share. Private to vring. */
#ifndef VSW_VRING_LAYOUT_H
#define VSW_VRING_LAYOUT_H

#include <stdint.h>

#include "common/log.h"
#include "vring/dirty_log.h"
#include "vring/prefetch.h"
#include "vring/vring.h"

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_PACKED_DESC_F_AVAIL (1 << 7)
#define VRING_PACKED_DESC_F_USED (1 << 15)
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1
#define RING_EVENT_FLAGS_ENABLE 0
#define RING_EVENT_FLAGS_DISABLE 1
#define RING_EVENT_FLAGS_DESC 2

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* then avail_event */
};

struct vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct vring_packed_event {
	uint16_t off_wrap;
	uint16_t flags;
};

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers; /* only in the 12-byte header */
};

static inline bool vsw_feature_has(uint64_t features, int bit)
{
	return features & (1ull << bit);
}

/* Puts the queue into the broken state: it does nothing more until it is
 * set up again. One log line per transition. */
void vsw_vq_break(struct vsw_vq *vq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A rule of a descriptor chain broken (split or packed walkers): the queue
 * is put in the broken state, unless the chain is only being looked at
 * (peek: then dequeue will find the same); the walker returns -1. */
#define CHAIN_FAIL(vq, quiet, ...)                       \
	do {                                             \
		if (!(quiet))                            \
			vsw_vq_break((vq), __VA_ARGS__); \
		return -1;                               \
	} while (0)

/* Dirty logging, called only while vq->log_on (callers test it once per
 * burst): len bytes written at guest-physical gpa. */
static inline void vsw_vq_log_write(struct vsw_vq *vq, uint64_t gpa, uint64_t len)
{
	vsw_log_mark(vq->log, vq->log_size, gpa, len);
}
/* The ring writes (only with log_ring; out of line: migration only).
 * Split: used entries old to old + n - 1, the used index and the avail
 * event. Packed: the descriptor at slot pos written back. */
void vsw_vq_log_used_split(struct vsw_vq *vq, uint16_t old, uint16_t n);
void vsw_vq_log_desc_packed(struct vsw_vq *vq, uint16_t pos);

/* We poll, so a split ring's driver is told never to kick us: its avail
 * event is kept half the index space ahead of our position (a driver kicks
 * only when its avail index passes the event). Not "just behind us": a
 * driver that checks after we have already taken its batch would find the
 * event inside the batch and kick every time. Moved only when we have come
 * a quarter of the way, so the line the driver reads it from stays put. */
static inline void vsw_split_avail_event(struct vsw_vq *vq, bool force)
{
	if (!force && (uint16_t)(vq->last_avail_idx - vq->avail_event_from) < 0x4000)
		return;
	vq->avail_event_from = vq->last_avail_idx;
	__atomic_store_n((uint16_t *)&vq->used->ring[vq->size],
			 (uint16_t)(vq->last_avail_idx + 0x7fff), __ATOMIC_RELAXED);
}

/* Starts holding vq's used entries from idx (packed: wrap) for this
 * thread's vsw_vq_release_held, or finds it held already. False: no room
 * to hold another queue, publish now. */
bool vsw_vq_hold(struct vsw_vq *vq, uint16_t idx, bool wrap);

/* Interrupts the guest if it asked for it: used index moved from old to new. */
void vsw_vq_notify_split(struct vsw_vq *vq, uint16_t old, uint16_t new_idx);
void vsw_vq_notify_packed(struct vsw_vq *vq, uint16_t old_idx, bool old_wrap, uint16_t new_idx,
			  bool new_wrap);

/* Split: shows the guest count used entries written from old on. */
static inline void vsw_split_publish_used(struct vsw_vq *vq, uint16_t old, uint16_t count)
{
	uint16_t new_idx = (uint16_t)(old + count);
	__atomic_store_n(&vq->used->idx, new_idx, __ATOMIC_RELEASE);
	vq->last_used_idx = new_idx;
	if (vq->event_idx)
		vsw_split_avail_event(vq, false);
	if (unlikely(vq->log_on))
		vsw_vq_log_used_split(vq, old, count);
	vsw_vq_notify_split(vq, old, new_idx);
}

/* Turns a guest's TX header into m's offload metadata (partial checksum,
 * TSO) after checking it against the frame and the negotiated features, or
 * finishes an unusual checksum request itself. VSW_HDR_OK or why not. */
int vsw_vq_apply_tx_hdr(const struct vsw_vq *vq, const struct virtio_net_hdr *h, struct rte_mbuf *m);
int vsw_vq_tx_meta_slow(struct vsw_vq *vq, const struct virtio_net_hdr *h, struct rte_mbuf *m);
/* The TX frame m, read whole with its header h: offloads applied and the
 * size checked, or -1 (counted) to drop it. */
static inline int vsw_vq_tx_meta(struct vsw_vq *vq, const struct virtio_net_hdr *h, struct rte_mbuf *m)
{
	if (likely(!(vq->tx_offloads && (h->flags | h->gso_type)) && m->pkt_len <= vq->mtu_pkt_len))
		return 0;
	return vsw_vq_tx_meta_slow(vq, h, m);
}
/* The RX header for a frame (mbuf m or view v) to this guest: what it asked
 * for that the guest negotiated (the port made sure of the rest). */
void vsw_vq_rx_hdr(const struct vsw_vq *vq, const struct rte_mbuf *m, const struct vsw_vq_view *v,
		   struct virtio_net_hdr *h);
/* Whether the frame asks anything of its receiver's header. */
static inline bool vsw_rx_hdr_plain(const struct rte_mbuf *m, const struct vsw_vq_view *v)
{
	if (v != NULL)
		return !v->needs;
	return !(m->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_RX_L4_CKSUM_MASK));
}

/* Appends len bytes at src to the packet m, chaining segments from mp as
 * needed. Returns -1 when the pool is dry. */
static inline int vsw_mbuf_append(struct rte_mbuf *m, struct rte_mbuf **last, struct rte_mempool *mp,
				  const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *seg = *last;
	while (len > 0) {
		uint16_t room = rte_pktmbuf_tailroom(seg);
		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(mp);
			if (n == NULL)
				return -1;
			seg->next = n;
			m->nb_segs++;
			seg = n;
			*last = n;
			room = rte_pktmbuf_tailroom(seg);
		}
		uint16_t c = len < room ? (uint16_t)len : room;
		rte_memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), src, c);
		seg->data_len += c;
		m->pkt_len += c;
		src += c;
		len -= c;
	}
	return 0;
}

/* A hint only: the first two cache lines of the guest buffer at addr (len
 * bytes), exclusive for one the device is about to write. The descriptor it
 * came from decides nothing; the chain is read again, once, when used. */
static inline void vsw_prefetch_guest_buf(struct vsw_vq *vq, uint64_t addr, uint32_t len,
					  bool write)
{
	const uint8_t *p = vsw_gpa_to_hva(vq->mem, addr, 1, &vq->mem_hint);
	if (p == NULL)
		return;
	uint32_t first = 64 - ((uintptr_t)p & 63);
	if (write) {
		vsw_prefetch_for_write(p);
		if (len > first)
			vsw_prefetch_for_write(p + first);
	} else {
		rte_prefetch0(p);
		if (len > first)
			rte_prefetch0(p + first);
	}
}

/* Peek's checks of a TX header with a request in it (flags or gso_type),
 * for the frame v (pieces and len set): as vsw_vq_apply_tx_hdr would take
 * it, with the frame's headers parsed from a copy (into v->hdrs) for TSO.
 * Fills needs and what goes with it and the Ethernet header, and returns
 * true; false leaves the frame to dequeue. Out of line: the common frame
 * has no request, or only the checksum request vsw_tx_view checks itself. */
bool vsw_view_offloads(const struct vsw_vq *vq, const struct virtio_net_hdr *h,
		       struct vsw_vq_view *v);

/* A plain checksum request (NEEDS_CSUM, no GSO, CSUM negotiated) with its
 * offsets inside the frame: v carries it. Else false. */
static inline bool vsw_view_csum(const struct vsw_vq *vq, const struct virtio_net_hdr *h,
				 struct vsw_vq_view *v)
{
	if (h->flags != VIRTIO_NET_HDR_F_NEEDS_CSUM || h->gso_type != 0 ||
	    !(vq->features & (1ull << VSW_VIRTIO_NET_F_CSUM)) || h->csum_start >= v->len ||
	    (uint32_t)h->csum_start + h->csum_offset + 2 > v->len)
		return false;
	v->needs = VSW_OFF_CSUM;
	v->csum_start = h->csum_start;
	v->csum_offset = h->csum_offset;
	return true;
}

/* Peek's check of one readable TX buffer (either ring; the chain's flags
 * are the caller's): a 12-byte header, then a frame of 14 to max_pkt_len
 * bytes (above the MTU only for TSO), all in one region of guest memory.
 * If so, fills *v (the Ethernet header read once) and returns true; else
 * it is dequeue's. A header with a request other than a plain checksum is
 * vsw_view_offloads' to judge. */
static inline bool vsw_tx_view(struct vsw_vq *vq, uint64_t addr, uint32_t len, uint16_t head,
			       struct vsw_vq_view *v)
{
	if (len < 12 + RTE_ETHER_HDR_LEN || len - 12 > vq->max_pkt_len)
		return false;
	const uint8_t *p = vsw_gpa_to_hva(vq->mem, addr, len, &vq->mem_hint);
	if (p == NULL)
		return false;
	v->frame = p + 12;
	v->len = len - 12;
	v->head = head;
	v->needs = 0;
	v->nmore = 0;
	v->hdrs_len = 0;
	if (vq->tx_offloads) {
		struct virtio_net_hdr h;
		memcpy(&h, p, 12);
		if (h.flags | h.gso_type) {
			/* A plain checksum request inside the frame travels with
			 * the view to a receiver that takes it as it is; TSO is
			 * checked out of line; all else is dequeue's. */
			if (unlikely(h.gso_type != 0))
				return vsw_view_offloads(vq, &h, v);
			if (!vsw_view_csum(vq, &h, v))
				return false;
		}
	}
	if (v->len > vq->mtu_pkt_len)
		return false;
	memcpy(&v->eth, p + 12, RTE_ETHER_HDR_LEN);
	return true;
}

/* A TX chain being looked at piece by piece (peek's walk of a chain that is
 * not one plain descriptor): the ring's walker gives each readable
 * descriptor to vsw_view_piece, then vsw_view_finish judges the frame. */
struct vsw_view_acc {
	const uint8_t *hdr; /* the virtio-net header, all in the first descriptor */
	uint64_t total;     /* bytes of the chain so far, header included */
	bool data;          /* a data piece was taken */
};

static inline void vsw_view_begin(struct vsw_view_acc *a)
{
	a->hdr = NULL;
	a->total = 0;
	a->data = false;
}

/* One readable descriptor of the chain: false when the frame cannot be a
 * view (too long, a piece outside guest memory or across regions, the
 * header not whole in the first descriptor, too many pieces). */
bool vsw_view_piece(struct vsw_vq *vq, struct vsw_view_acc *a, struct vsw_vq_view *v,
		    uint64_t addr, uint32_t len);
/* The chain read whole: its frame, header and offload request checked. */
bool vsw_view_finish(struct vsw_vq *vq, struct vsw_view_acc *a, struct vsw_vq_view *v);

/* The header hdr into a guest RX buffer, written only where it is not there
 * already. A guest recycles its buffers: DPDK's virtio PMD clears its TX
 * headers the same way, so a buffer back in its RX ring nearly always holds
 * the plain one-buffer header already. Not writing it leaves that cache line
 * shared with the guest's core, whose read of num_buffers then hits its own
 * cache (switch_bench's testpmd guest, split ring 256: 205 -> 162 cycles per
 * packet, vsw's own 160 -> 141). Read first, the line costs vsw no more
 * than the store's ownership request did; what the guest's bytes were
 * decides only whether they are overwritten. */
static inline void vsw_rx_put_hdr(uint8_t *p, const struct virtio_net_hdr *hdr)
{
	if (memcmp(p, hdr, 12) != 0)
		memcpy(p, hdr, 12);
}

/* The fast RX path of both rings: a packet (an mbuf of one segment, or a
 * view) written with its 12-byte header into one guest buffer p of at least
 * 12 + plen bytes. */
static inline __attribute__((always_inline)) void
vsw_rx_copy_one(const struct vsw_vq *vq, uint8_t *p, uint32_t plen, const struct rte_mbuf *m,
		const struct vsw_vq_view *v)
{
	/* From a constant: copying a stack header just written (num_buffers)
	 * would stall on store forwarding. */
	static const struct virtio_net_hdr one = { .num_buffers = 1 };
	uint32_t need = 12u + plen;
	/* The rest of a large frame's buffer is asked for exclusive now, so
	 * its stores do not queue up one ownership wait after another. */
	for (uint32_t o = 128; o < need; o += 64)
		vsw_prefetch_for_write(p + o);
	if (likely(vsw_rx_hdr_plain(m, v))) {
		vsw_rx_put_hdr(p, &one);
	} else {
		struct virtio_net_hdr h;
		vsw_vq_rx_hdr(vq, m, v, &h);
		vsw_rx_put_hdr(p, &h);
	}
	if (v != NULL) {
		memcpy(p + 12, &v->eth, RTE_ETHER_HDR_LEN);
		rte_memcpy(p + 12 + RTE_ETHER_HDR_LEN, v->frame + RTE_ETHER_HDR_LEN,
			   plen - RTE_ETHER_HDR_LEN);
	} else {
		rte_memcpy(p + 12, rte_pktmbuf_mtod(m, const uint8_t *), plen);
	}
}

enum { VSW_PKT_OK = 0, VSW_PKT_DROP = 1, VSW_PKT_BROKEN = -1 };

/* A TX chain being read: the virtio-net header first, then the packet. */
struct vsw_tx_state {
	struct virtio_net_hdr hdr;
	uint32_t hdr_got;
	struct rte_mbuf *last;
	bool too_big, no_mbuf;
};

/* Reads one device-readable descriptor's bytes into m (split or packed).
 * Returns -1, with the queue broken, if the buffer is not guest memory. */
static inline int vsw_tx_copy_desc(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf *m,
				   struct vsw_tx_state *t, uint64_t addr, uint32_t len)
{
	while (len > 0) {
		uint64_t avail;
		const uint8_t *p = vsw_gpa_to_hva_part(vq->mem, addr, len, &avail, &vq->mem_hint);
		if (unlikely(p == NULL)) {
			vsw_vq_break(vq, "TX buffer 0x%" PRIx64 "+%u is outside guest memory", addr, len);
			return -1;
		}
		uint32_t chunk = (uint32_t)avail;
		if (t->hdr_got < vq->hdr_len) {
			uint32_t h = RTE_MIN(chunk, vq->hdr_len - t->hdr_got);
			memcpy((uint8_t *)&t->hdr + t->hdr_got, p, h);
			t->hdr_got += h;
			p += h;
			chunk -= h;
		}
		if (chunk > 0 && !t->too_big && !t->no_mbuf) {
			if ((uint64_t)m->pkt_len + chunk > vq->max_pkt_len)
				t->too_big = true;
			else if (vsw_mbuf_append(m, &t->last, mp, p, chunk) < 0)
				t->no_mbuf = true;
		}
		addr += avail;
		len -= (uint32_t)avail;
	}
	return 0;
}

/* The verdict on a TX chain read whole: keep the packet or drop it. */
static inline int vsw_tx_finish(struct vsw_vq *vq, struct rte_mbuf *m, struct vsw_tx_state *t)
{
	if (unlikely(t->too_big)) {
		vq->stats.drop_too_big++;
		return VSW_PKT_DROP;
	}
	if (unlikely(t->no_mbuf)) {
		vq->stats.drop_no_mbuf++;
		return VSW_PKT_DROP;
	}
	if (unlikely(t->hdr_got < vq->hdr_len || m->pkt_len == 0)) {
		vq->stats.drop_bad_pkt++;
		return VSW_PKT_DROP;
	}
	return vsw_vq_tx_meta(vq, &t->hdr, m) == 0 ? VSW_PKT_OK : VSW_PKT_DROP;
}

/* Reads packet bytes for the guest: flat pieces first (the virtio-net
 * header; for a frame still in another guest's memory, our copy of its
 * first bytes and then the rest of its pieces), then an mbuf's segments. */
#define VSW_CURSOR_PIECES (2 + VSW_VIEW_PIECES)
struct vsw_src_cursor {
	const uint8_t *piece[VSW_CURSOR_PIECES];
	uint32_t piece_left[VSW_CURSOR_PIECES];
	unsigned int npieces, ip;
	const struct rte_mbuf *seg;
	uint32_t seg_off;
	uint32_t left; /* total bytes still to copy */
};

static inline void vsw_cursor_init(struct vsw_src_cursor *c, const void *hdr, uint16_t hdr_len,
				   const struct rte_mbuf *m)
{
	c->piece[0] = hdr;
	c->piece_left[0] = hdr_len;
	c->npieces = 1;
	c->ip = 0;
	c->seg = m;
	c->seg_off = 0;
	c->left = hdr_len + m->pkt_len;
}

/* The view v: the first vsw_view_hdrs_len bytes from our copy, the rest
 * from its pieces in guest memory (those bytes skipped there). */
static inline void vsw_cursor_init_view(struct vsw_src_cursor *c, const void *hdr,
					uint16_t hdr_len, const struct vsw_vq_view *v)
{
	uint32_t skip = vsw_view_hdrs_len(v);
	c->piece[0] = hdr;
	c->piece_left[0] = hdr_len;
	c->piece[1] = v->hdrs;
	c->piece_left[1] = skip;
	unsigned int n = 2;
	const uint8_t *p = v->frame;
	uint32_t l = v->nmore ? v->first_len : v->len;
	for (unsigned int i = 0;; i++) {
		if (l > skip) {
			c->piece[n] = p + skip;
			c->piece_left[n++] = l - skip;
			skip = 0;
		} else {
			skip -= l;
		}
		if (i == v->nmore)
			break;
		p = v->more[i];
		l = v->more_len[i];
	}
	c->npieces = n;
	c->ip = 0;
	c->seg = NULL;
	c->seg_off = 0;
	c->left = hdr_len + v->len;
}

/* An enqueue's packet, an mbuf or (v not NULL) a view, after header hdr. */
static inline void vsw_cursor_init_pkt(struct vsw_src_cursor *c, const void *hdr, uint16_t hdr_len,
				       const struct rte_mbuf *m, const struct vsw_vq_view *v)
{
	if (v != NULL)
		vsw_cursor_init_view(c, hdr, hdr_len, v);
	else
		vsw_cursor_init(c, hdr, hdr_len, m);
}

/* Copies up to len bytes to dst; returns how many. */
static inline uint32_t vsw_cursor_copy(struct vsw_src_cursor *c, uint8_t *dst, uint32_t len)
{
	uint32_t done = 0;
	while (done < len && c->left > 0) {
		if (c->ip < c->npieces) {
			uint32_t n = RTE_MIN(c->piece_left[c->ip], len - done);
			rte_memcpy(dst + done, c->piece[c->ip], n);
			c->piece[c->ip] += n;
			c->piece_left[c->ip] -= n;
			if (c->piece_left[c->ip] == 0)
				c->ip++;
			done += n;
			c->left -= n;
			continue;
		}
		while (c->seg != NULL && c->seg_off == c->seg->data_len) {
			c->seg = c->seg->next;
			c->seg_off = 0;
		}
		if (c->seg == NULL)
			break;
		uint32_t n = RTE_MIN((uint32_t)c->seg->data_len - c->seg_off, len - done);
		rte_memcpy(dst + done, rte_pktmbuf_mtod_offset(c->seg, const uint8_t *, c->seg_off), n);
		c->seg_off += n;
		done += n;
		c->left -= n;
	}
	return done;
}

/* Writes from cur into one device-writable descriptor. pos is where in the
 * header+packet stream the descriptor starts; nb_lo/nb_hi (may be NULL)
 * learn where num_buffers' two bytes landed (and vq->nb_gpa_lo/hi their
 * guest-physical addresses, for vsw_rx_set_num_buffers). Returns bytes
 * written, or -1 with the queue broken if the buffer is not guest memory. */
/* Writes a packet's num_buffers (12-byte header, mergeable buffers) once
 * its buffers are counted; marks its bytes again when logging: their page
 * was marked when the header was copied, and a frontend may have copied
 * the page since. */
static inline void vsw_rx_set_num_buffers(struct vsw_vq *vq, uint8_t *nb_lo, uint8_t *nb_hi,
					  uint16_t n, bool logging)
{
	*nb_lo = (uint8_t)n;
	*nb_hi = (uint8_t)(n >> 8);
	if (unlikely(logging)) {
		vsw_vq_log_write(vq, vq->nb_gpa_lo, 1);
		vsw_vq_log_write(vq, vq->nb_gpa_hi, 1);
	}
}

static inline int64_t vsw_rx_copy_desc(struct vsw_vq *vq, struct vsw_src_cursor *cur, uint64_t addr,
				       uint32_t len, uint32_t pos, uint8_t **nb_lo, uint8_t **nb_hi)
{
	uint32_t written = 0;
	while (len > 0 && cur->left > 0) {
		uint64_t avail;
		uint8_t *p = vsw_gpa_to_hva_part(vq->mem, addr, len, &avail, &vq->mem_hint);
		if (unlikely(p == NULL)) {
			vsw_vq_break(vq, "RX buffer 0x%" PRIx64 "+%u is outside guest memory", addr, len);
			return -1;
		}
		uint32_t at = pos + written;
		uint32_t n = vsw_cursor_copy(cur, p, (uint32_t)avail);
		if (unlikely(vq->log_on))
			vsw_vq_log_write(vq, addr, n);
		if (nb_lo != NULL && at <= 10 && 10 < at + n) {
			*nb_lo = p + (10 - at);
			vq->nb_gpa_lo = addr + (10 - at);
		}
		if (nb_hi != NULL && at <= 11 && 11 < at + n) {
			*nb_hi = p + (11 - at);
			vq->nb_gpa_hi = addr + (11 - at);
		}
		written += n;
		addr += n;
		len -= n;
	}
	return written;
}

#endif
