/* Unit tests of the engine's virtio-net offloads (src/vring/layout.c): a
 * guest's TX header becomes mbuf offload metadata (partial checksum kept,
 * TSO frames up to 64 KB, unusual checksum requests finished), every bad
 * header is dropped under its own counter and the queue goes on; the RX
 * header a guest gets says what the frame asks of it (NEEDS_CSUM, GSO,
 * DATA_VALID) and nothing it did not negotiate; the copy-once path carries a
 * checksum request, and only a plain one. Split and packed rings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vring_driver.h"
#include "ut_eal.h"

#define F(bit) (1ull << (bit))
#define BASE (F(VSW_VIRTIO_F_VERSION_1) | F(VSW_VIRTIO_NET_F_MRG_RXBUF) | \
	      F(VSW_VIRTIO_RING_F_INDIRECT_DESC))
#define HOST_OFF (F(VSW_VIRTIO_NET_F_CSUM) | F(VSW_VIRTIO_NET_F_HOST_TSO4) | \
		  F(VSW_VIRTIO_NET_F_HOST_TSO6) | F(VSW_VIRTIO_NET_F_HOST_ECN))
#define GUEST_OFF (F(VSW_VIRTIO_NET_F_GUEST_CSUM) | F(VSW_VIRTIO_NET_F_GUEST_TSO4) | \
		   F(VSW_VIRTIO_NET_F_GUEST_TSO6) | F(VSW_VIRTIO_NET_F_GUEST_ECN))

static struct rte_mempool *pool;
static struct drv D;
static struct vsw_vq Q;

struct mode {
	bool packed;
	uint64_t features;
};
static const struct mode SPLIT = { false, BASE | HOST_OFF | GUEST_OFF };
static const struct mode PACKED = { true, BASE | HOST_OFF | GUEST_OFF | F(VSW_VIRTIO_F_RING_PACKED) };
/* Checksums but no segmentation, no ECN. */
static const struct mode SPLIT_CSUM = { false, BASE | F(VSW_VIRTIO_NET_F_CSUM) |
						F(VSW_VIRTIO_NET_F_HOST_TSO4) };
static const struct mode SPLIT_NONE = { false, BASE };
/* TSO without CSUM (a driver may not, virtio 1.2 5.1.3.1; a hostile one does). */
static const struct mode SPLIT_TSO_NO_CSUM = { false, BASE | F(VSW_VIRTIO_NET_F_HOST_TSO4) };

static void start(void **state, uint32_t max_pkt_len)
{
	const struct mode *m = *state;
	drv_init(&D, 256, m->packed, m->features, m->packed ? 1u << 15 : 0);
	assert_int_equal(drv_start_with(&D, &Q, max_pkt_len), 0);
}

static int teardown(void **state)
{
	(void)state;
	if (D.host != NULL)
		drv_fini(&D);
	return 0;
}

/* --- frames --- */

enum { TCP4, TCP6, UDP4 };

/* An Ethernet frame with valid IP and L4 headers and payload bytes of a
 * pattern; the L4 checksum field holds the pseudo-header sum (over the
 * length, or with length 0 for TSO), as a guest leaves it. Returns its
 * length; *l3 and *l4 get the header offsets. */
static uint32_t frame(uint8_t *b, int kind, uint32_t payload, bool tso, uint8_t tcp_flags)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)b;
	memset(eth, 0, sizeof(*eth));
	eth->dst_addr.addr_bytes[0] = 2;
	eth->src_addr.addr_bytes[0] = 2;
	eth->src_addr.addr_bytes[5] = 1;
	uint32_t l3 = sizeof(*eth), l4;
	uint32_t l4_len = kind == UDP4 ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_tcp_hdr);
	uint16_t phdr;
	if (kind == TCP6) {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(b + l3);
		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(l4_len + payload));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		ip->src_addr[15] = 1;
		ip->dst_addr[15] = 2;
		l4 = l3 + sizeof(*ip);
		phdr = rte_ipv6_phdr_cksum(ip, tso ? RTE_MBUF_F_TX_TCP_SEG : 0);
	} else {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + l3);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len + payload));
		ip->time_to_live = 64;
		ip->next_proto_id = kind == UDP4 ? IPPROTO_UDP : IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		l4 = l3 + sizeof(*ip);
		phdr = rte_ipv4_phdr_cksum(ip, tso ? RTE_MBUF_F_TX_TCP_SEG : 0);
	}
	if (kind == UDP4) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(b + l4);
		u->src_port = rte_cpu_to_be_16(1000);
		u->dst_port = rte_cpu_to_be_16(2000);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(l4_len + payload));
		u->dgram_cksum = phdr;
	} else {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(b + l4);
		memset(t, 0, sizeof(*t));
		t->src_port = rte_cpu_to_be_16(1000);
		t->dst_port = rte_cpu_to_be_16(2000);
		t->sent_seq = rte_cpu_to_be_32(1000000);
		t->data_off = 5 << 4;
		t->tcp_flags = tcp_flags;
		t->rx_win = rte_cpu_to_be_16(65535);
		t->cksum = phdr;
	}
	for (uint32_t i = 0; i < payload; i++)
		b[l4 + l4_len + i] = (uint8_t)(i * 7 + 3);
	return l4 + l4_len + payload;
}

static uint8_t big[70000];

static struct virtio_net_hdr csum_hdr(int kind)
{
	return (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					.csum_start = kind == TCP6 ? 54 : 34,
					.csum_offset = kind == UDP4 ? 6 : 16 };
}

static struct virtio_net_hdr tso_hdr(int kind, uint16_t mss)
{
	struct virtio_net_hdr h = csum_hdr(kind);
	h.gso_type = kind == TCP6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = mss;
	h.hdr_len = h.csum_start + 20;
	return h;
}

/* Posts frame b (len) with header h in nsegs descriptors (the header alone
 * in the first, as Linux sends a large frame). */
static void post(const struct virtio_net_hdr *h, const uint8_t *b, uint32_t len, int nsegs)
{
	if (nsegs <= 1) {
		drv_tx_hdr(&D, h, b, len);
		return;
	}
	uint64_t addr[64];
	uint32_t lens[64];
	uint16_t flags[64] = { 0 };
	addr[0] = drv_alloc(&D, 12);
	memcpy(drv_ptr(&D, addr[0]), h, 12);
	lens[0] = 12;
	int n = 1;
	uint32_t per = (len + (uint32_t)nsegs - 2) / (uint32_t)(nsegs - 1);
	for (uint32_t off = 0; off < len && n < 64; off += per) {
		uint32_t l = len - off < per ? len - off : per;
		addr[n] = drv_alloc(&D, l);
		memcpy(drv_ptr(&D, addr[n]), b + off, l);
		lens[n++] = l;
	}
	drv_post(&D, addr, lens, flags, n, false);
}

static struct rte_mbuf *take_one(void)
{
	struct rte_mbuf *m[2];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 2), 1);
	return m[0];
}

static bool mbuf_has(const struct rte_mbuf *m, const uint8_t *b, uint32_t len)
{
	if (m->pkt_len != len)
		return false;
	uint8_t tmp[sizeof(big)];
	return memcmp(rte_pktmbuf_read(m, 0, len, tmp), b, len) == 0;
}

/* --- guest TX --- */

/* Plain TCP/UDP checksum requests stay partial, with the metadata a
 * receiver or a port needs; the frame is not touched. */
static void test_tx_partial_checksums_kept(void **state)
{
	start(state, 0);
	static const int kinds[] = { TCP4, TCP6, UDP4 };
	for (int k = 0; k < 3; k++) {
		uint32_t len = frame(big, kinds[k], 100, false, RTE_TCP_ACK_FLAG);
		struct virtio_net_hdr h = csum_hdr(kinds[k]);
		post(&h, big, len, 1);
		struct rte_mbuf *m = take_one();
		assert_true(mbuf_has(m, big, len));
		uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
		assert_int_equal(l4, kinds[k] == UDP4 ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
		assert_true(m->ol_flags & (kinds[k] == TCP6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4));
		assert_false(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
		assert_int_equal(m->l2_len, 14);
		assert_int_equal(m->l3_len, kinds[k] == TCP6 ? 40 : 20);
		assert_int_equal(m->l4_len, kinds[k] == UDP4 ? 8 : 20);
		rte_pktmbuf_free(m);
	}
}

/* A request that is not plain TCP/UDP (here: a checksum over an
 * unknown protocol) is finished as the guest asked: the complemented sum
 * from csum_start to the end, stored at csum_start + csum_offset. */
static void test_tx_other_checksum_finished(void **state)
{
	start(state, 0);
	uint8_t b[200];
	memset(b, 0, sizeof(b));
	b[12] = 0x88, b[13] = 0xb5; /* local experimental ethertype */
	for (int i = 14; i < 200; i++)
		b[i] = (uint8_t)i;
	b[20] = b[21] = 0; /* the field */
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 14,
				    .csum_offset = 6 };
	post(&h, b, sizeof(b), 1);
	struct rte_mbuf *m = take_one();
	uint32_t sum = 0;
	for (int i = 14; i < 200; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t want = (uint16_t)~sum;
	const uint8_t *f = rte_pktmbuf_mtod_offset(m, const uint8_t *, 20);
	assert_int_equal(f[0] << 8 | f[1], want);
	assert_false(m->ol_flags & RTE_MBUF_F_TX_L4_MASK);
	rte_pktmbuf_free(m);
}

/* TSO frames of 64 KB over many descriptors, IPv4 and IPv6, are taken
 * whole with their MSS, however small the MTU; a frame that is not TSO
 * still keeps to the MTU. */
static void test_tx_tso_frames(void **state)
{
	start(state, 1500 + 18);
	static const int kinds[] = { TCP4, TCP6 };
	for (int k = 0; k < 2; k++) {
		uint32_t len = frame(big, kinds[k], 65000, true, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
		struct virtio_net_hdr h = tso_hdr(kinds[k], 1448);
		post(&h, big, len, 18);
		struct rte_mbuf *m = take_one();
		assert_true(mbuf_has(m, big, len));
		assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
		assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
		assert_int_equal(m->tso_segsz, 1448);
		assert_int_equal(m->l4_len, 20);
		assert_int_equal(vsw_wire_len(m), 14u + (kinds[k] == TCP6 ? 40 : 20) + 20 + 1448);
		rte_pktmbuf_free(m);
	}
	/* Over the MTU without TSO (a checksum request, or none; in pieces or
	 * not): not looked at in place, dropped, counted, the queue goes on. */
	uint32_t len = frame(big, TCP4, 2000, false, RTE_TCP_ACK_FLAG);
	struct virtio_net_hdr h = csum_hdr(TCP4), zero = { 0 };
	struct vsw_vq_view v[4];
	bool stopped;
	for (int i = 0; i < 3; i++) {
		post(i == 0 ? &h : &zero, big, len, i == 2 ? 1 : 4);
		assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 0);
		assert_true(stopped);
		struct rte_mbuf *none[1];
		assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, none, 1), 0);
	}
	len = frame(big, TCP4, 100, false, RTE_TCP_ACK_FLAG);
	post(&h, big, len, 1);
	struct rte_mbuf *m = take_one();
	assert_int_equal(m->pkt_len, len);
	assert_int_equal(Q.stats.drop_too_big, 3);
	rte_pktmbuf_free(m);
}

struct bad_case {
	const char *what;
	int kind;
	uint32_t payload;
	struct virtio_net_hdr h;
	int expect; /* VSW_HDR_* */
};

/* Guest headers are untrusted input: each bad one drops its frame under
 * its own counter; nothing breaks, and the frame after it goes through. */
static void test_tx_bad_headers(void **state)
{
	start(state, 0);
	const struct virtio_net_hdr c4 = csum_hdr(TCP4), t4 = tso_hdr(TCP4, 1000),
				    t6 = tso_hdr(TCP6, 1000);
	struct bad_case cases[] = {
		{ "csum_start past the frame", TCP4, 100, c4, VSW_HDR_CSUM },
		{ "csum_offset past the frame", TCP4, 100, c4, VSW_HDR_CSUM },
		{ "gso_size 0", TCP4, 3000, t4, VSW_HDR_GSO_SIZE },
		{ "gso_size larger than the frame", TCP4, 3000, t4, VSW_HDR_GSO_SIZE },
		{ "gso_type unknown", TCP4, 3000, t4, VSW_HDR_GSO_TYPE },
		{ "gso_type UDP (UFO, not offered)", UDP4, 3000, t4, VSW_HDR_GSO_TYPE },
		{ "TCPV4 on an IPv6 frame", TCP6, 3000, t4, VSW_HDR_GSO_TYPE },
		{ "TCPV6 on an IPv4 frame", TCP4, 3000, t6, VSW_HDR_GSO_TYPE },
		{ "hdr_len beyond the frame", TCP4, 3000, t4, VSW_HDR_HDR_LEN },
		{ "ECN without TSO", TCP4, 100, c4, VSW_HDR_ECN },
		{ "TSO on a UDP frame", UDP4, 3000, t4, VSW_HDR_NOT_TCP },
		{ "TSO on a truncated IP header", TCP4, 3000, t4, VSW_HDR_NOT_TCP },
		{ "TSO without a checksum request", TCP4, 3000, t4, VSW_HDR_CSUM },
		{ "TSO with csum_start elsewhere", TCP4, 3000, t4, VSW_HDR_CSUM },
		{ "TCPV4 on an IPv6 frame, offsets right", TCP6, 3000, t4, VSW_HDR_GSO_TYPE },
		{ "TCPV6 on an IPv4 frame, offsets right", TCP4, 3000, t6, VSW_HDR_GSO_TYPE },
		{ "TSO with a TCP data offset of 4", TCP4, 3000, t4, VSW_HDR_NOT_TCP },
		{ "TSO with csum_offset 6", TCP4, 3000, t4, VSW_HDR_CSUM },
		{ "TSO on an IPv4 fragment", TCP4, 3000, t4, VSW_HDR_NOT_TCP },
	};
	cases[0].h.csum_start = 200;
	cases[1].h.csum_offset = 130;
	cases[2].h.gso_size = 0;
	cases[3].h.gso_size = 4000;
	cases[4].h.gso_type = 2;
	cases[5].h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	cases[5].h.csum_offset = 6;
	cases[8].h.hdr_len = 5000;
	cases[9].h.gso_type = VIRTIO_NET_HDR_GSO_ECN;
	cases[12].h.flags = 0;
	cases[13].h.csum_start = 14;
	cases[14].h.csum_start = 54;
	cases[15].h.csum_start = 34;
	cases[17].h.csum_offset = 6;
	uint64_t want[VSW_HDR__MAX] = { 0 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t len = frame(big, cases[i].kind, cases[i].payload, true, RTE_TCP_ACK_FLAG);
		if (i == 11) {
			big[14] = 0x4f; /* IHL 15: 60 bytes of IPv4 header, past the frame */
			cases[i].h.gso_size = 10;
			cases[i].h.hdr_len = 0;
		}
		if (i == 16)
			big[34 + 12] = 4 << 4;
		if (i == 18)
			big[14 + 6] = 0x20; /* more fragments */
		post(&cases[i].h, big, i == 11 ? 40 : len, 3);
		want[cases[i].expect]++;
		/* Looked at in place: not a view; the refusal is dequeue's. */
		struct vsw_vq_view v[2];
		bool stopped;
		if (vsw_vq_peek(&Q, v, 2, &stopped) != 0 || !stopped)
			fail_msg("%s: a view", cases[i].what);
		len = frame(big, TCP4, 50, false, RTE_TCP_ACK_FLAG);
		post(&c4, big, len, 1);
		struct rte_mbuf *m[2];
		uint16_t got = vsw_vq_dequeue_burst(&Q, pool, m, 2);
		if (got != 1 || !mbuf_has(m[0], big, len))
			fail_msg("%s: %u frames out, the good one %s", cases[i].what, got,
				 got ? "changed" : "lost");
		rte_pktmbuf_free(m[0]);
		for (int e = 0; e < VSW_HDR__MAX; e++)
			if (Q.stats.drop_bad_hdr[e] != want[e])
				fail_msg("%s: counter %s is %" PRIu64 ", expected %" PRIu64,
					 cases[i].what, vsw_hdr_err_name(e), Q.stats.drop_bad_hdr[e],
					 want[e]);
	}
	assert_false(vsw_vq_is_broken(&Q));
}

/* Offloads the guest did not negotiate are refused, not applied. */
static void test_tx_not_negotiated(void **state)
{
	start(state, 0); /* CSUM and HOST_TSO4 only */
	uint32_t len = frame(big, TCP6, 3000, true, RTE_TCP_ACK_FLAG);
	struct virtio_net_hdr h = tso_hdr(TCP6, 1000);
	struct vsw_vq_view v[2];
	bool stopped;
	struct rte_mbuf *m[2];
	post(&h, big, len, 3);
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 2), 0);
	assert_int_equal(Q.stats.drop_bad_hdr[VSW_HDR_GSO_TYPE], 1);
	len = frame(big, TCP4, 3000, true, RTE_TCP_ACK_FLAG | RTE_TCP_CWR_FLAG);
	h = tso_hdr(TCP4, 1000);
	h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	post(&h, big, len, 3);
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 2), 0);
	assert_int_equal(Q.stats.drop_bad_hdr[VSW_HDR_ECN], 1);
	/* Without ECN the same frame is TSO4's: a view. */
	h.gso_type &= (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	post(&h, big, len, 3);
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 1);
	assert_int_equal(v[0].needs, VSW_OFF_CSUM | VSW_OFF_TSO4 | VSW_OFF_ECN);
}

/* Checksum requests, alone or with TSO, from a guest that did not
 * negotiate CSUM: refused, counted, never taken in place. */
static void test_tx_checksum_not_negotiated(void **state)
{
	start(state, 0);
	uint32_t len = frame(big, TCP4, 3000, true, RTE_TCP_ACK_FLAG);
	const struct virtio_net_hdr hs[2] = { csum_hdr(TCP4), tso_hdr(TCP4, 1000) };
	for (int i = 0; i < 2; i++) {
		for (int nsegs = 1; nsegs <= 3; nsegs += 2) {
			post(&hs[i], big, len, nsegs);
			struct vsw_vq_view v[2];
			bool stopped;
			assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 0);
			assert_true(stopped);
			struct rte_mbuf *m[2];
			assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 2), 0);
		}
	}
	assert_int_equal(Q.stats.drop_bad_hdr[VSW_HDR_CSUM], 4);
	assert_false(vsw_vq_is_broken(&Q));
}

/* --- guest RX --- */

static struct rte_mbuf *mbuf_of(const uint8_t *b, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *last = m;
	assert_non_null(m);
	uint32_t off = 0;
	while (off < len) {
		uint16_t room = rte_pktmbuf_tailroom(last);
		if (room == 0) {
			last->next = rte_pktmbuf_alloc(pool);
			last = last->next;
			m->nb_segs++;
			room = rte_pktmbuf_tailroom(last);
		}
		uint16_t c = len - off < room ? (uint16_t)(len - off) : room;
		memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len), b + off, c);
		last->data_len += c;
		m->pkt_len += c;
		off += c;
	}
	return m;
}

/* The header the guest found before the frame it got (one buffer). */
static struct virtio_net_hdr rx_one(struct rte_mbuf *m)
{
	uint64_t a = drv_alloc(&D, 70000);
	uint32_t l = 70000;
	uint16_t f = VRING_DESC_F_WRITE;
	drv_post(&D, &a, &l, &f, 1, false);
	assert_int_equal(vsw_vq_enqueue_burst(&Q, &m, 1), 1);
	uint16_t id;
	uint32_t len;
	assert_true(drv_used(&D, &id, &len));
	assert_int_equal(len, 12 + m->pkt_len);
	struct virtio_net_hdr h;
	memcpy(&h, drv_ptr(&D, a), 12);
	assert_memory_equal((uint8_t *)drv_ptr(&D, a) + 12, rte_pktmbuf_mtod(m, uint8_t *),
			    m->data_len);
	return h;
}

static void test_rx_headers(void **state)
{
	start(state, 0);
	/* A partial TCP checksum: NEEDS_CSUM with its offsets. */
	uint32_t len = frame(big, TCP6, 500, false, RTE_TCP_ACK_FLAG);
	struct rte_mbuf *m = mbuf_of(big, len);
	m->ol_flags = RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV6;
	m->l2_len = 14, m->l3_len = 40, m->l4_len = 20;
	struct virtio_net_hdr h = rx_one(m);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 54);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.gso_type, 0);
	assert_int_equal(h.num_buffers, 1);
	rte_pktmbuf_free(m);
	/* A TSO frame with CWR: GSO TCPV4 | ECN, its MSS and header length. */
	len = frame(big, TCP4, 30000, true, RTE_TCP_ACK_FLAG | RTE_TCP_CWR_FLAG);
	m = mbuf_of(big, len);
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
	m->l2_len = 14, m->l3_len = 20, m->l4_len = 20;
	m->tso_segsz = 1448;
	assert_int_equal(vsw_off_needs(m), VSW_OFF_CSUM | VSW_OFF_TSO4 | VSW_OFF_ECN);
	h = rx_one(m);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
	assert_int_equal(h.gso_size, 1448);
	assert_int_equal(h.hdr_len, 54);
	assert_int_equal(h.csum_start, 34);
	rte_pktmbuf_free(m);
	/* Checked by a NIC on receive: DATA_VALID. */
	len = frame(big, UDP4, 100, false, 0);
	m = mbuf_of(big, len);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	h = rx_one(m);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	rte_pktmbuf_free(m);
	/* Nothing asked: a plain header. */
	m = mbuf_of(big, len);
	h = rx_one(m);
	assert_int_equal(h.flags | h.gso_type | h.csum_start | h.gso_size, 0);
	rte_pktmbuf_free(m);
}

/* A guest that negotiated no offloads is never told about any (the port
 * finishes such frames before they reach the engine; if one slips
 * through, the header still says nothing the guest cannot parse). */
static void test_rx_headers_not_negotiated(void **state)
{
	start(state, 0);
	uint32_t len = frame(big, TCP4, 500, false, RTE_TCP_ACK_FLAG);
	struct rte_mbuf *m = mbuf_of(big, len);
	m->ol_flags = RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	m->l2_len = 14, m->l3_len = 20, m->l4_len = 20;
	struct virtio_net_hdr h = rx_one(m);
	assert_int_equal(h.flags | h.gso_type | h.csum_start | h.gso_size, 0);
	rte_pktmbuf_free(m);
}

/* --- the copy-once path --- */

/* A plain checksum request travels with a view, offsets read once; a TSO
 * header or offsets outside the frame stop the peek (dequeue's to judge). */
static void test_views_carry_checksum_requests(void **state)
{
	start(state, 0);
	uint32_t len = frame(big, TCP4, 100, false, RTE_TCP_ACK_FLAG);
	struct virtio_net_hdr h = csum_hdr(TCP4);
	post(&h, big, len, 1);
	struct virtio_net_hdr bad = h;
	bad.csum_start = (uint16_t)(len - 1);
	post(&bad, big, len, 1);
	struct vsw_vq_view v[4];
	bool stopped;
	assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 1);
	assert_true(stopped);
	assert_int_equal(v[0].needs, VSW_OFF_CSUM);
	assert_int_equal(v[0].csum_start, 34);
	assert_int_equal(v[0].csum_offset, 16);
	/* Delivered with the request to another guest that takes it. */
	static struct drv R;
	struct vsw_vq RQ;
	const struct mode *md = *state;
	drv_init(&R, 64, md->packed, md->features, md->packed ? 1u << 15 : 0);
	assert_int_equal(drv_start(&R, &RQ), 0);
	uint64_t a = drv_alloc(&R, 2048);
	uint32_t l = 2048;
	uint16_t f = VRING_DESC_F_WRITE;
	drv_post(&R, &a, &l, &f, 1, false);
	const struct vsw_vq_view *pv = &v[0];
	assert_int_equal(vsw_vq_enqueue_views(&RQ, &pv, 1), 1);
	struct virtio_net_hdr got;
	memcpy(&got, drv_ptr(&R, a), 12);
	assert_int_equal(got.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(got.csum_start, 34);
	assert_int_equal(got.csum_offset, 16);
	assert_memory_equal((uint8_t *)drv_ptr(&R, a) + 12, big, len);
	drv_fini(&R);
	vsw_vq_peek_done(&Q, v, 1);
	/* The bad one is dequeue's: dropped and counted. */
	struct rte_mbuf *m[2];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 2), 0);
	assert_int_equal(Q.stats.drop_bad_hdr[VSW_HDR_CSUM], 1);
	/* A TSO header in one descriptor: a view too (below). */
	len = frame(big, TCP4, 1400, true, RTE_TCP_ACK_FLAG);
	h = tso_hdr(TCP4, 1000);
	post(&h, big, len, 1);
	assert_int_equal(vsw_vq_peek(&Q, v, 4, &stopped), 1);
	assert_int_equal(v[0].needs, VSW_OFF_CSUM | VSW_OFF_TSO4);
	assert_int_equal(v[0].gso_size, 1000);
	assert_int_equal(v[0].len, len);
}

/* --- TSO frames through the copy-once path --- */

/* The receiving guest: a queue of its own on its own memory. */
static struct drv R;
static struct vsw_vq RQ;
static uint64_t rx_gpa[512]; /* by buffer id */

static void receiver(bool packed, uint64_t features)
{
	drv_init(&R, 256, packed, features | (packed ? F(VSW_VIRTIO_F_RING_PACKED) : 0),
		 packed ? 1u << 15 : 0);
	assert_int_equal(drv_start(&R, &RQ), 0);
}

static int teardown_both(void **state)
{
	if (R.host != NULL)
		drv_fini(&R);
	return teardown(state);
}

/* n RX buffers of len bytes, one descriptor each. */
static void rx_buffers(int n, uint32_t len)
{
	for (int i = 0; i < n; i++) {
		uint64_t a = drv_alloc(&R, len);
		uint16_t f = VRING_DESC_F_WRITE;
		uint16_t id = drv_post(&R, &a, &len, &f, 1, false);
		rx_gpa[id] = a;
	}
}

/* The next frame the receiver got (one-descriptor buffers): its header and
 * its bytes into out; returns the frame's length, and *bufs how many
 * buffers it took (the used entries: num_buffers must say the same). */
static uint32_t rx_frame(struct virtio_net_hdr *h, uint8_t *out, uint16_t *bufs)
{
	uint16_t id;
	uint32_t len, total = 0;
	*bufs = 0;
	uint16_t want = 1;
	while (*bufs < want) {
		assert_true(drv_used(&R, &id, &len));
		const uint8_t *b = drv_ptr(&R, rx_gpa[id]);
		if (*bufs == 0) {
			assert_true(len >= 12);
			memcpy(h, b, 12);
			want = h->num_buffers;
			b += 12;
			len -= 12;
		}
		memcpy(out + total, b, len);
		total += len;
		(*bufs)++;
	}
	return total;
}

struct tso_case {
	int kind;
	uint8_t tcp_flags;
	int nsegs; /* descriptors: the header alone, then the frame in nsegs - 1 */
	bool indirect;
	uint16_t mss;
};

static const struct tso_case tso_cases[] = {
	{ TCP4, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 18, false, 1448 },
	{ TCP6, RTE_TCP_ACK_FLAG, 19, true, 1428 },
	{ TCP4, RTE_TCP_ACK_FLAG | RTE_TCP_CWR_FLAG, 5, true, 1448 },
	{ TCP6, RTE_TCP_ACK_FLAG, 1, false, 8000 }, /* all in one descriptor */
};
static uint8_t tso_frames[4][66000];
static uint32_t tso_lens[4];

static void post_tso(int i)
{
	const struct tso_case *c = &tso_cases[i];
	tso_lens[i] = frame(tso_frames[i], c->kind, 65000 - (uint32_t)i * 1000, true, c->tcp_flags);
	struct virtio_net_hdr h = tso_hdr(c->kind, c->mss);
	if (c->tcp_flags & RTE_TCP_CWR_FLAG)
		h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	if (!c->indirect) {
		post(&h, tso_frames[i], tso_lens[i], c->nsegs);
		return;
	}
	/* The header and the first bytes in one piece, as Linux does when it
	 * can push the header into the headroom; the rest in pages. */
	uint64_t addr[32];
	uint32_t lens[32];
	uint16_t flags[32] = { 0 };
	uint32_t first = 100, per = (tso_lens[i] - first + (uint32_t)c->nsegs - 2) / (uint32_t)(c->nsegs - 1);
	addr[0] = drv_alloc(&D, 12 + first);
	memcpy(drv_ptr(&D, addr[0]), &h, 12);
	memcpy((uint8_t *)drv_ptr(&D, addr[0]) + 12, tso_frames[i], first);
	lens[0] = 12 + first;
	int n = 1;
	for (uint32_t off = first; off < tso_lens[i]; off += per) {
		uint32_t l = RTE_MIN(per, tso_lens[i] - off);
		addr[n] = drv_alloc(&D, l);
		memcpy(drv_ptr(&D, addr[n]), tso_frames[i] + off, l);
		lens[n++] = l;
	}
	drv_post(&D, addr, lens, flags, n, true);
}

/* The RX header the frame of case i must arrive with (but num_buffers). */
static struct virtio_net_hdr tso_rx_hdr(int i)
{
	const struct tso_case *c = &tso_cases[i];
	struct virtio_net_hdr h = tso_hdr(c->kind, c->mss);
	if (c->tcp_flags & RTE_TCP_CWR_FLAG)
		h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	return h;
}

/* 64 KB TSO frames as Linux sends them (the header alone or with the first
 * bytes, then page-sized pieces; directly or in an indirect table; IPv4,
 * IPv6, with CWR) are views carrying their request, and arrive in a
 * GUEST_TSO receiver's mergeable buffers byte for byte with the request in
 * the header (GSO type, MSS, header length, checksum offsets) and
 * num_buffers the buffers they took: the header the mbuf path gives the
 * same frame. */
static void test_views_of_tso_frames(void **state)
{
	start(state, 1500 + 18);
	const struct mode *md = *state;
	for (int i = 0; i < 4; i++)
		post_tso(i);
	struct vsw_vq_view v[8];
	bool stopped;
	assert_int_equal(vsw_vq_peek(&Q, v, 8, &stopped), 4);
	assert_false(stopped);
	for (int i = 0; i < 4; i++) {
		const struct tso_case *c = &tso_cases[i];
		uint8_t need = VSW_OFF_CSUM | (c->kind == TCP6 ? VSW_OFF_TSO6 : VSW_OFF_TSO4) |
			       (c->tcp_flags & RTE_TCP_CWR_FLAG ? VSW_OFF_ECN : 0);
		assert_int_equal(v[i].needs, need);
		assert_int_equal(v[i].len, tso_lens[i]);
		assert_int_equal(v[i].gso_size, c->mss);
		assert_int_equal(v[i].hdrs_len, c->kind == TCP6 ? 74 : 54);
		assert_int_equal(v[i].csum_start, c->kind == TCP6 ? 54 : 34);
		assert_int_equal(v[i].csum_offset, 16);
		assert_int_equal(vsw_view_wire_len(&v[i]), v[i].hdrs_len + c->mss);
		assert_memory_equal(v[i].hdrs, tso_frames[i], v[i].hdrs_len);
	}
	/* Delivered into buffers of 1536 bytes (43 or so a frame), and again
	 * into buffers of 4000. */
	receiver(md->packed, BASE | GUEST_OFF);
	const struct vsw_vq_view *vp[4] = { &v[0], &v[1], &v[2], &v[3] };
	static uint8_t got[66000];
	for (int pass = 0; pass < 2; pass++) {
		uint32_t buf = pass ? 4000 : 1536, need = 0;
		for (int i = 0; i < 4; i++)
			need += (12 + tso_lens[i] + buf - 1) / buf;
		rx_buffers((int)need, buf);
		assert_int_equal(vsw_vq_enqueue_views(&RQ, vp, 4), 4);
		for (int i = 0; i < 4; i++) {
			struct virtio_net_hdr h, want = tso_rx_hdr(i);
			uint16_t bufs;
			uint32_t len = rx_frame(&h, got, &bufs);
			assert_int_equal(len, tso_lens[i]);
			assert_memory_equal(got, tso_frames[i], len);
			assert_int_equal(h.num_buffers, bufs);
			assert_int_equal(bufs, (12 + len + buf - 1) / buf);
			want.num_buffers = h.num_buffers;
			assert_memory_equal(&h, &want, 12);
		}
		assert_false(drv_used(&R, &(uint16_t){ 0 }, &(uint32_t){ 0 }));
	}
	assert_int_equal(RQ.stats.packets, 8);
	vsw_vq_peek_done(&Q, v, 4);
	/* The mbuf way, the same frames: the same headers. */
	for (int i = 0; i < 4; i++)
		post_tso(i);
	struct rte_mbuf *m[4];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 4), 4);
	rx_buffers(200, 1536);
	assert_int_equal(vsw_vq_enqueue_burst(&RQ, m, 4), 4);
	for (int i = 0; i < 4; i++) {
		struct virtio_net_hdr h, want = tso_rx_hdr(i);
		uint16_t bufs;
		assert_int_equal(rx_frame(&h, got, &bufs), tso_lens[i]);
		want.num_buffers = h.num_buffers;
		assert_memory_equal(&h, &want, 12);
	}
	rte_pktmbuf_free_bulk(m, 4);
	assert_false(vsw_vq_is_broken(&Q) || vsw_vq_is_broken(&RQ));
}

/* What was checked is what is delivered: a TSO frame's headers reach the
 * receiver from the copy peek parsed, whatever the sender writes over
 * them meanwhile; the payload comes from where it lies. */
static void test_views_deliver_the_headers_checked(void **state)
{
	start(state, 0);
	const struct mode *md = *state;
	post_tso(1); /* IPv6, indirect: 100 bytes after the header in the first piece */
	post_tso(3); /* IPv6, all in one descriptor */
	struct vsw_vq_view v[2];
	bool stopped;
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 2);
	assert_int_equal(v[1].nmore, 0);
	for (int i = 0; i < 2; i++) /* the sender rewrites headers and 26 bytes of payload */
		memset((uint8_t *)v[i].frame, 0xee, 100);
	receiver(md->packed, BASE | GUEST_OFF);
	rx_buffers((int)(12 + tso_lens[1] + 2047) / 2048, 2048); /* the first: in many buffers */
	rx_buffers(1, 66000);  /* the second: one buffer, as the one-piece path takes it */
	const struct vsw_vq_view *vp[2] = { &v[0], &v[1] };
	assert_int_equal(vsw_vq_enqueue_views(&RQ, vp, 2), 2);
	static uint8_t got[66000];
	const int which[2] = { 1, 3 };
	for (int i = 0; i < 2; i++) {
		struct virtio_net_hdr h;
		uint16_t bufs;
		uint32_t len = tso_lens[which[i]];
		const uint8_t *want = tso_frames[which[i]];
		assert_int_equal(rx_frame(&h, got, &bufs), len);
		assert_int_equal(bufs, i == 0 ? (12 + len + 2047) / 2048 : 1);
		assert_memory_equal(got, want, 74);
		for (int j = 74; j < 100; j++)
			assert_int_equal(got[j], 0xee);
		assert_memory_equal(got + 100, want + 100, len - 100);
	}
	vsw_vq_peek_done(&Q, v, 2);
}

/* A receiver is told only what it negotiated (the switch sends a TSO view
 * only to a guest that takes it; this is the engine's own guard): without
 * GUEST_TSO6 an IPv6 TSO frame keeps its checksum request but no GSO, and
 * without MRG_RXBUF it goes into one big chain, num_buffers 1. */
static void test_views_of_tso_frames_to_other_receivers(void **state)
{
	start(state, 0);
	const struct mode *md = *state;
	post_tso(1);
	struct vsw_vq_view v[2];
	bool stopped;
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 1);
	const struct vsw_vq_view *vp = &v[0];
	receiver(md->packed, F(VSW_VIRTIO_F_VERSION_1) | F(VSW_VIRTIO_NET_F_GUEST_CSUM) |
				     F(VSW_VIRTIO_NET_F_GUEST_TSO4));
	uint64_t a[17];
	uint32_t l[17];
	uint16_t f[17];
	for (int i = 0; i < 17; i++) {
		a[i] = drv_alloc(&R, 4096);
		l[i] = 4096;
		f[i] = VRING_DESC_F_WRITE;
	}
	drv_post(&R, a, l, f, 17, false);
	assert_int_equal(vsw_vq_enqueue_views(&RQ, &vp, 1), 1);
	uint16_t id;
	uint32_t len;
	assert_true(drv_used(&R, &id, &len));
	assert_int_equal(len, 12 + tso_lens[1]);
	static uint8_t got[17 * 4096];
	for (int i = 0; i < 17; i++)
		memcpy(got + 4096 * i, drv_ptr(&R, a[i]), 4096);
	struct virtio_net_hdr h;
	memcpy(&h, got, 12);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 54);
	assert_int_equal(h.gso_type | h.gso_size | h.hdr_len, 0);
	assert_int_equal(h.num_buffers, 1);
	assert_memory_equal(got + 12, tso_frames[1], tso_lens[1]);
	vsw_vq_peek_done(&Q, v, 1);
}

/* TSO frames dequeue takes but a view cannot hold (headers longer than
 * VSW_VIEW_HDRS: IPv6 extension headers; a header with DATA_VALID set too)
 * and one dequeue drops (over 64 KB) stop the look; headers over several
 * pieces do not. */
static void test_views_stop_at_tso_frames_for_mbufs(void **state)
{
	start(state, 0);
	/* An IPv6 TSO frame with a 160-byte hop-by-hop header: 234 bytes of headers. */
	uint32_t len = frame(big, TCP6, 20000, true, RTE_TCP_ACK_FLAG);
	memmove(big + 54 + 160, big + 54, len - 54);
	big[20] = IPPROTO_HOPOPTS;
	memset(big + 54, 0, 160);
	big[54] = IPPROTO_TCP;
	big[55] = 160 / 8 - 1;
	big[56] = 1; /* PadN over the rest */
	big[57] = 160 - 4;
	uint16_t plen = (uint16_t)(big[18] << 8 | big[19]);
	plen += 160;
	big[18] = (uint8_t)(plen >> 8);
	big[19] = (uint8_t)plen;
	len += 160;
	struct virtio_net_hdr h = tso_hdr(TCP6, 1400);
	h.csum_start = 54 + 160;
	post(&h, big, len, 6);
	struct vsw_vq_view v[2];
	bool stopped;
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 0);
	assert_true(stopped);
	struct rte_mbuf *m[2];
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 2), 1);
	assert_true(m[0]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(m[0]->l3_len, 200);
	rte_pktmbuf_free(m[0]);
	/* DATA_VALID as well as NEEDS_CSUM. */
	len = frame(big, TCP4, 20000, true, RTE_TCP_ACK_FLAG);
	h = tso_hdr(TCP4, 1400);
	h.flags |= VIRTIO_NET_HDR_F_DATA_VALID;
	post(&h, big, len, 6);
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 2), 1);
	assert_true(m[0]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	rte_pktmbuf_free(m[0]);
	/* Longer than 64 KB (IPv4's 65535 and its Ethernet header): too big. */
	len = frame(big, TCP4, 65535 - 40, true, RTE_TCP_ACK_FLAG);
	assert_int_equal(len, 65549);
	h = tso_hdr(TCP4, 1400);
	post(&h, big, len, 20);
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(vsw_vq_dequeue_burst(&Q, pool, m, 2), 0);
	assert_int_equal(Q.stats.drop_too_big, 1);
	/* The headers over several pieces (the Ethernet header whole in the
	 * first): a view, its headers gathered. */
	len = frame(big, TCP4, 20000, true, RTE_TCP_ACK_FLAG);
	h = tso_hdr(TCP4, 1400);
	uint64_t a[4];
	uint32_t l[4] = { 12 + 20, 10, 30, len - 60 };
	uint16_t f[4] = { 0 };
	uint32_t off = 0;
	for (int i = 0; i < 4; i++) {
		a[i] = drv_alloc(&D, l[i]);
		if (i == 0) {
			memcpy(drv_ptr(&D, a[0]), &h, 12);
			memcpy((uint8_t *)drv_ptr(&D, a[0]) + 12, big, 20);
			off = 20;
		} else {
			memcpy(drv_ptr(&D, a[i]), big + off, l[i]);
			off += l[i];
		}
	}
	drv_post(&D, a, l, f, 4, false);
	assert_int_equal(vsw_vq_peek(&Q, v, 2, &stopped), 1);
	assert_int_equal(v[0].needs, VSW_OFF_CSUM | VSW_OFF_TSO4);
	assert_int_equal(v[0].nmore, 3);
	assert_memory_equal(v[0].hdrs, big, 54);
	assert_false(vsw_vq_is_broken(&Q));
}

#define BOTH(fn)                                                                         \
	cmocka_unit_test_prestate_setup_teardown(fn, NULL, teardown, (void *)&SPLIT),    \
	cmocka_unit_test_prestate_setup_teardown(fn, NULL, teardown, (void *)&PACKED)

#define BOTH_R(fn)                                                                        \
	cmocka_unit_test_prestate_setup_teardown(fn, NULL, teardown_both, (void *)&SPLIT),  \
	cmocka_unit_test_prestate_setup_teardown(fn, NULL, teardown_both, (void *)&PACKED)

int main(void)
{
	pool = ut_eal_pool("vroff", 8191);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		BOTH(test_tx_partial_checksums_kept),
		BOTH(test_tx_other_checksum_finished),
		BOTH(test_tx_tso_frames),
		BOTH(test_tx_bad_headers),
		cmocka_unit_test_prestate_setup_teardown(test_tx_not_negotiated, NULL, teardown,
							 (void *)&SPLIT_CSUM),
		cmocka_unit_test_prestate_setup_teardown(test_tx_checksum_not_negotiated, NULL, teardown,
							 (void *)&SPLIT_TSO_NO_CSUM),
		BOTH(test_rx_headers),
		cmocka_unit_test_prestate_setup_teardown(test_rx_headers_not_negotiated, NULL,
							 teardown, (void *)&SPLIT_NONE),
		BOTH(test_views_carry_checksum_requests),
		BOTH_R(test_views_of_tso_frames),
		BOTH_R(test_views_deliver_the_headers_checked),
		BOTH_R(test_views_of_tso_frames_to_other_receivers),
		BOTH(test_views_stop_at_tso_frames_for_mbufs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
