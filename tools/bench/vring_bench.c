/* Owns vring_bench: TSC cycles per packet of the virtqueue engine (src/vring)
 * for dequeue (guest TX -> mbufs) and enqueue (mbufs -> guest RX), split and
 * packed rings, 64- and 1518-byte frames, mergeable RX buffers off and on,
 * and the round trip dequeue + enqueue of a 64-byte packet (what a switch
 * does for every frame between two guests), and the same round trip through
 * the copy-once path (peek + enqueue_views + peek_done, no mbuf). The guest is simulated in the
 * same process by a minimal in-order driver on hugepage memory that keeps
 * its ring full: it takes back what the device used and posts it again.
 * Only the device side is timed (the guest runs on another CPU in real
 * life); mbuf allocation (inside dequeue, or before enqueue) and freeing are
 * included. A second column adds the simulated guest's own work.
 * Run pinned: taskset -c 1 ./build/tools/bench/vring_bench [packets per row [operation]]
 * (operation: only the rows of that one, e.g. peek+views). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vring/layout.h"
#include "vring/vring.h"

#define F(bit) (1ull << (bit))
#define RING 256
#define BURST 32
#define BUF_SIZE 2048
#define MEM_SIZE (4u << 20)
#define GPA_BASE 0x100000000ull
#define UVA_BASE 0x7f4200000000ull
#define BUF_OFF (1u << 20) /* rings below, buffers from here */

/* --- the simulated guest: one queue, one descriptor per buffer, in order --- */

struct guest {
	struct vsw_guest_mem mem;
	uint8_t *host;
	bool packed, tx;
	uint32_t buf_len; /* TX: header + frame; RX: the buffer */
	/* split */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx, used_seen;
	/* packed */
	struct vring_packed_desc *pdesc;
	uint16_t next_avail, next_used;
	bool avail_wrap, used_wrap;
	struct vsw_vq vq;
};

static inline uint64_t buf_gpa(uint16_t id)
{
	return GPA_BASE + BUF_OFF + (uint64_t)id * BUF_SIZE;
}

static inline void packed_post(struct guest *g, uint16_t id)
{
	struct vring_packed_desc *d = &g->pdesc[g->next_avail];
	d->addr = buf_gpa(id);
	d->len = g->buf_len;
	d->id = id;
	uint16_t f = (uint16_t)((g->tx ? 0 : VRING_DESC_F_WRITE) |
				(g->avail_wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED));
	__atomic_store_n(&d->flags, f, __ATOMIC_RELEASE);
	if (++g->next_avail == RING) {
		g->next_avail = 0;
		g->avail_wrap = !g->avail_wrap;
	}
}

/* Takes back every used buffer and makes it available again. */
static inline void guest_refill(struct guest *g)
{
	if (g->packed) {
		for (;;) {
			struct vring_packed_desc *d = &g->pdesc[g->next_used];
			uint16_t f = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
			bool a = f & VRING_PACKED_DESC_F_AVAIL, u = f & VRING_PACKED_DESC_F_USED;
			if (a != u || u != g->used_wrap)
				break;
			uint16_t id = d->id;
			if (++g->next_used == RING) {
				g->next_used = 0;
				g->used_wrap = !g->used_wrap;
			}
			packed_post(g, id);
		}
		return;
	}
	uint16_t idx = __atomic_load_n(&g->used->idx, __ATOMIC_ACQUIRE);
	if (idx == g->used_seen)
		return;
	for (; g->used_seen != idx; g->used_seen++)
		g->avail->ring[g->avail_idx++ & (RING - 1)] =
			(uint16_t)g->used->ring[g->used_seen & (RING - 1)].id;
	__atomic_store_n(&g->avail->idx, g->avail_idx, __ATOMIC_RELEASE);
}

static void guest_init(struct guest *g, bool packed, bool mrg, bool tx, uint32_t frame)
{
	memset(g, 0, sizeof(*g));
	g->host = rte_zmalloc("guest", MEM_SIZE, 4096);
	if (g->host == NULL)
		rte_exit(EXIT_FAILURE, "no memory for the simulated guest\n");
	g->mem.nregions = 1;
	g->mem.regions[0] = (struct vsw_mem_region){ .guest_phys_addr = GPA_BASE,
						     .size = MEM_SIZE,
						     .user_addr = UVA_BASE,
						     .host_addr = g->host,
						     .fd = -1 };
	g->packed = packed;
	g->tx = tx;
	uint64_t features = F(VSW_VIRTIO_F_VERSION_1) | F(VSW_VIRTIO_RING_F_INDIRECT_DESC) |
			    (mrg ? F(VSW_VIRTIO_NET_F_MRG_RXBUF) : 0) |
			    (packed ? F(VSW_VIRTIO_F_RING_PACKED) : 0);
	uint16_t hl = vsw_vq_hdr_len(features);
	/* TX: one descriptor with the header and the frame (VERSION_1 any
	 * layout, as Linux and virtio-user send). RX: 2 KiB buffers, enough
	 * for a 1518-byte frame with or without mergeable buffers. */
	g->buf_len = tx ? hl + frame : BUF_SIZE;
	if (tx) {
		for (uint32_t id = 0; id < RING; id++) {
			uint8_t *b = g->host + BUF_OFF + id * BUF_SIZE;
			memset(b, 0, hl);
			for (uint32_t i = 0; i < frame; i++)
				b[hl + i] = (uint8_t)(id + i);
		}
	}
	uint64_t desc_off = 0, avail_off = 64 * 1024, used_off = 128 * 1024;
	if (packed) {
		g->pdesc = (void *)(g->host + desc_off);
		struct vring_packed_event *drv = (void *)(g->host + avail_off);
		drv->flags = RING_EVENT_FLAGS_DISABLE; /* a polling guest */
		g->avail_wrap = g->used_wrap = true;
		for (uint16_t id = 0; id < RING; id++)
			packed_post(g, id);
	} else {
		g->desc = (void *)(g->host + desc_off);
		g->avail = (void *)(g->host + avail_off);
		g->used = (void *)(g->host + used_off);
		g->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
		for (uint16_t id = 0; id < RING; id++) {
			g->desc[id] = (struct vring_desc){ .addr = buf_gpa(id),
							   .len = g->buf_len,
							   .flags = tx ? 0 : VRING_DESC_F_WRITE };
			g->avail->ring[id] = id;
		}
		g->avail_idx = RING;
		g->avail->idx = RING;
	}
	struct vsw_vq_setup s = {
		.mem = &g->mem,
		.size = RING,
		.packed = packed,
		.desc_uaddr = UVA_BASE + desc_off,
		.avail_uaddr = UVA_BASE + avail_off,
		.used_uaddr = UVA_BASE + used_off,
		.base = packed ? 1u << 15 : 0,
		.features = features,
		.call_fd = -1,
		.name = tx ? "bench txq" : "bench rxq",
	};
	if (vsw_vq_init(&g->vq, &s) != 0)
		rte_exit(EXIT_FAILURE, "vsw_vq_init failed\n");
}

static void guest_fini(struct guest *g)
{
	rte_free(g->host);
	g->host = NULL;
}

/* --- the measurements --- */

struct result {
	double dev, all; /* cycles per packet: device side; device + guest */
	uint64_t short_bursts;
};

static struct rte_mempool *pool;
static uint64_t npkts = 4000000;
static const char *only; /* run only this operation's rows; NULL: all */

static bool wanted(const char *op)
{
	return only == NULL || strcmp(only, op) == 0;
}

static struct result bench_dequeue(bool packed, bool mrg, uint32_t frame)
{
	struct guest g;
	guest_init(&g, packed, mrg, true, frame);
	struct rte_mbuf *pkts[BURST];
	struct result r = { 0 };
	uint64_t dev = 0, done = 0, warm = 20000 * BURST;
	uint64_t start = rte_rdtsc();
	while (done < npkts + warm) {
		if (done == warm) {
			dev = 0;
			start = rte_rdtsc();
		}
		guest_refill(&g);
		uint64_t t0 = rte_rdtsc();
		uint16_t n = vsw_vq_dequeue_burst(&g.vq, pool, pkts, BURST);
		rte_pktmbuf_free_bulk(pkts, n);
		dev += rte_rdtsc() - t0;
		r.short_bursts += n < BURST;
		done += n;
		if (n == 0 && vsw_vq_is_broken(&g.vq))
			rte_exit(EXIT_FAILURE, "queue broke\n");
	}
	r.all = (double)(rte_rdtsc() - start) / (double)(done - warm);
	r.dev = (double)dev / (double)(done - warm);
	guest_fini(&g);
	return r;
}

static struct result bench_enqueue(bool packed, bool mrg, uint32_t frame)
{
	struct guest g;
	guest_init(&g, packed, mrg, false, frame);
	struct rte_mbuf *pkts[BURST];
	struct result r = { 0 };
	uint64_t dev = 0, done = 0, warm = 20000 * BURST;
	uint64_t start = rte_rdtsc();
	while (done < npkts + warm) {
		if (done == warm) {
			dev = 0;
			start = rte_rdtsc();
		}
		guest_refill(&g);
		uint64_t t0 = rte_rdtsc();
		if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
			rte_exit(EXIT_FAILURE, "mbuf pool dry\n");
		for (int i = 0; i < BURST; i++) {
			pkts[i]->data_len = (uint16_t)frame;
			pkts[i]->pkt_len = frame;
		}
		uint16_t n = vsw_vq_enqueue_burst(&g.vq, pkts, BURST);
		rte_pktmbuf_free_bulk(pkts, BURST);
		dev += rte_rdtsc() - t0;
		r.short_bursts += n < BURST;
		done += n;
		if (n == 0 && vsw_vq_is_broken(&g.vq))
			rte_exit(EXIT_FAILURE, "queue broke\n");
	}
	r.all = (double)(rte_rdtsc() - start) / (double)(done - warm);
	r.dev = (double)dev / (double)(done - warm);
	if (g.vq.stats.drop_too_big)
		rte_exit(EXIT_FAILURE, "enqueue dropped packets as too big\n");
	guest_fini(&g);
	return r;
}

/* Guest A's TX queue to guest B's RX queue, as a switch forwards. */
static struct result bench_round_trip(bool packed, bool mrg, uint32_t frame)
{
	static struct guest a, b;
	guest_init(&a, packed, mrg, true, frame);
	guest_init(&b, packed, mrg, false, frame);
	struct rte_mbuf *pkts[BURST];
	struct result r = { 0 };
	uint64_t dev = 0, done = 0, warm = 20000 * BURST;
	uint64_t start = rte_rdtsc();
	while (done < npkts + warm) {
		if (done == warm) {
			dev = 0;
			start = rte_rdtsc();
		}
		guest_refill(&a);
		guest_refill(&b);
		uint64_t t0 = rte_rdtsc();
		uint16_t n = vsw_vq_dequeue_burst(&a.vq, pool, pkts, BURST);
		uint16_t sent = vsw_vq_enqueue_burst(&b.vq, pkts, n);
		rte_pktmbuf_free_bulk(pkts, n);
		dev += rte_rdtsc() - t0;
		r.short_bursts += sent < BURST;
		done += sent;
		if (sent == 0 && (vsw_vq_is_broken(&a.vq) || vsw_vq_is_broken(&b.vq)))
			rte_exit(EXIT_FAILURE, "queue broke\n");
	}
	r.all = (double)(rte_rdtsc() - start) / (double)(done - warm);
	r.dev = (double)dev / (double)(done - warm);
	guest_fini(&a);
	guest_fini(&b);
	return r;
}

/* The same through the copy-once path: A's frames looked at in place,
 * copied into B's RX buffers, then given back to A (src/switch/direct.c
 * without the bridge's decisions). */
static struct result bench_views(bool packed, bool mrg, uint32_t frame)
{
	static struct guest a, b;
	guest_init(&a, packed, mrg, true, frame);
	guest_init(&b, packed, mrg, false, frame);
	struct vsw_vq_view v[BURST];
	const struct vsw_vq_view *vp[BURST];
	for (int i = 0; i < BURST; i++)
		vp[i] = &v[i];
	struct result r = { 0 };
	uint64_t dev = 0, done = 0, warm = 20000 * BURST;
	uint64_t start = rte_rdtsc();
	while (done < npkts + warm) {
		if (done == warm) {
			dev = 0;
			start = rte_rdtsc();
		}
		guest_refill(&a);
		guest_refill(&b);
		uint64_t t0 = rte_rdtsc();
		bool stopped;
		uint16_t n = vsw_vq_peek(&a.vq, v, BURST, &stopped);
		uint16_t sent = vsw_vq_enqueue_views(&b.vq, vp, n);
		vsw_vq_peek_done(&a.vq, v, n);
		dev += rte_rdtsc() - t0;
		r.short_bursts += sent < BURST;
		done += sent;
		if (stopped || (sent == 0 && (vsw_vq_is_broken(&a.vq) || vsw_vq_is_broken(&b.vq))))
			rte_exit(EXIT_FAILURE, "peek stopped or a queue broke\n");
	}
	r.all = (double)(rte_rdtsc() - start) / (double)(done - warm);
	r.dev = (double)dev / (double)(done - warm);
	guest_fini(&a);
	guest_fini(&b);
	return r;
}

/* What the mbuf pool alone costs per packet (alloc_bulk + free_bulk). */
static double bench_mbuf_only(void)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t t0 = 0;
	for (uint64_t i = 0, warm = 20000; i < warm + npkts / BURST; i++) {
		if (i == warm)
			t0 = rte_rdtsc();
		if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
			rte_exit(EXIT_FAILURE, "mbuf pool dry\n");
		rte_pktmbuf_free_bulk(pkts, BURST);
	}
	return (double)(rte_rdtsc() - t0) / (double)(npkts / BURST * BURST);
}

static void row(const char *op, bool packed, uint32_t frame, const char *mrg, struct result r,
		const char *note)
{
	printf("%-11s %-7s %6u  %-4s %10.1f %12.1f  %s%s\n", op, packed ? "packed" : "split", frame, mrg,
	       r.dev, r.all, r.short_bursts ? "(short bursts!) " : "", note);
}

int main(int argc, char **argv)
{
	char *args[] = { "vring_bench", "-l", "1", "--no-pci", "--in-memory",
			 "--file-prefix=vsw-bench-vring", "-m", "512", "--no-telemetry",
			 "--log-level=*:error" };
	if (rte_eal_init((int)RTE_DIM(args), args) < 0)
		rte_exit(EXIT_FAILURE, "rte_eal_init failed\n");
	if (argc > 1)
		npkts = strtoull(argv[1], NULL, 0);
	if (npkts < BURST)
		npkts = BURST;
	if (argc > 2)
		only = argv[2];
	pool = rte_pktmbuf_pool_create("bench", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (pool == NULL)
		rte_exit(EXIT_FAILURE, "no mbuf pool\n");
	printf("vring_bench: lcore %u, ring %u, burst %u, %" PRIu64 " packets per row, TSC %.2f GHz\n",
	       rte_lcore_id(), RING, BURST, npkts, (double)rte_get_tsc_hz() / 1e9);
	printf("cycles per packet; device = vring + mbuf alloc/free (timed), +guest = with the "
	       "simulated guest's work\n\n");
	printf("%-11s %-7s %6s  %-4s %10s %12s\n", "operation", "layout", "bytes", "mrg", "device",
	       "+guest");
	static const uint32_t frames[] = { 64, 1518 };
	for (int packed = 0; packed < 2 && wanted("dequeue"); packed++)
		for (int f = 0; f < 2; f++)
			for (int mrg = 0; mrg < 2; mrg++)
				row("dequeue", packed, frames[f], mrg ? "on" : "off",
				    bench_dequeue(packed, mrg, frames[f]), "");
	for (int packed = 0; packed < 2 && wanted("enqueue"); packed++)
		for (int f = 0; f < 2; f++)
			for (int mrg = 0; mrg < 2; mrg++)
				row("enqueue", packed, frames[f], mrg ? "on" : "off",
				    bench_enqueue(packed, mrg, frames[f]), "");
	for (int packed = 0; packed < 2 && wanted("deq+enq"); packed++)
		for (int mrg = 0; mrg < 2; mrg++) {
			struct result r = bench_round_trip(packed, mrg, 64);
			row("deq+enq", packed, 64, mrg ? "on" : "off", r,
			    r.dev <= 120.0 ? "target <= 120: met" : "target <= 120: MISSED");
		}
	for (int packed = 0; packed < 2 && wanted("peek+views"); packed++)
		for (int mrg = 0; mrg < 2; mrg++)
			row("peek+views", packed, 64, mrg ? "on" : "off", bench_views(packed, mrg, 64),
			    "");
	if (only == NULL)
		printf("\nreference: mbuf alloc_bulk + free_bulk alone: %.1f cycles per packet\n",
		       bench_mbuf_only());
	/* The EAL leaves its runtime directory (/var/run/dpdk/PREFIX) behind,
	 * empty once cleaned up: one per run would pile up. */
	char rundir[PATH_MAX];
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir);
	return 0;
}
