/* Owns the packed virtqueue, device side (virtio 1.2 section 2.8): one ring
 * of descriptors whose AVAIL/USED bits, read against wrap counters, say who
 * owns each slot; chains by NEXT on consecutive slots, indirect tables, the
 * buffer ID in the last descriptor, used descriptors published with the
 * first one's flags written last so the driver never sees half a batch, and
 * TX frames looked at in place for the copy-once path (peek). */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ether.h>

#include "vring/layout.h"
#include "vring/prefetch.h"

struct pchain {
	const struct vring_packed_desc *table; /* NULL: the ring itself */
	uint32_t table_size;
	uint32_t pos;   /* index in the table (indirect) or ring */
	uint16_t ndesc; /* ring slots the chain takes */
	bool wrap;      /* wrap counter at pos (ring only) */
	uint32_t hops;
	struct vring_packed_desc cur;
	uint16_t id;
};

static inline bool desc_avail(uint16_t flags, bool wrap)
{
	return !!(flags & VRING_PACKED_DESC_F_AVAIL) == wrap &&
	       !!(flags & VRING_PACKED_DESC_F_USED) != wrap;
}

static inline void read_pdesc(struct vring_packed_desc *dst, const struct vring_packed_desc *src)
{
	memcpy(dst, src, sizeof(*dst)); /* any alignment the guest chose */
	rte_compiler_barrier();
}

/* Starts the chain at slot idx, whose descriptor c->cur was read (with
 * flags, available, read first). 1, or -1 broken. */
static inline __attribute__((always_inline)) int pchain_begin(struct vsw_vq *vq, uint16_t idx,
							      bool wrap, struct pchain *c, bool quiet)
{
	c->table = NULL;
	c->table_size = vq->size;
	c->pos = idx;
	c->wrap = wrap;
	c->ndesc = 1;
	c->hops = 1;
	c->id = c->cur.id;
	/* The last ring descriptor of a chain carries the buffer ID. */
	if (unlikely(!(c->cur.flags & VRING_DESC_F_NEXT) && c->id >= vq->size))
		CHAIN_FAIL(vq, quiet, "buffer id %u is outside a ring of %u", c->id, vq->size);
	if (unlikely(c->cur.flags & VRING_DESC_F_INDIRECT)) {
		uint32_t len = c->cur.len;
		if (!(vq->features & (1ull << VSW_VIRTIO_RING_F_INDIRECT_DESC)) ||
		    (c->cur.flags & VRING_DESC_F_NEXT))
			CHAIN_FAIL(vq, quiet, "indirect descriptor not allowed here (not negotiated, or "
					      "with NEXT)");
		if (len == 0 || len % sizeof(struct vring_packed_desc) != 0 ||
		    len / sizeof(struct vring_packed_desc) > vq->size)
			CHAIN_FAIL(vq, quiet,
				   "indirect table of %u bytes (not a multiple of 16, or more "
				   "than the ring's %u entries)", len, vq->size);
		const struct vring_packed_desc *t =
			vsw_gpa_to_hva(vq->mem, c->cur.addr, len, &vq->mem_hint);
		if (t == NULL)
			CHAIN_FAIL(vq, quiet, "indirect table at 0x%" PRIx64 "+%u is outside guest memory",
				   c->cur.addr, len);
		c->table = t;
		c->table_size = len / sizeof(struct vring_packed_desc);
		c->pos = 0;
		read_pdesc(&c->cur, &t[0]);
		/* In an indirect table only WRITE means anything; the chain is
		 * the whole table. */
		c->cur.flags = (uint16_t)((c->cur.flags & VRING_DESC_F_WRITE) |
					  (c->table_size > 1 ? VRING_DESC_F_NEXT : 0));
	}
	if (unlikely(c->cur.len == 0))
		CHAIN_FAIL(vq, quiet, "zero-length descriptor at the head of a chain");
	return 1;
}

/* Starts the chain at the ring's next slot; 0 if nothing is available,
 * 1 if c->cur is its first descriptor, -1 broken. */
static int pchain_first(struct vsw_vq *vq, uint16_t idx, bool wrap, struct pchain *c)
{
	const struct vring_packed_desc *d = &vq->pdesc[idx];
	uint16_t flags = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
	if (!desc_avail(flags, wrap))
		return 0;
	read_pdesc(&c->cur, d);
	c->cur.flags = flags;
	return pchain_begin(vq, idx, wrap, c, false);
}

/* 1: next descriptor in c->cur; 0: end; -1: broken. */
static inline __attribute__((always_inline)) int pchain_next(struct vsw_vq *vq, struct pchain *c,
							     bool quiet)
{
	if (!(c->cur.flags & VRING_DESC_F_NEXT))
		return 0;
	if (unlikely(++c->hops > c->table_size))
		CHAIN_FAIL(vq, quiet, "descriptor chain longer than the ring (%u)", c->table_size);
	if (c->table != NULL) {
		c->pos++;
		read_pdesc(&c->cur, &c->table[c->pos]);
		c->cur.flags = (uint16_t)((c->cur.flags & VRING_DESC_F_WRITE) |
					  (c->pos + 1 < c->table_size ? VRING_DESC_F_NEXT : 0));
		return 1;
	}
	if (++c->pos == vq->size) {
		c->pos = 0;
		c->wrap = !c->wrap;
	}
	c->ndesc++;
	read_pdesc(&c->cur, &vq->pdesc[c->pos]);
	if (unlikely(c->cur.flags & VRING_DESC_F_INDIRECT))
		CHAIN_FAIL(vq, quiet, "indirect descriptor inside a chain");
	c->id = c->cur.id; /* the buffer ID sits in the last descriptor */
	if (unlikely(!(c->cur.flags & VRING_DESC_F_NEXT) && c->id >= vq->size))
		CHAIN_FAIL(vq, quiet, "buffer id %u is outside a ring of %u", c->id, vq->size);
	return 1;
}

struct used_rec {
	uint16_t pos, id;
	uint32_t len;
	bool wrap;
};

/* Writes the burst's used descriptors; the first one's flags go last.
 * Held (vsw_vq_hold): the first held one's flags are kept back, and the
 * driver, which reads used descriptors in ring order, sees none after it. */
static void publish_used(struct vsw_vq *vq, const struct used_rec *u, uint16_t n,
			 uint16_t old_idx, bool old_wrap, bool hold)
{
	if (n == 0)
		return;
	bool was_held = vq->held;
	hold = hold && vsw_vq_hold(vq, old_idx, old_wrap);
	for (uint16_t i = 0; i < n; i++) {
		vq->pdesc[u[i].pos].id = u[i].id;
		vq->pdesc[u[i].pos].len = u[i].len;
	}
	for (uint16_t i = n; i-- > 0;) {
		uint16_t f = u[i].wrap ? (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0;
		if (u[i].len)
			f |= VRING_DESC_F_WRITE;
		if (i == 0 && hold && !was_held) {
			vq->held_pos = u[0].pos;
			vq->held_flags = f;
			continue;
		}
		__atomic_store_n(&vq->pdesc[u[i].pos].flags, f, __ATOMIC_RELEASE);
	}
	if (unlikely(vq->log_on))
		for (uint16_t i = 0; i < n; i++)
			vsw_vq_log_desc_packed(vq, u[i].pos);
	if (!hold)
		vsw_vq_notify_packed(vq, old_idx, old_wrap, vq->last_used_idx, vq->used_wrap);
}

static inline void advance(uint16_t *idx, bool *wrap, uint16_t n, uint16_t size)
{
	uint32_t v = (uint32_t)*idx + n;
	if (v >= size) {
		v -= size;
		*wrap = !*wrap;
	}
	*idx = (uint16_t)v;
}

enum { PKT_OK = 0, PKT_DROP = 1, PKT_BROKEN = -1, PKT_NONE = 2 };
/* At most this many frames per peek (the used records sit on the stack). */
#define PEEK_MAX 256

static int dequeue_one(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf *m,
		       struct pchain *c)
{
	int r = pchain_first(vq, vq->last_avail_idx, vq->avail_wrap, c);
	if (r <= 0)
		return r < 0 ? PKT_BROKEN : PKT_NONE;
	struct vsw_tx_state t = { .hdr_got = 0, .last = m };
	for (;;) {
		if (unlikely(c->cur.flags & VRING_DESC_F_WRITE)) {
			vsw_vq_break(vq, "device-writable descriptor in a TX chain");
			return PKT_BROKEN;
		}
		if (vsw_tx_copy_desc(vq, mp, m, &t, c->cur.addr, c->cur.len) < 0)
			return PKT_BROKEN;
		int r = pchain_next(vq, c, false);
		if (r < 0)
			return PKT_BROKEN;
		if (r == 0)
			break;
	}
	return vsw_tx_finish(vq, m, &t);
}

uint16_t vsw_packed_dequeue(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			    uint16_t n)
{
	uint16_t first = __atomic_load_n(&vq->pdesc[vq->last_avail_idx].flags, __ATOMIC_ACQUIRE);
	if (!desc_avail(first, vq->avail_wrap))
		return 0;
	if (n > 256)
		n = 256;
	if (unlikely(rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0)) {
		vq->stats.drop_no_mbuf++;
		return 0;
	}
	struct used_rec used[256];
	uint16_t nused = 0, got = 0, old_used = vq->last_used_idx;
	bool old_wrap = vq->used_wrap;
	uint64_t bytes = 0;
	/* Dropped chains take a used slot but no mbuf: bound both. */
	while (got < n && nused < 256) {
		struct pchain c;
		struct rte_mbuf *m = pkts[got];
		int rc = dequeue_one(vq, mp, m, &c);
		if (rc == PKT_BROKEN || rc == PKT_NONE)
			break;
		used[nused++] = (struct used_rec){ .pos = vq->last_used_idx, .id = c.id, .len = 0,
						   .wrap = vq->used_wrap };
		advance(&vq->last_avail_idx, &vq->avail_wrap, c.ndesc, vq->size);
		advance(&vq->last_used_idx, &vq->used_wrap, c.ndesc, vq->size);
		if (rc == PKT_OK) {
			bytes += m->pkt_len;
			got++;
		} else {
			/* Reuse the mbuf; segments chained before the drop go back. */
			if (m->next != NULL)
				rte_pktmbuf_free(m->next);
			rte_pktmbuf_reset(m);
		}
	}
	if (got < n)
		rte_pktmbuf_free_bulk(&pkts[got], n - got);
	publish_used(vq, used, nused, old_used, old_wrap, false);
	vq->stats.packets += got;
	vq->stats.bytes += bytes;
	return got;
}

/* The driver wrote the next slots and their buffers on another core: fetch
 * them ahead so the misses overlap (as split.c does). Hints only: the slot
 * read here decides nothing; it is read again, once, when it is used. */
#define PF_SLOTS 32
#define PF_AHEAD 8
/* Slot idx + ahead (< size: a packed ring's size need not be a power of 2). */
static inline uint16_t slot_ahead(const struct vsw_vq *vq, uint16_t idx, uint16_t ahead)
{
	uint32_t j = (uint32_t)idx + ahead;
	return (uint16_t)(j >= vq->size ? j - vq->size : j);
}

static inline void prefetch_slots(const struct vsw_vq *vq, uint16_t idx, uint16_t n)
{
	n = RTE_MIN(RTE_MIN(n, (uint16_t)PF_SLOTS), vq->size);
	for (uint16_t i = 0; i < n; i += 4)
		rte_prefetch0(&vq->pdesc[slot_ahead(vq, idx, i)]);
}

static inline void prefetch_slot_buf(struct vsw_vq *vq, uint16_t idx, uint16_t ahead, bool write)
{
	if (ahead >= vq->size)
		return;
	const volatile struct vring_packed_desc *d = &vq->pdesc[slot_ahead(vq, idx, ahead)];
	uint64_t addr = d->addr;
	uint32_t len = d->len;
	/* The frame's lines, not the header's. An RX buffer's header line
	 * nearly always holds the header already (vsw_rx_put_hdr), and a DPDK
	 * guest ends its header at a line's end: taking that line exclusive
	 * would take it from the guest's cache for nothing (ring 256, 64
	 * bytes: its cycles per packet 150 -> 131 without the buffer fetch at
	 * all, 130 -> 109 with the frame's lines only). */
	if (len > vq->hdr_len) {
		addr += vq->hdr_len;
		len -= vq->hdr_len;
	}
	vsw_prefetch_guest_buf(vq, addr, len, write);
}

/* Peek's look at a chain that is not one plain ring descriptor (several,
 * or an indirect table), c->cur its first as read: walked by dequeue's
 * rules, but anything they refuse only ends the look. */
static __attribute__((noinline)) bool peek_chain(struct vsw_vq *vq, uint16_t idx, bool wrap,
						 struct pchain *c, struct vsw_vq_view *v)
{
	if (pchain_begin(vq, idx, wrap, c, true) < 0)
		return false;
	struct vsw_view_acc a;
	vsw_view_begin(&a);
	for (;;) {
		if (c->cur.flags & VRING_DESC_F_WRITE)
			return false;
		if (!vsw_view_piece(vq, &a, v, c->cur.addr, c->cur.len))
			return false;
		int r = pchain_next(vq, c, true);
		if (r < 0)
			return false;
		if (r == 0)
			break;
	}
	v->head = c->id;
	v->ndesc = c->ndesc;
	return vsw_view_finish(vq, &a, v);
}

/* Frames looked at in place (see vsw_vq_peek): a chain of one readable ring
 * descriptor here, others in peek_chain, checked as dequeue would; anything
 * else stops the look and is dequeue's to take or to refuse with a reason. */
uint16_t vsw_packed_peek(struct vsw_vq *vq, struct vsw_vq_view *v, uint16_t n, bool *stopped)
{
	*stopped = vq->hdr_len != 12; /* a 10-byte header is for dequeue */
	if (*stopped)
		return 0;
	uint16_t idx = vq->last_avail_idx, got = 0;
	bool wrap = vq->avail_wrap;
	n = RTE_MIN(n, (uint16_t)PEEK_MAX);
	/* Nothing there: touch nothing more. The slots after it are the
	 * driver's to write next; fetching them would take their lines away
	 * from it, on every empty poll. */
	if (!desc_avail(__atomic_load_n(&vq->pdesc[idx].flags, __ATOMIC_ACQUIRE), wrap))
		return 0;
	prefetch_slots(vq, idx, n);
	for (uint16_t i = 0; i < RTE_MIN(n, (uint16_t)PF_AHEAD); i++)
		prefetch_slot_buf(vq, idx, i, false);
	for (; got < n; got++) {
		if (got + PF_AHEAD < n)
			prefetch_slot_buf(vq, vq->last_avail_idx, (uint16_t)(got + PF_AHEAD), false);
		const struct vring_packed_desc *d = &vq->pdesc[idx];
		uint16_t flags = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
		if (!desc_avail(flags, wrap))
			break;
		struct pchain c;
		read_pdesc(&c.cur, d);
		if (likely(!(flags & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE |
				      VRING_DESC_F_INDIRECT)))) {
			if (unlikely(c.cur.id >= vq->size ||
				     !vsw_tx_view(vq, c.cur.addr, c.cur.len, c.cur.id, &v[got]))) {
				*stopped = true;
				break;
			}
			v[got].ndesc = 1;
		} else {
			c.cur.flags = flags;
			if (!peek_chain(vq, idx, wrap, &c, &v[got])) {
				*stopped = true;
				break;
			}
		}
		advance(&idx, &wrap, v[got].ndesc, vq->size);
	}
	return got;
}

void vsw_packed_peek_done(struct vsw_vq *vq, const struct vsw_vq_view *v, uint16_t k)
{
	struct used_rec used[PEEK_MAX];
	uint16_t old_used = vq->last_used_idx;
	bool old_wrap = vq->used_wrap;
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < k; i++) {
		used[i] = (struct used_rec){ .pos = vq->last_used_idx, .id = v[i].head, .len = 0,
					     .wrap = vq->used_wrap };
		advance(&vq->last_avail_idx, &vq->avail_wrap, v[i].ndesc, vq->size);
		advance(&vq->last_used_idx, &vq->used_wrap, v[i].ndesc, vq->size);
		bytes += v[i].len;
	}
	publish_used(vq, used, k, old_used, old_wrap, false);
	vq->stats.packets += k;
	vq->stats.bytes += bytes;
}

/* Writes from cur into the chain c (already started). Returns bytes, -1 broken. */
static int64_t fill(struct vsw_vq *vq, struct pchain *c, struct vsw_src_cursor *cur,
		    uint32_t stream_pos, uint8_t **nb_lo, uint8_t **nb_hi)
{
	uint32_t written = 0;
	for (;;) {
		if (unlikely(!(c->cur.flags & VRING_DESC_F_WRITE))) {
			vsw_vq_break(vq, "device-readable descriptor in an RX chain");
			return -1;
		}
		int64_t w = vsw_rx_copy_desc(vq, cur, c->cur.addr, c->cur.len, stream_pos + written,
					     nb_lo, nb_hi);
		if (w < 0)
			return -1;
		written += (uint32_t)w;
		/* The rest of the chain is walked (validated) but left empty. */
		int r = pchain_next(vq, c, false);
		if (r < 0)
			return -1;
		if (r == 0)
			return written;
	}
}

/* src: mbufs, or (views) frames in another guest's memory. */
static inline __attribute__((always_inline)) uint16_t
packed_enqueue(struct vsw_vq *vq, const void *const *src, uint16_t n, bool views, bool hold)
{
	struct used_rec used[256];
	uint16_t nused = 0, sent = 0, too_big = 0, old_used = vq->last_used_idx;
	bool old_wrap = vq->used_wrap;
	uint64_t bytes = 0;
	struct virtio_net_hdr hdr;
	const bool logging = vq->log_on;
	uint16_t first_idx = vq->last_avail_idx;
	/* No buffer posted: as in peek, leave the driver's next slots alone. */
	if (!desc_avail(__atomic_load_n(&vq->pdesc[first_idx].flags, __ATOMIC_ACQUIRE),
			vq->avail_wrap)) {
		vq->stats.drop_no_buf += n;
		return 0;
	}
	prefetch_slots(vq, first_idx, n);
	for (uint16_t i = 0; i < RTE_MIN(n, (uint16_t)PF_AHEAD); i++)
		prefetch_slot_buf(vq, first_idx, i, true);
	for (; sent < n; sent++) {
		/* One buffer per packet is the common case: fetch ahead by that. */
		if (sent + PF_AHEAD < n)
			prefetch_slot_buf(vq, first_idx, (uint16_t)(sent + PF_AHEAD), true);
		const struct rte_mbuf *m = views ? NULL : src[sent];
		const struct vsw_vq_view *v = views ? src[sent] : NULL;
		uint32_t plen = views ? v->len : m->pkt_len;
		/* Fast path: a one-segment packet (a view: one piece, only its
		 * Ethernet header copied) that fits, with its header, in the
		 * next slot, one writable buffer. Anything else, including
		 * what is wrong with the slot, is the chain walk's below. */
		if (likely((views ? (v->nmore | v->hdrs_len) == 0 : m->nb_segs == 1) &&
			   vq->hdr_len == 12 && nused < 256)) {
			const struct vring_packed_desc *d = &vq->pdesc[vq->last_avail_idx];
			uint16_t flags = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
			if (likely(desc_avail(flags, vq->avail_wrap) &&
				   (flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT |
					     VRING_DESC_F_NEXT)) == VRING_DESC_F_WRITE)) {
				struct vring_packed_desc c;
				read_pdesc(&c, d);
				uint32_t need = 12u + plen;
				uint8_t *p = c.id < vq->size && c.len >= need
						     ? vsw_gpa_to_hva(vq->mem, c.addr, need, &vq->mem_hint)
						     : NULL;
				if (likely(p != NULL)) {
					vsw_rx_copy_one(vq, p, plen, m, v);
					if (unlikely(logging))
						vsw_vq_log_write(vq, c.addr, need);
					used[nused++] = (struct used_rec){ .pos = vq->last_used_idx,
									   .id = c.id, .len = need,
									   .wrap = vq->used_wrap };
					advance(&vq->last_avail_idx, &vq->avail_wrap, 1, vq->size);
					advance(&vq->last_used_idx, &vq->used_wrap, 1, vq->size);
					bytes += plen;
					continue;
				}
			}
		}
		struct vsw_src_cursor cur;
		uint8_t *nb_lo = NULL, *nb_hi = NULL;
		vsw_vq_rx_hdr(vq, m, v, &hdr);
		vsw_cursor_init_pkt(&cur, &hdr, vq->hdr_len, m, v);
		uint16_t idx = vq->last_avail_idx, uidx = vq->last_used_idx, bufs = 0;
		bool wrap = vq->avail_wrap, uwrap = vq->used_wrap, stop = false;
		uint32_t stream_pos = 0;
		uint16_t first_rec = nused;
		while (cur.left > 0) {
			struct pchain c;
			if (nused + bufs >= 256) {
				stop = true;
				break;
			}
			int r = pchain_first(vq, idx, wrap, &c);
			if (r <= 0) {
				stop = true; /* out of buffers, or broken */
				break;
			}
			int64_t w = fill(vq, &c, &cur, stream_pos, vq->hdr_len == 12 ? &nb_lo : NULL,
					 vq->hdr_len == 12 ? &nb_hi : NULL);
			if (w < 0) {
				stop = true;
				break;
			}
			used[nused + bufs] = (struct used_rec){ .pos = uidx, .id = c.id,
								.len = (uint32_t)w, .wrap = uwrap };
			bufs++;
			stream_pos += (uint32_t)w;
			advance(&idx, &wrap, c.ndesc, vq->size);
			advance(&uidx, &uwrap, c.ndesc, vq->size);
			if (!vq->mrg_rxbuf)
				break;
		}
		if (stop)
			break; /* those buffers stay the guest's */
		nused += bufs;
		vq->last_avail_idx = idx;
		vq->avail_wrap = wrap;
		vq->last_used_idx = uidx;
		vq->used_wrap = uwrap;
		if (cur.left > 0) {
			used[first_rec].len = 0;
			too_big++;
			continue;
		}
		if (bufs > 1 && nb_lo != NULL && nb_hi != NULL)
			vsw_rx_set_num_buffers(vq, nb_lo, nb_hi, bufs, logging);
		bytes += plen;
	}
	if (sent < n)
		vq->stats.drop_no_buf += n - sent;
	publish_used(vq, used, nused, old_used, old_wrap, hold);
	vq->stats.drop_too_big += too_big;
	vq->stats.bytes += bytes;
	vq->stats.packets += sent - too_big;
	return sent;
}

uint16_t vsw_packed_enqueue(struct vsw_vq *vq, struct rte_mbuf *const *pkts, uint16_t n)
{
	return packed_enqueue(vq, (const void *const *)pkts, n, false, false);
}

uint16_t vsw_packed_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n,
				  bool hold)
{
	return packed_enqueue(vq, (const void *const *)v, n, true, hold);
}
