/* Owns the libFuzzer target of src/offload: a frame from the input, held in
 * an mbuf chain of input-chosen segment sizes, goes through parse, checksum
 * completion (offload and generic) and TCP segmentation. Checked: parse
 * gives the same answer for the chain and a contiguous copy, its lengths
 * nest (l2 + l3 + l4 <= IP end <= frame); completed checksums verify against
 * a byte-loop reference; segmentation leaves the frame alone, its segments'
 * payloads concatenate to the frame's payload, their lengths, sequence
 * numbers and checksums are right; no mbuf leaks from either pool.
 * Input: a 12-byte set-up (see struct setup), then the frame. With
 * SET_GROW the frame is lengthened (bytes repeated) up to grow bytes, and
 * with SET_FIX its IP length is made to fit the frame minus pad bytes, so
 * large valid TSO frames are reachable from small inputs.
 * The offload sources are compiled into this binary (instrumented). */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "offload/offload.h"
#include "../unit/ut_eal.h"

#define MAX_FRAME 65600u
#define ROOM 2048u
#define POOL_N 8191u
#define TINY_N 8u
#define MAX_OUT 128u

#define CHECK(c)                                                                          \
	do {                                                                              \
		if (!(c)) {                                                               \
			fprintf(stderr, "fuzz_offload: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                          \
		}                                                                         \
	} while (0)

enum { SET_FULL = 1, SET_TINY_POOL = 2, SET_FIX = 4, SET_GROW = 8 };

struct setup {
	uint8_t flags;
	uint8_t max; /* segments room for TSO (0: MAX_OUT) */
	uint16_t mss;
	uint16_t grow;
	uint8_t pad; /* with SET_FIX: bytes left after the IP end */
	uint8_t gen_start, gen_off;
	uint8_t sizes[3]; /* segment sizes, cycled; 0: ROOM */
};

static struct rte_mempool *pool, *tiny;
static bool verbose; /* VSW_FUZZ_VERBOSE: one line per input */
static unsigned int pool_avail0, tiny_avail0;
static uint8_t frame[MAX_FRAME], flat[MAX_FRAME], ref[MAX_FRAME];

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t ref_sum(uint32_t s, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t ref_phdr(const uint8_t *ip, int ipv, uint32_t l4len)
{
	uint8_t ph[40] = { 0 };
	if (ipv == 4) {
		memcpy(ph, ip + 12, 8);
		ph[9] = IPPROTO_TCP;
		put16(ph + 10, l4len);
		return ref_sum(0, ph, 12);
	}
	memcpy(ph, ip + 8, 32);
	put16(ph + 34, l4len);
	ph[39] = IPPROTO_TCP;
	return ref_sum(0, ph, 40);
}

static struct rte_mbuf *chain(const uint8_t *b, uint32_t len, const struct setup *s)
{
	/* Enough segments to be interesting, never enough to drain the pool. */
	uint32_t floor = len / 2048u + 1u;
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;
	unsigned int k = 0;
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		CHECK(m != NULL);
		uint8_t size = s->sizes[k++ % 3];
		uint32_t want = RTE_MAX(size ? size : ROOM, floor);
		uint32_t n = RTE_MIN(want, len - off);
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), b + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		last = m;
	} while (off < len);
	return head;
}

static uint32_t flatten(const struct rte_mbuf *m, uint8_t *out)
{
	uint32_t n = 0;
	for (; m != NULL; m = m->next) {
		memcpy(out + n, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		n += m->data_len;
	}
	return n;
}

static void expect_unchanged(const struct rte_mbuf *m, uint32_t len)
{
	CHECK(flatten(m, flat) == len);
	CHECK(memcmp(flat, frame, len) == 0);
}

/* Makes the IP length fit the frame (SET_FIX). */
static void fix_lengths(uint32_t len, uint8_t pad)
{
	if (len < 14)
		return;
	uint32_t l2 = 14;
	uint16_t type = get16(frame + 12);
	for (int t = 0; t < 2 && (type == 0x8100 || type == 0x88a8) && len >= l2 + 4; t++) {
		type = get16(frame + l2 + 2);
		l2 += 4;
	}
	if (type == 0x0800 && len >= l2 + 20 + pad)
		put16(frame + l2 + 2, RTE_MIN(len - l2 - pad, 65535u));
	else if (type == 0x86dd && len >= l2 + 40 + pad)
		put16(frame + l2 + 4, RTE_MIN(len - l2 - 40 - pad, 65535u));
}

static void check_parse(const struct rte_mbuf *m, uint32_t len, int *rc, struct vsw_l4_hdrs *h)
{
	*rc = vsw_off_parse(m, h);
	CHECK(strcmp(vsw_off_strerror(*rc), "unknown") != 0);
	struct setup whole = { .sizes = { 0, 0, 0 } };
	struct rte_mbuf *c = chain(frame, len, &whole);
	struct vsw_l4_hdrs h2;
	CHECK(vsw_off_parse(c, &h2) == *rc);
	rte_pktmbuf_free(c);
	if (*rc != 0)
		return;
	CHECK(h->l2_len == h2.l2_len && h->l3_len == h2.l3_len && h->l4_len == h2.l4_len &&
	      h->ipv == h2.ipv && h->proto == h2.proto && h->fragment == h2.fragment &&
	      h->l3_total == h2.l3_total);
	CHECK(h->l2_len == 14 || h->l2_len == 18 || h->l2_len == 22);
	CHECK((uint32_t)h->l2_len + h->l3_len + h->l4_len <= h->l3_total && h->l3_total <= len);
	if (h->ipv == 0)
		CHECK(h->l3_len == 0 && h->l4_len == 0 && h->l3_total == len);
	else if (h->ipv == 4)
		CHECK(h->l3_len >= 20 && h->l3_len == (frame[h->l2_len] & 0xf) * 4);
	else
		CHECK(h->ipv == 6 && h->l3_len >= 40 && h->l3_len <= 40 + 256 && h->l3_len % 8 == 0);
	if (h->fragment || (h->proto != IPPROTO_TCP && h->proto != IPPROTO_UDP))
		CHECK(h->l4_len == 0);
	else if (h->proto == IPPROTO_TCP)
		CHECK(h->l4_len >= 20 && h->l4_len <= 60 && h->l4_len % 4 == 0);
	else
		CHECK(h->l4_len == 8);
}

static void check_l4_csum(uint32_t len, const struct setup *s, const struct vsw_l4_hdrs *h)
{
	if (h->ipv == 0 || h->l4_len == 0)
		return;
	bool udp = h->proto == IPPROTO_UDP;
	struct rte_mbuf *m = chain(frame, len, s);
	vsw_off_set_meta(m, h);
	m->ol_flags |= udp ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM;
	uint32_t l4 = (uint32_t)h->l2_len + h->l3_len, at = l4 + (udp ? 6 : 16);
	CHECK(vsw_off_l4_csum_offset(m) == at);
	uint16_t c = rte_be_to_cpu_16(vsw_off_l4_csum(m));
	CHECK(vsw_off_csum_complete(m) == 0);
	CHECK((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == 0);
	CHECK(flatten(m, flat) == len);
	CHECK(get16(flat + at) == c);
	/* With the pseudo-header sum that the field held, it all adds up. */
	CHECK(ref_fold(ref_sum(get16(frame + at), flat + l4, h->l3_total - l4)) == 0xffff);
	if (c == 0)
		CHECK(!udp);
	put16(flat + at, get16(frame + at));
	CHECK(memcmp(flat, frame, len) == 0);
	rte_pktmbuf_free(m);
}

static void check_generic(uint32_t len, const struct setup *s)
{
	uint32_t start = s->gen_start, off = s->gen_off;
	struct rte_mbuf *m = chain(frame, len, s);
	int rc = vsw_off_csum_generic(m, start, off);
	if (start + off + 2 > len) {
		CHECK(rc == VSW_OFF_ETRUNC);
		expect_unchanged(m, len);
	} else {
		CHECK(rc == 0);
		uint16_t want = (uint16_t)~ref_fold(ref_sum(0, frame + start, len - start));
		CHECK(flatten(m, flat) == len);
		CHECK(get16(flat + start + off) == (want ? want : 0xffff));
		put16(flat + start + off, get16(frame + start + off));
		CHECK(memcmp(flat, frame, len) == 0);
	}
	rte_pktmbuf_free(m);
}

static void check_tso(uint32_t len, const struct setup *s, int prc, const struct vsw_l4_hdrs *h)
{
	struct rte_mbuf *m = chain(frame, len, s), *out[MAX_OUT];
	struct rte_mempool *mp = (s->flags & SET_TINY_POOL) ? tiny : pool;
	uint16_t max = s->max ? s->max % MAX_OUT : MAX_OUT;
	bool full = s->flags & SET_FULL;
	m->tso_segsz = s->mss;
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM;
	unsigned int avail = rte_mempool_avail_count(mp);
	int n = vsw_off_tso_segment(m, mp, out, max, full);
	if (verbose)
		fprintf(stderr, "fuzz_offload: len %u parse %s tso %d (%s)\n", len, vsw_off_strerror(prc), n,
			vsw_off_strerror(n < 0 ? n : 0));
	expect_unchanged(m, len);
	rte_pktmbuf_free(m);
	if (prc != 0) {
		CHECK(n == prc);
		return;
	}
	bool tcp = h->ipv != 0 && h->proto == IPPROTO_TCP && !h->fragment;
	uint32_t hlen = (uint32_t)h->l2_len + h->l3_len + h->l4_len, payload = h->l3_total - hlen;
	uint32_t mss = s->mss, want = mss == 0 ? 0 : payload == 0 ? 1 : (payload + mss - 1) / mss;
	/* The outcome is fully determined by the frame and the set-up. */
	int expect = !tcp ? VSW_OFF_ENOTTCP : mss == 0 ? VSW_OFF_EMALFORMED : want > max ? VSW_OFF_ETOOMANY :
		     hlen + RTE_MIN(mss, payload) > ROOM ? VSW_OFF_ETOOBIG :
		     want > avail ? VSW_OFF_ENOMBUF : (int)want;
	if (n != expect)
		fprintf(stderr, "fuzz_offload: tso %d, expected %d (want %u hlen %u payload %u mss %u)\n", n, expect, want, hlen, payload, mss);
	CHECK(n == expect);
	if (n < 0)
		return;
	const uint8_t *oip = frame + h->l2_len, *oth = oip + h->l3_len;
	uint32_t done = 0, seq0;
	memcpy(&seq0, oth + 4, 4);
	seq0 = rte_be_to_cpu_32(seq0);
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *g = out[i];
		uint32_t plen = g->pkt_len - hlen;
		CHECK(g->nb_segs == 1 && g->data_len == g->pkt_len && g->pkt_len >= hlen);
		CHECK(plen <= mss && (i + 1 == n || plen == mss) && (plen > 0 || payload == 0));
		const uint8_t *d = rte_pktmbuf_mtod(g, const uint8_t *), *ip = d + h->l2_len;
		const uint8_t *th = ip + h->l3_len;
		CHECK(memcmp(d + hlen, frame + hlen + done, plen) == 0);
		CHECK(memcmp(d, frame, h->l2_len) == 0);
		uint32_t tcp_len = h->l4_len + plen;
		if (h->ipv == 4) {
			CHECK(get16(ip + 2) == h->l3_len + tcp_len);
			CHECK(ref_fold(ref_sum(0, ip, h->l3_len)) == 0xffff);
			CHECK(get16(ip + 4) == (uint16_t)(get16(oip + 4) + i));
		} else {
			CHECK(get16(ip + 4) == h->l3_len - 40 + tcp_len);
		}
		uint32_t seq;
		memcpy(&seq, th + 4, 4);
		CHECK(rte_be_to_cpu_32(seq) == seq0 + done);
		uint8_t flags = oth[13];
		if (i + 1 < n)
			flags &= (uint8_t)~0x09; /* FIN, PSH */
		if (i > 0)
			flags &= (uint8_t)~0x80; /* CWR */
		CHECK(th[13] == flags);
		uint32_t phdr = ref_phdr(ip, h->ipv, tcp_len);
		if (!full) {
			CHECK(get16(th + 16) == ref_fold(phdr));
			CHECK(vsw_off_csum_complete(g) == 0);
		}
		memcpy(ref, th, tcp_len);
		CHECK(ref_fold(ref_sum(phdr, ref, tcp_len)) == 0xffff);
		done += plen;
	}
	CHECK(done == payload);
	rte_pktmbuf_free_bulk(out, (unsigned int)n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *args[] = { "fuzz", "--no-huge", "--no-pci", "-m", "512", "--no-shconf",
			 "--no-telemetry", "--log-level=*:error", "-l", "0",
			 "--file-prefix=vsw-fuzz-offload" };
	if (rte_eal_init((int)RTE_DIM(args), args) < 0) {
		fprintf(stderr, "fuzz_offload: rte_eal_init failed\n");
		abort();
	}
	ut_eal_forget_runtime_dir();
	pool = rte_pktmbuf_pool_create("fuzz_off", POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	tiny = rte_pktmbuf_pool_create("fuzz_off_tiny", TINY_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL || tiny == NULL) {
		fprintf(stderr, "fuzz_offload: set-up failed\n");
		abort();
	}
	verbose = getenv("VSW_FUZZ_VERBOSE") != NULL;
	pool_avail0 = rte_mempool_avail_count(pool);
	tiny_avail0 = rte_mempool_avail_count(tiny);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setup s;
	if (size < sizeof(s))
		return 0;
	memcpy(&s, data, sizeof(s));
	data += sizeof(s);
	size -= sizeof(s);
	uint32_t len = (uint32_t)RTE_MIN(size, (size_t)MAX_FRAME);
	memcpy(frame, data, len);
	if ((s.flags & SET_GROW) && len > 0)
		for (; len < RTE_MIN((uint32_t)s.grow, MAX_FRAME); len++)
			frame[len] = frame[len % (uint32_t)size];
	if (s.flags & SET_FIX)
		fix_lengths(len, s.pad);
	if (len == 0)
		return 0;

	struct rte_mbuf *m = chain(frame, len, &s);
	struct vsw_l4_hdrs h;
	int rc;
	check_parse(m, len, &rc, &h);
	rte_pktmbuf_free(m);
	if (rc == 0)
		check_l4_csum(len, &s, &h);
	check_generic(len, &s);
	check_tso(len, &s, rc, &h);
	CHECK(rte_mempool_avail_count(pool) == pool_avail0);
	CHECK(rte_mempool_avail_count(tiny) == tiny_avail0);
	return 0;
}
