/* Owns the split virtqueue, device side (virtio 1.2 section 2.7): walking
 * descriptor chains (direct and indirect) with every rule checked, guest TX
 * into mbufs or looked at in place (peek), mbufs or another guest's frames
 * into guest RX buffers (one chain per packet, or several with MRG_RXBUF),
 * and the used ring with one index store per burst. */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_prefetch.h>

#include "vring/layout.h"
#include "vring/prefetch.h"

/* A chain being walked; cur is our one copy of the current descriptor. */
struct chain {
	const struct vring_desc *table;
	uint32_t table_size;
	uint32_t hops;
	struct vring_desc cur;
};

static inline void read_desc(struct vring_desc *dst, const struct vring_desc *src)
{
	/* memcpy: a guest may place an indirect table at any address. */
	memcpy(dst, src, sizeof(*dst));
	/* From here on only the copy is used: the guest may rewrite src. */
	rte_compiler_barrier();
}

/* Starts the chain at head (< size) whose descriptor c->cur was read. */
static inline __attribute__((always_inline)) int chain_begin(struct vsw_vq *vq, uint16_t head,
							     struct chain *c, bool quiet)
{
	c->table = vq->desc;
	c->table_size = vq->size;
	c->hops = 1;
	if (unlikely(c->cur.flags & VRING_DESC_F_INDIRECT)) {
		uint32_t len = c->cur.len;
		if (!(vq->features & (1ull << VSW_VIRTIO_RING_F_INDIRECT_DESC)))
			CHAIN_FAIL(vq, quiet, "indirect descriptor without INDIRECT_DESC negotiated");
		if (c->cur.flags & VRING_DESC_F_NEXT)
			CHAIN_FAIL(vq, quiet, "indirect descriptor %u also has NEXT set", head);
		if (len == 0 || len % sizeof(struct vring_desc) != 0 ||
		    len / sizeof(struct vring_desc) > vq->size)
			CHAIN_FAIL(vq, quiet,
				   "indirect table of %u bytes (not a multiple of 16, or more "
				   "than the ring's %u entries)", len, vq->size);
		const struct vring_desc *t = vsw_gpa_to_hva(vq->mem, c->cur.addr, len, &vq->mem_hint);
		if (t == NULL)
			CHAIN_FAIL(vq, quiet, "indirect table at 0x%" PRIx64 "+%u is outside guest memory",
				   c->cur.addr, len);
		c->table = t;
		c->table_size = len / sizeof(struct vring_desc);
		read_desc(&c->cur, &t[0]);
		if (c->cur.flags & VRING_DESC_F_INDIRECT)
			CHAIN_FAIL(vq, quiet, "nested indirect table");
	}
	if (unlikely(c->cur.len == 0))
		CHAIN_FAIL(vq, quiet, "zero-length descriptor at the head of a chain");
	return 0;
}

static int chain_first(struct vsw_vq *vq, uint16_t head, struct chain *c)
{
	if (unlikely(head >= vq->size)) {
		vsw_vq_break(vq, "descriptor head %u is outside a ring of %u", head, vq->size);
		return -1;
	}
	read_desc(&c->cur, &vq->desc[head]);
	return chain_begin(vq, head, c, false);
}

/* 1: c->cur is the next descriptor; 0: end of chain; -1: broken. */
static inline __attribute__((always_inline)) int chain_next(struct vsw_vq *vq, struct chain *c,
							    bool quiet)
{
	if (!(c->cur.flags & VRING_DESC_F_NEXT))
		return 0;
	uint16_t nx = c->cur.next;
	if (unlikely(++c->hops > c->table_size))
		CHAIN_FAIL(vq, quiet, "descriptor chain longer than its table (%u): a loop",
			   c->table_size);
	if (unlikely(nx >= c->table_size))
		CHAIN_FAIL(vq, quiet, "next descriptor %u is outside a table of %u", nx, c->table_size);
	read_desc(&c->cur, &c->table[nx]);
	if (unlikely(c->cur.flags & VRING_DESC_F_INDIRECT))
		CHAIN_FAIL(vq, quiet, "indirect descriptor inside a chain");
	return 1;
}

enum { PKT_OK = 0, PKT_DROP = 1, PKT_BROKEN = -1 };

/* Reads one TX chain into m. */
static int dequeue_one(struct vsw_vq *vq, struct rte_mempool *mp, uint16_t head,
		       struct rte_mbuf *m)
{
	struct chain c;
	if (chain_first(vq, head, &c) < 0)
		return PKT_BROKEN;
	struct virtio_net_hdr hdr;
	uint32_t hdr_len = vq->hdr_len;
	/* Fast path: the whole packet with its header in one read-only
	 * descriptor inside one region, fitting the mbuf (what Linux and
	 * virtio_user send for all but large packets). */
	if (likely(!(c.cur.flags & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE)) && hdr_len == 12 &&
		   c.cur.len > 12 && c.cur.len - 12 <= rte_pktmbuf_tailroom(m) &&
		   c.cur.len - 12 <= vq->max_pkt_len)) {
		const uint8_t *p = vsw_gpa_to_hva(vq->mem, c.cur.addr, c.cur.len, &vq->mem_hint);
		if (likely(p != NULL)) {
			uint16_t len = (uint16_t)(c.cur.len - 12);
			rte_memcpy(rte_pktmbuf_mtod(m, uint8_t *), p + 12, len);
			m->data_len = len;
			m->pkt_len = len;
			if (vq->tx_offloads)
				memcpy(&hdr, p, 12);
			else
				hdr.flags = hdr.gso_type = 0; /* not read: must be zero */
			return vsw_vq_tx_meta(vq, &hdr, m) == 0 ? PKT_OK : PKT_DROP;
		}
	}
	struct vsw_tx_state t = { .hdr_got = 0, .last = m };
	for (;;) {
		if (unlikely(c.cur.flags & VRING_DESC_F_WRITE)) {
			vsw_vq_break(vq, "device-writable descriptor in a TX chain");
			return PKT_BROKEN;
		}
		if (vsw_tx_copy_desc(vq, mp, m, &t, c.cur.addr, c.cur.len) < 0)
			return PKT_BROKEN;
		int r = chain_next(vq, &c, false);
		if (r < 0)
			return PKT_BROKEN;
		if (r == 0)
			break;
	}
	return vsw_tx_finish(vq, m, &t);
}

/* Before the avail index is read: the next n avail entries and the
 * descriptors at the same ring positions, which is where an in-order driver
 * (and nearly always any other) puts them, else each is a dependent
 * cross-core miss: index, then entry, then descriptor; and the used entries
 * this burst will write, exclusive. Hints only: nothing read is kept. */
static inline void prefetch_ring(const struct vsw_vq *vq, uint16_t n)
{
	uint16_t pos = vq->last_avail_idx, u = vq->last_used_idx;
	rte_prefetch0(&vq->avail->ring[pos & vq->mask]);
	rte_prefetch0(&vq->avail->ring[(uint16_t)(pos + n - 1) & vq->mask]);
	for (uint16_t i = 0; i < n; i += 4)
		rte_prefetch0(&vq->desc[(uint16_t)(pos + i) & vq->mask]);
	for (uint16_t i = 0; i < n; i += 8)
		vsw_prefetch_for_write(&vq->used->ring[(uint16_t)(u + i) & vq->mask]);
}

/* How many heads the guest has made available; -1 if it claims more than
 * the ring holds. */
static inline int avail_count(struct vsw_vq *vq)
{
	uint16_t idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	uint16_t count = (uint16_t)(idx - vq->last_avail_idx);
	if (unlikely(count > vq->size)) {
		vsw_vq_break(vq, "avail index %u is %u ahead of %u, more than the ring's %u", idx,
			     count, vq->last_avail_idx, vq->size);
		return -1;
	}
	return count;
}

/* The guest wrote descriptors and buffers from another core: each first
 * touch here is a cache miss. Fetch them ahead, descriptors PF_DESC slots
 * and buffers PF_BUF slots before use, so the misses overlap. */
#define PF_DESC 16
#define PF_BUF 6
/* Peek does little per frame (a descriptor and 14 header bytes), so the
 * next frames' misses need to start further ahead to have landed: with 6
 * it stalled on every header; 12 to 24 measured alike, 32 no better. */
#define PF_PEEK 16
/* At most this many chains per dequeue call (callers loop for more). */
#define DEQ_MAX 256

/* The head the guest put at avail position last_avail_idx + i. */
static inline uint16_t avail_head(const struct vsw_vq *vq, uint16_t i)
{
	return __atomic_load_n(&vq->avail->ring[(uint16_t)(vq->last_avail_idx + i) & vq->mask],
			       __ATOMIC_RELAXED);
}

static inline void prefetch_desc(const struct vsw_vq *vq, uint16_t head)
{
	rte_prefetch0(&vq->desc[head & vq->mask]);
}

static inline void prefetch_buf(struct vsw_vq *vq, uint16_t head, bool write)
{
	const volatile struct vring_desc *d = &vq->desc[head & vq->mask];
	vsw_prefetch_guest_buf(vq, d->addr, d->len, write);
}

/* How many frames that had come by the mark are still in the ring: 0 when
 * the mark is at or behind the next frame. */
static inline uint16_t tx_mark_left(const struct vsw_vq *vq)
{
	uint16_t left = (uint16_t)(vq->tx_mark_idx - vq->last_avail_idx);
	return left > vq->size ? 0 : left;
}

/* How many of avail frames a TX burst takes now. DPDK's in-order virtio
 * PMD frees its sent mbufs once more than its ring less min(ring/4, 32)
 * are used, and then all of them: 224 at ring size 256, which overflows
 * its mempool cache and makes its RX refill take mbufs long out of its
 * caches. It frees a burst at a time, as it needs room, while that many of
 * its descriptors are still the device's. So while an in-order guest is
 * sending, its newest tx_park frames stay in its ring until newer ones
 * come. Those frames still hold their descriptors: the guest's room to
 * send is what it would be behind a slower switch (showing completions
 * late instead loses frames when a guest keeps its ring full and vsw's
 * core stalls). The wait is bounded by a mark (tx_taken): the frames
 * before tx_mark_idx had come by tx_mark_tsc, and tx_park_cycles after it
 * they are taken, parked or not; the mark moves on only once they all
 * are, so a trickle of frames cannot hold older ones (a frame waits at
 * most two marks, 2 x VSW_TX_PARK_US). A guest that sent nothing since a
 * mark that old has its frames taken at once. Pure: a peek and the
 * dequeue of what it left agree (time only takes more). For tx_park > 0. */
static inline int tx_take(const struct vsw_vq *vq, int avail)
{
	int take = avail > vq->tx_park ? avail - vq->tx_park : 0;
	if (rte_rdtsc() - vq->tx_mark_tsc >= vq->tx_park_cycles) {
		uint16_t left = tx_mark_left(vq);
		take = left == 0 || left > avail ? avail : RTE_MAX(take, (int)left);
	}
	return take;
}

/* After frames were taken: a new mark once those before the last are all
 * gone (the avail index read by this burst, whose frames had come by now). */
static inline void tx_taken(struct vsw_vq *vq)
{
	if (vq->tx_park != 0 && tx_mark_left(vq) == 0) {
		vq->tx_mark_idx = vq->tx_avail_seen;
		vq->tx_mark_tsc = rte_rdtsc();
	}
}

/* Starts a burst of up to n chains: reads their heads once (for the
 * prefetches and the work) and starts fetching. Returns how many, 0 when
 * there are none (or none to take yet, tx_take), -1 when the avail index
 * is beyond the ring. */
static inline int burst_heads(struct vsw_vq *vq, uint16_t n, uint16_t *heads, uint16_t pf_buf)
{
	prefetch_ring(vq, RTE_MIN(n, (uint16_t)32));
	int avail = avail_count(vq);
	if (avail <= 0)
		return avail;
	if (vq->tx_park != 0) {
		vq->tx_avail_seen = (uint16_t)(vq->last_avail_idx + avail);
		avail = tx_take(vq, avail);
		if (avail == 0)
			return 0;
	}
	uint16_t count = (uint16_t)RTE_MIN(RTE_MIN((int)n, avail), DEQ_MAX);
	for (uint16_t i = 0; i < count; i++)
		heads[i] = avail_head(vq, i);
	for (uint16_t i = 0; i < RTE_MIN(count, (uint16_t)PF_DESC); i++)
		prefetch_desc(vq, heads[i]);
	for (uint16_t i = 0; i < RTE_MIN(count, pf_buf); i++)
		prefetch_buf(vq, heads[i], false);
	return count;
}

/* Keeps the fetches of a burst started by burst_heads ahead of chain i. */
static inline void fetch_ahead(struct vsw_vq *vq, const uint16_t *heads, uint16_t i,
			       uint16_t count, uint16_t pf_buf)
{
	if (i + PF_DESC < count)
		prefetch_desc(vq, heads[i + PF_DESC]);
	if (i + pf_buf < count)
		prefetch_buf(vq, heads[i + pf_buf], false);
}

uint16_t vsw_split_dequeue(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			   uint16_t n)
{
	uint16_t heads[DEQ_MAX];
	int nh = burst_heads(vq, n, heads, PF_BUF);
	if (nh <= 0)
		return 0;
	uint16_t count = (uint16_t)nh;
	if (unlikely(rte_pktmbuf_alloc_bulk(mp, pkts, count) != 0)) {
		vq->stats.drop_no_mbuf++; /* not consumed: the guest's packets wait */
		return 0;
	}
	uint16_t used_old = vq->last_used_idx, done = 0, got = 0;
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < count; i++) {
		uint16_t head = heads[i];
		fetch_ahead(vq, heads, i, count, PF_BUF);
		struct rte_mbuf *m = pkts[got];
		int rc = dequeue_one(vq, mp, head, m);
		if (rc == PKT_BROKEN)
			break;
		struct vring_used_elem *u = &vq->used->ring[(uint16_t)(used_old + done) & vq->mask];
		u->id = head;
		u->len = 0;
		done++;
		if (rc == PKT_OK) {
			bytes += m->pkt_len;
			got++;
		} else {
			/* Reuse the mbuf for the next packet. */
			rte_pktmbuf_free(m);
			pkts[got] = rte_pktmbuf_alloc(mp);
			if (pkts[got] == NULL) {
				vq->last_avail_idx = (uint16_t)(vq->last_avail_idx + done);
				vsw_split_publish_used(vq, used_old, done);
				tx_taken(vq);
				rte_pktmbuf_free_bulk(&pkts[got + 1], count - got - 1);
				vq->stats.packets += got;
				vq->stats.bytes += bytes;
				return got;
			}
		}
	}
	if (got < count)
		rte_pktmbuf_free_bulk(&pkts[got], count - got);
	if (done > 0) {
		vq->last_avail_idx = (uint16_t)(vq->last_avail_idx + done);
		vsw_split_publish_used(vq, used_old, done);
		tx_taken(vq);
	}
	vq->stats.packets += got;
	vq->stats.bytes += bytes;
	return got;
}

/* Writes from cur into one RX chain. Returns bytes written, or -1 broken.
 * For the 12-byte header, *nb points at num_buffers in guest memory once it
 * has been written (its two bytes may lie in different buffers). */
static int64_t fill_chain(struct vsw_vq *vq, uint16_t head, struct vsw_src_cursor *cur,
			  uint32_t stream_pos, uint8_t **nb_lo, uint8_t **nb_hi)
{
	struct chain c;
	if (chain_first(vq, head, &c) < 0)
		return -1;
	uint32_t written = 0;
	for (;;) {
		if (unlikely(!(c.cur.flags & VRING_DESC_F_WRITE))) {
			vsw_vq_break(vq, "device-readable descriptor in an RX chain");
			return -1;
		}
		int64_t w = vsw_rx_copy_desc(vq, cur, c.cur.addr, c.cur.len, stream_pos + written,
					     nb_lo, nb_hi);
		if (w < 0)
			return -1;
		written += (uint32_t)w;
		if (cur->left == 0)
			return written;
		int r = chain_next(vq, &c, false);
		if (r < 0)
			return -1;
		if (r == 0)
			return written;
	}
}

/* src: mbufs, or (views) frames in another guest's memory. */
static inline __attribute__((always_inline)) uint16_t
split_enqueue(struct vsw_vq *vq, const void *const *src, uint16_t n, bool views, bool hold)
{
	prefetch_ring(vq, RTE_MIN(n, (uint16_t)32));
	int avail = avail_count(vq);
	if (avail < 0) {
		vq->stats.drop_no_buf += n;
		return 0;
	}
	uint16_t used_old = vq->last_used_idx, done = 0, sent = 0, too_big = 0;
	uint64_t bytes = 0;
	struct virtio_net_hdr hdr;
	const bool logging = vq->log_on;
	uint16_t ahead = (uint16_t)RTE_MIN(avail, (int)n);
	/* Descriptors only: the guest's RX buffers are not fetched ahead. They
	 * are buffers it recycles from its own cache; taking their lines
	 * exclusive several packets early cost a testpmd guest at ring size 256
	 * about 30 cycles per packet (switch_bench -q 256 -f 512: generator
	 * 228 -> 199 cycles/packet without, vsw's own cycles unchanged). */
	for (uint16_t i = 0; i < RTE_MIN(ahead, (uint16_t)PF_DESC); i++)
		prefetch_desc(vq, avail_head(vq, i));
	for (; sent < n; sent++) {
		const struct rte_mbuf *m = views ? NULL : src[sent];
		const struct vsw_vq_view *v = views ? src[sent] : NULL;
		uint32_t plen = views ? v->len : m->pkt_len;
		/* One chain per packet is the common case: fetch ahead by that. */
		if (done + PF_DESC < ahead)
			prefetch_desc(vq, avail_head(vq, (uint16_t)(done + PF_DESC)));
		/* Fast path: a one-segment packet (a view: one piece, only its
		 * Ethernet header copied) that fits, with its header, in the first
		 * descriptor of a direct chain. */
		if (likely((views ? (v->nmore | v->hdrs_len) == 0 : m->nb_segs == 1) &&
			   vq->hdr_len == 12 && done < avail)) {
			uint16_t head = avail_head(vq, done);
			if (likely(head < vq->size)) {
				struct vring_desc d;
				read_desc(&d, &vq->desc[head]);
				uint32_t need = 12u + plen;
				if (likely((d.flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)) ==
						   VRING_DESC_F_WRITE && d.len >= need)) {
					uint8_t *p = vsw_gpa_to_hva(vq->mem, d.addr, need, &vq->mem_hint);
					if (likely(p != NULL)) {
						vsw_rx_copy_one(vq, p, plen, m, v);
						if (unlikely(logging))
							vsw_vq_log_write(vq, d.addr, need);
						struct vring_used_elem *u =
							&vq->used->ring[(uint16_t)(used_old + done) & vq->mask];
						u->id = head;
						u->len = need;
						done++;
						bytes += plen;
						continue;
					}
				}
			}
		}
		struct vsw_src_cursor cur;
		uint16_t heads = 0;
		uint8_t *nb_lo = NULL, *nb_hi = NULL;
		vsw_vq_rx_hdr(vq, m, v, &hdr);
		vsw_cursor_init_pkt(&cur, &hdr, vq->hdr_len, m, v);
		uint32_t stream_pos = 0;
		uint16_t first_used = done;
		bool broken = false, out_of_bufs = false;
		while (cur.left > 0) {
			if (done + heads >= avail) {
				out_of_bufs = true;
				break;
			}
			uint16_t head = avail_head(vq, (uint16_t)(done + heads));
			int64_t w = fill_chain(vq, head, &cur, stream_pos,
					       vq->hdr_len == 12 ? &nb_lo : NULL,
					       vq->hdr_len == 12 ? &nb_hi : NULL);
			if (w < 0) {
				broken = true;
				break;
			}
			struct vring_used_elem *u =
				&vq->used->ring[(uint16_t)(used_old + done + heads) & vq->mask];
			u->id = head;
			u->len = (uint32_t)w;
			stream_pos += (uint32_t)w;
			heads++;
			if (!vq->mrg_rxbuf)
				break; /* one chain per packet */
		}
		if (broken || out_of_bufs) {
			/* Not consumed: these heads stay the guest's. Their used
			 * entries were written all the same (past the used index). */
			if (unlikely(logging) && heads > 0)
				vsw_vq_log_used_split(vq, (uint16_t)(used_old + done), heads);
			break;
		}
		done += heads;
		if (cur.left > 0) {
			/* The chain was too small for the packet: consumed, empty. */
			vq->used->ring[(uint16_t)(used_old + first_used) & vq->mask].len = 0;
			too_big++;
			continue;
		}
		if (heads > 1 && nb_lo != NULL && nb_hi != NULL)
			vsw_rx_set_num_buffers(vq, nb_lo, nb_hi, heads, logging);
		bytes += plen;
	}
	if (sent < n)
		vq->stats.drop_no_buf += n - sent;
	if (done > 0) {
		vq->last_avail_idx = (uint16_t)(vq->last_avail_idx + done);
		if (hold && vsw_vq_hold(vq, used_old, false))
			vq->last_used_idx = (uint16_t)(used_old + done);
		else
			vsw_split_publish_used(vq, used_old, done);
	}
	vq->stats.drop_too_big += too_big;
	vq->stats.bytes += bytes;
	vq->stats.packets += sent - too_big;
	return sent;
}

uint16_t vsw_split_enqueue(struct vsw_vq *vq, struct rte_mbuf *const *pkts, uint16_t n)
{
	return split_enqueue(vq, (const void *const *)pkts, n, false, false);
}

uint16_t vsw_split_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n,
				 bool hold)
{
	return split_enqueue(vq, (const void *const *)v, n, true, hold);
}

/* Peek's look at a chain that is not one plain descriptor (several, or an
 * indirect table), d its head descriptor as read: walked by dequeue's
 * rules, but anything they refuse only ends the look. */
static __attribute__((noinline)) bool peek_chain(struct vsw_vq *vq, uint16_t head,
						 const struct vring_desc *d, struct vsw_vq_view *v)
{
	struct chain c;
	c.cur = *d;
	if (chain_begin(vq, head, &c, true) < 0)
		return false;
	struct vsw_view_acc a;
	vsw_view_begin(&a);
	for (;;) {
		if (c.cur.flags & VRING_DESC_F_WRITE)
			return false;
		if (!vsw_view_piece(vq, &a, v, c.cur.addr, c.cur.len))
			return false;
		int r = chain_next(vq, &c, true);
		if (r < 0)
			return false;
		if (r == 0)
			break;
	}
	v->head = head;
	return vsw_view_finish(vq, &a, v);
}

uint16_t vsw_split_peek(struct vsw_vq *vq, struct vsw_vq_view *v, uint16_t n, bool *stopped)
{
	/* A 10-byte header (legacy, no MRG_RXBUF) is for dequeue. */
	if (unlikely(vq->hdr_len != 12)) {
		*stopped = true;
		return 0;
	}
	uint16_t heads[DEQ_MAX];
	int nh = burst_heads(vq, n, heads, PF_PEEK);
	*stopped = nh < 0;
	if (nh <= 0)
		return 0;
	uint16_t count = (uint16_t)nh, got = 0;
	for (; got < count; got++) {
		fetch_ahead(vq, heads, got, count, PF_PEEK);
		uint16_t head = heads[got];
		if (unlikely(head >= vq->size))
			break;
		struct vring_desc d;
		read_desc(&d, &vq->desc[head]);
		if (likely(!(d.flags & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE |
					VRING_DESC_F_INDIRECT)))) {
			if (unlikely(!vsw_tx_view(vq, d.addr, d.len, head, &v[got])))
				break;
		} else if (!peek_chain(vq, head, &d, &v[got])) {
			break;
		}
	}
	*stopped = got < count;
	return got;
}

void vsw_split_peek_done(struct vsw_vq *vq, const struct vsw_vq_view *v, uint16_t k)
{
	uint16_t used_old = vq->last_used_idx;
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < k; i++) {
		struct vring_used_elem *u = &vq->used->ring[(uint16_t)(used_old + i) & vq->mask];
		u->id = v[i].head;
		u->len = 0;
		bytes += v[i].len;
	}
	vq->last_avail_idx = (uint16_t)(vq->last_avail_idx + k);
	vsw_split_publish_used(vq, used_old, k);
	if (k > 0)
		tx_taken(vq);
	vq->stats.packets += k;
	vq->stats.bytes += bytes;
}
