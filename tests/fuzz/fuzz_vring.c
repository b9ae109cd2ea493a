/* Owns the libFuzzer target of the virtqueue engine (src/vring): the fuzz
 * input is decoded into a guest (one or two memory regions, a split or
 * packed ring of 1-256 entries at chosen addresses, negotiated features,
 * SET_VRING_BASE, max_pkt_len) and then into a sequence of operations: the
 * guest posting TX and RX chains (direct or indirect, with fields mutated by
 * the input), raw pokes into guest memory (rings included), index and event
 * suppression tampering, dequeue and enqueue bursts, frames looked at in
 * place (peek, part given back, or all dequeued and compared: what peek
 * takes dequeue must take the same way; well-formed TSO frames too) and
 * frames enqueued from such views (whole or in pieces), queue
 * re-initialisation
 * from GET_VRING_BASE. After every burst and at the end it checks invariants:
 * returned counts within what was asked, returned mbufs sane, counters that
 * add up, a broken queue stays quiet, the device wrote guest memory only in
 * the used ring and in device-writable buffers, every byte it wrote in a
 * page marked in the dirty log when logging is on (a set-up bit), and no
 * mbuf leaked from either pool. Input format: six set-up bytes (layout flags, features, ring
 * size, base, max_pkt_len / pool / log / TX park), then one byte per operation followed by
 * its arguments (see setup_guest() and LLVMFuzzerTestOneInput()); bytes past
 * the end read as zero.
 * The vring sources are compiled into this binary so they are instrumented
 * (coverage, ASan, UBSan). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "common/log.h"
#include "vring/layout.h"
#include "vring/vring.h"
#include "../unit/ut_eal.h"

#define F(bit) (1ull << (bit))

#define R0_SIZE (128u << 10)
#define R1_SIZE (64u << 10)
#define GPA0 0x100000ull
#define UVA0 0x7f1234560000ull
#define GAP 0x10000ull
#define RING_AREA 12288u /* default layout: rings in R0's first 12 KiB */

#define BIG_POOL_N 16383
#define SMALL_POOL_N 48
#define MAX_OPS 64

static struct rte_mempool *big_pool, *small_pool;
static unsigned int big_avail0, small_avail0;
static uint8_t *host0, *host1;
static int call_efd = -1;

/* --- input reader: yields zeros once the input is used up --- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct rd *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t u16(struct rd *r)
{
	uint16_t lo = u8(r);
	return (uint16_t)(lo | (uint16_t)u8(r) << 8);
}

static uint32_t u32(struct rd *r)
{
	uint32_t lo = u16(r);
	return lo | (uint32_t)u16(r) << 16;
}

static uint64_t u64(struct rd *r)
{
	uint64_t lo = u32(r);
	return lo | (uint64_t)u32(r) << 32;
}

/* --- the guest --- */

struct guest {
	struct vsw_guest_mem mem;
	uint64_t span; /* gpa (and uva) bytes from region 0's start to the end of the last */
	bool packed, ok;
	uint16_t size;
	struct vsw_vq_setup setup;
	/* our (the driver's) view of the rings, NULL if not mapped */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct vring_packed_desc *pdesc;
	struct vring_packed_event *drv_event;
	uint16_t avail_idx, next_desc; /* split */
	uint16_t next_avail, next_id;  /* packed */
	bool avail_wrap;
	struct rte_mempool *deq_pool;
	uint32_t pos_delta; /* device's avail position minus used position at set-up */
	bool park_forever;  /* an in-order TX ring's parked frames wait for newer ones only */
};

static struct guest G;
static struct vsw_vq Q;

/* Our pointer to guest-physical [gpa, gpa+len) if it is inside one region. */
static void *gpa_ptr(uint64_t gpa, uint64_t len)
{
	uint32_t hint = 0;
	return vsw_gpa_to_hva(&G.mem, gpa, len, &hint);
}

static uint64_t gen_addr(struct rd *r)
{
	uint8_t sel = u8(r);
	if (sel >= 248)
		return u64(r); /* anything at all */
	/* Mostly inside the regions, sometimes a little outside either end
	 * or in the gap; buffers mostly past the default ring area. */
	uint64_t span = G.span + 256;
	uint64_t off = u32(r) % span;
	if (sel < 160 && off < RING_AREA + 128)
		off += RING_AREA + 128;
	return GPA0 - 128 + off;
}

static uint32_t gen_len(struct rd *r)
{
	uint8_t sel = u8(r);
	if (sel < 128)
		return 1u + (sel & 63u) * 3u;
	if (sel < 224)
		return u16(r) % 4096u;
	if (sel < 250)
		return u16(r);
	return u32(r);
}

/* A virtio-net header at gpa for a TX chain: zero, or fields from the input. */
static void write_tx_hdr(struct rd *r, uint64_t gpa, uint32_t len)
{
	uint8_t sel = u8(r);
	uint32_t hl = vsw_vq_hdr_len(G.setup.features);
	if (len < hl)
		hl = len;
	uint8_t *p = gpa_ptr(gpa, hl);
	if (p == NULL)
		return;
	struct virtio_net_hdr h = { 0 };
	if (sel >= 160) {
		h.flags = u8(r) & 3;
		h.gso_type = u8(r);
		if (h.gso_type & 0x40)
			h.gso_type = 0;
		h.hdr_len = u16(r);
		h.gso_size = u16(r);
		h.csum_start = u16(r) % 2048;
		h.csum_offset = u8(r);
	}
	memcpy(p, &h, hl);
}

static uint16_t flip(struct rd *r, uint16_t flags)
{
	uint8_t m = u8(r);
	if (m >= 240) /* hostile: NEXT, WRITE, INDIRECT flipped */
		flags ^= (uint16_t)(m & 7);
	return flags;
}

struct dsc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

/* A TCP frame over IPv4 or IPv6 with a TSO request (what Linux sends), laid
 * over the chain's descriptors after their 12-byte header: lengths made to
 * agree with the chain, the request with the frame, then one byte of it
 * maybe changed. The walk of the chain decides what becomes of it. */
static void write_tso_frame(struct rd *r, const struct dsc *d, int n)
{
	static uint8_t b[12 + 70000];
	uint64_t total = 0;
	for (int i = 0; i < n; i++)
		total += d[i].len;
	uint8_t sel = u8(r);
	bool v6 = sel & 1, ecn = sel & 2, cwr = sel & 4;
	uint32_t l3 = 14, l4 = v6 ? 54 : 34, hl = l4 + 20;
	if (total < 12 + hl || total > sizeof(b))
		return;
	uint32_t len = (uint32_t)total - 12;
	memset(b, 0, 12 + hl);
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = (uint8_t)((v6 ? VIRTIO_NET_HDR_GSO_TCPV6
							      : VIRTIO_NET_HDR_GSO_TCPV4) |
							  (ecn ? VIRTIO_NET_HDR_GSO_ECN : 0)),
				    .hdr_len = (uint16_t)hl,
				    .gso_size = (uint16_t)(1 + u16(r) % len),
				    .csum_start = (uint16_t)l4,
				    .csum_offset = 16 };
	memcpy(b, &h, 12);
	uint8_t *f = b + 12;
	f[0] = 2, f[6] = 2, f[11] = 1;
	if (v6) {
		f[12] = 0x86, f[13] = 0xdd;
		f[l3] = 0x60;
		uint16_t pl = (uint16_t)(len - l4);
		f[l3 + 4] = (uint8_t)(pl >> 8), f[l3 + 5] = (uint8_t)pl;
		f[l3 + 6] = 6, f[l3 + 7] = 64;
	} else {
		f[12] = 0x08, f[13] = 0x00;
		f[l3] = 0x45;
		uint16_t tl = (uint16_t)(len - l3);
		f[l3 + 2] = (uint8_t)(tl >> 8), f[l3 + 3] = (uint8_t)tl;
		f[l3 + 8] = 64, f[l3 + 9] = 6;
	}
	f[l4 + 12] = 5 << 4;
	f[l4 + 13] = (uint8_t)(0x10 | (cwr ? 0x80 : 0));
	for (uint32_t i = hl; i < len; i++)
		f[i] = (uint8_t)i;
	uint8_t m = u8(r);
	if (m >= 192) /* one byte of header or frame headers changed */
		b[u8(r) % (12 + hl)] ^= (uint8_t)(1u << (m & 7));
	uint32_t off = 0;
	for (int i = 0; i < n; i++) {
		uint8_t *p = gpa_ptr(d[i].addr, d[i].len);
		if (p != NULL)
			memcpy(p, b + off, d[i].len);
		off += d[i].len;
	}
}

static int gen_chain(struct rd *r, bool tx, struct dsc *d, int max)
{
	uint8_t k = u8(r);
	int n = k >= 250 ? 9 + (k & 31) : 1 + (k & 7);
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++) {
		d[i].addr = gen_addr(r);
		d[i].len = gen_len(r);
		d[i].flags = flip(r, tx ? 0 : VRING_DESC_F_WRITE);
		if (tx && i == 0)
			write_tx_hdr(r, d[i].addr, d[i].len);
	}
	/* One TX chain in eight (bits of k that pick nothing else): a TSO frame. */
	if (tx && k < 250 && (k & 0x38) == 0x38)
		write_tso_frame(r, d, n);
	return n;
}

static void split_publish(struct rd *r, uint16_t head)
{
	uint8_t m = u8(r);
	if (m >= 250)
		head = u16(r); /* hostile head */
	G.avail->ring[G.avail_idx & (G.size - 1)] = head;
	G.avail_idx++;
	__atomic_store_n(&G.avail->idx, G.avail_idx, __ATOMIC_RELEASE);
}

static void split_post(struct rd *r, const struct dsc *d, int n)
{
	uint16_t head = G.next_desc % G.size;
	for (int i = 0; i < n; i++) {
		uint16_t slot = (uint16_t)((G.next_desc + i) % G.size);
		uint16_t next = (uint16_t)((slot + 1) % G.size);
		uint8_t m = u8(r);
		if (m >= 248)
			next = m & 1 ? head : u16(r); /* loops and wild links */
		G.desc[slot] = (struct vring_desc){
			.addr = d[i].addr,
			.len = d[i].len,
			.flags = (uint16_t)(d[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
			.next = next,
		};
	}
	G.next_desc = (uint16_t)((G.next_desc + n) % G.size);
	split_publish(r, head);
}

static void packed_post(struct rd *r, const struct dsc *d, int n)
{
	uint16_t first = G.next_avail, first_flags = 0;
	uint16_t id = G.next_id++ % G.size;
	uint8_t m = u8(r);
	if (m >= 248)
		id = u16(r);
	for (int i = 0; i < n; i++) {
		uint16_t bits = G.avail_wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
		uint8_t x = u8(r);
		if (x >= 250) /* hostile: wrong ownership bits */
			bits = (uint16_t)((x & 1 ? VRING_PACKED_DESC_F_AVAIL : 0) |
					  (x & 2 ? VRING_PACKED_DESC_F_USED : 0));
		uint16_t f = (uint16_t)(d[i].flags | bits | (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		struct vring_packed_desc *p = &G.pdesc[G.next_avail];
		p->addr = d[i].addr;
		p->len = d[i].len;
		p->id = id;
		if (i == 0)
			first_flags = f;
		else
			__atomic_store_n(&p->flags, f, __ATOMIC_RELEASE);
		if (++G.next_avail == G.size) {
			G.next_avail = 0;
			G.avail_wrap = !G.avail_wrap;
		}
	}
	__atomic_store_n(&G.pdesc[first].flags, first_flags, __ATOMIC_RELEASE);
}

static void post_chain(struct rd *r, bool tx, bool indirect)
{
	struct dsc d[48];
	int n = gen_chain(r, tx, d, 48);
	if (indirect) {
		uint8_t m = u8(r);
		uint64_t t = gen_addr(r);
		if (m < 224)
			t &= ~15ull; /* hostile guests may misalign it */
		uint32_t tl = 16u * (uint32_t)n;
		if (m >= 240)
			tl = gen_len(r);
		void *tp = gpa_ptr(t, 16u * (uint32_t)n);
		if (tp != NULL) {
			for (int i = 0; i < n; i++) {
				uint8_t e[16];
				uint16_t fl = (uint16_t)(d[i].flags | (!G.packed && i + 1 < n ? VRING_DESC_F_NEXT : 0));
				uint16_t nx = (uint16_t)(i + 1);
				memcpy(e, &d[i].addr, 8);
				memcpy(e + 8, &d[i].len, 4);
				if (G.packed) {
					memcpy(e + 12, &nx, 2); /* id: ignored */
					memcpy(e + 14, &fl, 2);
				} else {
					if (m >= 232 && m < 240)
						nx = u16(r);
					memcpy(e + 12, &fl, 2);
					memcpy(e + 14, &nx, 2);
				}
				memcpy((uint8_t *)tp + 16 * i, e, 16);
			}
		}
		struct dsc head = { t, tl, flip(r, VRING_DESC_F_INDIRECT) };
		if (G.packed)
			packed_post(r, &head, 1);
		else
			split_post(r, &head, 1);
		return;
	}
	if (G.packed)
		packed_post(r, d, n);
	else
		split_post(r, d, n);
}

/* --- checks --- */

#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			fprintf(stderr, "fuzz_vring: check failed at %s:%d: %s\n", __FILE__,  \
				__LINE__, #c);                                                \
			abort();                                                              \
		}                                                                             \
	} while (0)

/* The device's avail position minus its used position: on a circle of
 * two laps for packed rings (idx and wrap counter), 16 bits for split. */
static uint32_t pos_delta(void)
{
	if (!Q.packed)
		return (uint16_t)(Q.last_avail_idx - Q.last_used_idx);
	uint32_t lap = 2u * Q.size;
	uint32_t a = Q.last_avail_idx + (Q.avail_wrap ? 0 : Q.size);
	uint32_t u = Q.last_used_idx + (Q.used_wrap ? 0 : Q.size);
	return (a + lap - u) % lap;
}

static void check_positions(void)
{
	/* Every consumed chain gets exactly one used entry (split) or one used
	 * descriptor per ring slot it took (packed): the two positions move
	 * together (a frontend's base may start them apart, as QEMU's packed
	 * bases do). */
	if (pos_delta() != G.pos_delta)
		fprintf(stderr, "fuzz_vring: packed=%d size=%u avail=%u/%d used=%u/%d delta %u, was %u\n",
			Q.packed, Q.size, Q.last_avail_idx, Q.avail_wrap, Q.last_used_idx,
			Q.used_wrap, pos_delta(), G.pos_delta);
	CHECK(pos_delta() == G.pos_delta);
	if (Q.packed && G.ok)
		CHECK(Q.last_avail_idx < Q.size && Q.last_used_idx < Q.size);
}

/* Dequeue reads the guest's TX buffers and writes only the used side: the
 * used ring and avail_event (split), the descriptor ring and the device
 * event area (packed). Anything else changed in guest memory is a bug. */
static uint8_t snap0[R0_SIZE], snap1[R1_SIZE];

/* Ranges of guest memory the device may write, noted before and after the
 * burst (the guest's descriptors as the device found them, and as it left
 * them), then copied over the snapshot so writes there do not count. */
static struct {
	const uint8_t *p;
	size_t len;
} allowed[4096];
static unsigned int nallowed;
static bool unchecked;
/* Descriptor tables (the ring, indirect tables) the device reads. */
static struct {
	const uint8_t *p;
	size_t len;
} tables[300];
static unsigned int ntables;

/* The dirty log when the set-up turned logging on: cleared at each
 * snapshot, so every byte the device writes after it must lie in a page
 * marked here. 64 bytes cover guest-physical 0-2 MiB, all of the guest. */
static uint8_t flog[64];

static bool logged(uint64_t gpa)
{
	uint64_t page = gpa >> 12;
	return page / 8 < sizeof(flog) && (flog[page / 8] >> (page % 8) & 1);
}

/* The device wrote into [b, e) (our pointers, region k) since the
 * snapshot a: each page it changed is in the log. */
static void check_logged(const uint8_t *a, const uint8_t *b, const uint8_t *e, int k)
{
	const uint8_t *host = k ? host1 : host0;
	uint64_t base = G.mem.regions[k].guest_phys_addr;
	for (const uint8_t *p = b; p < e;) {
		/* To the end of p's guest page, or of the range. */
		uint64_t gpa = base + (uint64_t)(p - host);
		size_t n = (size_t)RTE_MIN((uint64_t)(e - p), 4096 - (gpa & 4095));
		bool same = memcmp(p, a + (p - host), n) == 0;
		p += n;
		if (!same && !logged(gpa)) {
			fprintf(stderr, "fuzz_vring: the device wrote guest-physical 0x%" PRIx64
				" while logging, and its page is not marked\n", gpa);
			CHECK(!"device writes logged");
		}
	}
}

static void snapshot(void)
{
	memset(flog, 0, sizeof(flog));
	nallowed = 0;
	ntables = 0;
	unchecked = false;
	memcpy(snap0, host0, R0_SIZE);
	if (G.mem.nregions > 1)
		memcpy(snap1, host1, R1_SIZE);
}

static void allow(const void *p, size_t len)
{
	const uint8_t *b = p;
	if (b == NULL)
		return;
	CHECK((b >= host0 && b + len <= host0 + R0_SIZE) ||
	      (G.mem.nregions > 1 && b >= host1 && b + len <= host1 + R1_SIZE));
	if (nallowed == RTE_DIM(allowed)) {
		unchecked = true;
		return;
	}
	allowed[nallowed].p = b;
	allowed[nallowed++].len = len;
}

static int by_start(const void *a, const void *b)
{
	const uint8_t *x = ((const typeof(allowed[0]) *)a)->p, *y = ((const typeof(allowed[0]) *)b)->p;
	return x < y ? -1 : x > y;
}

static void apply_allowed(void)
{
	/* Merged first: hostile descriptors often cover whole regions. */
	qsort(allowed, nallowed, sizeof(allowed[0]), by_start);
	for (unsigned int i = 0; i < nallowed;) {
		const uint8_t *b = allowed[i].p, *e = b + allowed[i].len;
		bool in0 = b >= host0 && b < host0 + R0_SIZE;
		for (i++; i < nallowed && allowed[i].p <= e &&
			  (allowed[i].p >= host0 && allowed[i].p < host0 + R0_SIZE) == in0;
		     i++)
			if (allowed[i].p + allowed[i].len > e)
				e = allowed[i].p + allowed[i].len;
		if (Q.log_on)
			check_logged(in0 ? snap0 : snap1, b, e, in0 ? 0 : 1);
		if (in0)
			memcpy(snap0 + (b - host0), b, (size_t)(e - b));
		else
			memcpy(snap1 + (b - host1), b, (size_t)(e - b));
	}
	nallowed = 0;
}

static void check_device_writes(void)
{
	if (G.ok) {
		if (G.packed) {
			allow(Q.pdesc, (size_t)Q.size * sizeof(struct vring_packed_desc));
			allow(Q.device_event, sizeof(struct vring_packed_event));
		} else {
			allow(Q.used, 6 + 8 * (size_t)Q.size);
		}
	}
	apply_allowed();
	if (unchecked)
		return;
	for (int k = 0; k < 2 && k < (int)G.mem.nregions; k++) {
		const uint8_t *a = k ? snap1 : snap0, *b = k ? host1 : host0;
		size_t n = k ? R1_SIZE : R0_SIZE, i = 0;
		if (memcmp(a, b, n) == 0)
			continue;
		size_t j = n;
		while (a[i] == b[i])
			i++;
		while (a[j - 1] == b[j - 1])
			j--;
		fprintf(stderr, "fuzz_vring: the device wrote guest-physical 0x%" PRIx64 " to 0x%" PRIx64
			", not a used ring or a writable buffer\n",
			G.mem.regions[k].guest_phys_addr + i, G.mem.regions[k].guest_phys_addr + j);
		CHECK(!"device writes confined");
	}
}

/* Enqueue may also write the guest's device-writable buffers: allows every
 * buffer a WRITE descriptor in the ring (or in an indirect table it points
 * at) describes, a superset of what the device may touch. */
static void allow_gpa(uint64_t gpa, uint64_t len)
{
	uint32_t hint = 0;
	while (len > 0) {
		uint64_t av;
		void *p = vsw_gpa_to_hva_part(&G.mem, gpa, len, &av, &hint);
		if (p == NULL)
			return;
		allow(p, av);
		gpa += av;
		len -= av;
	}
}

static void allow_descs(const uint8_t *t, uint32_t n, bool top)
{
	if (ntables < RTE_DIM(tables)) {
		tables[ntables].p = t;
		tables[ntables++].len = 16 * (size_t)n;
	} else {
		unchecked = true;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		memcpy(&addr, t + 16 * i, 8);
		memcpy(&len, t + 16 * i + 8, 4);
		memcpy(&flags, t + 16 * i + (G.packed ? 14 : 12), 2);
		if (flags & VRING_DESC_F_WRITE)
			allow_gpa(addr, len);
		if (top && (flags & VRING_DESC_F_INDIRECT) && len >= 16) {
			const uint8_t *it = gpa_ptr(addr, len & ~15u);
			if (it != NULL)
				allow_descs(it, len / 16, false);
		}
	}
}

static bool overlaps(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return a < b + bl && b < a + al;
}

/* When the device's writes (RX data, split used entries) can land on the
 * descriptors it reads, what it may write depends on the order of its own
 * writes inside the burst: neither the state before nor the one after
 * tells. Such bursts (a hostile guest's doing) are not checked. */
static void skip_if_self_modifying(void)
{
	if ((uint64_t)nallowed * ntables > 200000) {
		unchecked = true;
		return;
	}
	for (unsigned int t = 0; t < ntables; t++) {
		if (!G.packed && G.ok &&
		    overlaps((const uint8_t *)Q.used, 6 + 8 * (size_t)Q.size, tables[t].p, tables[t].len))
			unchecked = true;
		for (unsigned int w = 0; w < nallowed; w++)
			if (overlaps(allowed[w].p, allowed[w].len, tables[t].p, tables[t].len))
				unchecked = true;
	}
}

static void allow_rx_buffers(void)
{
	if (!G.ok)
		return;
	if (G.packed)
		allow_descs((const uint8_t *)Q.pdesc, Q.size, true);
	else
		allow_descs((const uint8_t *)Q.desc, Q.size, true);
}

static void do_dequeue(struct rd *r)
{
	static struct rte_mbuf *pkts[320];
	uint8_t sel = u8(r);
	uint16_t n = sel >= 248 ? (uint16_t)(256 + (sel - 248) * 8) : sel % 48;
	bool was_broken = vsw_vq_is_broken(&Q);
	uint64_t broken0 = Q.stats.broken;
	bool snap = sel >= 48 && sel < 248;
	if (snap)
		snapshot();
	uint16_t got = vsw_vq_dequeue_burst(&Q, G.deq_pool, pkts, n);
	CHECK(got <= n);
	if (snap)
		check_device_writes();
	if (was_broken) {
		CHECK(got == 0);
		CHECK(Q.stats.broken == broken0);
	}
	if (Q.stats.broken != broken0)
		CHECK(vsw_vq_is_broken(&Q));
	for (uint16_t i = 0; i < got; i++) {
		struct rte_mbuf *m = pkts[i];
		const char *why = NULL;
		CHECK(m != NULL);
		CHECK(rte_mbuf_check(m, 1, &why) == 0);
		CHECK(m->pkt_len > 0 && m->pkt_len <= Q.max_pkt_len);
		rte_pktmbuf_free(m);
	}
	check_positions();
}

static const uint32_t sizes[] = { 0,    1,    14,   60,    64,    65,    128,   1500,
				  1514, 1518, 2048, 2049,  4096,  9000,  16384, 65535,
				  65536, 70000 };

static struct rte_mbuf *make_pkt(struct rd *r)
{
	uint8_t sel = u8(r);
	uint32_t len = sel < 2 * RTE_DIM(sizes) ? sizes[sel % RTE_DIM(sizes)] : u16(r);
	uint8_t ss = u8(r);
	uint32_t seg = ss == 0 ? UINT32_MAX : (uint32_t)ss * 8;
	if (seg < len / 64 + 1)
		seg = len / 64 + 1;
	struct rte_mbuf *m = rte_pktmbuf_alloc(big_pool), *last = m;
	if (m == NULL)
		return NULL;
	uint32_t left = len;
	uint8_t fill = u8(r);
	while (left > 0) {
		uint32_t room = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(last), seg - last->data_len);
		if (room == 0 || last->data_len >= seg) {
			struct rte_mbuf *s = rte_pktmbuf_alloc(big_pool);
			if (s == NULL || rte_pktmbuf_chain(m, s) != 0) {
				rte_pktmbuf_free(s);
				break;
			}
			last = s;
			continue;
		}
		uint32_t c = RTE_MIN(room, left);
		memset(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len), fill, c);
		last->data_len = (uint16_t)(last->data_len + c);
		m->pkt_len += c;
		left -= c;
	}
	return m;
}

/* The counters after an enqueue of n that took sent (s0: before). */
static void check_enqueued(const struct vsw_vq_stats *s0, bool was_broken, uint16_t n, uint16_t sent)
{
	if (was_broken)
		CHECK(sent == 0);
	/* Not taken: counted as drops for want of guest buffers. */
	CHECK(Q.stats.drop_no_buf - s0->drop_no_buf == (uint64_t)(n - sent));
	/* Taken: delivered or dropped as too big. */
	CHECK((Q.stats.packets - s0->packets) + (Q.stats.drop_too_big - s0->drop_too_big) == sent);
	if (Q.stats.broken != s0->broken)
		CHECK(vsw_vq_is_broken(&Q));
}

static void do_enqueue(struct rd *r)
{
	static struct rte_mbuf *pkts[320];
	uint8_t sel = u8(r);
	/* Sometimes more than a packed burst's 256 used records. */
	uint16_t n = sel >= 250 ? (uint16_t)(256 + (sel - 250) * 10) : sel % 33, built = 0;
	while (built < n) {
		struct rte_mbuf *m = make_pkt(r);
		if (m == NULL)
			break;
		pkts[built++] = m;
	}
	bool was_broken = vsw_vq_is_broken(&Q);
	struct vsw_vq_stats s0 = Q.stats;
	bool snap = sel >= 33 && sel < 250;
	if (snap) {
		snapshot();
		allow_rx_buffers(); /* as the device will find them... */
		skip_if_self_modifying();
	}
	uint16_t sent = vsw_vq_enqueue_burst(&Q, pkts, built);
	CHECK(sent <= built);
	if (snap) {
		allow_rx_buffers(); /* ...or as it left them (RX data over the rings) */
		check_device_writes(); /* and the used side */
	}
	check_enqueued(&s0, was_broken, built, sent);
	/* The enqueue copies and never frees: the mbufs must still be ours. */
	for (uint16_t i = 0; i < built; i++) {
		const char *why = NULL;
		CHECK(rte_mbuf_check(pkts[i], 1, &why) == 0);
		rte_pktmbuf_free(pkts[i]);
	}
	check_positions();
}

static bool in_guest(const uint8_t *p, uint64_t len)
{
	return (p >= host0 && p <= host0 + R0_SIZE && len <= (uint64_t)(host0 + R0_SIZE - p)) ||
	       (G.mem.nregions > 1 && p >= host1 && p <= host1 + R1_SIZE &&
		len <= (uint64_t)(host1 + R1_SIZE - p));
}

/* How often the copy-once forms were reached (VSW_FUZZ_STATS=1 prints them
 * at exit): views in several pieces, with a TSO request, compared with
 * dequeue. */
static struct {
	uint64_t views, pieces, csum, tso, compared;
} reach;

static void print_reach(void)
{
	fprintf(stderr,
		"fuzz_vring: views %" PRIu64 ", in pieces %" PRIu64 ", csum %" PRIu64
		", tso %" PRIu64 ", compared with dequeue %" PRIu64 "\n",
		reach.views, reach.pieces, reach.csum, reach.tso, reach.compared);
}

/* A view as peek must make it: pieces inside guest memory adding up to its
 * length, the Ethernet header (and a TSO frame's headers) read from them,
 * the request inside the frame and within what the guest negotiated. */
static void check_view(const struct vsw_vq_view *v)
{
	static uint8_t hdrs[VSW_VIEW_HDRS];
	CHECK(v->len >= RTE_ETHER_HDR_LEN && v->len <= Q.max_pkt_len);
	CHECK(v->nmore < VSW_VIEW_PIECES);
	uint32_t first = v->nmore ? v->first_len : v->len;
	CHECK(first >= RTE_ETHER_HDR_LEN && in_guest(v->frame, first));
	uint64_t sum = first;
	uint32_t got = RTE_MIN(first, (uint32_t)VSW_VIEW_HDRS);
	memcpy(hdrs, v->frame, got);
	for (unsigned int i = 0; i < v->nmore; i++) {
		CHECK(v->more_len[i] > 0 && in_guest(v->more[i], v->more_len[i]));
		uint32_t c = RTE_MIN(v->more_len[i], (uint32_t)VSW_VIEW_HDRS - got);
		memcpy(hdrs + got, v->more[i], c);
		got += c;
		sum += v->more_len[i];
	}
	CHECK(sum == v->len);
	CHECK(memcmp(&v->eth, v->frame, RTE_ETHER_HDR_LEN) == 0);
	CHECK(v->head < Q.size);
	if (Q.packed)
		CHECK(v->ndesc >= 1 && v->ndesc <= Q.size);
	bool tso = v->needs & (VSW_OFF_TSO4 | VSW_OFF_TSO6);
	reach.views++;
	reach.pieces += v->nmore > 0;
	reach.csum += v->needs == VSW_OFF_CSUM;
	reach.tso += tso;
	if (v->needs) {
		CHECK(Q.features & F(VSW_VIRTIO_NET_F_CSUM));
		CHECK(v->needs & VSW_OFF_CSUM);
		CHECK((uint32_t)v->csum_start + v->csum_offset + 2 <= v->len);
	}
	if (tso) {
		CHECK(Q.features & F(v->needs & VSW_OFF_TSO6 ? VSW_VIRTIO_NET_F_HOST_TSO6
							      : VSW_VIRTIO_NET_F_HOST_TSO4));
		CHECK(v->hdrs_len >= 54 && v->hdrs_len <= RTE_MIN(v->len, (uint32_t)VSW_VIEW_HDRS));
		CHECK(memcmp(v->hdrs, hdrs, v->hdrs_len) == 0);
		CHECK(v->gso_size > 0 && v->gso_size <= v->len);
		CHECK(v->csum_offset == 16 && v->csum_start + 20u <= v->hdrs_len);
	} else {
		CHECK(v->hdrs_len == 0 && v->len <= Q.mtu_pkt_len);
	}
}

/* Peek looked at n frames; dequeue now takes the same n: all of them, with
 * nothing dropped or broken, byte for byte, a TSO view's request what
 * dequeue made of it. What peek takes, dequeue takes the same way. */
static void check_peek_against_dequeue(const struct vsw_vq_view *v, uint16_t n)
{
	static struct rte_mbuf *pkts[256];
	static uint8_t a[VSW_VQ_MAX_PKT];
	static uint8_t *b[256];
	for (uint16_t i = 0; i < n; i++) { /* the frames as they lie now */
		if (b[i] == NULL)
			b[i] = malloc(VSW_VQ_MAX_PKT);
		CHECK(b[i] != NULL);
		uint32_t o = v[i].nmore ? v[i].first_len : v[i].len;
		memcpy(b[i], v[i].frame, o);
		for (unsigned int j = 0; j < v[i].nmore; j++) {
			memcpy(b[i] + o, v[i].more[j], v[i].more_len[j]);
			o += v[i].more_len[j];
		}
	}
	struct vsw_vq_stats s0 = Q.stats;
	uint16_t got = vsw_vq_dequeue_burst(&Q, big_pool, pkts, n);
	CHECK(got == n);
	CHECK(!vsw_vq_is_broken(&Q) && Q.stats.broken == s0.broken);
	CHECK(Q.stats.drop_too_big == s0.drop_too_big && Q.stats.drop_bad_pkt == s0.drop_bad_pkt &&
	      Q.stats.drop_no_mbuf == s0.drop_no_mbuf);
	for (int e = 0; e < VSW_HDR__MAX; e++)
		CHECK(Q.stats.drop_bad_hdr[e] == s0.drop_bad_hdr[e]);
	reach.compared += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		CHECK(m->pkt_len == v[i].len);
		const uint8_t *mb = rte_pktmbuf_read(m, 0, m->pkt_len, a);
		/* An unusual checksum request was finished in the mbuf. */
		bool finished = (v[i].needs & VSW_OFF_CSUM) && !(m->ol_flags & RTE_MBUF_F_TX_L4_MASK);
		CHECK(finished || memcmp(mb, b[i], m->pkt_len) == 0);
		if (v[i].needs & (VSW_OFF_TSO4 | VSW_OFF_TSO6)) {
			CHECK(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
			CHECK(m->tso_segsz == v[i].gso_size);
			CHECK((uint32_t)m->l2_len + m->l3_len + m->l4_len == v[i].hdrs_len);
			CHECK((uint32_t)m->l2_len + m->l3_len == v[i].csum_start);
			CHECK(vsw_off_needs(m) == v[i].needs);
			CHECK(vsw_wire_len(m) == vsw_view_wire_len(&v[i]));
		} else {
			CHECK(!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG));
		}
		rte_pktmbuf_free(m);
	}
}

/* A split dequeue writes each chain's used entry before it reads the next
 * chain: where the guest laid frames, headers or descriptors over the used
 * ring (a hostile guest's doing), dequeue would read what peek did not.
 * The entries are given the values dequeue will write (the guest may write
 * anything there) and the look is made again, until it sees the same
 * frames: then dequeue's writes change nothing it reads. False when that
 * does not settle. */
static bool used_entries_settled(struct vsw_vq_view *v, uint16_t *n)
{
	if (Q.packed)
		return true;
	for (int round = 0; round < 4; round++) {
		bool same = true;
		for (uint16_t i = 0; i < *n; i++) {
			struct vring_used_elem *u = &Q.used->ring[(uint16_t)(Q.last_used_idx + i) & Q.mask];
			if (u->id != v[i].head || u->len != 0) {
				same = false;
				u->id = v[i].head;
				u->len = 0;
			}
		}
		if (same)
			return true;
		bool stopped;
		uint16_t again = vsw_vq_peek(&Q, v, *n, &stopped);
		if (again == 0 || vsw_vq_is_broken(&Q))
			return false;
		for (uint16_t i = 0; i < again; i++)
			check_view(&v[i]);
		*n = again;
	}
	return false;
}

/* Frames looked at in place: nothing written but the used side of those
 * given back, every view as check_view says; or the same frames dequeued,
 * which must agree with the views. */
static void do_peek(struct rd *r)
{
	static struct vsw_vq_view v[256];
	uint8_t sel = u8(r);
	uint16_t n = sel >= 248 ? 256 : sel % 48;
	struct vsw_vq_stats s0 = Q.stats;
	snapshot();
	bool stopped = false;
	uint16_t got = vsw_vq_peek(&Q, v, n, &stopped);
	CHECK(got <= n);
	CHECK(Q.stats.packets == s0.packets);
	if (Q.stats.broken != s0.broken) /* an avail index beyond the ring */
		CHECK(vsw_vq_is_broken(&Q) && got == 0);
	for (uint16_t i = 0; i < got; i++)
		check_view(&v[i]);
	uint8_t kb = u8(r);
	if (kb >= 0xc0 && got > 0 && !vsw_vq_is_broken(&Q)) {
		if (used_entries_settled(v, &got))
			check_peek_against_dequeue(v, got);
		check_positions();
		return;
	}
	uint16_t k = got ? (uint16_t)(kb % (got + 1)) : 0;
	vsw_vq_peek_done(&Q, v, k);
	check_device_writes();
	CHECK(Q.stats.packets - s0.packets == k);
	check_positions();
}

/* v's frame cut into up to VSW_VIEW_PIECES pieces (some empty), each
 * anywhere in the source, with a request (checksum, TSO with headers of
 * hdrs_len bytes copied) as peek may make one. */
static void view_in_pieces(struct rd *r, struct vsw_vq_view *v)
{
	uint8_t k = u8(r);
	unsigned int np = 1 + k % VSW_VIEW_PIECES;
	const uint8_t *base = v->frame;
	uint32_t left = v->len, first = RTE_ETHER_HDR_LEN + u16(r) % (left - RTE_ETHER_HDR_LEN + 1);
	v->first_len = first;
	left -= first;
	for (unsigned int i = 1; i < np; i++) {
		uint32_t l = i + 1 == np ? left : u16(r) % (left + 1);
		v->more[v->nmore] = base + u16(r) % (v->len - l + 1);
		v->more_len[v->nmore++] = l;
		left -= l;
	}
	if (left > 0)
		v->first_len += left; /* one piece: the rest stays in the first */
	if (v->nmore == 0)
		v->first_len = v->len;
	uint8_t q = u8(r);
	v->needs = q & 0x0f;
	if (v->needs & (VSW_OFF_TSO4 | VSW_OFF_TSO6)) {
		v->hdrs_len = (uint16_t)(RTE_ETHER_HDR_LEN +
					 u8(r) % (RTE_MIN(v->len, (uint32_t)VSW_VIEW_HDRS) -
						  RTE_ETHER_HDR_LEN + 1));
		memset(v->hdrs, q, v->hdrs_len);
		v->gso_size = u16(r);
	}
	v->csum_start = u16(r);
	v->csum_offset = u16(r);
}

/* Frames from another guest (here, host memory) into this one's RX buffers. */
static void do_enqueue_views(struct rd *r)
{
	static uint8_t src[70000];
	static struct vsw_vq_view v[64];
	static const struct vsw_vq_view *vp[64];
	uint8_t sel = u8(r);
	uint16_t n = sel % 65;
	for (uint16_t i = 0; i < n; i++) {
		uint8_t z = u8(r);
		uint32_t len = z < 2 * RTE_DIM(sizes) ? sizes[z % RTE_DIM(sizes)] : u16(r);
		if (len < RTE_ETHER_HDR_LEN)
			len = RTE_ETHER_HDR_LEN; /* a view always holds an Ethernet header */
		if (len > sizeof(src))
			len = sizeof(src);
		uint32_t off = u16(r) % (sizeof(src) - len + 1);
		v[i] = (struct vsw_vq_view){ .frame = src + off, .len = len, .head = i };
		uint8_t fill = u8(r);
		memset(&v[i].eth, fill, sizeof(v[i].eth));
		if (fill >= 0xe0) /* one in eight: in pieces, maybe with a request */
			view_in_pieces(r, &v[i]);
		vp[i] = &v[i];
	}
	bool was_broken = vsw_vq_is_broken(&Q);
	struct vsw_vq_stats s0 = Q.stats;
	snapshot();
	allow_rx_buffers();
	skip_if_self_modifying();
	uint16_t sent;
	if (sel >= 130) { /* held, as the copy-once path does, then released */
		sent = vsw_vq_enqueue_views_held(&Q, vp, n);
		vsw_vq_release_held();
	} else {
		sent = vsw_vq_enqueue_views(&Q, vp, n);
	}
	CHECK(sent <= n);
	allow_rx_buffers();
	check_device_writes();
	check_enqueued(&s0, was_broken, n, sent);
	check_positions();
}

/* Raw bytes anywhere in guest memory, rings included. */
static void do_poke(struct rd *r)
{
	uint64_t off = u32(r) % G.span;
	uint8_t n = (u8(r) & 15) + 1;
	uint8_t *p = gpa_ptr(GPA0 + off, n);
	for (uint8_t i = 0; i < n; i++) {
		uint8_t b = u8(r);
		if (p != NULL)
			p[i] = b;
	}
}

/* Index jumps and event suppression fields. */
static void do_indices(struct rd *r)
{
	uint8_t sel = u8(r);
	uint16_t v = u16(r);
	if (G.packed) {
		if (G.drv_event == NULL)
			return;
		if (sel & 1)
			G.drv_event->flags = v % 4;
		else
			G.drv_event->off_wrap = v;
		return;
	}
	if (G.avail == NULL)
		return;
	switch (sel % 4) {
	case 0: /* the guest claims more (or fewer) heads */
		G.avail_idx = (uint16_t)(G.avail_idx + (int16_t)v % 300);
		G.avail->idx = G.avail_idx;
		break;
	case 1:
		G.avail->flags = v & 1;
		break;
	case 2: /* used_event */
		G.avail->ring[G.size] = v;
		break;
	default:
		G.avail->idx = v;
		break;
	}
}

/* An in-order guest's frames may wait in its TX ring for a time (split.c's
 * tx_take): never up, or always up, chosen by the input, so that a run
 * does not depend on how fast it ran. */
static void park_wait(void)
{
	Q.tx_park_cycles = G.park_forever ? UINT64_MAX : 0;
}

/* GET_VRING_BASE then SET_VRING_BASE and the rings again, as on a
 * reconnect; the driver carries on where it was. */
static void do_reinit(struct rd *r)
{
	if (!G.ok)
		return;
	uint32_t base = vsw_vq_get_base(&Q);
	if (G.packed)
		CHECK((base & 0x7fff) < G.size);
	if (u8(r) >= 250)
		base = u32(r); /* a bad base from the frontend */
	G.setup.base = base;
	G.setup.call_fd = u8(r) & 1 ? call_efd : -1;
	int rc = vsw_vq_init(&Q, &G.setup);
	park_wait();
	if (rc != 0) {
		CHECK(vsw_vq_is_broken(&Q));
		G.ok = false;
	}
	/* A failed init leaves positions of its own; they must stay put too. */
	G.pos_delta = pos_delta();
}

/* --- set-up --- */

static void *uva_ptr(uint64_t uva, uint64_t len)
{
	return vsw_uva_to_hva(&G.mem, uva, len);
}

static void setup_guest(struct rd *r)
{
	uint8_t lay = u8(r), feat = u8(r), szb = u8(r);
	uint16_t base16 = u16(r);
	uint8_t mpl = u8(r);
	memset(&G, 0, sizeof(G));
	G.packed = lay & 1;
	bool two = lay & 2, gap = lay & 4;
	memset(host0, 0, R0_SIZE);
	G.mem.nregions = 1;
	G.mem.regions[0] = (struct vsw_mem_region){
		.guest_phys_addr = GPA0, .size = R0_SIZE, .user_addr = UVA0, .host_addr = host0, .fd = -1
	};
	G.span = R0_SIZE;
	if (two) {
		memset(host1, 0, R1_SIZE);
		uint64_t off = R0_SIZE + (gap ? GAP : 0);
		G.mem.regions[1] = (struct vsw_mem_region){ .guest_phys_addr = GPA0 + off,
							    .size = R1_SIZE,
							    .user_addr = UVA0 + off,
							    .host_addr = host1,
							    .fd = -1 };
		G.mem.nregions = 2;
		G.span = off + R1_SIZE;
	}
	uint32_t size;
	if (lay & 0x80)
		size = szb == 255 ? 40000 : szb; /* odd sizes, some invalid */
	else
		size = 1u << (szb % 9);
	G.size = (uint16_t)size;
	uint64_t features = 0;
	if (feat & 1)
		features |= F(VSW_VIRTIO_RING_F_INDIRECT_DESC);
	if (feat & 2)
		features |= F(VSW_VIRTIO_RING_F_EVENT_IDX);
	if (feat & 4)
		features |= F(VSW_VIRTIO_NET_F_MRG_RXBUF);
	if (feat & 8)
		features |= F(VSW_VIRTIO_F_VERSION_1);
	if (feat & 16)
		features |= F(VSW_VIRTIO_F_IN_ORDER);
	if (feat & 32) /* the guest asks for checksums and TSO: headers matter */
		features |= F(VSW_VIRTIO_NET_F_CSUM) | F(VSW_VIRTIO_NET_F_HOST_TSO4) |
			    F(VSW_VIRTIO_NET_F_HOST_TSO6);
	if (feat & 64)
		features |= F(VSW_VIRTIO_NET_F_HOST_ECN);
	if (feat & 128) /* and takes them: RX headers from mbuf offload flags */
		features |= F(VSW_VIRTIO_NET_F_GUEST_CSUM) | F(VSW_VIRTIO_NET_F_GUEST_TSO4) |
			    F(VSW_VIRTIO_NET_F_GUEST_TSO6) | F(VSW_VIRTIO_NET_F_GUEST_ECN);
	if (G.packed)
		features |= F(VSW_VIRTIO_F_RING_PACKED);
	static const uint32_t mpls[] = { 0, 60, 64, 1514, 1518, 9000, 65535, 0x7fffffff };
	uint64_t d = UVA0, a = UVA0 + 4096, u = UVA0 + 8192;
	if (lay & 8) { /* rings anywhere, maybe across regions, maybe misaligned */
		uint8_t al = u8(r);
		d = UVA0 + (u32(r) % G.span);
		a = UVA0 + (u32(r) % G.span);
		u = UVA0 + (u32(r) % G.span);
		if (al < 240) {
			d &= ~15ull;
			a &= ~3ull;
			u &= ~3ull;
		}
		if (lay & 16) /* and sometimes nowhere */
			d = u64(r);
	}
	uint32_t base = base16;
	if (G.packed && !(lay & 0x40))
		base = (base16 & 0x8000) | ((base16 & 0x7fff) % (size ? size : 1));
	G.setup = (struct vsw_vq_setup){
		.mem = &G.mem,
		.size = G.size,
		.packed = G.packed,
		.desc_uaddr = d,
		.avail_uaddr = a,
		.used_uaddr = u,
		.base = base,
		.features = features,
		.call_fd = lay & 32 ? call_efd : -1,
		.max_pkt_len = mpls[mpl % RTE_DIM(mpls)],
		.name = "fuzz",
	};
	G.deq_pool = mpl & 8 ? small_pool : big_pool;
	if (mpl & 16) {
		/* Logging on, the rings' guest-physical addresses found as
		 * vhost_user finds them (untranslatable: init refuses anyway). */
		G.setup.log = flog;
		G.setup.log_size = sizeof(flog);
		G.setup.log_ring = true;
		(void)vsw_uva_to_gpa(&G.mem, u, &G.setup.log_used_gpa);
		(void)vsw_uva_to_gpa(&G.mem, d, &G.setup.log_desc_gpa);
	}
	G.park_forever = mpl & 32;
	int rc = vsw_vq_init(&Q, &G.setup);
	park_wait();
	CHECK(rc == 0 || rc == -EINVAL || rc == -EFAULT);
	G.ok = rc == 0;
	G.pos_delta = pos_delta();
	if (!G.ok) {
		CHECK(vsw_vq_is_broken(&Q));
		return;
	}
	/* The driver's view: the same translation the device used. */
	if (G.packed) {
		G.pdesc = uva_ptr(d, (uint64_t)size * 16);
		G.drv_event = uva_ptr(a, 4);
		G.next_avail = base & 0x7fff;
		G.avail_wrap = (base >> 15) & 1;
	} else {
		G.desc = uva_ptr(d, (uint64_t)size * 16);
		G.avail = uva_ptr(a, 6 + 2ull * size);
		G.used = uva_ptr(u, 6 + 8ull * size);
		G.avail_idx = (uint16_t)base;
		G.avail->idx = (uint16_t)base;
		G.used->idx = (uint16_t)base;
		if (u8(r) >= 200) /* ask for interrupts, or a used_event */
			G.avail->flags = 0;
		else
			G.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *args[] = { "fuzz", "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
			 "--no-telemetry", "--log-level=*:error", "-l", "0",
			 "--file-prefix=vsw-fuzz-vring" };
	if (rte_eal_init((int)RTE_DIM(args), args) < 0) {
		fprintf(stderr, "fuzz_vring: rte_eal_init failed\n");
		abort();
	}
	ut_eal_forget_runtime_dir();
	/* Broken queues are the expected outcome here: keep their log lines
	 * (error level) out of the way unless asked for. */
	if (getenv("VSW_FUZZ_VERBOSE") == NULL)
		rte_log_set_level(vsw_logtype_vring, RTE_LOG_CRIT);
	big_pool = rte_pktmbuf_pool_create("fuzz_big", BIG_POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   SOCKET_ID_ANY);
	small_pool = rte_pktmbuf_pool_create("fuzz_small", SMALL_POOL_N, 0, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	host0 = aligned_alloc(4096, R0_SIZE);
	host1 = aligned_alloc(4096, R1_SIZE);
	call_efd = eventfd(0, EFD_NONBLOCK);
	if (big_pool == NULL || small_pool == NULL || host0 == NULL || host1 == NULL || call_efd < 0) {
		fprintf(stderr, "fuzz_vring: set-up failed\n");
		abort();
	}
	if (getenv("VSW_FUZZ_STATS") != NULL)
		atexit(print_reach);
	big_avail0 = rte_mempool_avail_count(big_pool);
	small_avail0 = rte_mempool_avail_count(small_pool);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	setup_guest(&r);
	for (int op = 0; op < MAX_OPS && r.n > 0; op++) {
		uint8_t o = u8(&r);
		bool ring = G.ok; /* the driver can only post on rings it can see */
		switch (o % 13) {
		case 0:
		case 1:
			if (ring)
				post_chain(&r, true, false);
			break;
		case 2:
		case 3:
			if (ring)
				post_chain(&r, false, false);
			break;
		case 4:
			if (ring)
				post_chain(&r, !(o & 0x80), true);
			break;
		case 5:
			do_dequeue(&r);
			break;
		case 6: /* the top bit picks the copy-once forms */
			if (o & 0x80)
				do_peek(&r);
			else
				do_dequeue(&r);
			break;
		case 7:
			do_enqueue(&r);
			break;
		case 8:
			if (o & 0x80)
				do_enqueue_views(&r);
			else
				do_enqueue(&r);
			break;
		case 9:
			do_poke(&r);
			break;
		case 10:
			if (ring)
				do_indices(&r);
			break;
		case 11:
			do_reinit(&r);
			break;
		default: /* several packets each way */
			if (ring) {
				for (int i = 0, n = (o >> 4) + 1; i < n; i++)
					post_chain(&r, i & 1, false);
			}
			do_dequeue(&r);
			do_enqueue(&r);
			break;
		}
	}
	/* Everything taken from the pools came back. */
	CHECK(rte_mempool_avail_count(big_pool) == big_avail0);
	CHECK(rte_mempool_avail_count(small_pool) == small_avail0);
	uint64_t v;
	while (read(call_efd, &v, sizeof(v)) == sizeof(v))
		;
	return 0;
}
