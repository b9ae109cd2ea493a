/* Unit tests of src/offload: header parsing (good frames and every malformed
 * case), checksum completion and TCP segmentation, checked against a
 * reference written here (byte loops, pseudo-headers built by hand), over
 * mbuf chains with odd segment boundaries. Every test ends with the pools
 * as full as they started (teardown). */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "offload/offload.h"
#include "ut_eal.h"

#define MAX_FRAME 70000u
#define ROOM 2048u /* RTE_MBUF_DEFAULT_DATAROOM */

static struct rte_mempool *pool, *tiny;
static unsigned int pool_avail0, tiny_avail0;

/* --- a frame builder --- */

struct spec {
	uint8_t ipv; /* 4, 6; 0: ARP */
	uint8_t vlans;
	uint8_t ip_opts; /* IPv4 option bytes */
	uint8_t n_ext;	 /* IPv6 extension headers, in order */
	uint8_t ext_type[10];
	uint16_t ext_len[10];
	uint8_t proto;
	uint8_t tcp_opts;
	uint32_t payload;
	uint32_t pad; /* Ethernet padding after the IP end */
	uint8_t tcp_flags;
	uint32_t seq;
	uint16_t id;
	uint16_t frag;	   /* IPv4 flags + fragment offset */
	bool phdr_no_len;  /* L4 field: pseudo-header with length 0 (DPDK TSO) */
};

struct frame {
	uint8_t b[MAX_FRAME];
	uint32_t len, l2, l3, l4, end; /* end: the IP end */
};

static struct frame F, G; /* G: scratch for flattened copies */
static uint8_t scratch[MAX_FRAME];

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* --- the reference: RFC 1071 one byte at a time --- */

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

/* The pseudo-header of an L4 packet of l4len bytes, laid out by hand. */
static uint32_t ref_phdr(const uint8_t *ip, int ipv, uint8_t proto, uint32_t l4len)
{
	uint8_t ph[40] = { 0 };
	if (ipv == 4) {
		memcpy(ph, ip + 12, 8); /* source, destination */
		ph[9] = proto;
		put16(ph + 10, l4len);
		return ref_sum(0, ph, 12);
	}
	memcpy(ph, ip + 8, 32);
	ph[32] = (uint8_t)(l4len >> 24);
	ph[33] = (uint8_t)(l4len >> 16);
	put16(ph + 34, l4len);
	ph[39] = proto;
	return ref_sum(0, ph, 40);
}

/* The checksum (host order) an L4 packet at f + l4 of l4len bytes should
 * carry in its field at f + field. */
static uint16_t ref_l4(const uint8_t *f, uint32_t l2, int ipv, uint32_t l4, uint32_t l4len,
		       uint8_t proto, uint32_t field)
{
	memcpy(scratch, f + l4, l4len);
	scratch[field - l4] = scratch[field - l4 + 1] = 0;
	uint16_t c = (uint16_t)~ref_fold(ref_sum(ref_phdr(f + l2, ipv, proto, l4len), scratch, l4len));
	return proto == IPPROTO_UDP && c == 0 ? 0xffff : c;
}

static bool ref_ipv4_ok(const uint8_t *ip)
{
	return ref_fold(ref_sum(0, ip, (ip[0] & 0xfu) * 4u)) == 0xffff;
}

static void build(struct frame *f, const struct spec *s)
{
	uint8_t *b = f->b;
	memset(b, 0, 64);
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	memcpy(b, macs, 12);
	uint32_t o = 12;
	for (unsigned int i = 0; i < s->vlans; i++, o += 4) {
		put16(b + o, s->vlans == 2 && i == 0 ? 0x88a8 : 0x8100);
		put16(b + o + 2, 100 + i);
	}
	put16(b + o, s->ipv == 4 ? 0x0800 : s->ipv == 6 ? 0x86dd : 0x0806);
	f->l2 = o + 2;
	uint8_t *ip = b + f->l2;
	uint32_t l4len = s->proto == IPPROTO_TCP ? 20u + s->tcp_opts : s->proto == IPPROTO_UDP ? 8u : 0u;
	if (s->ipv == 4) {
		f->l3 = 20u + s->ip_opts;
		memset(ip, 0, f->l3);
		ip[0] = (uint8_t)(0x40 | f->l3 / 4);
		put16(ip + 2, f->l3 + l4len + s->payload);
		put16(ip + 4, s->id);
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = s->proto;
		memcpy(ip + 12, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
		memset(ip + 20, 1, s->ip_opts); /* NOPs */
		put16(ip + 10, (uint16_t)~ref_fold(ref_sum(0, ip, f->l3)));
	} else if (s->ipv == 6) {
		uint32_t ext = 0;
		for (unsigned int i = 0; i < s->n_ext; i++)
			ext += s->ext_len[i];
		f->l3 = 40 + ext;
		memset(ip, 0, f->l3);
		ip[0] = 0x60;
		put16(ip + 4, ext + l4len + s->payload);
		ip[6] = s->n_ext ? s->ext_type[0] : s->proto;
		ip[7] = 64;
		ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
		ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
		uint8_t *x = ip + 40;
		for (unsigned int i = 0; i < s->n_ext; i++) {
			x[0] = i + 1 < s->n_ext ? s->ext_type[i + 1] : s->proto;
			x[1] = s->ext_type[i] == IPPROTO_FRAGMENT ? 0 : (uint8_t)(s->ext_len[i] / 8 - 1);
			x += s->ext_len[i];
		}
	} else {
		f->l3 = 0;
	}
	f->l4 = f->l2 + f->l3;
	uint8_t *l4 = b + f->l4;
	memset(l4, 0, l4len);
	if (s->proto == IPPROTO_TCP) {
		put16(l4, 1234);
		put16(l4 + 2, 80);
		put16(l4 + 4, s->seq >> 16);
		put16(l4 + 6, s->seq & 0xffff);
		put16(l4 + 8, 0x0102);
		put16(l4 + 10, 0x0304);
		l4[12] = (uint8_t)(l4len / 4 << 4);
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 0xffff);
		memset(l4 + 20, 1, s->tcp_opts);
	} else if (s->proto == IPPROTO_UDP) {
		put16(l4, 1234);
		put16(l4 + 2, 53);
		put16(l4 + 4, 8 + s->payload);
	}
	uint8_t *pl = l4 + l4len;
	uint32_t r = 12345;
	for (uint32_t i = 0; i < s->payload; i++) {
		r = r * 1103515245u + 12345u;
		pl[i] = (uint8_t)(r >> 16);
	}
	f->end = f->l4 + l4len + s->payload;
	memset(b + f->end, 0xee, s->pad);
	f->len = f->end + s->pad;
	if (s->ipv != 0 && l4len != 0) {
		uint32_t field = s->proto == IPPROTO_TCP ? 16 : 6;
		put16(l4 + field, ref_fold(ref_phdr(ip, s->ipv, s->proto,
						    s->phdr_no_len ? 0 : l4len + s->payload)));
	}
}

/* --- mbuf chains --- */

/* A chain holding f's bytes in segments of sizes[0], sizes[1], ... (cycled;
 * 0 ends the list). */
static struct rte_mbuf *chain(const uint8_t *b, uint32_t len, const uint16_t *sizes)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;
	unsigned int k = 0;
	do {
		struct rte_mbuf *s = rte_pktmbuf_alloc(pool);
		assert_non_null(s);
		if (sizes[k] == 0)
			k = 0;
		uint32_t n = len - off < sizes[k] ? len - off : sizes[k];
		k++;
		memcpy(rte_pktmbuf_append(s, (uint16_t)n), b + off, n);
		off += n;
		if (head == NULL) {
			head = s;
		} else {
			last->next = s;
			head->nb_segs++;
			head->pkt_len += n;
		}
		last = s;
	} while (off < len);
	return head;
}

static const uint16_t WHOLE[] = { ROOM, 0 };
static const uint16_t ODD[] = { 7, 2047, 3, 1001, 0 };
static const uint16_t TINY[] = { 1, 2, 3, 5, 0 };
static const uint16_t SMALL[] = { 17, 1, 0 };
static const uint16_t *const LAYOUTS[] = { WHOLE, ODD, TINY, SMALL };

static uint32_t flatten(const struct rte_mbuf *m, uint8_t *out)
{
	uint32_t n = 0;
	for (; m != NULL; m = m->next) {
		memcpy(out + n, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		n += m->data_len;
	}
	return n;
}

/* Fails a test that leaked mbufs (once: the next test starts afresh). */
static int teardown(void **state)
{
	(void)state;
	unsigned int p = pool_avail0, t = tiny_avail0;
	pool_avail0 = rte_mempool_avail_count(pool);
	tiny_avail0 = rte_mempool_avail_count(tiny);
	assert_int_equal(pool_avail0, p);
	assert_int_equal(tiny_avail0, t);
	return 0;
}

/* --- parse --- */

/* Parses f in one mbuf, and as bytes (vsw_off_parse_buf), which must agree. */
static int parse_flat(const struct frame *f, struct vsw_l4_hdrs *h)
{
	struct rte_mbuf *m = chain(f->b, f->len, WHOLE);
	int rc = vsw_off_parse(m, h);
	rte_pktmbuf_free(m);
	struct vsw_l4_hdrs hb;
	assert_int_equal(vsw_off_parse_buf(f->b, f->len, f->len, &hb), rc);
	if (rc == 0)
		assert_memory_equal(&hb, h, sizeof(hb));
	return rc;
}

static void expect_hdrs(const struct vsw_l4_hdrs *h, uint16_t l2, uint16_t l3, uint16_t l4,
			uint8_t ipv, uint8_t proto, bool frag, uint32_t total)
{
	assert_int_equal(h->l2_len, l2);
	assert_int_equal(h->l3_len, l3);
	assert_int_equal(h->l4_len, l4);
	assert_int_equal(h->ipv, ipv);
	assert_int_equal(h->proto, proto);
	assert_int_equal(h->fragment, frag);
	assert_int_equal(h->l3_total, total);
}

static void test_parse_ipv4_options_tcp_options(void **state)
{
	(void)state;
	struct vsw_l4_hdrs h;
	build(&F, &(struct spec){ .ipv = 4, .ip_opts = 8, .proto = IPPROTO_TCP, .tcp_opts = 12,
				 .payload = 100, .pad = 10 });
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 14, 28, 32, 4, IPPROTO_TCP, false, 14 + 28 + 32 + 100);

	struct rte_mbuf *m = chain(F.b, F.len, WHOLE);
	m->ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM;
	vsw_off_set_meta(m, &h);
	assert_int_equal(m->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 28);
	assert_int_equal(m->l4_len, 32);
	rte_pktmbuf_free(m);
}

static void test_parse_ipv6_extension_headers(void **state)
{
	(void)state;
	struct vsw_l4_hdrs h;
	build(&F, &(struct spec){ .ipv = 6, .n_ext = 3,
				 .ext_type = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS },
				 .ext_len = { 8, 24, 16 }, .proto = IPPROTO_TCP, .payload = 33 });
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 14, 88, 20, 6, IPPROTO_TCP, false, 14 + 88 + 20 + 33);

	struct rte_mbuf *m = chain(F.b, F.len, WHOLE);
	m->ol_flags = RTE_MBUF_F_TX_IPV4;
	vsw_off_set_meta(m, &h);
	assert_int_equal(m->ol_flags, RTE_MBUF_F_TX_IPV6);
	assert_int_equal(m->l3_len, 88);
	rte_pktmbuf_free(m);

	/* Eight extension headers and 256 bytes of them are still taken. */
	struct spec s = { .ipv = 6, .n_ext = 8, .proto = IPPROTO_UDP, .payload = 1 };
	for (int i = 0; i < 8; i++)
		s.ext_type[i] = IPPROTO_DSTOPTS, s.ext_len[i] = 32;
	build(&F, &s);
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 14, 40 + 256, 8, 6, IPPROTO_UDP, false, 14 + 296 + 8 + 1);
}

static void test_parse_vlan_and_qinq(void **state)
{
	(void)state;
	struct vsw_l4_hdrs h;
	build(&F, &(struct spec){ .ipv = 4, .vlans = 1, .proto = IPPROTO_UDP, .payload = 5 });
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 18, 20, 8, 4, IPPROTO_UDP, false, 18 + 20 + 8 + 5);
	build(&F, &(struct spec){ .ipv = 6, .vlans = 2, .proto = IPPROTO_TCP, .tcp_opts = 40 });
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 22, 40, 60, 6, IPPROTO_TCP, false, 22 + 40 + 60);
}

static void test_parse_udp_and_other_protocols(void **state)
{
	(void)state;
	struct vsw_l4_hdrs h;
	build(&F, &(struct spec){ .ipv = 6, .proto = IPPROTO_UDP, .payload = 0 });
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 14, 40, 8, 6, IPPROTO_UDP, false, 14 + 40 + 8);
	build(&F, &(struct spec){ .ipv = 4, .proto = IPPROTO_ICMP, .payload = 64 });
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 14, 20, 0, 4, IPPROTO_ICMP, false, 14 + 20 + 64);
	build(&F, &(struct spec){ .ipv = 0, .payload = 28 }); /* ARP */
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 14, 0, 0, 0, 0, false, 14 + 28);
}

static void test_parse_fragments(void **state)
{
	(void)state;
	struct vsw_l4_hdrs h;
	build(&F, &(struct spec){ .ipv = 4, .proto = IPPROTO_TCP, .payload = 100, .frag = 0x2000 }); /* MF */
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 14, 20, 0, 4, IPPROTO_TCP, true, 14 + 20 + 20 + 100);
	build(&F, &(struct spec){ .ipv = 4, .proto = IPPROTO_UDP, .payload = 100, .frag = 0x0001 });
	assert_int_equal(parse_flat(&F, &h), 0);
	assert_true(h.fragment);
	assert_int_equal(h.l4_len, 0);
	build(&F, &(struct spec){ .ipv = 4, .proto = IPPROTO_UDP, .payload = 100, .frag = 0x4000 }); /* DF */
	assert_int_equal(parse_flat(&F, &h), 0);
	assert_false(h.fragment);
	build(&F, &(struct spec){ .ipv = 6, .n_ext = 2, .ext_type = { IPPROTO_HOPOPTS, IPPROTO_FRAGMENT },
				 .ext_len = { 8, 8 }, .proto = IPPROTO_TCP, .payload = 10 });
	assert_int_equal(parse_flat(&F, &h), 0);
	expect_hdrs(&h, 14, 56, 0, 6, IPPROTO_TCP, true, 14 + 56 + 20 + 10);
}

/* Builds s, applies the damage, changes the frame's length by len_delta
 * and expects rc from parse, contiguous and in one-byte-ish segments. */
static void expect_bad(const struct spec *s, void (*damage)(uint8_t *b, const struct frame *f),
		       int32_t len_delta, int rc)
{
	build(&F, s);
	if (damage != NULL)
		damage(F.b, &F);
	F.len = (uint32_t)((int32_t)F.len + len_delta);
	struct vsw_l4_hdrs h;
	assert_int_equal(parse_flat(&F, &h), rc);
	/* and the same in a chain of tiny segments */
	struct rte_mbuf *m = chain(F.b, F.len, TINY);
	assert_int_equal(vsw_off_parse(m, &h), rc);
	rte_pktmbuf_free(m);
}

static void ihl4(uint8_t *b, const struct frame *f) { b[f->l2] = 0x44; }
static void ver6(uint8_t *b, const struct frame *f) { b[f->l2] = 0x65; }
static void ver4(uint8_t *b, const struct frame *f) { b[f->l2] = 0x40; }
static void tot19(uint8_t *b, const struct frame *f) { put16(b + f->l2 + 2, 19); }
static void tot_long(uint8_t *b, const struct frame *f) { put16(b + f->l2 + 2, get16(b + f->l2 + 2) + 1); }
static void ihl15(uint8_t *b, const struct frame *f) { b[f->l2] = 0x4f; } /* 60 > total 40 */
static void plen_long(uint8_t *b, const struct frame *f) { put16(b + f->l2 + 4, get16(b + f->l2 + 4) + 1); }
static void doff4(uint8_t *b, const struct frame *f) { b[f->l4 + 12] = 0x40; }
static void doff15(uint8_t *b, const struct frame *f) { b[f->l4 + 12] = 0xf0; }
static void tot_cuts_tcp(uint8_t *b, const struct frame *f) { put16(b + f->l2 + 2, 20 + 19); }
static void tot_cuts_udp(uint8_t *b, const struct frame *f) { put16(b + f->l2 + 2, 20 + 7); }
static void plen_cuts_tcp(uint8_t *b, const struct frame *f) { put16(b + f->l2 + 4, f->l3 - 40 + 12); }
static void plen_cuts_ext(uint8_t *b, const struct frame *f) { put16(b + f->l2 + 4, 4); }
static void ext_huge(uint8_t *b, const struct frame *f) { b[f->l2 + 41] = 255; }
static void ext_past_end(uint8_t *b, const struct frame *f) { b[f->l2 + 41] = 20; } /* 168 bytes */
static void third_tag(uint8_t *b, const struct frame *f) { put16(b + f->l2 - 2, 0x8100); }

static void test_parse_malformed(void **state)
{
	(void)state;
	const struct spec v4tcp = { .ipv = 4, .proto = IPPROTO_TCP, .payload = 0 };
	const struct spec v4udp = { .ipv = 4, .proto = IPPROTO_UDP, .payload = 0 };
	const struct spec v6tcp = { .ipv = 6, .proto = IPPROTO_TCP, .payload = 0 };
	const struct spec v6ext = { .ipv = 6, .n_ext = 1, .ext_type = { IPPROTO_DSTOPTS },
				    .ext_len = { 8 }, .proto = IPPROTO_TCP, .payload = 100 };
	const struct spec qinq = { .ipv = 4, .vlans = 2, .proto = IPPROTO_TCP, .payload = 0 };

	/* Ethernet and VLAN */
	build(&F, &v4tcp);
	F.len = 13;
	struct vsw_l4_hdrs h;
	assert_int_equal(parse_flat(&F, &h), VSW_OFF_ETRUNC);
	build(&F, &(struct spec){ .ipv = 4, .vlans = 1 });
	F.len = 16; /* in the tag */
	assert_int_equal(parse_flat(&F, &h), VSW_OFF_ETRUNC);
	expect_bad(&qinq, third_tag, 0, VSW_OFF_EMALFORMED);
	/* IPv4 */
	expect_bad(&v4tcp, NULL, -(40 - 19), VSW_OFF_ETRUNC);	 /* header cut */
	expect_bad(&v4tcp, ihl4, 0, VSW_OFF_EMALFORMED);
	expect_bad(&(struct spec){ .ipv = 4, .proto = IPPROTO_ICMP, .payload = 8 }, ihl4, 0, VSW_OFF_EMALFORMED);
	expect_bad(&v4tcp, ver6, 0, VSW_OFF_EMALFORMED);
	expect_bad(&v4tcp, tot19, 0, VSW_OFF_EMALFORMED);
	expect_bad(&v4tcp, ihl15, 0, VSW_OFF_EMALFORMED);
	expect_bad(&v4tcp, tot_long, 0, VSW_OFF_ETRUNC);
	expect_bad(&v4tcp, NULL, -1, VSW_OFF_ETRUNC); /* frame shorter than IP says */
	/* IPv6 */
	expect_bad(&v6tcp, NULL, -(60 - 39), VSW_OFF_ETRUNC);
	expect_bad(&v6tcp, ver4, 0, VSW_OFF_EMALFORMED);
	expect_bad(&v6tcp, plen_long, 0, VSW_OFF_ETRUNC);
	expect_bad(&v6ext, plen_cuts_ext, 0, VSW_OFF_ETRUNC); /* ext header past the IP end */
	expect_bad(&v6ext, ext_past_end, 0, VSW_OFF_ETRUNC);
	struct spec icmp6 = v6ext; /* no L4 header to catch it: the walk must */
	icmp6.proto = IPPROTO_ICMPV6;
	icmp6.pad = 200;
	expect_bad(&icmp6, ext_past_end, 0, VSW_OFF_ETRUNC);
	expect_bad(&v6ext, ext_huge, 0, VSW_OFF_EMALFORMED); /* 2048 > 256 bytes */
	struct spec nine = { .ipv = 6, .n_ext = 9, .proto = IPPROTO_TCP };
	for (int i = 0; i < 9; i++)
		nine.ext_type[i] = IPPROTO_DSTOPTS, nine.ext_len[i] = 8;
	expect_bad(&nine, NULL, 0, VSW_OFF_EMALFORMED);
	struct spec fat = { .ipv = 6, .n_ext = 2, .ext_type = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS },
			    .ext_len = { 128, 136 }, .proto = IPPROTO_TCP };
	expect_bad(&fat, NULL, 0, VSW_OFF_EMALFORMED); /* 264 bytes */
	/* TCP and UDP */
	expect_bad(&v4tcp, doff4, 0, VSW_OFF_EMALFORMED);
	expect_bad(&v4tcp, doff15, 0, VSW_OFF_ETRUNC);
	expect_bad(&v6tcp, doff15, 0, VSW_OFF_ETRUNC);
	struct spec padded = v4tcp;
	padded.pad = 40; /* bytes are there, but past the IP end */
	expect_bad(&padded, tot_cuts_tcp, 0, VSW_OFF_ETRUNC);
	expect_bad(&padded, doff15, 0, VSW_OFF_ETRUNC);
	padded.proto = IPPROTO_UDP;
	expect_bad(&padded, tot_cuts_udp, 0, VSW_OFF_ETRUNC);
	expect_bad(&v4udp, NULL, -1, VSW_OFF_ETRUNC);
	struct spec padded6 = v6tcp;
	padded6.pad = 40;
	expect_bad(&padded6, plen_cuts_tcp, 0, VSW_OFF_ETRUNC);
}

/* vsw_off_parse_buf on the first len bytes of a longer frame (a copy of its
 * start): headers within them parse as the whole frame does; headers past
 * them are refused as too long, not read; the frame's own length (pkt_len)
 * still decides what is truncated, however many bytes the copy has. */
static void test_parse_buf_prefix(void **state)
{
	(void)state;
	struct vsw_l4_hdrs h, whole;
	build(&F, &(struct spec){ .ipv = 4, .proto = IPPROTO_TCP, .tcp_opts = 12, .payload = 1000 });
	assert_int_equal(parse_flat(&F, &whole), 0);
	uint32_t hl = 14 + 20 + 32;
	assert_int_equal(vsw_off_parse_buf(F.b, hl, F.len, &h), 0);
	assert_memory_equal(&h, &whole, sizeof(h));
	assert_int_equal(vsw_off_parse_buf(F.b, hl - 1, F.len, &h), VSW_OFF_EMALFORMED);
	assert_int_equal(vsw_off_parse_buf(F.b, 20, F.len, &h), VSW_OFF_EMALFORMED);
	assert_int_equal(vsw_off_parse_buf(F.b, 0, F.len, &h), VSW_OFF_EMALFORMED);
	/* 256 bytes of IPv6 extension headers: within VSW_OFF_HDR_MAX, not 192. */
	struct spec s = { .ipv = 6, .n_ext = 8, .proto = IPPROTO_TCP, .payload = 500 };
	for (int i = 0; i < 8; i++)
		s.ext_type[i] = IPPROTO_DSTOPTS, s.ext_len[i] = 32;
	build(&F, &s);
	assert_int_equal(parse_flat(&F, &whole), 0);
	assert_int_equal(vsw_off_parse_buf(F.b, VSW_OFF_HDR_MAX, F.len, &h), 0);
	assert_memory_equal(&h, &whole, sizeof(h));
	assert_int_equal(vsw_off_parse_buf(F.b, 192, F.len, &h), VSW_OFF_EMALFORMED);
	/* A frame cut inside its TCP header, with more bytes in the copy. */
	build(&F, &(struct spec){ .ipv = 4, .proto = IPPROTO_TCP, .payload = 100 });
	assert_int_equal(vsw_off_parse_buf(F.b, F.len, 14 + 20 + 10, &h), VSW_OFF_ETRUNC);
}

/* Headers straddling segments, down to one byte per segment, parse as the
 * contiguous frame does. */
static void test_parse_headers_across_segments(void **state)
{
	(void)state;
	const struct spec specs[] = {
		{ .ipv = 6, .vlans = 2, .n_ext = 2, .ext_type = { IPPROTO_HOPOPTS, IPPROTO_ROUTING },
		  .ext_len = { 16, 40 }, .proto = IPPROTO_TCP, .tcp_opts = 20, .payload = 50, .pad = 3 },
		{ .ipv = 4, .vlans = 1, .ip_opts = 40, .proto = IPPROTO_UDP, .payload = 7 },
	};
	for (size_t i = 0; i < RTE_DIM(specs); i++) {
		build(&F, &specs[i]);
		struct vsw_l4_hdrs flat, h;
		assert_int_equal(parse_flat(&F, &flat), 0);
		for (size_t k = 0; k < RTE_DIM(LAYOUTS); k++) {
			struct rte_mbuf *m = chain(F.b, F.len, LAYOUTS[k]);
			assert_int_equal(vsw_off_parse(m, &h), 0);
			expect_hdrs(&h, flat.l2_len, flat.l3_len, flat.l4_len, flat.ipv, flat.proto,
				    flat.fragment, flat.l3_total);
			rte_pktmbuf_free(m);
		}
	}
}

/* --- checksums --- */

static uint32_t field_of(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : 6;
}

/* F in a chain with partial checksum metadata, as the vring engine sets it. */
static struct rte_mbuf *partial(const uint16_t *layout, uint8_t proto)
{
	struct rte_mbuf *m = chain(F.b, F.len, layout);
	struct vsw_l4_hdrs h;
	assert_int_equal(vsw_off_parse(m, &h), 0);
	vsw_off_set_meta(m, &h);
	m->ol_flags |= proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
	return m;
}

/* m's bytes equal F's but for the two at F.b + at, which read want. */
static void expect_frame_with(const struct rte_mbuf *m, uint32_t at, uint16_t want)
{
	assert_int_equal(flatten(m, G.b), F.len);
	assert_int_equal(get16(G.b + at), want);
	put16(G.b + at, get16(F.b + at));
	assert_memory_equal(G.b, F.b, F.len);
}

static void test_csum_against_reference(void **state)
{
	(void)state;
	static const uint32_t payloads[] = { 0, 1, 2, 3, 1001, 1500, 8999 };
	for (int ipv = 4; ipv <= 6; ipv += 2)
		for (int p = 0; p < 2; p++)
			for (size_t i = 0; i < RTE_DIM(payloads); i++)
				for (size_t k = 0; k < RTE_DIM(LAYOUTS); k++)
					for (uint32_t pad = 0; pad <= 7; pad += 7) {
		uint8_t proto = p ? IPPROTO_UDP : IPPROTO_TCP;
		struct spec s = { .ipv = (uint8_t)ipv, .proto = proto, .payload = payloads[i], .pad = pad,
				  .vlans = (uint8_t)(k & 1), .ip_opts = 4, .tcp_opts = 8 };
		if (ipv == 6 && (i & 1))
			s.n_ext = 1, s.ext_type[0] = IPPROTO_ROUTING, s.ext_len[0] = 24;
		build(&F, &s);
		uint32_t at = F.l4 + field_of(proto);
		uint16_t want = ref_l4(F.b, F.l2, ipv, F.l4, F.end - F.l4, proto, at);
		struct rte_mbuf *m = partial(LAYOUTS[k], proto);
		assert_int_equal(vsw_off_l4_csum_offset(m), at);
		assert_int_equal(rte_be_to_cpu_16(vsw_off_l4_csum(m)), want);
		assert_int_equal(vsw_off_csum_complete(m), 0);
		assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0);
		expect_frame_with(m, at, want);
		rte_pktmbuf_free(m);
	}
}

/* A sum of 0 is stored as 0xffff for UDP (0 means "none") and as 0 for TCP. */
static void test_csum_zero_result(void **state)
{
	(void)state;
	for (int ipv = 4; ipv <= 6; ipv += 2)
		for (int p = 0; p < 2; p++) {
			uint8_t proto = p ? IPPROTO_UDP : IPPROTO_TCP;
			build(&F, &(struct spec){ .ipv = (uint8_t)ipv, .proto = proto, .payload = 100 });
			uint32_t at = F.l4 + field_of(proto), l4len = F.end - F.l4;
			/* Choose the last payload word so the checksum comes out 0. */
			put16(F.b + F.end - 2, 0);
			memcpy(scratch, F.b + F.l4, l4len);
			scratch[at - F.l4] = scratch[at - F.l4 + 1] = 0;
			uint16_t s = ref_fold(ref_sum(ref_phdr(F.b + F.l2, ipv, proto, l4len), scratch, l4len));
			put16(F.b + F.end - 2, (uint16_t)~s);
			uint16_t want = proto == IPPROTO_UDP ? 0xffff : 0;
			assert_int_equal(ref_l4(F.b, F.l2, ipv, F.l4, l4len, proto, at), want);
			struct rte_mbuf *m = partial(ODD, proto);
			assert_int_equal(rte_be_to_cpu_16(vsw_off_l4_csum(m)), want);
			assert_int_equal(vsw_off_csum_complete(m), 0);
			expect_frame_with(m, at, want);
			rte_pktmbuf_free(m);
		}
}

/* The checksum fields themselves straddle segments; the IPv4 header
 * checksum is done when TX_IP_CKSUM asks for it, and left alone otherwise. */
static void test_csum_complete_fields_across_segments(void **state)
{
	(void)state;
	build(&F, &(struct spec){ .ipv = 4, .proto = IPPROTO_TCP, .payload = 3000 });
	uint32_t at = F.l4 + 16, ip_at = F.l2 + 10;
	uint16_t want = ref_l4(F.b, F.l2, 4, F.l4, F.end - F.l4, IPPROTO_TCP, at);
	uint16_t ip_want = get16(F.b + ip_at);
	put16(F.b + ip_at, 0);
	const uint16_t split_l4[] = { (uint16_t)(at + 1), ROOM, 0 };
	const uint16_t split_ip[] = { (uint16_t)(ip_at + 1), ROOM, 0 };

	struct rte_mbuf *m = partial(split_ip, IPPROTO_TCP);
	m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	assert_int_equal(vsw_off_csum_complete(m), 0);
	assert_int_equal(m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK), 0);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_IPV4, RTE_MBUF_F_TX_IPV4);
	assert_int_equal(flatten(m, G.b), F.len);
	assert_int_equal(get16(G.b + ip_at), ip_want);
	assert_true(ref_ipv4_ok(G.b + F.l2));
	assert_int_equal(get16(G.b + at), want);
	rte_pktmbuf_free(m);

	m = partial(split_l4, IPPROTO_TCP); /* no TX_IP_CKSUM: the IP checksum is the guest's */
	assert_int_equal(vsw_off_csum_complete(m), 0);
	expect_frame_with(m, at, want);
	rte_pktmbuf_free(m);
}

static void test_csum_complete_refuses(void **state)
{
	(void)state;
	build(&F, &(struct spec){ .ipv = 6, .proto = IPPROTO_UDP, .payload = 300, .pad = 16 });
	const uint16_t layout[] = { 100, 0 };

	struct rte_mbuf *m = partial(layout, IPPROTO_UDP); /* field in a shared segment */
	rte_mbuf_refcnt_update(m, 1);
	assert_int_equal(vsw_off_csum_complete(m), VSW_OFF_ESHARED);
	rte_mbuf_refcnt_update(m, -1);
	struct rte_mbuf *c = rte_pktmbuf_clone(m, pool); /* indirect */
	assert_non_null(c);
	assert_int_equal(vsw_off_csum_complete(c), VSW_OFF_ESHARED);
	rte_pktmbuf_free(c);
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	assert_int_equal(vsw_off_csum_complete(m), VSW_OFF_EUNSUPP);
	m->ol_flags &= ~(RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK);
	m->ol_flags |= RTE_MBUF_F_TX_SCTP_CKSUM;
	assert_int_equal(vsw_off_csum_complete(m), VSW_OFF_EUNSUPP);
	m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
	m->l3_len = (uint16_t)(F.end - F.l2 - 7); /* field would end in the padding */
	assert_int_equal(vsw_off_csum_complete(m), VSW_OFF_ETRUNC);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_UDP_CKSUM);
	m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK; /* nothing asked: nothing done */
	assert_int_equal(vsw_off_csum_complete(m), 0);
	assert_int_equal(flatten(m, G.b), F.len);
	assert_memory_equal(G.b, F.b, F.len);
	rte_pktmbuf_free(m);
}

static void test_csum_generic(void **state)
{
	(void)state;
	uint32_t len = 1001, start = 35, at = start + 16;
	uint32_t r = 7;
	for (uint32_t i = 0; i < len; i++)
		F.b[i] = (uint8_t)((r = r * 1103515245u + 12345u) >> 16);
	F.len = len;
	for (int zero = 0; zero < 2; zero++) {
		if (zero) { /* make the sum come out 0: stored as 0xffff */
			put16(F.b + at, 0);
			put16(F.b + at, (uint16_t)~ref_fold(ref_sum(0, F.b + start, len - start)));
		}
		/* the field's current value counts, as virtio's NEEDS_CSUM has it */
		uint16_t want = (uint16_t)~ref_fold(ref_sum(0, F.b + start, len - start));
		assert_true(zero == (want == 0));
		if (want == 0)
			want = 0xffff;
		for (size_t k = 0; k < RTE_DIM(LAYOUTS); k++) {
			struct rte_mbuf *m = chain(F.b, F.len, LAYOUTS[k]);
			assert_int_equal(vsw_off_csum_generic(m, start, 16), 0);
			expect_frame_with(m, at, want);
			rte_pktmbuf_free(m);
		}
	}
	struct rte_mbuf *m = chain(F.b, F.len, ODD);
	assert_int_equal(vsw_off_csum_generic(m, len - 1, 0), VSW_OFF_ETRUNC);
	assert_int_equal(vsw_off_csum_generic(m, 3, len - 4), VSW_OFF_ETRUNC);
	assert_int_equal(vsw_off_csum_generic(m, UINT32_MAX, UINT32_MAX), VSW_OFF_ETRUNC);
	assert_int_equal(flatten(m, G.b), F.len);
	assert_memory_equal(G.b, F.b, F.len);
	assert_int_equal(vsw_off_csum_generic(m, len - 2, 0), 0); /* field at the very end */
	uint16_t last = (uint16_t)~get16(F.b + len - 2);
	expect_frame_with(m, len - 2, last ? last : 0xffff);
	rte_mbuf_refcnt_update(m->next, 1); /* the segment holding the field */
	assert_int_equal(vsw_off_csum_generic(m, start, 16), VSW_OFF_ESHARED);
	rte_mbuf_refcnt_update(m->next, -1);
	rte_pktmbuf_free(m);
}

/* --- segmentation --- */

static struct rte_mbuf *tso_frame(const struct spec *s, const uint16_t *layout, uint16_t mss)
{
	build(&F, s);
	struct rte_mbuf *m = chain(F.b, F.len, layout);
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
		      (s->ipv == 4 ? RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM : RTE_MBUF_F_TX_IPV6);
	m->l2_len = F.l2;
	m->l3_len = F.l3;
	m->l4_len = 20 + s->tcp_opts;
	m->tso_segsz = mss;
	return m;
}

static void expect_unchanged(const struct rte_mbuf *m)
{
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	assert_int_equal(flatten(m, G.b), F.len);
	assert_memory_equal(G.b, F.b, F.len);
}

/* Bytes of segment header h equal the original o's, but for those listed. */
static void expect_same_but(const uint8_t *h, const uint8_t *o, uint32_t len, const uint8_t *skip)
{
	for (uint32_t i = 0; i < len; i++) {
		bool skipped = false;
		for (const uint8_t *k = skip; *k != 0xff; k++)
			skipped |= *k == i;
		if (!skipped && h[i] != o[i])
			fail_msg("header byte %u: %#x, original %#x", i, h[i], o[i]);
	}
}

static void check_tso(const struct spec *s, const uint16_t *layout, uint16_t mss, bool full)
{
	struct rte_mbuf *m = tso_frame(s, layout, mss), *out[64];
	uint32_t thl = 20u + s->tcp_opts, hlen = F.l4 + thl, payload = F.end - hlen;
	uint32_t n = payload == 0 ? 1 : (payload + mss - 1) / mss;
	assert_true(n <= RTE_DIM(out));
	assert_int_equal(vsw_off_tso_segment(m, pool, out, RTE_DIM(out), full), n);
	expect_unchanged(m);
	uint32_t total = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *g = out[i];
		uint32_t plen = RTE_MIN(mss, payload - i * mss);
		total += plen;
		assert_int_equal(g->nb_segs, 1);
		assert_int_equal(g->pkt_len, hlen + plen);
		assert_int_equal(g->data_len, hlen + plen);
		const uint8_t *d = rte_pktmbuf_mtod(g, const uint8_t *), *ip = d + F.l2, *th = d + F.l4;
		assert_memory_equal(d, F.b, F.l2);
		if (s->ipv == 4) {
			assert_int_equal(get16(ip + 2), F.l3 + thl + plen);
			assert_int_equal(get16(ip + 4), (uint16_t)(s->id + i));
			assert_true(ref_ipv4_ok(ip));
			expect_same_but(ip, F.b + F.l2, F.l3, (const uint8_t[]){ 2, 3, 4, 5, 10, 11, 0xff });
		} else {
			assert_int_equal(get16(ip + 4), F.l3 - 40 + thl + plen);
			expect_same_but(ip, F.b + F.l2, F.l3, (const uint8_t[]){ 4, 5, 0xff });
		}
		assert_int_equal(get32(th + 4), s->seq + i * mss);
		uint8_t flags = s->tcp_flags;
		if (i + 1 < n)
			flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		if (i > 0)
			flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
		assert_int_equal(th[13], flags);
		expect_same_but(th, F.b + F.l4, thl, (const uint8_t[]){ 4, 5, 6, 7, 13, 16, 17, 0xff });
		assert_memory_equal(d + hlen, F.b + hlen + i * mss, plen);
		assert_int_equal(g->l2_len, F.l2);
		assert_int_equal(g->l3_len, F.l3);
		assert_int_equal(g->l4_len, thl);
		uint16_t want = ref_l4(d, F.l2, s->ipv, F.l4, thl + plen, IPPROTO_TCP, F.l4 + 16);
		if (full) {
			assert_int_equal(g->ol_flags, 0);
		} else {
			assert_int_equal(g->ol_flags, RTE_MBUF_F_TX_TCP_CKSUM |
				(s->ipv == 4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6));
			assert_int_equal(get16(th + 16), ref_fold(ref_phdr(ip, s->ipv, IPPROTO_TCP, thl + plen)));
			assert_int_equal(vsw_off_csum_complete(g), 0);
		}
		assert_int_equal(get16(th + 16), want);
		rte_pktmbuf_free(g);
	}
	assert_int_equal(total, payload);
	rte_pktmbuf_free(m);
}

#define ALL_FLAGS (RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_CWR_FLAG | RTE_TCP_ECE_FLAG)

static void test_tso_ipv4_64k(void **state)
{
	(void)state;
	/* IP total length 65535: 65483 payload bytes, 46 segments of 1448
	 * (the last 323); IDs and sequence numbers wrap on the way. */
	struct spec s = { .ipv = 4, .proto = IPPROTO_TCP, .tcp_opts = 12, .payload = 65535 - 20 - 32,
			  .tcp_flags = ALL_FLAGS, .seq = 0xfffff000u, .id = 0xfff0 };
	for (int conv = 0; conv < 2; conv++) {
		s.phdr_no_len = conv; /* DPDK's length-0 pseudo-header or Linux's full one */
		check_tso(&s, WHOLE, 1448, true);
		check_tso(&s, ODD, 1448, false);
	}
	check_tso(&s, ODD, 1448, true);
	check_tso(&s, WHOLE, 1448, false);
}

static void test_tso_ipv6_64k(void **state)
{
	(void)state;
	struct spec s = { .ipv = 6, .vlans = 1, .n_ext = 1, .ext_type = { IPPROTO_DSTOPTS },
			  .ext_len = { 16 }, .proto = IPPROTO_TCP, .payload = 65535 - 16 - 20,
			  .tcp_flags = ALL_FLAGS, .seq = 1, .phdr_no_len = true };
	check_tso(&s, ODD, 1440, true);
	check_tso(&s, WHOLE, 1440, false);
	s.phdr_no_len = false;
	check_tso(&s, WHOLE, 1440, true);
}

static void test_tso_uneven_lengths(void **state)
{
	(void)state;
	/* 3001 bytes by 1000: the last segment carries one byte; the
	 * Ethernet padding after the IP end is not payload. */
	struct spec s = { .ipv = 4, .vlans = 2, .ip_opts = 4, .proto = IPPROTO_TCP, .payload = 3001,
			  .pad = 6, .tcp_flags = RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG, .seq = 77, .id = 5 };
	check_tso(&s, TINY, 1000, true);
	check_tso(&s, SMALL, 1000, false);
	struct spec v6 = { .ipv = 6, .proto = IPPROTO_TCP, .payload = 5, .pad = 9,
			   .tcp_flags = RTE_TCP_CWR_FLAG | RTE_TCP_PSH_FLAG };
	check_tso(&v6, TINY, 1, true);
	check_tso(&v6, WHOLE, 2, false);
	/* the largest MSS a 2 KiB mbuf takes with these headers */
	check_tso(&s, ODD, (uint16_t)(ROOM - (18 + 4 + 24 + 20)), true);
}

static void test_tso_single_segment(void **state)
{
	(void)state;
	struct spec s = { .ipv = 4, .proto = IPPROTO_TCP, .payload = 500, .tcp_flags = ALL_FLAGS };
	check_tso(&s, ODD, 1448, true); /* FIN, PSH and CWR all stay */
	check_tso(&s, WHOLE, 9000, false); /* an MSS beyond the data room, but this payload fits */
	s.payload = 0;
	check_tso(&s, WHOLE, 1448, true);
	s.ipv = 6;
	check_tso(&s, WHOLE, 1448, false);
}

static void expect_tso_error(struct rte_mbuf *m, struct rte_mempool *mp, uint16_t max, int rc)
{
	struct rte_mbuf *out[64];
	unsigned int avail = rte_mempool_avail_count(mp);
	assert_int_equal(vsw_off_tso_segment(m, mp, out, max, true), rc);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
	expect_unchanged(m);
	rte_pktmbuf_free(m);
}

static void test_tso_errors(void **state)
{
	(void)state;
	const struct spec big = { .ipv = 4, .proto = IPPROTO_TCP, .payload = 46 * 1000 };
	expect_tso_error(tso_frame(&big, ODD, 1000), tiny, 64, VSW_OFF_ENOMBUF);
	expect_tso_error(tso_frame(&big, ODD, 1000), pool, 45, VSW_OFF_ETOOMANY);
	expect_tso_error(tso_frame(&big, ODD, 1000), pool, 0, VSW_OFF_ETOOMANY);
	expect_tso_error(tso_frame(&big, ODD, ROOM - 54 + 1), pool, 64, VSW_OFF_ETOOBIG);
	expect_tso_error(tso_frame(&big, ODD, 0), pool, 64, VSW_OFF_EMALFORMED);
	expect_tso_error(tso_frame(&(struct spec){ .ipv = 4, .proto = IPPROTO_UDP, .payload = 3000 }, ODD, 1000),
			 pool, 64, VSW_OFF_ENOTTCP);
	expect_tso_error(tso_frame(&(struct spec){ .ipv = 6, .proto = IPPROTO_TCP, .payload = 3000, .n_ext = 1,
						  .ext_type = { IPPROTO_FRAGMENT }, .ext_len = { 8 } }, ODD, 1000),
			 pool, 64, VSW_OFF_ENOTTCP);
	expect_tso_error(tso_frame(&(struct spec){ .ipv = 0, .payload = 3000 }, ODD, 1000), pool, 64,
			 VSW_OFF_ENOTTCP);
	struct rte_mbuf *m = tso_frame(&big, ODD, 1000);
	rte_pktmbuf_trim(m, 1); /* IP says one byte more than the frame has */
	F.len--;
	expect_tso_error(m, pool, 64, VSW_OFF_ETRUNC);

	/* The tiny pool, exactly big enough, is emptied and given back whole. */
	build(&F, &(struct spec){ .ipv = 4, .proto = IPPROTO_TCP, .payload = 8 * 1000 });
	m = tso_frame(&(struct spec){ .ipv = 4, .proto = IPPROTO_TCP, .payload = 8 * 1000 }, ODD, 1000);
	struct rte_mbuf *out[8];
	assert_int_equal(vsw_off_tso_segment(m, tiny, out, 8, true), 8);
	assert_int_equal(rte_mempool_avail_count(tiny), 0);
	rte_pktmbuf_free_bulk(out, 8);
	rte_pktmbuf_free(m);
}

int main(void)
{
	pool = ut_eal_pool("offload", 8191);
	tiny = rte_pktmbuf_pool_create("ut_tiny", 8, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL || tiny == NULL)
		return 1;
	pool_avail0 = rte_mempool_avail_count(pool);
	tiny_avail0 = rte_mempool_avail_count(tiny);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_parse_ipv4_options_tcp_options, teardown),
		cmocka_unit_test_teardown(test_parse_ipv6_extension_headers, teardown),
		cmocka_unit_test_teardown(test_parse_vlan_and_qinq, teardown),
		cmocka_unit_test_teardown(test_parse_udp_and_other_protocols, teardown),
		cmocka_unit_test_teardown(test_parse_fragments, teardown),
		cmocka_unit_test_teardown(test_parse_malformed, teardown),
		cmocka_unit_test_teardown(test_parse_headers_across_segments, teardown),
		cmocka_unit_test_teardown(test_parse_buf_prefix, teardown),
		cmocka_unit_test_teardown(test_csum_against_reference, teardown),
		cmocka_unit_test_teardown(test_csum_zero_result, teardown),
		cmocka_unit_test_teardown(test_csum_complete_fields_across_segments, teardown),
		cmocka_unit_test_teardown(test_csum_complete_refuses, teardown),
		cmocka_unit_test_teardown(test_csum_generic, teardown),
		cmocka_unit_test_teardown(test_tso_ipv4_64k, teardown),
		cmocka_unit_test_teardown(test_tso_ipv6_64k, teardown),
		cmocka_unit_test_teardown(test_tso_uneven_lengths, teardown),
		cmocka_unit_test_teardown(test_tso_single_segment, teardown),
		cmocka_unit_test_teardown(test_tso_errors, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
