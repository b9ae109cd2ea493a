/* Unit tests of live migration's dirty log: the bitmap arithmetic of
 * vsw_log_mark (pages spanned, a write across a page boundary, the bitmap's
 * last byte and bit, nothing past its end, 0 bytes, the top of the address
 * space), and the virtqueue engine with logging on and off: each enqueue
 * path (split and packed, one buffer or mergeable, mbufs or copy-once
 * views) marks exactly the pages of the RX bytes it wrote and of the ring
 * entries it wrote back (used ring and index, avail event; packed
 * descriptors), a dequeue only its ring entries, and with logging off
 * nothing at all. And the position GET_VRING_BASE reports: a queue set up
 * again from it (as the destination of a migration is) takes the next
 * chain, no more, no less, across ring wraps and chains of several
 * descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_mbuf.h>

#include "vring/dirty_log.h"
#include "vring_driver.h"
#include "ut_eal.h"

#define F(bit) (1ull << (bit))
#define PAGE VSW_LOG_PAGE_SIZE
#define LOG_BYTES (64 * 1024) /* pages up to 2 GiB: the driver's memory is at 1 GiB */

static struct rte_mempool *pool;
static struct drv D;
static struct vsw_vq Q;
static uint8_t LOG[LOG_BYTES + 64]; /* + a tail that must stay untouched */

static bool bit(uint64_t page)
{
	return LOG[page / 8] >> (page % 8) & 1;
}

static unsigned int bits_set(void)
{
	unsigned int n = 0;
	for (size_t i = 0; i < sizeof(LOG); i++)
		n += (unsigned int)__builtin_popcount(LOG[i]);
	return n;
}

/* --- the bitmap --- */

static void test_mark_pages(void **state)
{
	(void)state;
	memset(LOG, 0, sizeof(LOG));
	/* Inside one page: that page only. */
	vsw_log_mark(LOG, LOG_BYTES, 5 * PAGE + 100, 200);
	assert_true(bit(5));
	assert_int_equal(bits_set(), 1);
	/* The page's last byte, then a write of 2 bytes across the boundary. */
	vsw_log_mark(LOG, LOG_BYTES, 9 * PAGE - 1, 1);
	assert_true(bit(8));
	assert_false(bit(9));
	vsw_log_mark(LOG, LOG_BYTES, 10 * PAGE - 1, 2);
	assert_true(bit(9) && bit(10));
	assert_int_equal(bits_set(), 4);
	/* Bits of one byte and the next: pages 14-17 span bytes 1 and 2. */
	vsw_log_mark(LOG, LOG_BYTES, 14 * PAGE, 4 * PAGE);
	assert_int_equal(LOG[0], 1u << 5);                   /* page 5 */
	assert_int_equal(LOG[1], 0xc0 | 0x07);               /* 14, 15; and 8, 9, 10 */
	assert_int_equal(LOG[2], 0x03);                      /* 16, 17 */
	assert_int_equal(bits_set(), 8);
	/* 0 bytes: nothing, wherever. */
	vsw_log_mark(LOG, LOG_BYTES, 30 * PAGE, 0);
	vsw_log_mark(LOG, LOG_BYTES, UINT64_MAX, 0);
	assert_int_equal(bits_set(), 8);
	/* Exactly one page, aligned: one bit. */
	vsw_log_mark(LOG, LOG_BYTES, 40 * PAGE, PAGE);
	assert_true(bit(40));
	assert_false(bit(41));
	assert_int_equal(bits_set(), 9);
}

static void test_mark_bitmap_end(void **state)
{
	(void)state;
	memset(LOG, 0, sizeof(LOG));
	uint64_t last = (uint64_t)LOG_BYTES * 8 - 1; /* the last page the bitmap covers */
	/* A write ending on the bitmap's last page and one running past it:
	 * the last bit is set, nothing after the bitmap is touched. */
	vsw_log_mark(LOG, LOG_BYTES, last * PAGE + PAGE - 10, 10);
	assert_int_equal(LOG[LOG_BYTES - 1], 0x80);
	vsw_log_mark(LOG, LOG_BYTES, (last - 1) * PAGE, 5 * PAGE);
	assert_int_equal(LOG[LOG_BYTES - 1], 0xc0);
	vsw_log_mark(LOG, LOG_BYTES, (last + 1) * PAGE, 1);
	vsw_log_mark(LOG, LOG_BYTES, 1ull << 50, 100);
	for (int i = 0; i < 64; i++)
		assert_int_equal(LOG[LOG_BYTES + i], 0);
	assert_int_equal(bits_set(), 2);
	/* A range that would wrap the address space stops at its top. */
	vsw_log_mark(LOG, LOG_BYTES, UINT64_MAX - 5, 100);
	assert_int_equal(bits_set(), 2);
	/* Page 0, bit 0. */
	vsw_log_mark(LOG, LOG_BYTES, 0, 1);
	assert_int_equal(LOG[0], 1);
}

/* --- the engine --- */

struct mode {
	bool packed;
	uint64_t features;
};
#define BASE (F(VSW_VIRTIO_F_VERSION_1) | F(VSW_VIRTIO_RING_F_INDIRECT_DESC))
static const struct mode SPLIT = { false, BASE | F(VSW_VIRTIO_RING_F_EVENT_IDX) };
static const struct mode PACKED = { true, BASE | F(VSW_VIRTIO_F_RING_PACKED) };
static const struct mode SPLIT_MRG = { false, BASE | F(VSW_VIRTIO_NET_F_MRG_RXBUF) };
static const struct mode PACKED_MRG = { true, BASE | F(VSW_VIRTIO_F_RING_PACKED) |
						      F(VSW_VIRTIO_NET_F_MRG_RXBUF) };

/* The ring's guest-physical address the device writes back to. */
static uint64_t used_gpa(void)
{
	return DRV_GPA_BASE + (uint64_t)((uint8_t *)(D.packed ? (void *)D.dev_event : (void *)D.used) - D.host);
}

/* Starts the queue with the log on (logging) or off, the bitmap cleared
 * after set-up. */
static void start(void **state, bool logging)
{
	const struct mode *m = *state;
	drv_init(&D, 256, m->packed, m->features, m->packed ? 1u << 15 : 0);
	/* Split: the used ring placed so its entries end on a page boundary
	 * and the avail event behind them is on the next page. */
	if (!m->packed)
		D.used = (void *)(D.host + (1u << 20) + 256 * 1024 + PAGE - 4 - 8 * 256);
	assert_int_equal(drv_start(&D, &Q), 0);
	if (logging) {
		D.setup.log = LOG;
		D.setup.log_size = LOG_BYTES;
		D.setup.log_ring = true;
		D.setup.log_used_gpa = used_gpa();
		D.setup.log_desc_gpa = DRV_GPA_BASE; /* pdesc is at the start of memory */
		memset(LOG, 0, sizeof(LOG));
		assert_int_equal(vsw_vq_init(&Q, &D.setup), 0);
		/* Set-up wrote the suppression fields: their page is marked. */
		assert_true(bit(used_gpa() / PAGE));
	}
	memset(LOG, 0, sizeof(LOG));
}

static int teardown(void **state)
{
	(void)state;
	if (D.host != NULL)
		drv_fini(&D);
	return 0;
}

/* Expected bitmap, built by the test from what the driver sees. */
static uint8_t WANT[LOG_BYTES + 64];

static void want_range(uint64_t gpa, uint64_t len)
{
	for (uint64_t p = gpa / PAGE; len && p <= (gpa + len - 1) / PAGE; p++)
		WANT[p / 8] |= (uint8_t)(1u << (p % 8));
}

/* The ring entries the device writes for n used buffers from slot 0. */
static void want_ring(uint16_t n)
{
	if (D.packed) {
		want_range(DRV_GPA_BASE, 16ull * n);
	} else {
		uint64_t u = used_gpa();
		want_range(u + 2, 2);
		want_range(u + 4, 8ull * n);
		if (D.features & F(VSW_VIRTIO_RING_F_EVENT_IDX))
			want_range(u + 4 + 8ull * D.size, 2);
	}
}

static uint16_t post_at(uint64_t gpa, uint32_t len)
{
	uint16_t fl = VRING_DESC_F_WRITE;
	return drv_post(&D, &gpa, &len, &fl, 1, false);
}

static struct rte_mbuf *frame(uint32_t len, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *last = m;
	uint8_t data[4096];
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(seed + i);
	assert_int_equal(vsw_mbuf_append(m, &last, pool, data, len), 0);
	return m;
}

/* Buffers placed on purpose: A at 100 bytes into a page, 2 pages long,
 * only its first page written by a 64-byte frame; B 30 bytes before a page
 * boundary, so the frame crosses it. */
#define BUF_A (DRV_GPA_BASE + (4u << 20) + 100)
#define BUF_B (DRV_GPA_BASE + (5u << 20) - 30)

/* held: views enqueued held, then released (the used index or the first
 * used descriptor is written at the release, and marked then). */
static void enqueue_marks(void **state, bool views, bool held)
{
	start(state, true);
	post_at(BUF_A, 2 * PAGE);
	post_at(BUF_B, 2 * PAGE);
	memset(WANT, 0, sizeof(WANT));
	uint16_t n;
	if (views) {
		static uint8_t f1[64], f2[64];
		memset(f1, 0x11, sizeof(f1));
		memset(f2, 0x22, sizeof(f2));
		struct vsw_vq_view v[2];
		memset(v, 0, sizeof(v));
		v[0].frame = f1, v[0].len = 64, v[0].first_len = 64;
		v[1].frame = f2, v[1].len = 64, v[1].first_len = 64;
		memcpy(&v[0].eth, f1, 14);
		memcpy(&v[1].eth, f2, 14);
		const struct vsw_vq_view *pv[2] = { &v[0], &v[1] };
		if (held) {
			n = vsw_vq_enqueue_views_held(&Q, pv, 2);
			vsw_vq_release_held();
		} else {
			n = vsw_vq_enqueue_views(&Q, pv, 2);
		}
	} else {
		struct rte_mbuf *m[2] = { frame(64, 1), frame(64, 2) };
		n = vsw_vq_enqueue_burst(&Q, m, 2);
		rte_pktmbuf_free_bulk(m, 2);
	}
	assert_int_equal(n, 2);
	want_range(BUF_A, 12 + 64);
	want_range(BUF_B, 12 + 64);
	want_ring(2);
	assert_memory_equal(LOG, WANT, sizeof(LOG));
	/* The buffers' other pages were not written: not marked. */
	assert_false(bit(BUF_A / PAGE + 1));
	assert_true(bit(BUF_B / PAGE) && bit(BUF_B / PAGE + 1));
}

static void test_enqueue_marks(void **state)
{
	enqueue_marks(state, false, false);
}

static void test_enqueue_views_marks(void **state)
{
	enqueue_marks(state, true, false);
}

static void test_enqueue_views_held_marks(void **state)
{
	enqueue_marks(state, true, true);
}

/* Mergeable: a 3000-byte frame over three 1100-byte buffers, each in a
 * place of its own; every byte written is in a marked page, and the pages
 * after the last byte are not. */
static void test_mergeable_marks(void **state)
{
	start(state, true);
	uint64_t at[3] = { DRV_GPA_BASE + (4u << 20) + PAGE - 500, DRV_GPA_BASE + (6u << 20),
			   DRV_GPA_BASE + (7u << 20) + 8 };
	for (int i = 0; i < 3; i++)
		post_at(at[i], 1100);
	memset(WANT, 0, sizeof(WANT));
	struct rte_mbuf *m = frame(3000, 3);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
	rte_pktmbuf_free(m);
	want_range(at[0], 1100);
	want_range(at[1], 1100);
	want_range(at[2], 12 + 3000 - 2200);
	want_ring(3);
	assert_memory_equal(LOG, WANT, sizeof(LOG));
}

/* Mergeable, too few buffers for the frame: nothing is consumed, but the
 * bytes and used entries already written (past the used index) are in the
 * log too. Found by fuzz_vring. */
static void test_out_of_buffers_marks(void **state)
{
	start(state, true);
	uint64_t at[2] = { DRV_GPA_BASE + (4u << 20) + 8, DRV_GPA_BASE + (6u << 20) + 8 };
	post_at(at[0], 100);
	post_at(at[1], 100);
	memset(WANT, 0, sizeof(WANT));
	struct rte_mbuf *m = frame(1000, 5);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 0);
	rte_pktmbuf_free(m);
	uint16_t id;
	uint32_t len;
	assert_false(drv_used(&D, &id, &len));
	want_range(at[0], 100);
	want_range(at[1], 100);
	if (!D.packed) /* packed keeps its used records on the stack until done */
		want_ring(2);
	assert_memory_equal(LOG, WANT, sizeof(LOG));
}

/* A chained (not fast path) RX buffer: two descriptors, the second
 * crossing a page boundary. */
static void test_chain_marks(void **state)
{
	start(state, true);
	uint64_t addr[2] = { DRV_GPA_BASE + (4u << 20), DRV_GPA_BASE + (6u << 20) - 8 };
	uint32_t len[2] = { 40, 1000 };
	uint16_t fl[2] = { VRING_DESC_F_WRITE, VRING_DESC_F_WRITE };
	drv_post(&D, addr, len, fl, 2, false);
	memset(WANT, 0, sizeof(WANT));
	struct rte_mbuf *m = frame(100, 4);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
	rte_pktmbuf_free(m);
	want_range(addr[0], 40);
	want_range(addr[1], 12 + 100 - 40);
	want_ring(1); /* packed: the chain's first slot is written back */
	assert_memory_equal(LOG, WANT, sizeof(LOG));
}

/* TX: the device writes no buffer, only its ring entries. */
static void test_dequeue_marks_ring_only(void **state)
{
	start(state, true);
	uint8_t pkt[200];
	memset(pkt, 0xab, sizeof(pkt));
	drv_tx(&D, pkt, sizeof(pkt), 1, false);
	drv_tx(&D, pkt, sizeof(pkt), 1, false);
	memset(WANT, 0, sizeof(WANT));
	struct rte_mbuf *m[4];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 4), 2);
	rte_pktmbuf_free_bulk(m, 2);
	want_ring(2);
	assert_memory_equal(LOG, WANT, sizeof(LOG));
}

/* Logging off: the same traffic marks nothing. */
static void test_off_marks_nothing(void **state)
{
	start(state, false);
	post_at(BUF_A, 2 * PAGE);
	post_at(BUF_B, 2 * PAGE);
	struct rte_mbuf *m[2] = { frame(64, 1), frame(1000, 2) };
	assert_int_equal(vsw_vq_enqueue_burst(&Q, m, 2), 2);
	rte_pktmbuf_free_bulk(m, 2);
	uint8_t pkt[200] = { 0 };
	drv_tx(&D, pkt, sizeof(pkt), 1, false);
	struct rte_mbuf *r[1];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, r, 1), 1);
	rte_pktmbuf_free(r[0]);
	assert_int_equal(bits_set(), 0);
	assert_false(Q.log_on);
}

/* The ring's log address not given (no VHOST_VRING_F_LOG): buffers are
 * marked, the ring is not. */
static void test_no_ring_log(void **state)
{
	start(state, true);
	Q.log_ring = false;
	post_at(BUF_A, 2 * PAGE);
	memset(WANT, 0, sizeof(WANT));
	struct rte_mbuf *m = frame(64, 1);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
	rte_pktmbuf_free(m);
	want_range(BUF_A, 12 + 64);
	assert_memory_equal(LOG, WANT, sizeof(LOG));
}

/* Chains of 1 to 3 descriptors, two per round, on a small ring (packed: 6
 * slots, not a power of 2; split: 8), the queue set up again from
 * vsw_vq_get_base every other round: the frames come out in order, each
 * once. */
static void test_resume_position(void **state)
{
	const struct mode *m = *state;
	uint16_t size = m->packed ? 6 : 8;
	drv_init(&D, size, m->packed, m->features, m->packed ? 1u << 15 : 0);
	assert_int_equal(drv_start(&D, &Q), 0);
	uint8_t pkt[100];
	memset(pkt, 0, sizeof(pkt));
	unsigned int next = 0, posted = 0;
	for (unsigned int round = 0; round < 40; round++) {
		for (int k = 0; k < 2; k++) {
			pkt[0] = (uint8_t)posted;
			drv_tx(&D, pkt, sizeof(pkt), (int)((posted % 3) + 1), false);
			posted++;
		}
		if (round % 2) {
			D.setup.base = vsw_vq_get_base(&Q);
			memset(&Q, 0xa5, sizeof(Q));
			assert_int_equal(vsw_vq_init(&Q, &D.setup), 0);
		}
		struct rte_mbuf *got[4];
		uint16_t n = vsw_vq_dequeue_burst(&Q, pool, got, 4);
		assert_int_equal(n, 2);
		for (uint16_t i = 0; i < n; i++) {
			assert_int_equal(rte_pktmbuf_mtod(got[i], uint8_t *)[0], (uint8_t)next);
			next++;
		}
		rte_pktmbuf_free_bulk(got, n);
		uint16_t id;
		uint32_t len;
		while (drv_used(&D, &id, &len))
			;
	}
	assert_false(vsw_vq_is_broken(&Q));
}

#define BOTH(fn)                                                                         \
	cmocka_unit_test_prestate_setup_teardown(fn, NULL, teardown, (void *)&SPLIT),    \
	cmocka_unit_test_prestate_setup_teardown(fn, NULL, teardown, (void *)&PACKED)

int main(void)
{
	pool = ut_eal_pool("dirty_log", 1023);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mark_pages),
		cmocka_unit_test(test_mark_bitmap_end),
		BOTH(test_enqueue_marks),
		BOTH(test_enqueue_views_marks),
		BOTH(test_enqueue_views_held_marks),
		cmocka_unit_test_prestate_setup_teardown(test_mergeable_marks, NULL, teardown,
							 (void *)&SPLIT_MRG),
		cmocka_unit_test_prestate_setup_teardown(test_mergeable_marks, NULL, teardown,
							 (void *)&PACKED_MRG),
		BOTH(test_chain_marks),
		cmocka_unit_test_prestate_setup_teardown(test_out_of_buffers_marks, NULL, teardown,
							 (void *)&SPLIT_MRG),
		cmocka_unit_test_prestate_setup_teardown(test_out_of_buffers_marks, NULL, teardown,
							 (void *)&PACKED_MRG),
		BOTH(test_dequeue_marks_ring_only),
		BOTH(test_off_marks_nothing),
		BOTH(test_no_ring_log),
		BOTH(test_resume_position),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
