/* Unit tests of the virtqueue engine on malloc'ed guest memory, with the
 * test driver playing the guest: round trips (single, chained, indirect,
 * mergeable, 64 KiB), both ring layouts, index wrap, notifications, one
 * test per hostile-guest rule asserting the queue's reaction, a guest
 * rewriting its ring while the device reads it, virtio-net headers in
 * pieces and chains shorter than one, and chains of the ring's size. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ip.h>

#include "common/log.h"
#include "vring_driver.h"
#include "ut_eal.h"

#define F(bit) (1ull << (bit))
#define BASE_FEATURES (F(VSW_VIRTIO_F_VERSION_1) | F(VSW_VIRTIO_RING_F_INDIRECT_DESC))

static struct rte_mempool *pool;
static struct drv D;
static struct vsw_vq Q;

struct mode {
	bool packed;
	uint64_t features;
};
static const struct mode SPLIT = { false, BASE_FEATURES };
static const struct mode PACKED = { true, BASE_FEATURES | F(VSW_VIRTIO_F_RING_PACKED) };
static const struct mode SPLIT_MRG = { false, BASE_FEATURES | F(VSW_VIRTIO_NET_F_MRG_RXBUF) };
static const struct mode PACKED_MRG = { true, BASE_FEATURES | F(VSW_VIRTIO_F_RING_PACKED) |
						      F(VSW_VIRTIO_NET_F_MRG_RXBUF) };
static const struct mode SPLIT_EVIDX = { false, BASE_FEATURES | F(VSW_VIRTIO_RING_F_EVENT_IDX) };
static const struct mode SPLIT_IN_ORDER = { false, BASE_FEATURES | F(VSW_VIRTIO_F_IN_ORDER) };
static const struct mode SPLIT_CSUM = { false, BASE_FEATURES | F(VSW_VIRTIO_NET_F_CSUM) };
static const struct mode PACKED_CSUM = { true, BASE_FEATURES | F(VSW_VIRTIO_F_RING_PACKED) |
						       F(VSW_VIRTIO_NET_F_CSUM) };

static const struct mode *mode_of(void **state)
{
	return *state;
}

static void start(void **state, uint16_t size, uint32_t base)
{
	const struct mode *m = mode_of(state);
	/* Packed rings start with the wrap counters at 1, as frontends do. */
	drv_init(&D, size, m->packed, m->features, m->packed ? base | 1u << 15 : base);
	assert_int_equal(drv_start(&D, &Q), 0);
}

static int teardown(void **state)
{
	(void)state;
	if (D.host != NULL)
		drv_fini(&D);
	return 0;
}

static void fill_pattern(uint8_t *p, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static bool mbuf_equals(const struct rte_mbuf *m, const uint8_t *data, uint32_t len)
{
	if (m->pkt_len != len)
		return false;
	uint32_t off = 0;
	for (const struct rte_mbuf *s = m; s; s = s->next) {
		if (memcmp(rte_pktmbuf_mtod(s, const uint8_t *), data + off, s->data_len) != 0)
			return false;
		off += s->data_len;
	}
	return off == len;
}

static struct rte_mbuf *make_mbuf(const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *last = m;
	assert_non_null(m);
	assert_int_equal(vsw_mbuf_append(m, &last, pool, data, len), 0);
	return m;
}

/* --- round trips --- */

static void test_tx_single_chained_indirect(void **state)
{
	start(state, 256, 0);
	uint8_t pkt[3][1500];
	uint32_t lens[3] = { 60, 1500, 777 };
	for (int i = 0; i < 3; i++)
		fill_pattern(pkt[i], lens[i], (uint8_t)i);
	uint16_t ids[3];
	ids[0] = drv_tx(&D, pkt[0], lens[0], 1, false);
	ids[1] = drv_tx(&D, pkt[1], lens[1], 4, false);
	ids[2] = drv_tx(&D, pkt[2], lens[2], 3, true);
	struct rte_mbuf *out[8];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 8), 3);
	for (int i = 0; i < 3; i++) {
		assert_true(mbuf_equals(out[i], pkt[i], lens[i]));
		uint16_t id;
		uint32_t len;
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(id, ids[i]);
	}
	assert_false(drv_used(&D, &(uint16_t){ 0 }, &(uint32_t){ 0 }));
	assert_int_equal(Q.stats.packets, 3);
	assert_int_equal(Q.stats.bytes, 60 + 1500 + 777);
	assert_false(vsw_vq_is_broken(&Q));
	rte_pktmbuf_free_bulk(out, 3);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 8), 0);
}

static void test_tx_64k_multiseg(void **state)
{
	start(state, 256, 0);
	uint32_t len = 65535 - 12;
	uint8_t *pkt = malloc(len);
	fill_pattern(pkt, len, 3);
	drv_tx(&D, pkt, len, 20, false);
	struct rte_mbuf *out[1];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 1), 1);
	assert_true(out[0]->nb_segs > 1);
	assert_true(mbuf_equals(out[0], pkt, len));
	rte_pktmbuf_free(out[0]);
	free(pkt);
}

/* Posts one RX buffer of len bytes in one descriptor; returns its address. */
static uint64_t post_rx(uint32_t len)
{
	uint64_t before = D.buf_next;
	drv_rx(&D, len, 1);
	return DRV_GPA_BASE + ((before + 15) & ~15ull); /* drv_alloc's alignment */
}

static void test_rx_single_buffer_per_packet(void **state)
{
	start(state, 256, 0);
	uint64_t gpa[4];
	for (int i = 0; i < 4; i++) {
		gpa[i] = post_rx(2048);
	}
	uint8_t pkt[1000];
	fill_pattern(pkt, sizeof(pkt), 9);
	struct rte_mbuf *m[2] = { make_mbuf(pkt, 1000), make_mbuf(pkt, 64) };
	assert_int_equal(vsw_vq_enqueue_burst(&Q, m, 2), 2);
	uint16_t id;
	uint32_t len;
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(len, 12 + 1000);
	const uint8_t *buf = drv_ptr(&D, gpa[0]);
	static const uint8_t zero_hdr[12] = { [10] = 1 }; /* num_buffers 1 */
	assert_memory_equal(buf, zero_hdr, 10);
	assert_memory_equal(buf + 12, pkt, 1000);
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(len, 12 + 64);
	assert_int_equal(Q.stats.packets, 2);
	/* A packet over the guest's buffer size: dropped, buffer returned empty. */
	uint8_t big[3000] = { 0 };
	struct rte_mbuf *b = make_mbuf(big, sizeof(big));
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &b, 1), 1);
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(len, 0);
	assert_int_equal(Q.stats.drop_too_big, 1);
	/* One buffer left, two packets: the second finds none. */
	struct rte_mbuf *two[2] = { m[1], m[1] };
	assert_int_equal(vsw_vq_enqueue_burst(&Q, two, 2), 1);
	assert_int_equal(Q.stats.drop_no_buf, 1);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, two, 2), 0);
	assert_int_equal(Q.stats.drop_no_buf, 3);
	assert_false(vsw_vq_is_broken(&Q));
	rte_pktmbuf_free_bulk(m, 2);
	rte_pktmbuf_free(b);
}

/* A guest buffer that already holds the header vsw would write keeps it
 * unwritten (its cache line stays the guest's too); one that holds another
 * gets it. The first buffer's header ends a page made read-only, its frame
 * starts the next: a write to that header faults. */
static void test_rx_header_written_only_if_different(void **state)
{
	start(state, 256, 0);
	static const uint8_t plain[12] = { [10] = 1 }; /* num_buffers 1 */
	uint8_t *page = D.host + DRV_MEM_SIZE / 2;
	uint64_t addr[2] = { DRV_GPA_BASE + DRV_MEM_SIZE / 2 + 4096 - 12, drv_alloc(&D, 2048) };
	uint32_t len = 2048;
	uint16_t flags = VRING_DESC_F_WRITE;
	memcpy(drv_ptr(&D, addr[0]), plain, 12);
	memset(drv_ptr(&D, addr[1]), 0xee, 12);
	for (int i = 0; i < 2; i++)
		drv_post(&D, &addr[i], &len, &flags, 1, false);
	uint8_t pkt[60];
	fill_pattern(pkt, sizeof(pkt), 3);
	struct rte_mbuf *m[2] = { make_mbuf(pkt, 60), make_mbuf(pkt, 60) };
	assert_int_equal(mprotect(page, 4096, PROT_READ), 0);
	uint16_t sent = vsw_vq_enqueue_burst(&Q, m, 2);
	assert_int_equal(mprotect(page, 4096, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(sent, 2);
	for (int i = 0; i < 2; i++) {
		uint16_t id;
		uint32_t used_len;
		assert_true(drv_used(&D, &id, &used_len));
		assert_int_equal(used_len, 12 + 60);
		const uint8_t *b = drv_ptr(&D, addr[i]);
		assert_memory_equal(b, plain, 12);
		assert_memory_equal(b + 12, pkt, 60);
	}
	rte_pktmbuf_free_bulk(m, 2);
}

static void test_rx_mergeable(void **state)
{
	start(state, 256, 0);
	uint64_t first = post_rx(100); /* 20 buffers in all */
	for (int i = 1; i < 20; i++)
		post_rx(100);
	uint8_t pkt[1000];
	fill_pattern(pkt, sizeof(pkt), 5);
	struct rte_mbuf *m = make_mbuf(pkt, sizeof(pkt));
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
	/* 12 + 1000 bytes in 100-byte buffers: 11 buffers. */
	const uint8_t *h = drv_ptr(&D, first);
	assert_int_equal(h[10] | h[11] << 8, 11);
	assert_memory_equal(h + 12, pkt, 88);
	uint32_t total = 0, len;
	uint16_t id;
	int n = 0;
	while (drv_used(&D, &id, &len)) {
		total += len;
		n++;
	}
	assert_int_equal(n, 11);
	assert_int_equal(total, 1012);
	/* Not enough buffers left (9 x 100) for 1000 bytes: nothing consumed. */
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 0);
	assert_int_equal(Q.stats.drop_no_buf, 1);
	assert_false(drv_used(&D, &id, &len));
	rte_pktmbuf_free(m);
}

static void test_index_wraps_at_65535(void **state)
{
	if (mode_of(state)->packed)
		start(state, 64, 60 | 1u << 15); /* packed: wrap the ring several times */
	else
		start(state, 64, 65530);
	uint8_t pkt[100];
	for (int round = 0; round < 40; round++) {
		fill_pattern(pkt, sizeof(pkt), (uint8_t)round);
		drv_tx(&D, pkt, sizeof(pkt), round % 3 + 1, false);
		drv_tx(&D, pkt, sizeof(pkt), 1, false);
		struct rte_mbuf *out[4];
		assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 2);
		assert_true(mbuf_equals(out[0], pkt, sizeof(pkt)));
		rte_pktmbuf_free_bulk(out, 2);
		uint16_t id;
		uint32_t len;
		assert_true(drv_used(&D, &id, &len));
		assert_true(drv_used(&D, &id, &len));
	}
	if (!mode_of(state)->packed)
		assert_int_equal(vsw_vq_get_base(&Q), (uint16_t)(65530 + 80));
	assert_false(vsw_vq_is_broken(&Q));
}

static uint64_t calls(void)
{
	uint64_t v = 0;
	if (read(D.call_fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void test_notifications(void **state)
{
	start(state, 64, 0);
	uint8_t pkt[64] = { 0 };
	struct rte_mbuf *out[4];
	if (D.features & F(VSW_VIRTIO_RING_F_EVENT_IDX)) {
		/* used_event = 3: interrupt only when the used index passes 3. */
		D.avail->ring[64] = 3;
		for (int i = 0; i < 3; i++) {
			drv_tx(&D, pkt, 64, 1, false);
			assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
			rte_pktmbuf_free(out[0]);
		}
		assert_int_equal(calls(), 0);
		drv_tx(&D, pkt, 64, 1, false);
		assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
		rte_pktmbuf_free(out[0]);
		assert_int_equal(calls(), 1);
		/* avail_event stays far ahead of us (not inside what the guest
		 * just published, which we may have taken before it checks), so
		 * the guest never kicks. */
		uint16_t avail_event;
		memcpy(&avail_event, &D.used->ring[64], 2);
		for (uint16_t old = 0; old < 4; old++)
			for (uint16_t new_idx = 4; new_idx < 4 + 64; new_idx++)
				assert_false((uint16_t)(new_idx - avail_event - 1) <
					     (uint16_t)(new_idx - old));
	} else {
		/* Without NO_INTERRUPT: one interrupt per burst, not per packet. */
		for (int i = 0; i < 3; i++)
			drv_tx(&D, pkt, 64, 1, false);
		assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 3);
		rte_pktmbuf_free_bulk(out, 3);
		assert_int_equal(calls(), 1);
		if (D.packed)
			D.drv_event->flags = RING_EVENT_FLAGS_DISABLE;
		else
			D.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
		drv_tx(&D, pkt, 64, 1, false);
		assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
		rte_pktmbuf_free(out[0]);
		assert_int_equal(calls(), 0);
		/* We poll: the driver is told not to kick us. */
		if (D.packed)
			assert_int_equal(D.dev_event->flags, RING_EVENT_FLAGS_DISABLE);
		else
			assert_int_equal(D.used->flags, VRING_USED_F_NO_NOTIFY);
	}
}

/* A worker gathers notification checks and does them once per round: no
 * interrupt before the flush, then one for the whole range, and only if
 * the guest asked (flags, or used_event inside the range). */
static void test_notifications_deferred(void **state)
{
	start(state, 64, 0);
	uint8_t pkt[64] = { 0 };
	struct rte_mbuf *out[4];
	bool evidx = D.features & F(VSW_VIRTIO_RING_F_EVENT_IDX);
	if (evidx)
		D.avail->ring[64] = 2; /* wake me when the used index passes 2 */
	vsw_vq_notify_defer(true);
	for (int i = 0; i < 4; i++) {
		drv_tx(&D, pkt, 64, 1, false);
		assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
		rte_pktmbuf_free(out[0]);
	}
	assert_int_equal(calls(), 0);
	vsw_vq_notify_flush();
	assert_int_equal(calls(), 1);
	/* A range the guest did not ask about, or a guest that polls. */
	if (evidx)
		D.avail->ring[64] = 1000;
	else
		D.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	drv_tx(&D, pkt, 64, 1, false);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	vsw_vq_notify_defer(false); /* flushes */
	assert_int_equal(calls(), 0);
	/* Back to one check per burst. */
	if (evidx)
		D.avail->ring[64] = 5;
	else
		D.avail->flags = 0;
	drv_tx(&D, pkt, 64, 1, false);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(calls(), 1);
}

/* Two workers publishing on one queue (a shared tx queue, under its lock):
 * each checks the range it published, so a used_event inside the second
 * one's range wakes the guest at the second one's flush. */
static void *publish_two(void *arg)
{
	(void)arg;
	struct rte_mbuf *out[4];
	vsw_vq_notify_defer(true);
	for (int i = 0; i < 2; i++)
		if (vsw_vq_dequeue_burst(&Q, pool, out, 1) == 1)
			rte_pktmbuf_free(out[0]);
	vsw_vq_notify_flush();
	vsw_vq_notify_defer(false);
	return NULL;
}

static void test_notifications_deferred_shared(void **state)
{
	start(state, 64, 0);
	uint8_t pkt[64] = { 0 };
	struct rte_mbuf *out[4];
	D.avail->ring[64] = 3; /* wake me when the used index passes 3 */
	for (int i = 0; i < 4; i++)
		drv_tx(&D, pkt, 64, 1, false);
	vsw_vq_notify_defer(true);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 2), 2); /* used 0..2 */
	rte_pktmbuf_free_bulk(out, 2);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, publish_two, NULL), 0); /* used 2..4 */
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(calls(), 1);
	vsw_vq_notify_defer(false); /* ours, 0..2, did not pass 3 */
	assert_int_equal(calls(), 0);
}

/* --- hostile guests --- */

static void expect_broken(void)
{
	struct rte_mbuf *out[4];
	unsigned int before = rte_mempool_avail_count(pool);
	/* Looking in place refuses it too: a bad chain is left to dequeue to
	 * say what is wrong; a bad avail index breaks the queue there already. */
	struct vsw_vq_view v[4];
	bool stopped = false;
	assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 0);
	assert_true(vsw_vq_is_broken(&Q));
	assert_int_equal(Q.stats.broken, 1);
	assert_int_equal(rte_mempool_avail_count(pool), before); /* no mbuf leaked */
	/* A broken queue stays quiet. */
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 0);
	assert_int_equal(Q.stats.broken, 1);
}

/* Posts one TX descriptor with raw fields. */
static void raw_tx(uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	if (D.packed) {
		uint16_t f = (uint16_t)(flags | (D.avail_wrap ? VRING_PACKED_DESC_F_AVAIL
							      : VRING_PACKED_DESC_F_USED));
		D.pdesc[D.next_avail] = (struct vring_packed_desc){ .addr = addr, .len = len,
								     .id = next, .flags = f };
		return;
	}
	D.desc[0] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
	drv_publish_head(&D, 0);
}

static void test_bad_address(void **state)
{
	start(state, 64, 0);
	raw_tx(0x1000, 100, 0, 0); /* below guest memory */
	expect_broken();
}

static void test_length_overflow(void **state)
{
	start(state, 64, 0);
	raw_tx(DRV_GPA_BASE + 4096, 0xffffffffu, 0, 0);
	expect_broken();
}

static void test_buffer_ends_exactly_at_region_end(void **state)
{
	start(state, 64, 0);
	uint32_t len = 200;
	uint64_t addr = DRV_GPA_BASE + DRV_MEM_SIZE - len; /* last byte is the region's last */
	memset(drv_ptr(&D, addr), 0, 12);
	raw_tx(addr, len, 0, 1);
	struct rte_mbuf *out[1];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 1), 1);
	assert_int_equal(out[0]->pkt_len, len - 12);
	rte_pktmbuf_free(out[0]);
	assert_false(vsw_vq_is_broken(&Q));
	/* One byte further is outside. */
	if (D.packed)
		D.next_avail++;
	raw_tx(addr + 1, len, 0, 2);
	expect_broken();
}

static void test_head_out_of_range(void **state)
{
	start(state, 64, 0);
	if (D.packed) {
		raw_tx(DRV_GPA_BASE + 4096, 100, 0, 64); /* buffer id 64 in a ring of 64 */
	} else {
		D.avail->ring[0] = 64;
		__atomic_store_n(&D.avail->idx, 1, __ATOMIC_RELEASE);
	}
	expect_broken();
}

static void test_chain_loop(void **state)
{
	start(state, 8, 0);
	uint64_t a = drv_alloc(&D, 4096);
	memset(drv_ptr(&D, a), 0, 4096);
	if (D.packed) {
		/* Every slot says NEXT: a chain longer than the ring. */
		for (int i = 0; i < 8; i++)
			D.pdesc[i] = (struct vring_packed_desc){
				.addr = a, .len = 16, .id = 1,
				.flags = VRING_DESC_F_NEXT | VRING_PACKED_DESC_F_AVAIL };
	} else {
		D.desc[0] = (struct vring_desc){ .addr = a, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 1 };
		D.desc[1] = (struct vring_desc){ .addr = a, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 0 };
		drv_publish_head(&D, 0);
	}
	expect_broken();
}

static void test_nested_indirect(void **state)
{
	start(state, 64, 0);
	uint64_t t = drv_alloc(&D, 32);
	struct vring_desc *tab = drv_ptr(&D, t);
	tab[0] = (struct vring_desc){ .addr = t, .len = 32, .flags = VRING_DESC_F_INDIRECT };
	raw_tx(t, 32, VRING_DESC_F_INDIRECT, 0);
	if (D.packed) {
		/* Packed tables ignore flags other than WRITE: nesting cannot be
		 * expressed; the table's entry points at the table itself and
		 * is read as data, which is harmless. Check the bad size instead. */
		raw_tx(t, 0, VRING_DESC_F_INDIRECT, 0);
		drv_fini(&D);
		start(state, 64, 0);
		raw_tx(t, 0, VRING_DESC_F_INDIRECT, 0);
	}
	expect_broken();
}

static void test_indirect_bad_size(void **state)
{
	start(state, 64, 0);
	uint64_t t = drv_alloc(&D, 64);
	raw_tx(t, 20, VRING_DESC_F_INDIRECT, 0); /* not a multiple of 16 */
	expect_broken();
}

static void test_writable_on_tx(void **state)
{
	start(state, 64, 0);
	uint64_t a = drv_alloc(&D, 100);
	raw_tx(a, 100, VRING_DESC_F_WRITE, 0);
	expect_broken();
}

/* The RX buffer at a is refused: the queue breaks and it is not written. */
static void expect_rx_refused(uint64_t a)
{
	uint8_t pkt[64] = { 0 };
	struct rte_mbuf *m = make_mbuf(pkt, 64);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 0);
	assert_true(vsw_vq_is_broken(&Q));
	static const uint8_t zero[64];
	assert_memory_equal(drv_ptr(&D, a), zero, 64);
	rte_pktmbuf_free(m);
}

static void test_readonly_on_rx(void **state)
{
	start(state, 64, 0);
	uint64_t a = drv_alloc(&D, 2048);
	raw_tx(a, 2048, 0, 0); /* posted on the RX queue without WRITE */
	expect_rx_refused(a);
}

/* A chain of two writable buffers whose first holds the whole packet: it
 * is used as one chain (a packed ring skips both slots), and the next
 * packet goes to the next chain. */
static void test_rx_chain_first_buffer_big_enough(void **state)
{
	start(state, 64, 0);
	uint16_t ids[2] = { drv_rx(&D, 4096, 2), drv_rx(&D, 2048, 1) };
	uint8_t pkt[2][100];
	fill_pattern(pkt[0], 100, 1);
	fill_pattern(pkt[1], 100, 2);
	struct rte_mbuf *m[2] = { make_mbuf(pkt[0], 100), make_mbuf(pkt[1], 100) };
	assert_int_equal(vsw_vq_enqueue_burst(&Q, m, 2), 2);
	for (int i = 0; i < 2; i++) {
		uint16_t id;
		uint32_t len;
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(id, ids[i]);
		assert_int_equal(len, 12 + 100);
	}
	assert_false(drv_used(&D, &(uint16_t){ 0 }, &(uint32_t){ 0 }));
	assert_false(vsw_vq_is_broken(&Q));
	rte_pktmbuf_free_bulk(m, 2);
}

/* Packed only: an RX slot with a buffer ID outside the ring. */
static void test_rx_id_out_of_range(void **state)
{
	start(state, 64, 0);
	uint64_t a = drv_alloc(&D, 2048);
	raw_tx(a, 2048, VRING_DESC_F_WRITE, 64);
	expect_rx_refused(a);
}

/* Split only: the packed ring has no avail index. */
static void test_avail_runs_ahead(void **state)
{
	start(state, 64, 0);
	__atomic_store_n(&D.avail->idx, 65, __ATOMIC_RELEASE);
	expect_broken();
}

static void test_zero_length_head(void **state)
{
	start(state, 64, 0);
	raw_tx(drv_alloc(&D, 64), 0, 0, 0);
	expect_broken();
}

static void test_too_big_dropped_not_broken(void **state)
{
	start(state, 64, 0);
	Q.max_pkt_len = 1518;
	uint8_t pkt[2000] = { 0 };
	drv_tx(&D, pkt, 1519, 1, false);
	drv_tx(&D, pkt, 1518, 2, false);
	struct rte_mbuf *out[4];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
	assert_int_equal(out[0]->pkt_len, 1518);
	assert_int_equal(Q.stats.drop_too_big, 1);
	assert_false(vsw_vq_is_broken(&Q));
	uint16_t id;
	uint32_t len;
	assert_true(drv_used(&D, &id, &len)); /* the dropped one was returned */
	assert_true(drv_used(&D, &id, &len));
	rte_pktmbuf_free(out[0]);
}

static void test_bad_headers_dropped(void **state)
{
	start(state, 64, 0);
	uint8_t pkt[100];
	fill_pattern(pkt, sizeof(pkt), 1);
	/* csum_start + csum_offset past the packet (DPDK CVE-2024-11614). */
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 90,
				    .csum_offset = 16 };
	drv_tx_hdr(&D, &h, pkt, sizeof(pkt));
	/* A GSO type with gso_size 0. */
	struct virtio_net_hdr g = { .gso_type = 1, .gso_size = 0 };
	drv_tx_hdr(&D, &g, pkt, sizeof(pkt));
	/* A valid checksum request is completed. */
	struct virtio_net_hdr ok = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
				     .csum_offset = 6 };
	uint8_t udp[100] = { 0 };
	drv_tx_hdr(&D, &ok, udp, sizeof(udp));
	struct rte_mbuf *out[4];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
	assert_int_equal(Q.stats.drop_bad_hdr[VSW_HDR_CSUM], 1);
	/* TSO is not negotiated in this mode. */
	assert_int_equal(Q.stats.drop_bad_hdr[VSW_HDR_GSO_TYPE], 1);
	assert_false(vsw_vq_is_broken(&Q));
	/* All-zero bytes sum to 0, stored as its complement 0xffff. */
	assert_int_equal(*rte_pktmbuf_mtod_offset(out[0], uint16_t *, 40), 0xffff);
	rte_pktmbuf_free(out[0]);
}

static void test_ring_outside_memory(void **state)
{
	const struct mode *m = mode_of(state);
	drv_init(&D, 64, m->packed, m->features, 0);
	struct vsw_vq_setup s = { .mem = &D.mem, .size = 64, .packed = m->packed,
				  .desc_uaddr = DRV_UVA_BASE + DRV_MEM_SIZE - 112,
				  .avail_uaddr = DRV_UVA_BASE, .used_uaddr = DRV_UVA_BASE + 8192,
				  .features = m->features, .call_fd = -1 };
	assert_int_equal(vsw_vq_init(&Q, &s), -EFAULT);
	/* A queue whose set-up failed is inert, not a crash. */
	struct rte_mbuf *out[4];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 0);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, out, 0), 0);
	s.desc_uaddr = DRV_UVA_BASE;
	s.size = m->packed ? 0 : 100; /* split sizes are powers of two */
	assert_int_equal(vsw_vq_init(&Q, &s), -EINVAL);
	s.size = 64;
	s.desc_uaddr = DRV_UVA_BASE + 8; /* descriptor tables are 16-byte aligned */
	assert_int_equal(vsw_vq_init(&Q, &s), -EINVAL);
	s.desc_uaddr = DRV_UVA_BASE;
	s.used_uaddr = DRV_UVA_BASE + 8192 + 2;
	assert_int_equal(vsw_vq_init(&Q, &s), -EINVAL);
}

static uint16_t take_tx(uint16_t n)
{
	struct rte_mbuf *out[64];
	uint16_t got = vsw_vq_dequeue_burst(&Q, pool, out, n);
	rte_pktmbuf_free_bulk(out, got);
	return got;
}

static void post_tx(int n)
{
	uint8_t pkt[64] = { 0 };
	for (int i = 0; i < n; i++)
		drv_tx(&D, pkt, sizeof(pkt), 1, false);
}

/* An in-order guest that is sending has its newest tx_park frames (a
 * quarter of the ring, at most 32) left in its split TX ring until newer
 * ones come; frames that had come by a mark are taken tx_park_cycles after
 * it, parked or not, and the mark moves on only once they are all taken,
 * so a trickle of new frames cannot hold older ones back. A guest quiet
 * since an old mark has its frames taken at once. Dequeue and peek alike,
 * and a peek and the dequeue after it see the same frames. Without
 * IN_ORDER every frame is taken at once. */
static void test_tx_parks_newest_frames_of_in_order_guest(void **state)
{
	const struct mode *m = mode_of(state);
	const bool in_order = m->features & F(VSW_VIRTIO_F_IN_ORDER);
	start(state, 256, 0);
	assert_int_equal(Q.tx_park, in_order ? 32 : 0);
	Q.tx_park_cycles = 1000000000ull; /* far longer than this test */
	struct vsw_vq_view v[64];
	bool stopped;
	/* Quiet since the start: its first frames go at once. */
	post_tx(5);
	assert_int_equal(vsw_vq_peek(&Q, v, 64, &stopped), 5);
	assert_int_equal(take_tx(64), 5);
	/* Sending: of 40 more, the newest 32 wait for newer ones. */
	post_tx(40);
	uint16_t first = in_order ? 8 : 40;
	assert_int_equal(vsw_vq_peek(&Q, v, 64, &stopped), first);
	assert_int_equal(take_tx(64), first);
	assert_int_equal(take_tx(64), 0);
	/* A trickle of 5 lets the 5 oldest go, one at a time (peek too). */
	for (int i = 0; i < 5; i++) {
		post_tx(1);
		assert_int_equal(vsw_vq_peek(&Q, v, 64, &stopped), 1);
		vsw_vq_peek_done(&Q, v, 1);
	}
	/* The mark's time is up: the frames that had come by it (the first
	 * 45) go, parked or not; then those that came by the next mark. */
	Q.tx_park_cycles = 0;
	assert_int_equal(take_tx(64), in_order ? 27 : 0);
	assert_int_equal(take_tx(64), in_order ? 5 : 0);
	assert_int_equal(take_tx(64), 0);
	/* Every frame given back once, in order, as it was taken. */
	assert_int_equal(__atomic_load_n(&D.used->idx, __ATOMIC_ACQUIRE), 50);
	for (uint16_t i = 0; i < 50; i++) {
		uint16_t id;
		uint32_t len;
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(id, i);
	}
}

/* A restarted backend told base 0 on a ring the guest has used resumes at
 * the used index (what virtio_user expects after reconnecting). */
static void test_split_resumes_at_used_index(void **state)
{
	const struct mode *m = mode_of(state);
	drv_init(&D, 64, m->packed, m->features, 0);
	D.used->idx = 70;
	D.avail->idx = 70;
	D.avail_idx = 70;
	D.used_seen = 70;
	assert_int_equal(drv_start(&D, &Q), 0);
	assert_int_equal(vsw_vq_get_base(&Q), 70);
	uint8_t pkt[64] = { 0 };
	drv_tx(&D, pkt, sizeof(pkt), 1, false);
	struct rte_mbuf *out[2];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 2), 1);
	assert_false(vsw_vq_is_broken(&Q));
	rte_pktmbuf_free(out[0]);
}

/* Hundreds of dropped chains in a row must not overrun per-burst state. */
static void test_many_drops(void **state)
{
	start(state, 1024, 0);
	Q.max_pkt_len = 100;
	uint8_t pkt[200] = { 0 };
	for (int i = 0; i < 600; i++)
		drv_tx(&D, pkt, sizeof(pkt), 1, false);
	unsigned int before = rte_mempool_avail_count(pool);
	struct rte_mbuf *out[32];
	for (int i = 0; i < 600 && Q.stats.drop_too_big < 600; i++)
		assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 32), 0);
	assert_int_equal(Q.stats.drop_too_big, 600);
	assert_int_equal(rte_mempool_avail_count(pool), before);
	assert_false(vsw_vq_is_broken(&Q));
}

static void test_buffer_across_regions(void **state)
{
	start(state, 64, 0);
	/* Split guest memory into two regions, contiguous in guest-physical
	 * space but not on our side (the second mapped from a copy). */
	uint8_t *second = aligned_alloc(4096, DRV_MEM_SIZE / 2);
	D.mem.nregions = 2;
	D.mem.regions[0].size = DRV_MEM_SIZE / 2;
	D.mem.regions[1] = (struct vsw_mem_region){ .guest_phys_addr = DRV_GPA_BASE + DRV_MEM_SIZE / 2,
						    .size = DRV_MEM_SIZE / 2,
						    .user_addr = DRV_UVA_BASE + DRV_MEM_SIZE / 2,
						    .host_addr = second };
	uint8_t pkt[400];
	fill_pattern(pkt, sizeof(pkt), 77);
	uint64_t a = DRV_GPA_BASE + DRV_MEM_SIZE / 2 - 200; /* straddles the boundary */
	memset(drv_ptr(&D, a), 0, 12);
	memcpy(drv_ptr(&D, a + 12), pkt, 188);
	memcpy(second, pkt + 188, 212);
	raw_tx(a, 412, 0, 1);
	struct rte_mbuf *out[1];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 1), 1);
	assert_true(mbuf_equals(out[0], pkt, sizeof(pkt)));
	rte_pktmbuf_free(out[0]);
	D.mem.nregions = 1;
	D.mem.regions[0].size = DRV_MEM_SIZE;
	free(second);
}

/* Without CSUM or a HOST_ GSO feature the driver must send a zero header
 * (virtio 1.2, 5.1.6.2.1): the engine does not read it, so even a header
 * that would be refused with CSUM leaves the frame as sent. */
static void test_header_ignored_without_offloads(void **state)
{
	start(state, 64, 0);
	uint8_t pkt[100];
	fill_pattern(pkt, sizeof(pkt), 4);
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 90,
				    .csum_offset = 16, .gso_type = 1 };
	drv_tx_hdr(&D, &h, pkt, sizeof(pkt));
	struct rte_mbuf *out[2];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 2), 1);
	assert_true(mbuf_equals(out[0], pkt, sizeof(pkt)));
	assert_int_equal(Q.stats.drop_bad_pkt, 0);
	rte_pktmbuf_free(out[0]);
}

/* --- frames looked at in place and copied guest to guest (no mbuf) --- */

/* Posts the bytes at s in n descriptors of the given lengths (a chain, or
 * an indirect table), each in its own guest buffer. Returns the id. */
static uint16_t post_pieces(const uint8_t *s, const uint32_t *lens, int n, bool indirect)
{
	uint64_t addr[64];
	uint16_t flags[64] = { 0 };
	for (int i = 0; i < n; i++) {
		addr[i] = drv_alloc(&D, lens[i]);
		memcpy(drv_ptr(&D, addr[i]), s, lens[i]);
		s += lens[i];
	}
	return drv_post(&D, addr, lens, flags, n, indirect);
}


/* The frame a view holds, gathered from its pieces. */
static uint32_t view_bytes(const struct vsw_vq_view *v, uint8_t *out)
{
	uint32_t n = v->nmore ? v->first_len : v->len;
	memcpy(out, v->frame, n);
	for (unsigned int i = 0; i < v->nmore; i++) {
		memcpy(out + n, v->more[i], v->more_len[i]);
		n += v->more_len[i];
	}
	return n;
}

static void assert_view_is(const struct vsw_vq_view *v, const uint8_t *frame, uint32_t len)
{
	static uint8_t got[VSW_VQ_MAX_PKT];
	assert_int_equal(v->len, len);
	assert_int_equal(view_bytes(v, got), len);
	assert_memory_equal(got, frame, len);
	assert_memory_equal(&v->eth, frame, RTE_ETHER_HDR_LEN);
	assert_int_equal(v->needs, 0);
}

/* A virtio-net header (zero) and then frame, as one byte string. */
static uint8_t *with_hdr(const uint8_t *frame, uint32_t len)
{
	static uint8_t s[12 + VSW_VQ_MAX_PKT + 64];
	memset(s, 0, 12);
	memcpy(s + 12, frame, len);
	return s;
}

static void test_peek_in_place(void **state)
{
	start(state, 64, 0);
	struct vsw_vq_view v[8];
	bool stopped = true;
	assert_int_equal(vsw_vq_peek(&Q, v, 8, &stopped), 0);
	assert_false(stopped); /* empty, not stopped */
	uint8_t pkt[5][1500];
	uint32_t lens[5] = { 60, 1500, 14, 300, 61 };
	uint16_t ids[5];
	for (int i = 0; i < 5; i++)
		fill_pattern(pkt[i], lens[i], (uint8_t)(i + 1));
	ids[0] = drv_tx(&D, pkt[0], lens[0], 1, false);
	ids[1] = drv_tx(&D, pkt[1], lens[1], 2, false); /* the header alone, then the frame */
	ids[2] = drv_tx(&D, pkt[2], lens[2], 1, true);  /* in an indirect table */
	/* The Ethernet header in two pieces: not for a view. */
	const uint32_t eth_split[2] = { 12 + 10, lens[3] - 10 };
	ids[3] = post_pieces(with_hdr(pkt[3], lens[3]), eth_split, 2, false);
	ids[4] = drv_tx(&D, pkt[4], lens[4], 1, false);
	for (int pass = 0; pass < 2; pass++) { /* looking consumes nothing */
		assert_int_equal(vsw_vq_peek(&Q, v, 8, &stopped), 3);
		assert_true(stopped);
		for (int i = 0; i < 3; i++) {
			assert_view_is(&v[i], pkt[i], lens[i]);
			assert_int_equal(v[i].head, ids[i]);
		}
		assert_ptr_equal(v[0].frame, (uint8_t *)drv_ptr(&D, D.packed ? D.pdesc[0].addr
									   : D.desc[ids[0]].addr) + 12);
		assert_false(drv_used(&D, &(uint16_t){ 0 }, &(uint32_t){ 0 }));
		assert_int_equal(Q.stats.packets, 0);
	}
	/* n bounds the look. */
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 2);
	assert_false(stopped);
	/* Two given back as sent; the rest are dequeued after them, in order. */
	assert_int_equal(vsw_vq_peek(&Q, v, 8, &stopped), 3);
	vsw_vq_peek_done(&Q, v, 2);
	uint16_t id;
	uint32_t len;
	for (int i = 0; i < 2; i++) {
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(id, ids[i]);
	}
	assert_false(drv_used(&D, &id, &len));
	assert_int_equal(Q.stats.packets, 2);
	assert_int_equal(Q.stats.bytes, 60 + 1500);
	struct rte_mbuf *out[8];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 8), 3);
	for (int i = 0; i < 3; i++) {
		assert_true(mbuf_equals(out[i], pkt[i + 2], lens[i + 2]));
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(id, ids[i + 2]);
	}
	rte_pktmbuf_free_bulk(out, 3);
	assert_false(vsw_vq_is_broken(&Q));
}

/* What a view may not hold goes the mbuf way, which says what is wrong. */
static void test_peek_stops_short(void **state)
{
	start(state, 64, 0);
	struct vsw_vq_view v[4];
	bool stopped;
	uint8_t pkt[1600];
	fill_pattern(pkt, sizeof(pkt), 3);
	drv_tx(&D, pkt, 13, 1, false); /* shorter than an Ethernet header */
	assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 0);
	assert_true(stopped);
	struct rte_mbuf *out[4];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	drv_tx(&D, pkt, 13, 3, true); /* the same in an indirect table */
	assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	Q.max_pkt_len = Q.mtu_pkt_len = 1500; /* over the port's frame size */
	drv_tx(&D, pkt, 1501, 1, false);
	drv_tx(&D, pkt, 1501, 5, false);
	assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 4), 0);
	assert_int_equal(Q.stats.drop_too_big, 2);
	/* Exactly the frame size, in pieces: a view. */
	drv_tx(&D, pkt, 1500, 5, false);
	assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 1);
	assert_view_is(&v[0], pkt, 1500);
	vsw_vq_peek_done(&Q, v, 1);
	assert_false(vsw_vq_is_broken(&Q));
}

/* Chains of several readable descriptors, direct or in an indirect table,
 * are looked at as they lie (pieces in order, zero-length ones skipped, up
 * to VSW_VIEW_PIECES), given back with the right buffer ids (packed: the
 * ring moves on by the slots each took); one piece more is dequeue's. */
static void test_peek_chains(void **state)
{
	start(state, 256, 0);
	static uint8_t frame[VSW_VQ_MAX_PKT];
	fill_pattern(frame, sizeof(frame), 9);
	uint32_t l5[5] = { 12 + 100, 1000, 0, 7, 500 }; /* 1607 bytes with a zero-length piece */
	uint32_t l20[21], l21[22];
	l20[0] = 12;
	for (int i = 1; i < 21; i++)
		l20[i] = 3000; /* 60000 bytes in VSW_VIEW_PIECES pieces */
	l21[0] = 12;
	for (int i = 1; i < 22; i++)
		l21[i] = 2000; /* 42000 in one piece more */
	uint32_t l1[1] = { 12 + 64 }; /* one descriptor, in an indirect table */
	uint16_t ids[8];
	ids[0] = post_pieces(with_hdr(frame, 1607), l5, 5, false);
	ids[1] = post_pieces(with_hdr(frame, 1607), l5, 5, true);
	ids[2] = post_pieces(with_hdr(frame, 60000), l20, 21, false);
	ids[3] = post_pieces(with_hdr(frame, 60000), l20, 21, true);
	ids[4] = post_pieces(with_hdr(frame, 64), l1, 1, true);
	ids[5] = drv_tx(&D, frame, 64, 1, false);
	ids[6] = post_pieces(with_hdr(frame, 42000), l21, 22, false);
	ids[7] = drv_tx(&D, frame, 64, 1, false);
	Q.max_pkt_len = VSW_VQ_MAX_PKT; /* as with HOST_TSO: frames of 64 KB */
	Q.mtu_pkt_len = VSW_VQ_MAX_PKT;
	struct vsw_vq_view v[8];
	bool stopped;
	assert_int_equal(vsw_vq_peek(&Q, v, 8, &stopped), 6);
	assert_true(stopped);
	const uint32_t lens[6] = { 1607, 1607, 60000, 60000, 64, 64 };
	const uint8_t nmore[6] = { 3, 3, 19, 19, 0, 0 };
	for (int i = 0; i < 6; i++) {
		assert_view_is(&v[i], frame, lens[i]);
		assert_int_equal(v[i].nmore, nmore[i]);
		assert_int_equal(v[i].head, ids[i]);
	}
	if (D.packed) {
		const uint16_t ndesc[6] = { 5, 1, 21, 1, 1, 1 };
		for (int i = 0; i < 6; i++)
			assert_int_equal(v[i].ndesc, ndesc[i]);
	}
	vsw_vq_peek_done(&Q, v, 6);
	uint16_t id;
	uint32_t len;
	for (int i = 0; i < 6; i++) {
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(id, ids[i]);
		assert_int_equal(len, 0);
	}
	assert_int_equal(Q.stats.bytes, 2 * 1607 + 2 * 60000 + 2 * 64);
	/* The one with too many pieces is dequeue's; then views again. */
	assert_int_equal(vsw_vq_peek(&Q, v, 8, &stopped), 0);
	assert_true(stopped);
	struct rte_mbuf *out[2];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 1), 1);
	assert_true(mbuf_equals(out[0], frame, 42000));
	rte_pktmbuf_free(out[0]);
	assert_int_equal(vsw_vq_peek(&Q, v, 8, &stopped), 1);
	assert_false(stopped);
	assert_int_equal(v[0].head, ids[7]);
	vsw_vq_peek_done(&Q, v, 1);
	assert_true(drv_used(&D, &id, &len));
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(id, ids[7]);
	assert_false(vsw_vq_is_broken(&Q));
}

/* A chain peek will not look at, after a good frame: the look ends at it
 * (stopped) with the queue unbroken and the good frame a view; dequeue
 * then does what it always did with it: breaks the queue for a broken
 * rule (the loop, a wild next, a writable or nested indirect descriptor,
 * a table larger than the ring, a piece outside memory: the same one log
 * line and counter as without peek), or takes or drops the frame. */
enum peek_stop_then { BREAKS, TAKEN, TOO_BIG };

static void second_region(void)
{
	uint8_t *second = aligned_alloc(4096, DRV_MEM_SIZE / 2);
	memcpy(second, D.host + DRV_MEM_SIZE / 2, DRV_MEM_SIZE / 2);
	D.mem.nregions = 2;
	D.mem.regions[0].size = DRV_MEM_SIZE / 2;
	D.mem.regions[1] = (struct vsw_mem_region){ .guest_phys_addr = DRV_GPA_BASE + DRV_MEM_SIZE / 2,
						    .size = DRV_MEM_SIZE / 2,
						    .user_addr = DRV_UVA_BASE + DRV_MEM_SIZE / 2,
						    .host_addr = second };
}

static void peek_stop_case(void **state, int which)
{
	start(state, 16, 0);
	static uint8_t frame[3000];
	fill_pattern(frame, sizeof(frame), 5);
	uint16_t good = drv_tx(&D, frame, 100, 1, false);
	uint64_t a[4];
	uint32_t l[4] = { 12, 600, 400, 400 };
	uint16_t f[4] = { 0, 0, 0, 0 };
	for (int i = 0; i < 4; i++) {
		a[i] = drv_alloc(&D, 4096);
		memcpy(drv_ptr(&D, a[i]), with_hdr(frame, 1400) + (i ? 12 + 600 * (i > 1) + 400 * (i > 2) : 0), l[i]);
	}
	bool indirect = false;
	enum peek_stop_then then = BREAKS;
	const char *what = "";
	switch (which) {
	case 0:
		what = "a writable descriptor in the chain";
		f[2] = VRING_DESC_F_WRITE;
		break;
	case 1:
		what = "the same in an indirect table";
		f[2] = VRING_DESC_F_WRITE;
		indirect = true;
		break;
	case 2:
		what = "a piece outside guest memory";
		a[3] = DRV_GPA_BASE + DRV_MEM_SIZE - 100;
		break;
	case 3:
		what = "a piece outside guest memory, indirect";
		a[3] = 0x1000;
		indirect = true;
		break;
	case 4:
		what = "the header in two pieces";
		l[0] = 5;
		l[1] = 7 + 600;
		memcpy(drv_ptr(&D, a[0]), with_hdr(frame, 1400), 5);
		memcpy(drv_ptr(&D, a[1]), with_hdr(frame, 1400) + 5, 607);
		l[2] = l[3] = 400;
		then = TAKEN;
		break;
	case 5:
		what = "a piece across two memory regions";
		second_region();
		a[2] = DRV_GPA_BASE + DRV_MEM_SIZE / 2 - 200;
		memcpy(drv_ptr(&D, a[2]), frame + 600, 200);
		memcpy(D.mem.regions[1].host_addr, frame + 800, 200);
		then = TAKEN;
		break;
	case 6:
		what = "a frame longer than max_pkt_len in pieces";
		Q.max_pkt_len = Q.mtu_pkt_len = 1399;
		then = TOO_BIG;
		break;
	case 7:
		what = "an indirect table larger than the ring";
		indirect = true;
		break; /* made below */
	default:
		what = D.packed ? "an indirect descriptor inside a chain" : "a loop";
		break; /* made below */
	}
	/* The chain's slots: split descriptors first..first+3, packed ring slots. */
	uint16_t first = D.packed ? D.next_avail : D.next_desc;
	if (which == 7) {
		uint64_t aa[17];
		uint32_t ll[17];
		uint16_t ff[17] = { 0 };
		for (int i = 0; i < 17; i++) {
			aa[i] = a[i % 4];
			ll[i] = l[i % 4];
		}
		drv_post(&D, aa, ll, ff, 17, true);
	} else if (which >= 8) {
		/* Changed before the driver's position moves on (split: before
		 * anything reads it; packed: the first slot's flags are final). */
		drv_post(&D, a, l, f, 4, which == 11);
		if (D.packed) {
			if (which == 8) {
				D.pdesc[(first + 2) % 16].flags |= VRING_DESC_F_INDIRECT;
			} else {
				what = "a buffer id outside the ring";
				D.pdesc[(first + 3) % 16].id = 16;
			}
		} else {
			struct vring_desc *d = D.desc;
			uint16_t s2 = (uint16_t)((first + 2) % 16);
			if (which == 8) {
				d[s2].next = first; /* back to the head */
			} else if (which == 9) {
				what = "a next outside the ring";
				d[s2].next = 16;
			} else if (which == 10) {
				what = "an indirect descriptor inside a chain";
				d[s2].flags |= VRING_DESC_F_INDIRECT;
			} else {
				what = "an indirect descriptor in an indirect table";
				struct vring_desc *t = drv_ptr(&D, d[first].addr);
				t[2].flags |= VRING_DESC_F_INDIRECT;
			}
		}
	} else {
		drv_post(&D, a, l, f, 4, indirect);
	}
	struct vsw_vq_view v[4];
	bool stopped = false;
	uint16_t got = vsw_vq_peek(&Q, v, 4, &stopped);
	if (got != 1 || !stopped || vsw_vq_is_broken(&Q) || Q.stats.broken != 0)
		fail_msg("%s: peek took %u, stopped %d, broken %d", what, got, stopped,
			 vsw_vq_is_broken(&Q));
	assert_int_equal(v[0].head, good);
	vsw_vq_peek_done(&Q, v, 1);
	struct rte_mbuf *out[2];
	uint16_t n = vsw_vq_dequeue_burst(&Q, pool, out, 2);
	switch (then) {
	case BREAKS:
		if (n != 0 || !vsw_vq_is_broken(&Q) || Q.stats.broken != 1)
			fail_msg("%s: dequeue took %u, broken %d", what, n, vsw_vq_is_broken(&Q));
		break;
	case TAKEN:
		if (n != 1 || !mbuf_equals(out[0], frame, 1400))
			fail_msg("%s: dequeue took %u, not the frame", what, n);
		rte_pktmbuf_free(out[0]);
		assert_false(vsw_vq_is_broken(&Q));
		break;
	case TOO_BIG:
		assert_int_equal(n, 0);
		assert_int_equal(Q.stats.drop_too_big, 1);
		assert_false(vsw_vq_is_broken(&Q));
		break;
	}
	if (D.mem.nregions == 2) {
		free(D.mem.regions[1].host_addr);
		D.mem.nregions = 1;
		D.mem.regions[0].size = DRV_MEM_SIZE;
	}
}

static void test_peek_stops_at_chains_dequeue_judges(void **state)
{
	const struct mode *m = mode_of(state);
	for (int which = 0; which < (m->packed ? 10 : 12); which++) {
		peek_stop_case(state, which);
		drv_fini(&D);
	}
}

/* With CSUM negotiated a plain checksum request travels with its view;
 * a GSO request the guest did not negotiate (HOST_TSO4) stops the look. */
static void test_peek_stops_at_offload_header(void **state)
{
	start(state, 64, 0);
	uint8_t pkt[100] = { 0 };
	drv_tx(&D, pkt, sizeof(pkt), 1, false);
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
				    .csum_offset = 6 };
	drv_tx_hdr(&D, &h, pkt, sizeof(pkt));
	struct virtio_net_hdr g = h;
	g.gso_type = 1;
	g.gso_size = 50;
	drv_tx_hdr(&D, &g, pkt, sizeof(pkt));
	struct vsw_vq_view v[4];
	bool stopped;
	assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 2);
	assert_true(stopped);
	assert_int_equal(v[0].needs, 0);
	assert_int_equal(v[1].needs, VSW_OFF_CSUM);
	assert_int_equal(v[1].csum_start, 34);
	assert_int_equal(v[1].csum_offset, 6);
}

/* A view is delivered with the Ethernet header that was read once (eth),
 * whatever the sender's memory holds by then, and the rest from there. */
static void test_views_to_rx(void **state)
{
	start(state, 64, 0);
	uint64_t gpa[3];
	for (int i = 0; i < 3; i++) {
		gpa[i] = post_rx(2048);
	}
	uint8_t frame[2][1000];
	fill_pattern(frame[0], 1000, 1);
	fill_pattern(frame[1], 60, 2);
	struct vsw_vq_view v[2] = { { .frame = frame[0], .len = 1000, .head = 0 },
				    { .frame = frame[1], .len = 60, .head = 1 } };
	memset(&v[0].eth, 0xab, sizeof(v[0].eth));
	memcpy(&v[1].eth, frame[1], RTE_ETHER_HDR_LEN);
	const struct vsw_vq_view *vp[2] = { &v[0], &v[1] };
	assert_int_equal(vsw_vq_enqueue_views(&Q, vp, 2), 2);
	static const uint8_t hdr[12] = { [10] = 1 };
	uint16_t id;
	uint32_t len;
	const uint8_t *b = drv_ptr(&D, gpa[0]);
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(len, 12 + 1000);
	assert_memory_equal(b, hdr, 12);
	assert_memory_equal(b + 12, &v[0].eth, RTE_ETHER_HDR_LEN);
	assert_memory_equal(b + 12 + 14, frame[0] + 14, 1000 - 14);
	b = drv_ptr(&D, gpa[1]);
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(len, 12 + 60);
	assert_memory_equal(b + 12, frame[1], 60);
	assert_int_equal(Q.stats.packets, 2);
	assert_int_equal(Q.stats.bytes, 1060);
	/* One buffer left for two: a prefix is taken, the rest counted. */
	assert_int_equal(vsw_vq_enqueue_views(&Q, vp, 2), 1);
	assert_int_equal(Q.stats.drop_no_buf, 1);
	assert_false(vsw_vq_is_broken(&Q));
}

/* Held views are written but shown to the driver only at the release,
 * all at once and in order, however many enqueues went into the hold. */
static void test_views_held(void **state)
{
	start(state, 64, 0);
	uint64_t gpa[4];
	for (int i = 0; i < 4; i++)
		gpa[i] = post_rx(2048);
	uint8_t frame[3][200];
	struct vsw_vq_view v[3];
	const struct vsw_vq_view *vp[3];
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 3; i++) {
		fill_pattern(frame[i], sizeof(frame[i]), (uint8_t)(10 + i));
		v[i].frame = frame[i];
		v[i].len = (uint32_t)(100 + 50 * i);
		v[i].first_len = v[i].len;
		v[i].head = (uint16_t)i;
		memcpy(&v[i].eth, frame[i], RTE_ETHER_HDR_LEN);
		vp[i] = &v[i];
	}
	uint16_t id;
	uint32_t len;
	assert_int_equal(vsw_vq_enqueue_views_held(&Q, vp, 2), 2);
	assert_false(drv_used(&D, &id, &len));
	assert_int_equal(vsw_vq_enqueue_views_held(&Q, &vp[2], 1), 1);
	assert_false(drv_used(&D, &id, &len));
	/* Already written where the driver will look. */
	assert_memory_equal(drv_ptr(&D, gpa[2]) + 12, frame[2], v[2].len);
	vsw_vq_release_held();
	for (int i = 0; i < 3; i++) {
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(len, 12 + v[i].len);
		assert_memory_equal(drv_ptr(&D, gpa[i]) + 12, frame[i], v[i].len);
	}
	assert_false(drv_used(&D, &id, &len));
	assert_int_equal(Q.stats.packets, 3);
	/* Released: a plain enqueue is shown at once again. */
	assert_int_equal(vsw_vq_enqueue_views(&Q, vp, 1), 1);
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(len, 12 + v[0].len);
	vsw_vq_release_held(); /* nothing held: nothing happens */
	assert_false(drv_used(&D, &id, &len));
	assert_false(vsw_vq_is_broken(&Q));
}

/* A view over several small buffers (MRG_RXBUF): header, eth, rest. */
static void test_views_mergeable(void **state)
{
	start(state, 64, 0);
	uint64_t first = post_rx(10); /* 20 buffers in all */
	for (int i = 1; i < 20; i++)
		post_rx(10);
	uint8_t frame[100];
	fill_pattern(frame, sizeof(frame), 6);
	struct vsw_vq_view v = { .frame = frame, .len = sizeof(frame), .head = 0 };
	memset(&v.eth, 0x5a, sizeof(v.eth));
	const struct vsw_vq_view *vp = &v;
	assert_int_equal(vsw_vq_enqueue_views(&Q, &vp, 1), 1);
	/* 112 bytes in 10-byte buffers: 12; drv_rx buffers are 16 bytes apart. */
	uint8_t got[120];
	uint32_t total = 0, len;
	uint16_t id;
	int n = 0;
	while (drv_used(&D, &id, &len)) {
		memcpy(got + total, drv_ptr(&D, first + 16ull * (uint64_t)n), len);
		total += len;
		n++;
	}
	assert_int_equal(n, 12);
	assert_int_equal(total, 112);
	assert_int_equal(got[10] | got[11] << 8, 12);
	assert_memory_equal(got + 12, &v.eth, RTE_ETHER_HDR_LEN);
	assert_memory_equal(got + 26, frame + 14, sizeof(frame) - 14);
}

/* --- a guest rewriting what the device reads, while it reads --- */

/* The guest rewrites every descriptor (and, split, every avail entry) of a
 * ring of FLIP_SIZE, each field between its one good value and bad ones
 * (vring_driver.h), while this thread is the device: a second thread in a
 * tight loop, or, where it works, a rewrite between every two accesses the
 * device makes to the ring, which no double read can slip through. Whatever
 * mix of values the device reads, it may use only what it checked: the
 * good buffer whole, or the queue broken; never bytes outside guest memory,
 * another length, or a buffer ID outside the ring. Guest memory ends
 * CANARY bytes before the driver's allocation does, so a read or write past
 * its end is seen without ASan too. */
#define FLIP_SIZE 8
#define FLIP_ID 5
#define FLIP_FRAME 64
#define FLIP_BUF (12 + FLIP_FRAME)
#define CANARY 4096
#define FLIP_MS 250
#define FLIP_TRAP_ROUNDS 300

static struct drv_rewrite RW;
static int vring_log_level = -1; /* while a test silences the engine's log */
static struct {
	bool rx;
	uint64_t good_addr;
	uint8_t frame[FLIP_FRAME];
	struct rte_mbuf *m[4];
	/* what came out, how often the queue broke */
	uint64_t good, broken;
	uint32_t inflight, pos; /* packed: slots made available; the device's position */
} FL;

static int flip_teardown(void **state)
{
	/* Also after a failed assertion: the rewriter writes D. */
	drv_rewrite_disarm();
	drv_rewriter_stop();
	if (vring_log_level >= 0)
		rte_log_set_level(vsw_logtype_vring, (uint32_t)vring_log_level);
	vring_log_level = -1;
	if (FL.m[0] != NULL)
		rte_pktmbuf_free_bulk(FL.m, 4);
	memset(FL.m, 0, sizeof(FL.m));
	return teardown(state);
}

/* A ring of FLIP_SIZE whose every descriptor is the good buffer: the last
 * FLIP_BUF bytes of guest memory. */
static void flip_start(void **state, bool rx)
{
	start(state, FLIP_SIZE, 0);
	D.mem.regions[0].size = DRV_MEM_SIZE - CANARY;
	memset(D.host + DRV_MEM_SIZE - CANARY, 0xa5, CANARY);
	memset(&FL, 0, sizeof(FL));
	FL.rx = rx;
	FL.good_addr = DRV_GPA_BASE + DRV_MEM_SIZE - CANARY - FLIP_BUF;
	fill_pattern(FL.frame, FLIP_FRAME, 0x33);
	uint8_t *g = drv_ptr(&D, FL.good_addr);
	memset(g, 0, 12);
	memcpy(g + 12, FL.frame, FLIP_FRAME);
	uint16_t good = rx ? VRING_DESC_F_WRITE : 0;
	RW = (struct drv_rewrite){
		/* below guest memory; running into the canary; the canary */
		.addr = { FL.good_addr, 0x1000, FL.good_addr + 16, FL.good_addr + FLIP_BUF },
		.len = { FLIP_BUF, FLIP_BUF + 1024, 0xffffffffu, 0 },
		.flags = { good, good ^ VRING_DESC_F_WRITE, good | VRING_DESC_F_NEXT,
			   good | VRING_DESC_F_INDIRECT },
		.id = { FLIP_ID, FLIP_SIZE, 0xffff, FLIP_SIZE + FLIP_ID },
		.seed = 2463534242u,
	};
	for (uint16_t j = 0; j < FLIP_SIZE; j++) {
		if (D.packed) {
			D.pdesc[j] = (struct vring_packed_desc){ .addr = FL.good_addr, .len = FLIP_BUF,
								  .id = FLIP_ID };
		} else {
			D.desc[j] = (struct vring_desc){ .addr = FL.good_addr, .len = FLIP_BUF,
							  .flags = good, .next = FLIP_SIZE };
			D.avail->ring[j] = j;
		}
	}
	for (int i = 0; i < 4; i++)
		FL.m[i] = make_mbuf(FL.frame, FLIP_FRAME);
	/* Thousands of breaks, each one logged: not while this runs. */
	vring_log_level = rte_log_get_level(vsw_logtype_vring);
	rte_log_set_level(vsw_logtype_vring, RTE_LOG_CRIT);
}

/* The driver keeps every slot available; what they hold is the rewriter's. */
static void flip_refill(void)
{
	if (!D.packed) {
		while ((uint16_t)(D.avail_idx - __atomic_load_n(&D.used->idx, __ATOMIC_ACQUIRE)) <
		       FLIP_SIZE) {
			D.avail_idx++;
			__atomic_store_n(&D.avail->idx, D.avail_idx, __ATOMIC_RELEASE);
		}
		return;
	}
	/* The device's position on a circle of two laps: how many it took. */
	uint32_t lap = 2u * FLIP_SIZE, pos = Q.last_avail_idx + (Q.avail_wrap ? 0u : FLIP_SIZE);
	FL.inflight -= (pos + lap - FL.pos) % lap;
	FL.pos = pos;
	for (; FL.inflight < FLIP_SIZE; FL.inflight++) {
		/* As a driver does: the buffer first (the device wrote over it
		 * when it gave the slot back), then the flags. */
		struct vring_packed_desc *p = &D.pdesc[D.next_avail];
		__atomic_store_n(&p->addr, FL.good_addr, __ATOMIC_RELAXED);
		__atomic_store_n(&p->len, FLIP_BUF, __ATOMIC_RELAXED);
		__atomic_store_n(&p->id, FLIP_ID, __ATOMIC_RELAXED);
		uint16_t f = RW.flags[0] |
			     (D.avail_wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED);
		__atomic_store_n(&p->flags, f, __ATOMIC_RELEASE);
		if (++D.next_avail == FLIP_SIZE) {
			D.next_avail = 0;
			D.avail_wrap = !D.avail_wrap;
		}
	}
}

/* Split: every used entry names a head inside the ring, with the length
 * written (RX) or 0. Packed used slots are the rewriter's to scribble on. */
static void flip_check_used(void)
{
	if (D.packed)
		return;
	uint16_t idx = __atomic_load_n(&D.used->idx, __ATOMIC_ACQUIRE);
	for (; D.used_seen != idx; D.used_seen++) {
		const struct vring_used_elem *u = &D.used->ring[D.used_seen % FLIP_SIZE];
		assert_in_range(u->id, 0, FLIP_SIZE - 1);
		assert_int_equal(u->len, FL.rx ? FLIP_BUF : 0);
	}
}

/* One device call on the TX ring: looked at in place and given back as
 * sent, or dequeued; all that came out is the good frame. */
static void tx_burst(unsigned int i)
{
	const uint8_t *good_frame = (const uint8_t *)drv_ptr(&D, FL.good_addr) + 12;
	if (i & 1) {
		struct vsw_vq_view v[FLIP_SIZE];
		bool stopped;
		uint16_t k = vsw_vq_peek(&Q, v, FLIP_SIZE, &stopped);
		for (uint16_t j = 0; j < k; j++) {
			assert_ptr_equal(v[j].frame, good_frame);
			assert_int_equal(v[j].len, FLIP_FRAME);
			assert_memory_equal(&v[j].eth, FL.frame, RTE_ETHER_HDR_LEN);
			if (D.packed)
				assert_int_equal(v[j].head, FLIP_ID);
			else
				assert_in_range(v[j].head, 0, FLIP_SIZE - 1);
		}
		vsw_vq_peek_done(&Q, v, k);
		FL.good += k;
		return;
	}
	struct rte_mbuf *out[FLIP_SIZE];
	uint16_t k = vsw_vq_dequeue_burst(&Q, pool, out, FLIP_SIZE);
	for (uint16_t j = 0; j < k; j++) {
		bool same = mbuf_equals(out[j], FL.frame, FLIP_FRAME);
		rte_pktmbuf_free(out[j]);
		assert_true(same);
	}
	FL.good += k;
}

/* One device call on the RX ring: mbufs or another guest's frame. Every
 * buffer is big enough, so nothing is too big. */
static void rx_burst(unsigned int i)
{
	struct vsw_vq_view v = { .frame = FL.frame, .len = FLIP_FRAME };
	memcpy(&v.eth, FL.frame, RTE_ETHER_HDR_LEN);
	const struct vsw_vq_view *vp[4] = { &v, &v, &v, &v };
	uint64_t before = Q.stats.packets;
	if (i & 1)
		vsw_vq_enqueue_views(&Q, vp, 4);
	else
		vsw_vq_enqueue_burst(&Q, FL.m, 4);
	assert_int_equal(Q.stats.drop_too_big, 0);
	FL.good += Q.stats.packets - before;
}

/* After each call: a broken queue is the right answer to a bad read;
 * count it and set the queue up again where it stopped. */
static void flip_after_burst(void)
{
	flip_check_used();
	if (!vsw_vq_is_broken(&Q))
		return;
	FL.broken++;
	D.setup.base = vsw_vq_get_base(&Q);
	assert_int_equal(vsw_vq_init(&Q, &D.setup), 0);
}

static void run_rewritten(void (*burst)(unsigned int), bool traps)
{
	if (traps) {
		if (!drv_rewrite_traps())
			skip();
		for (unsigned int i = 0; i < FLIP_TRAP_ROUNDS; i++) {
			flip_refill();
			drv_rewrite_arm(&D, &RW);
			burst(i);
			drv_rewrite_disarm();
			flip_after_burst();
		}
	} else {
		assert_int_equal(drv_rewriter_start(&D, &RW), 0);
		/* FLIP_MS, or longer (at most 20 times) until there were both
		 * good buffers and broken queues: on a loaded machine the
		 * rewriter may not have been given a CPU soon. */
		uint64_t now = rte_get_timer_cycles(), ms = rte_get_timer_hz() / 1000;
		uint64_t end = now + ms * FLIP_MS, last = now + 20 * ms * FLIP_MS;
		for (unsigned int i = 0; now < end || ((FL.good == 0 || FL.broken == 0) && now < last);
		     i++, now = rte_get_timer_cycles()) {
			flip_refill();
			burst(i);
			flip_after_burst();
		}
		drv_rewriter_stop();
	}
	/* It ran: good buffers came through and bad ones broke the queue. */
	assert_true(FL.good > 0);
	assert_true(FL.broken > 0);
	uint8_t canary[CANARY];
	memset(canary, 0xa5, sizeof(canary));
	assert_memory_equal(D.host + DRV_MEM_SIZE - CANARY, canary, CANARY);
}

static void test_tx_rewritten_while_read(void **state)
{
	flip_start(state, false);
	run_rewritten(tx_burst, false);
}

static void test_tx_rewritten_between_reads(void **state)
{
	flip_start(state, false);
	run_rewritten(tx_burst, true);
}

static void test_rx_rewritten_while_written(void **state)
{
	flip_start(state, true);
	run_rewritten(rx_burst, false);
}

static void test_rx_rewritten_between_reads(void **state)
{
	flip_start(state, true);
	run_rewritten(rx_burst, true);
}

/* --- virtio-net headers in pieces, and chains shorter than one --- */

/* A virtio-net header over three or more descriptors (virtio 1.2, "Message
 * Framing": the device may assume no particular arrangement; DPDK
 * CVE-2022-2132 was a header over three): put together before it is used. CSUM is negotiated,
 * so the header's fields matter: its checksum request is completed, or,
 * pointing past the frame, refused with the packet dropped. */
static void test_tx_header_in_pieces(void **state)
{
	start(state, 64, 0);
	uint8_t frame[100], want[100];
	fill_pattern(frame, sizeof(frame), 8);
	frame[40] = frame[41] = 0;
	memcpy(want, frame, sizeof(want));
	uint16_t sum = (uint16_t)~rte_raw_cksum(frame + 34, sizeof(frame) - 34);
	if (sum == 0)
		sum = 0xffff;
	memcpy(want + 40, &sum, 2);
	struct virtio_net_hdr ok = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
				     .csum_offset = 6 };
	struct virtio_net_hdr bad = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 90,
				      .csum_offset = 16 };
	uint8_t s_ok[112], s_bad[112];
	memcpy(s_ok, &ok, 12);
	memcpy(s_ok + 12, frame, 100);
	memcpy(s_bad, &bad, 12);
	memcpy(s_bad + 12, frame, 100);
	const uint32_t by4[4] = { 4, 4, 4, 100 };
	const uint32_t mixed[4] = { 5, 3, 6, 98 }; /* the third: header and frame */
	uint32_t bytes[15];
	for (int i = 0; i < 12; i++)
		bytes[i] = 1;
	bytes[12] = 30, bytes[13] = 30, bytes[14] = 40;
	uint16_t ids[5];
	ids[0] = post_pieces(s_ok, by4, 4, false);
	ids[1] = post_pieces(s_ok, mixed, 4, false);
	ids[2] = post_pieces(s_ok, bytes, 15, false);
	ids[3] = post_pieces(s_bad, by4, 4, false);
	ids[4] = post_pieces(s_ok, by4, 4, true);
	struct rte_mbuf *out[8];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 8), 4);
	for (int i = 0; i < 4; i++)
		assert_true(mbuf_equals(out[i], want, sizeof(want)));
	rte_pktmbuf_free_bulk(out, 4);
	assert_int_equal(Q.stats.drop_bad_hdr[VSW_HDR_CSUM], 1);
	for (int i = 0; i < 5; i++) {
		uint16_t id;
		uint32_t len;
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(id, ids[i]);
	}
	assert_false(vsw_vq_is_broken(&Q));
}

/* A chain shorter than the header, in one descriptor or several, or a
 * header with no frame: not a packet. Dropped and given back; the queue
 * goes on. */
static void test_tx_chain_shorter_than_header(void **state)
{
	start(state, 64, 0);
	uint8_t s[112] = { 0 };
	fill_pattern(s + 12, 100, 2);
	const uint32_t l8[2] = { 4, 4 }, l11[3] = { 4, 4, 3 }, l12[3] = { 4, 4, 4 }, one[1] = { 11 };
	const uint32_t good[4] = { 4, 4, 4, 100 };
	unsigned int avail = rte_mempool_avail_count(pool);
	uint16_t ids[6] = { post_pieces(s, l8, 2, false), post_pieces(s, l11, 3, false),
			    post_pieces(s, l12, 3, false), post_pieces(s, one, 1, false),
			    post_pieces(s, l11, 3, true), post_pieces(s, good, 4, false) };
	struct rte_mbuf *out[8];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 8), 1);
	assert_true(mbuf_equals(out[0], s + 12, 100));
	rte_pktmbuf_free(out[0]);
	assert_int_equal(Q.stats.drop_bad_pkt, 5);
	assert_int_equal(Q.stats.packets, 1);
	for (int i = 0; i < 6; i++) {
		uint16_t id;
		uint32_t len;
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(id, ids[i]);
	}
	assert_false(vsw_vq_is_broken(&Q));
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

/* RX buffers of the given lengths, each followed by guard bytes up to the
 * next 16 (drv_alloc's alignment): one chain, or one chain each. */
static void post_rx_pieces(const uint32_t *lens, int n, bool one_chain, uint64_t *addr)
{
	uint16_t flags[16];
	for (int i = 0; i < n; i++) {
		addr[i] = drv_alloc(&D, (lens[i] + 15) & ~15u);
		memset(drv_ptr(&D, addr[i]), 0xee, (lens[i] + 15) & ~15u);
		flags[i] = VRING_DESC_F_WRITE;
		if (!one_chain)
			drv_post(&D, &addr[i], &lens[i], &flags[i], 1, false);
	}
	if (one_chain)
		drv_post(&D, addr, lens, flags, n, false);
}

/* The guard bytes after each RX buffer are as posted. */
static void assert_guards(const uint32_t *lens, int n, const uint64_t *addr)
{
	for (int i = 0; i < n; i++) {
		const uint8_t *p = drv_ptr(&D, addr[i]);
		for (uint32_t j = lens[i]; j < ((lens[i] + 15) & ~15u); j++)
			assert_int_equal(p[j], 0xee);
	}
}

/* What the guest finds in RX buffers: their bytes, in order. */
static void gather(const uint32_t *lens, int n, const uint64_t *addr, uint8_t *out)
{
	for (int i = 0; i < n; i++) {
		memcpy(out, drv_ptr(&D, addr[i]), lens[i]);
		out += lens[i];
	}
}

/* RX: the header written over three or more descriptors of one chain and,
 * with MRG_RXBUF, over as many buffers, num_buffers' two bytes in
 * different ones; nothing past any descriptor. */
static void test_rx_header_in_pieces(void **state)
{
	start(state, 64, 0);
	uint8_t frame[64], want[76] = { [10] = 1 }, got[128];
	fill_pattern(frame, sizeof(frame), 4);
	memcpy(want + 12, frame, sizeof(frame));
	struct rte_mbuf *m = make_mbuf(frame, sizeof(frame));
	const uint32_t lens[5] = { 4, 4, 3, 1, 100 };
	uint64_t a[5];
	post_rx_pieces(lens, 5, true, a);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
	uint16_t id;
	uint32_t len;
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(len, 76);
	gather(lens, 5, a, got);
	assert_memory_equal(got, want, 76);
	assert_guards(lens, 5, a);
	if (D.features & F(VSW_VIRTIO_NET_F_MRG_RXBUF)) {
		post_rx_pieces(lens, 5, false, a);
		assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
		const uint32_t used[5] = { 4, 4, 3, 1, 64 };
		for (int i = 0; i < 5; i++) {
			assert_true(drv_used(&D, &id, &len));
			assert_int_equal(len, used[i]);
		}
		want[10] = 5; /* num_buffers: byte 10 in the third buffer, 11 in the fourth */
		gather(lens, 5, a, got);
		assert_memory_equal(got, want, 76);
		assert_guards(lens, 5, a);
	}
	assert_false(drv_used(&D, &id, &len));
	assert_false(vsw_vq_is_broken(&Q));
	rte_pktmbuf_free(m);
}

/* RX buffers shorter than the header. One chain per packet: the chain is
 * consumed empty (too small, as for any packet over its buffer). With
 * MRG_RXBUF: too few buffers, nothing consumed until more come. */
static void test_rx_chain_shorter_than_header(void **state)
{
	start(state, 64, 0);
	uint8_t frame[64], want[76] = { [10] = 1 }, got[128];
	fill_pattern(frame, sizeof(frame), 4);
	memcpy(want + 12, frame, sizeof(frame));
	struct rte_mbuf *m = make_mbuf(frame, sizeof(frame));
	uint16_t id;
	uint32_t len;
	const uint32_t l11[3] = { 4, 4, 3 };
	uint64_t a[5];
	if (!(D.features & F(VSW_VIRTIO_NET_F_MRG_RXBUF))) {
		post_rx_pieces(l11, 3, true, a);
		assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(len, 0);
		assert_int_equal(Q.stats.drop_too_big, 1);
		assert_int_equal(Q.stats.packets, 0);
		assert_guards(l11, 3, a);
		/* The next packet goes to the next buffer. */
		const uint32_t big[1] = { 2048 };
		post_rx_pieces(big, 1, true, a);
		assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
		assert_true(drv_used(&D, &id, &len));
		assert_int_equal(len, 76);
		assert_memory_equal(drv_ptr(&D, a[0]), want, 76);
	} else {
		const uint32_t lens[4] = { 4, 4, 4, 100 };
		post_rx_pieces(lens, 2, false, a);
		assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 0);
		assert_int_equal(Q.stats.drop_no_buf, 1);
		assert_false(drv_used(&D, &id, &len));
		post_rx_pieces(lens + 2, 2, false, a + 2);
		assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
		for (int i = 0; i < 4; i++) {
			assert_true(drv_used(&D, &id, &len));
			assert_int_equal(len, i < 3 ? 4 : 64);
		}
		want[10] = 4; /* num_buffers: both bytes in the third buffer */
		gather(lens, 4, a, got);
		assert_memory_equal(got, want, 76);
		assert_guards(lens, 4, a);
	}
	assert_false(drv_used(&D, &id, &len));
	assert_false(vsw_vq_is_broken(&Q));
	rte_pktmbuf_free(m);
}

/* --- a chain is at most the ring size long --- */

/* Virtio 1.2 (the driver requirements of split "Indirect Descriptors" and
 * packed "Scatter-Gather Support"): no chain longer than the queue size,
 * indirect tables included. A table of exactly that many entries works;
 * one entry more breaks the queue. */
static void test_indirect_table_of_ring_size(void **state)
{
	start(state, 8, 0);
	uint8_t frame[200];
	fill_pattern(frame, sizeof(frame), 6);
	drv_tx(&D, frame, sizeof(frame), 8, true); /* the header, then 7 pieces */
	struct rte_mbuf *out[2];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 2), 1);
	assert_true(mbuf_equals(out[0], frame, sizeof(frame)));
	rte_pktmbuf_free(out[0]);
	assert_false(vsw_vq_is_broken(&Q));
	drv_tx(&D, frame, sizeof(frame), 9, true); /* 9 entries in a ring of 8 */
	expect_broken();
}

/* A direct chain of every descriptor of the ring works (packed: from the
 * middle, so it wraps the ring's end); one hop more, back to its first
 * descriptor, breaks the queue. */
static void test_chain_of_ring_size(void **state)
{
	start(state, 8, 3);
	uint8_t frame[200];
	fill_pattern(frame, sizeof(frame), 7);
	uint16_t head = drv_tx(&D, frame, sizeof(frame), 8, false);
	struct rte_mbuf *out[2];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, out, 2), 1);
	assert_true(mbuf_equals(out[0], frame, sizeof(frame)));
	rte_pktmbuf_free(out[0]);
	uint16_t id;
	uint32_t len;
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(id, head);
	assert_false(vsw_vq_is_broken(&Q));
	uint64_t a = drv_alloc(&D, 64);
	memset(drv_ptr(&D, a), 0, 64);
	if (D.packed) {
		uint16_t first = D.next_avail;
		for (int i = 0; i < 8; i++) {
			uint16_t slot = (uint16_t)((first + i) % 8);
			bool wrap = slot >= first ? D.avail_wrap : !D.avail_wrap;
			uint16_t f = VRING_DESC_F_NEXT |
				     (wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED);
			D.pdesc[slot] = (struct vring_packed_desc){ .addr = a, .len = 16, .id = 1 };
			if (i > 0)
				D.pdesc[slot].flags = f;
		}
		__atomic_store_n(&D.pdesc[first].flags,
				 (uint16_t)(VRING_DESC_F_NEXT | (D.avail_wrap ? VRING_PACKED_DESC_F_AVAIL
									      : VRING_PACKED_DESC_F_USED)),
				 __ATOMIC_RELEASE);
	} else {
		for (uint16_t i = 0; i < 8; i++)
			D.desc[i] = (struct vring_desc){ .addr = a, .len = 16, .flags = VRING_DESC_F_NEXT,
							  .next = (uint16_t)((i + 1) % 8) };
		drv_publish_head(&D, 0);
	}
	expect_broken();
}

#define BOTH(fn)                                                                         \
	cmocka_unit_test_prestate_setup_teardown(fn, NULL, teardown, (void *)&SPLIT),    \
	cmocka_unit_test_prestate_setup_teardown(fn, NULL, teardown, (void *)&PACKED)

int main(void)
{
	pool = ut_eal_pool("vring", 8191);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		BOTH(test_tx_single_chained_indirect),
		BOTH(test_tx_64k_multiseg),
		BOTH(test_rx_single_buffer_per_packet),
		BOTH(test_rx_header_written_only_if_different),
		cmocka_unit_test_prestate_setup_teardown(test_rx_mergeable, NULL, teardown, (void *)&SPLIT_MRG),
		cmocka_unit_test_prestate_setup_teardown(test_rx_mergeable, NULL, teardown, (void *)&PACKED_MRG),
		BOTH(test_index_wraps_at_65535),
		BOTH(test_notifications),
		cmocka_unit_test_prestate_setup_teardown(test_notifications, NULL, teardown, (void *)&SPLIT_EVIDX),
		cmocka_unit_test_prestate_setup_teardown(test_notifications_deferred, NULL, teardown, (void *)&SPLIT),
		cmocka_unit_test_prestate_setup_teardown(test_notifications_deferred, NULL, teardown, (void *)&SPLIT_EVIDX),
		cmocka_unit_test_prestate_setup_teardown(test_notifications_deferred_shared, NULL, teardown, (void *)&SPLIT_EVIDX),
		BOTH(test_bad_address),
		BOTH(test_length_overflow),
		BOTH(test_buffer_ends_exactly_at_region_end),
		BOTH(test_head_out_of_range),
		BOTH(test_chain_loop),
		BOTH(test_nested_indirect),
		BOTH(test_indirect_bad_size),
		BOTH(test_writable_on_tx),
		BOTH(test_readonly_on_rx),
		BOTH(test_rx_chain_first_buffer_big_enough),
		cmocka_unit_test_prestate_setup_teardown(test_rx_id_out_of_range, NULL, teardown, (void *)&PACKED),
		cmocka_unit_test_prestate_setup_teardown(test_avail_runs_ahead, NULL, teardown, (void *)&SPLIT),
		BOTH(test_zero_length_head),
		BOTH(test_too_big_dropped_not_broken),
		cmocka_unit_test_prestate_setup_teardown(test_bad_headers_dropped, NULL, teardown, (void *)&SPLIT_CSUM),
		cmocka_unit_test_prestate_setup_teardown(test_bad_headers_dropped, NULL, teardown, (void *)&PACKED_CSUM),
		BOTH(test_header_ignored_without_offloads),
		BOTH(test_peek_in_place),
		BOTH(test_peek_stops_short),
		BOTH(test_peek_chains),
		BOTH(test_peek_stops_at_chains_dequeue_judges),
		cmocka_unit_test_prestate_setup_teardown(test_peek_stops_at_offload_header, NULL, teardown, (void *)&SPLIT_CSUM),
		cmocka_unit_test_prestate_setup_teardown(test_peek_stops_at_offload_header, NULL, teardown, (void *)&PACKED_CSUM),
		BOTH(test_views_to_rx),
		BOTH(test_views_held),
		cmocka_unit_test_prestate_setup_teardown(test_views_mergeable, NULL, teardown, (void *)&SPLIT_MRG),
		cmocka_unit_test_prestate_setup_teardown(test_views_mergeable, NULL, teardown, (void *)&PACKED_MRG),
		BOTH(test_ring_outside_memory),
		BOTH(test_buffer_across_regions),
		BOTH(test_many_drops),
		cmocka_unit_test_prestate_setup_teardown(test_split_resumes_at_used_index, NULL, teardown, (void *)&SPLIT),
		cmocka_unit_test_prestate_setup_teardown(test_tx_parks_newest_frames_of_in_order_guest, NULL, teardown, (void *)&SPLIT),
		cmocka_unit_test_prestate_setup_teardown(test_tx_parks_newest_frames_of_in_order_guest, NULL, teardown, (void *)&SPLIT_IN_ORDER),
		cmocka_unit_test_prestate_setup_teardown(test_tx_rewritten_while_read, NULL, flip_teardown, (void *)&SPLIT),
		cmocka_unit_test_prestate_setup_teardown(test_tx_rewritten_while_read, NULL, flip_teardown, (void *)&PACKED),
		cmocka_unit_test_prestate_setup_teardown(test_rx_rewritten_while_written, NULL, flip_teardown, (void *)&SPLIT),
		cmocka_unit_test_prestate_setup_teardown(test_rx_rewritten_while_written, NULL, flip_teardown, (void *)&PACKED),
		cmocka_unit_test_prestate_setup_teardown(test_tx_rewritten_between_reads, NULL, flip_teardown, (void *)&SPLIT),
		cmocka_unit_test_prestate_setup_teardown(test_tx_rewritten_between_reads, NULL, flip_teardown, (void *)&PACKED),
		cmocka_unit_test_prestate_setup_teardown(test_rx_rewritten_between_reads, NULL, flip_teardown, (void *)&SPLIT),
		cmocka_unit_test_prestate_setup_teardown(test_rx_rewritten_between_reads, NULL, flip_teardown, (void *)&PACKED),
		cmocka_unit_test_prestate_setup_teardown(test_tx_header_in_pieces, NULL, teardown, (void *)&SPLIT_CSUM),
		cmocka_unit_test_prestate_setup_teardown(test_tx_header_in_pieces, NULL, teardown, (void *)&PACKED_CSUM),
		BOTH(test_tx_chain_shorter_than_header),
		BOTH(test_rx_header_in_pieces),
		cmocka_unit_test_prestate_setup_teardown(test_rx_header_in_pieces, NULL, teardown, (void *)&SPLIT_MRG),
		cmocka_unit_test_prestate_setup_teardown(test_rx_header_in_pieces, NULL, teardown, (void *)&PACKED_MRG),
		BOTH(test_rx_chain_shorter_than_header),
		cmocka_unit_test_prestate_setup_teardown(test_rx_chain_shorter_than_header, NULL, teardown, (void *)&SPLIT_MRG),
		cmocka_unit_test_prestate_setup_teardown(test_rx_chain_shorter_than_header, NULL, teardown, (void *)&PACKED_MRG),
		BOTH(test_indirect_table_of_ring_size),
		BOTH(test_chain_of_ring_size),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
