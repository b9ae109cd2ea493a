/* Unit tests of vsw_off_send (src/offload/send.c): frames a receiver takes
 * as they are go in one call; a TSO frame for a receiver without TSO goes
 * as its segments and counts once; a partial checksum for a receiver
 * without checksum offload is finished in a copy when others share the
 * frame (a flood to guests that negotiated different things gives each its
 * own), in place when nobody does; ownership as the receiver takes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "offload/offload.h"
#include "ut_eal.h"

static struct rte_mempool *pool;

/* A receiver: records the frames of each call, takes at most room. */
struct rx {
	unsigned int calls, room, got;
	struct rte_mbuf *frames[256];
	bool takes;
};

static uint16_t rx_send(void *arg, struct rte_mbuf **pkts, uint16_t n)
{
	struct rx *r = arg;
	r->calls++;
	uint16_t k = n < r->room ? n : (uint16_t)r->room;
	for (uint16_t i = 0; i < k; i++) {
		/* A copying receiver keeps a reference of its own. */
		if (!r->takes)
			rte_mbuf_refcnt_update(pkts[i], 1);
		r->frames[r->got++] = pkts[i];
	}
	r->room -= k;
	return k;
}

static void rx_free(struct rx *r)
{
	for (unsigned int i = 0; i < r->got; i++)
		rte_pktmbuf_free(r->frames[i]);
	memset(r, 0, sizeof(*r));
}

/* TCP/IPv4, payload bytes, the checksum partial (pseudo-header in the field). */
static struct rte_mbuf *tcp4(uint32_t payload, uint16_t mss)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *last = m;
	uint32_t len = 14 + 20 + 20 + payload;
	uint8_t b[4000];
	assert_true(len <= sizeof(b));
	memset(b, 0, 54);
	b[12] = 0x08;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(b + 34);
	t->data_off = 5 << 4;
	t->tcp_flags = RTE_TCP_ACK_FLAG;
	t->cksum = rte_ipv4_phdr_cksum(ip, 0);
	for (uint32_t i = 0; i < payload; i++)
		b[54 + i] = (uint8_t)(i * 13 + 1);
	for (uint32_t off = 0; off < len;) {
		uint16_t room = rte_pktmbuf_tailroom(last);
		if (room == 0) {
			last->next = rte_pktmbuf_alloc(pool);
			last = last->next;
			m->nb_segs++;
			continue;
		}
		uint16_t c = len - off < room ? (uint16_t)(len - off) : room;
		memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len), b + off, c);
		last->data_len += c;
		m->pkt_len += c;
		off += c;
	}
	m->ol_flags = RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
	m->l2_len = 14, m->l3_len = 20, m->l4_len = 20;
	if (mss) {
		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
		m->tso_segsz = mss;
	}
	return m;
}

static uint16_t field(const struct rte_mbuf *m)
{
	uint16_t v;
	memcpy(&v, rte_pktmbuf_mtod_offset(m, const uint8_t *, 50), 2);
	return v;
}

/* The TCP checksum of a frame whose checksum is finished, checked the way
 * a receiver does: the sum over pseudo-header and segment is 0xffff. */
static bool csum_ok(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14);
	uint32_t l4len = rte_be_to_cpu_16(ip->total_length) - 20;
	uint32_t sum = rte_ipv4_phdr_cksum(ip, 0);
	sum += rte_raw_cksum((const uint8_t *)ip + 20, l4len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return m->nb_segs == 1 && sum == 0xffff;
}

static void test_plain_frames_in_one_call(void **state)
{
	(void)state;
	struct rte_mbuf *p[4];
	for (int i = 0; i < 4; i++)
		p[i] = tcp4(100, 0);
	struct rx r = { .room = 100 };
	assert_int_equal(vsw_off_send(p, 4, VSW_OFF_CSUM, pool, false, rx_send, &r), 4);
	assert_int_equal(r.calls, 1);
	rte_pktmbuf_free_bulk(p, 4);
	rx_free(&r);
}

/* A flood: the same frame (refcnt 2) to a guest that takes partial
 * checksums and to one that does not. The first gets it as it is, the
 * second a finished copy; the shared frame is not touched. */
static void test_flood_to_mixed_receivers(void **state)
{
	(void)state;
	unsigned int free0 = rte_mempool_avail_count(pool);
	struct rte_mbuf *m = tcp4(1000, 0);
	rte_mbuf_refcnt_update(m, 1);
	uint16_t partial = field(m);
	struct rx takes_csum = { .room = 10 }, plain = { .room = 10 };
	assert_int_equal(vsw_off_send(&m, 1, VSW_OFF_CSUM, pool, false, rx_send, &takes_csum), 1);
	assert_int_equal(vsw_off_send(&m, 1, 0, pool, false, rx_send, &plain), 1);
	assert_ptr_equal(takes_csum.frames[0], m);
	assert_ptr_not_equal(plain.frames[0], m);
	assert_int_equal(field(m), partial);
	assert_false(csum_ok(m));
	assert_true(csum_ok(plain.frames[0]));
	assert_false(plain.frames[0]->ol_flags & RTE_MBUF_F_TX_L4_MASK);
	rx_free(&takes_csum);
	rx_free(&plain);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(m);
	assert_int_equal(rte_mempool_avail_count(pool), free0);
}

/* Nobody else has the frame: finished in place, no copy. */
static void test_unshared_finished_in_place(void **state)
{
	(void)state;
	struct rte_mbuf *m = tcp4(700, 0);
	struct rx r = { .room = 10 };
	assert_int_equal(vsw_off_send(&m, 1, 0, pool, false, rx_send, &r), 1);
	assert_ptr_equal(r.frames[0], m);
	assert_true(csum_ok(m));
	rx_free(&r);
	rte_pktmbuf_free(m);
}

/* TSO to a guest without it: segments, in one call, each finished (or
 * left partial for a guest that takes checksums); the frame counts once,
 * between frames that go as they are, in order. */
static void test_tso_to_receiver_without_it(void **state)
{
	(void)state;
	unsigned int free0 = rte_mempool_avail_count(pool);
	struct rte_mbuf *p[3] = { tcp4(10, 0), tcp4(3000, 1000), tcp4(20, 0) };
	struct rx r = { .room = 100 };
	assert_int_equal(vsw_off_send(p, 3, 0, pool, false, rx_send, &r), 3);
	assert_int_equal(r.calls, 3); /* before, the segments, after */
	assert_int_equal(r.got, 5);
	assert_int_equal(r.frames[0]->pkt_len, 64);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(r.frames[i]->pkt_len, 54 + 1000);
		assert_true(csum_ok(r.frames[i]));
	}
	assert_int_equal(r.frames[4]->pkt_len, 74);
	rx_free(&r);
	struct rx c = { .room = 100 };
	assert_int_equal(vsw_off_send(&p[1], 1, VSW_OFF_CSUM, pool, false, rx_send, &c), 1);
	assert_int_equal(c.got, 3);
	assert_true(c.frames[0]->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM); /* left partial */
	rx_free(&c);
	rte_pktmbuf_free_bulk(p, 3);
	assert_int_equal(rte_mempool_avail_count(pool), free0);
}

/* A receiver that fills up: a prefix is sent; a TSO frame whose segments
 * do not all fit does not count as sent. */
static void test_receiver_full(void **state)
{
	(void)state;
	unsigned int free0 = rte_mempool_avail_count(pool);
	struct rte_mbuf *p[3] = { tcp4(10, 0), tcp4(3000, 1000), tcp4(20, 0) };
	struct rx r = { .room = 2 };
	assert_int_equal(vsw_off_send(p, 3, 0, pool, false, rx_send, &r), 1);
	rx_free(&r);
	rte_pktmbuf_free_bulk(p, 3);
	assert_int_equal(rte_mempool_avail_count(pool), free0);
}

/* A receiver that takes ownership (an ethdev): what it took is its own,
 * a segmented frame is freed by vsw_off_send, the rest stays the caller's. */
static void test_ownership_taken(void **state)
{
	(void)state;
	unsigned int free0 = rte_mempool_avail_count(pool);
	struct rte_mbuf *p[3] = { tcp4(10, 0), tcp4(3000, 1000), tcp4(20, 0) };
	struct rx r = { .room = 4, .takes = true };
	assert_int_equal(vsw_off_send(p, 3, 0, pool, true, rx_send, &r), 2);
	rx_free(&r);           /* what the "device" sent */
	rte_pktmbuf_free(p[2]); /* the one not sent is still ours */
	assert_int_equal(rte_mempool_avail_count(pool), free0);
}

int main(void)
{
	pool = ut_eal_pool("offsend", 4095);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_frames_in_one_call),
		cmocka_unit_test(test_flood_to_mixed_receivers),
		cmocka_unit_test(test_unshared_finished_in_place),
		cmocka_unit_test(test_tso_to_receiver_without_it),
		cmocka_unit_test(test_receiver_full),
		cmocka_unit_test(test_ownership_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
