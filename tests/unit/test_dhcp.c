/* Unit tests of src/nat/dhcp*: the DHCP server driven with client frames
 * built here byte by byte, its replies parsed here (checksums checked
 * against a byte-loop reference, every option read back), the lease table
 * and its file, expiry, the on_bind calls, and every kind of bad input
 * (each counted, none answered). No EAL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "nat/dhcp.h"

#define NET 0xc0a87a00u /* 192.168.122.0/24 */
#define IP(x) (NET | (x))
#define SRV IP(1)
#define T0 ((time_t)1700000000)
#define LEASE 3600u
#define EMPTY_PAYLOAD 240u /* BOOTP fixed part + cookie */
#define OPT0 (14 + 20 + 8 + 240)

static const uint8_t SMAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t MAC_A[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static const uint8_t MAC_B[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x57};
static const uint8_t MAC_S[6] = {0x52, 0x54, 0, 0, 0, 0x99};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static char dir[] = "/tmp/test_dhcp.XXXXXX";

/* --- on_bind recorder --- */

struct ev {
	uint8_t mac[6];
	uint32_t ip;
	bool bound;
};
static struct ev evs[64];
static unsigned int nev;

static void rec_bind(void *ctx, const uint8_t mac[6], uint32_t ip, bool bound)
{
	assert_ptr_equal(ctx, &nev);
	if (nev < 64) {
		memcpy(evs[nev].mac, mac, 6);
		evs[nev].ip = ip;
		evs[nev].bound = bound;
	}
	nev++;
}

static void assert_ev(unsigned int i, const uint8_t *mac, uint32_t ip, bool bound)
{
	assert_true(i < nev);
	assert_memory_equal(evs[i].mac, mac, 6);
	assert_int_equal(evs[i].ip, ip);
	assert_int_equal(evs[i].bound, bound);
}

static struct vsw_dhcp_cfg cfg0(void)
{
	struct vsw_dhcp_cfg c;

	memset(&c, 0, sizeof(c));
	c.server_ip = SRV;
	c.prefix_len = 24;
	c.range_start = IP(100);
	c.range_end = IP(109);
	c.dns[0] = SRV;
	c.dns[1] = 0x08080808;
	c.ndns = 2;
	c.lease_s = LEASE;
	c.mtu = 1500;
	memcpy(c.server_mac, SMAC, 6);
	memcpy(c.statics[0].mac, MAC_S, 6);
	c.statics[0].ip = IP(50);
	c.nstatics = 1;
	c.on_bind = rec_bind;
	c.ctx = &nev;
	return c;
}

static struct vsw_dhcp *mk(const struct vsw_dhcp_cfg *c, const char *file)
{
	char err[256] = "";
	struct vsw_dhcp *d = vsw_dhcp_create(c, file, T0, err, sizeof(err));

	if (!d)
		fprintf(stderr, "create: %s\n", err);
	assert_non_null(d);
	return d;
}

/* --- reference checksums --- */

static uint32_t ref_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t ref_ip_csum(const uint8_t *ip)
{
	uint8_t h[60];
	size_t ihl = (size_t)(ip[0] & 15) * 4;

	memcpy(h, ip, ihl);
	h[10] = h[11] = 0;
	return (uint16_t)~ref_fold(ref_sum(0, h, ihl));
}

static uint16_t ref_udp_csum(const uint8_t *ip, const uint8_t *udp, size_t ulen)
{
	uint8_t ph[12];
	uint8_t u[2048];
	uint16_t c;

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = (uint8_t)(ulen >> 8);
	ph[11] = (uint8_t)ulen;
	memcpy(u, udp, ulen);
	u[6] = u[7] = 0;
	c = (uint16_t)~ref_fold(ref_sum(ref_sum(0, ph, 12), u, ulen));
	return c ? c : 0xffff;
}

/* --- client frames --- */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct req {
	uint8_t type; /* 0: no option 53 */
	const uint8_t *mac;
	uint32_t xid, ciaddr, giaddr, req_ip, server_id;
	uint16_t flags;
	const char *hostname;
	const uint8_t *raw; /* options used verbatim instead */
	size_t nraw;
};

/* Sets the IP and UDP lengths for a BOOTP payload of blen bytes, and both
 * checksums. */
static void fixup(uint8_t *f, size_t blen)
{
	uint8_t *ip = f + 14, *udp = f + 34;

	put16(ip + 2, (uint32_t)(28 + blen));
	put16(udp + 4, (uint32_t)(8 + blen));
	put16(ip + 10, 0);
	put16(ip + 10, ref_ip_csum(ip));
	put16(udp + 6, ref_udp_csum(ip, udp, 8 + blen));
}

static size_t put_opts(const struct req *q, uint8_t *o)
{
	uint8_t *p = o;
	size_t n;

	if (q->raw) {
		memcpy(o, q->raw, q->nraw);
		return q->nraw;
	}
	if (q->type) {
		*p++ = 53, *p++ = 1, *p++ = q->type;
	}
	if (q->req_ip) {
		*p++ = 50, *p++ = 4;
		put32(p, q->req_ip), p += 4;
	}
	if (q->server_id) {
		*p++ = 54, *p++ = 4;
		put32(p, q->server_id), p += 4;
	}
	if (q->hostname) {
		n = strlen(q->hostname);
		*p++ = 12, *p++ = (uint8_t)n;
		memcpy(p, q->hostname, n), p += n;
	}
	*p++ = 55, *p++ = 3, *p++ = 1, *p++ = 3, *p++ = 6; /* ignored */
	*p++ = 255;
	return (size_t)(p - o);
}

static size_t mkreq(const struct req *q, uint8_t *f)
{
	uint8_t *ip = f + 14, *udp = f + 34, *b = f + 42;
	size_t blen;

	memset(f, 0, 1600);
	memcpy(f, BCAST, 6);
	memcpy(f + 6, q->mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, q->ciaddr);
	put32(ip + 16, q->ciaddr ? SRV : 0xffffffffu);
	put16(udp, 68);
	put16(udp + 2, 67);
	b[0] = 1, b[1] = 1, b[2] = 6;
	put32(b + 4, q->xid ? q->xid : 0x11223344u);
	put16(b + 10, q->flags);
	put32(b + 12, q->ciaddr);
	put32(b + 24, q->giaddr);
	memcpy(b + 28, q->mac, 6);
	put32(b + 236, 0x63825363u);
	blen = 240 + put_opts(q, b + 240);
	if (blen < 300)
		blen = 300; /* zero padding after the end option */
	fixup(f, blen);
	return 42 + blen;
}

/* --- replies --- */

struct rep {
	const uint8_t *f;
	uint32_t ip_src, ip_dst, ciaddr, yiaddr, xid;
	uint16_t flags;
	const uint8_t *opt[256];
	uint8_t optlen[256];
};

/* Checks all that any reply must be and reads it into r. */
static void parse_rep(const uint8_t *f, int len, struct rep *r)
{
	const uint8_t *ip = f + 14, *udp = f + 34, *b = f + 42;
	size_t i, blen;
	bool end = false;

	memset(r, 0, sizeof(*r));
	r->f = f;
	assert_true(len >= 42 + 300 && len <= VSW_DHCP_FRAME_MAX);
	assert_memory_equal(f + 6, SMAC, 6);
	assert_int_equal(get16(f + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(get16(ip + 2), len - 14);
	assert_int_equal(get16(ip + 6) & 0x3fff, 0);
	assert_true(ip[8] > 0);
	assert_int_equal(ip[9], 17);
	assert_int_equal(get16(ip + 10), ref_ip_csum(ip));
	assert_int_equal(get16(udp), 67);
	assert_int_equal(get16(udp + 2), 68);
	assert_int_equal(get16(udp + 4), len - 34);
	assert_int_equal(get16(udp + 6), ref_udp_csum(ip, udp, (size_t)len - 34));
	r->ip_src = get32(ip + 12);
	r->ip_dst = get32(ip + 16);
	assert_int_equal(r->ip_src, SRV);
	assert_int_equal(b[0], 2);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 6);
	assert_int_equal(get32(b + 24), 0); /* giaddr */
	assert_int_equal(get32(b + 236), 0x63825363u);
	r->xid = get32(b + 4);
	r->flags = get16(b + 10);
	r->ciaddr = get32(b + 12);
	r->yiaddr = get32(b + 16);
	blen = (size_t)len - 42;
	for (i = 240; i < blen && !end;) {
		uint8_t c = b[i++];
		if (c == 0)
			continue;
		if (c == 255) {
			end = true;
			break;
		}
		assert_true(i < blen && b[i] <= blen - i - 1);
		assert_null(r->opt[c]); /* each option once */
		r->optlen[c] = b[i];
		r->opt[c] = b + i + 1;
		i += 1 + b[i];
	}
	assert_true(end);
}

static uint32_t opt32(const struct rep *r, uint8_t c)
{
	assert_non_null(r->opt[c]);
	assert_int_equal(r->optlen[c], 4);
	return get32(r->opt[c]);
}

static uint8_t rtype(const struct rep *r)
{
	assert_non_null(r->opt[53]);
	assert_int_equal(r->optlen[53], 1);
	return r->opt[53][0];
}

static uint8_t out[VSW_DHCP_FRAME_MAX];
static struct rep R;

/* Sends q; returns the reply's message type (parsed into R), 0 if none. */
static int send_req(struct vsw_dhcp *d, const struct req *q, time_t now)
{
	uint8_t f[1600];
	size_t n = mkreq(q, f);
	int len = vsw_dhcp_input(d, f, n, now, out, sizeof(out));

	assert_true(len >= 0);
	if (len == 0)
		return 0;
	parse_rep(out, len, &R);
	assert_int_equal(R.xid, q->xid ? q->xid : 0x11223344u);
	assert_memory_equal(out + 42 + 28, q->mac, 6);
	return rtype(&R);
}

static void assert_full_config(const struct rep *r)
{
	assert_int_equal(opt32(r, 54), SRV);
	assert_int_equal(opt32(r, 1), 0xffffff00u);
	assert_int_equal(opt32(r, 3), SRV);
	assert_non_null(r->opt[6]);
	assert_int_equal(r->optlen[6], 8);
	assert_int_equal(get32(r->opt[6]), SRV);
	assert_int_equal(get32(r->opt[6] + 4), 0x08080808);
	assert_non_null(r->opt[26]);
	assert_int_equal(r->optlen[26], 2);
	assert_int_equal(get16(r->opt[26]), 1500);
}

static void assert_lease_opts(const struct rep *r)
{
	assert_int_equal(opt32(r, 51), LEASE);
	assert_int_equal(opt32(r, 58), LEASE / 2);
	assert_int_equal(opt32(r, 59), LEASE * 7 / 8);
}

static void assert_unicast(const struct rep *r, const uint8_t *mac, uint32_t ip)
{
	assert_memory_equal(r->f, mac, 6);
	assert_int_equal(r->ip_dst, ip);
}

static void assert_broadcast(const struct rep *r)
{
	assert_memory_equal(r->f, BCAST, 6);
	assert_int_equal(r->ip_dst, 0xffffffffu);
}

/* DISCOVER + REQUEST for mac; returns the address bound. */
static uint32_t dora(struct vsw_dhcp *d, const uint8_t *mac, time_t now)
{
	struct req q = {.type = 1, .mac = mac};
	uint32_t ip;

	assert_int_equal(send_req(d, &q, now), 2);
	ip = R.yiaddr;
	q.type = 3;
	q.server_id = SRV;
	q.req_ip = ip;
	assert_int_equal(send_req(d, &q, now), 5);
	assert_int_equal(R.yiaddr, ip);
	return ip;
}

static unsigned int nleases(struct vsw_dhcp *d, struct vsw_dhcp_lease *ls, unsigned int max)
{
	return vsw_dhcp_leases(d, ls, max);
}

static int setup(void **state)
{
	(void)state;
	nev = 0;
	memset(evs, 0, sizeof(evs));
	return 0;
}

/* --- tests --- */

static void test_dora(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 1, .mac = MAC_A, .xid = 0xdeadbeef, .hostname = "guest-a"};
	const struct vsw_dhcp_stats *st = vsw_dhcp_stats(d);
	struct vsw_dhcp_lease ls[4];
	uint8_t mac[6];

	(void)state;
	assert_int_equal(send_req(d, &q, T0), 2);
	assert_int_equal(R.yiaddr, IP(100)); /* lowest free */
	assert_int_equal(R.ciaddr, 0);
	assert_int_equal(R.flags, 0);
	assert_unicast(&R, MAC_A, IP(100));
	assert_full_config(&R);
	assert_lease_opts(&R);
	assert_int_equal(nev, 0);
	assert_int_equal(nleases(d, ls, 4), 1);
	assert_int_equal(ls[0].state, VSW_LEASE_OFFERED);
	assert_false(vsw_dhcp_lookup_ip(d, IP(100), mac));

	q.type = 3;
	q.server_id = SRV;
	q.req_ip = IP(100);
	assert_int_equal(send_req(d, &q, T0 + 1), 5);
	assert_int_equal(R.yiaddr, IP(100));
	assert_unicast(&R, MAC_A, IP(100));
	assert_full_config(&R);
	assert_lease_opts(&R);
	assert_int_equal(nev, 1);
	assert_ev(0, MAC_A, IP(100), true);

	assert_int_equal(nleases(d, ls, 4), 1);
	assert_int_equal(ls[0].state, VSW_LEASE_BOUND);
	assert_int_equal(ls[0].ip, IP(100));
	assert_int_equal(ls[0].expires, T0 + 1 + LEASE);
	assert_false(ls[0].is_static);
	assert_string_equal(ls[0].hostname, "guest-a");
	assert_true(vsw_dhcp_lookup_ip(d, IP(100), mac));
	assert_memory_equal(mac, MAC_A, 6);
	assert_false(vsw_dhcp_lookup_ip(d, IP(101), mac));
	assert_int_equal(st->discover, 1);
	assert_int_equal(st->offer, 1);
	assert_int_equal(st->request, 1);
	assert_int_equal(st->ack, 1);
	assert_int_equal(st->nak + st->malformed + st->not_dhcp, 0);
	vsw_dhcp_destroy(d);
}

static void test_options_optional(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct req q = {.type = 1, .mac = MAC_A};
	struct vsw_dhcp *d;

	(void)state;
	c.ndns = 0;
	c.mtu = 0;
	d = mk(&c, NULL);
	assert_int_equal(send_req(d, &q, T0), 2);
	assert_null(R.opt[6]);
	assert_null(R.opt[26]);
	assert_int_equal(opt32(&R, 1), 0xffffff00u);
	vsw_dhcp_destroy(d);
}

static void test_renew(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 3, .mac = MAC_A, .ciaddr = IP(100)};
	struct vsw_dhcp_lease ls[2];

	(void)state;
	assert_int_equal(dora(d, MAC_A, T0), IP(100));
	assert_int_equal(send_req(d, &q, T0 + LEASE / 2), 5);
	assert_int_equal(R.yiaddr, IP(100));
	assert_int_equal(R.ciaddr, IP(100));
	assert_unicast(&R, MAC_A, IP(100));
	assert_lease_opts(&R);
	assert_int_equal(nleases(d, ls, 2), 1);
	assert_int_equal(ls[0].expires, T0 + LEASE / 2 + LEASE);
	assert_int_equal(nev, 1); /* already bound: not told again */
	/* rebinding (broadcast) is answered the same way */
	q.flags = 0x8000;
	assert_int_equal(send_req(d, &q, T0 + LEASE), 5);
	assert_int_equal(R.flags, 0x8000);
	assert_unicast(&R, MAC_A, IP(100)); /* ciaddr wins (RFC 2131 4.1) */
	/* renewing another's address: NAK, broadcast, no ciaddr */
	q.mac = MAC_B;
	q.flags = 0;
	assert_int_equal(send_req(d, &q, T0 + LEASE), 6);
	assert_broadcast(&R);
	assert_int_equal(R.ciaddr, 0);
	/* an OFFER does not echo ciaddr either */
	q.type = 1;
	assert_int_equal(send_req(d, &q, T0 + LEASE), 2);
	assert_int_equal(R.ciaddr, 0);
	assert_unicast(&R, MAC_B, IP(100)); /* ciaddr set: to it */
	vsw_dhcp_destroy(d);
}

static void test_init_reboot(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 3, .mac = MAC_A, .req_ip = IP(100)};
	struct vsw_dhcp_lease ls[2];

	(void)state;
	assert_int_equal(dora(d, MAC_A, T0), IP(100));
	assert_int_equal(send_req(d, &q, T0 + 5), 5); /* its own address */
	assert_int_equal(R.yiaddr, IP(100));
	assert_int_equal(nev, 1);

	q.req_ip = IP(105); /* not its address */
	assert_int_equal(send_req(d, &q, T0 + 6), 6);
	assert_broadcast(&R);
	assert_int_equal(R.yiaddr, 0);
	assert_int_equal(R.ciaddr, 0);
	assert_int_equal(opt32(&R, 54), SRV);
	assert_null(R.opt[51]);
	assert_null(R.opt[1]);
	assert_null(R.opt[3]);
	assert_int_equal(nev, 2);
	assert_ev(1, MAC_A, IP(100), false);
	assert_int_equal(nleases(d, ls, 2), 1);
	assert_int_equal(ls[0].state, VSW_LEASE_OFFERED);

	/* the DISCOVER after the NAK gets the old address back */
	q.type = 1;
	q.req_ip = 0;
	assert_int_equal(send_req(d, &q, T0 + 7), 2);
	assert_int_equal(R.yiaddr, IP(100));

	q.type = 3;
	q.req_ip = 0x0a000005; /* another subnet */
	assert_int_equal(send_req(d, &q, T0 + 8), 6);
	assert_int_equal(vsw_dhcp_stats(d)->nak, 2);
	vsw_dhcp_destroy(d);
}

static void test_unknown_client_request(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 3, .mac = MAC_B, .req_ip = IP(20)};

	(void)state;
	/* outside the range, not a static: NAK */
	assert_int_equal(send_req(d, &q, T0), 6);
	assert_int_equal(nleases(d, NULL, 0), 0);
	/* a static's address asked by another MAC: NAK */
	q.req_ip = IP(50);
	assert_int_equal(send_req(d, &q, T0), 6);
	/* free in the range (a lost lease): given back */
	q.req_ip = IP(107);
	assert_int_equal(send_req(d, &q, T0), 5);
	assert_int_equal(R.yiaddr, IP(107));
	assert_int_equal(nev, 1);
	assert_ev(0, MAC_B, IP(107), true);
	/* now held by B: A renewing it is refused */
	q.mac = MAC_A;
	q.req_ip = 0;
	q.ciaddr = IP(107);
	assert_int_equal(send_req(d, &q, T0), 6);
	/* a REQUEST naming no address at all */
	q.ciaddr = 0;
	assert_int_equal(send_req(d, &q, T0), 0);
	assert_int_equal(vsw_dhcp_stats(d)->malformed, 1);
	vsw_dhcp_destroy(d);
}

static void test_discover_requested(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 1, .mac = MAC_A, .req_ip = IP(20)};

	(void)state;
	assert_int_equal(send_req(d, &q, T0), 2); /* outside the range: ignored */
	assert_int_equal(R.yiaddr, IP(100));
	q.mac = MAC_B;
	q.req_ip = IP(105); /* free in the range: honoured */
	assert_int_equal(send_req(d, &q, T0), 2);
	assert_int_equal(R.yiaddr, IP(105));
	q.mac = MAC_S; /* a static gets its address whatever it asks */
	assert_int_equal(send_req(d, &q, T0), 2);
	assert_int_equal(R.yiaddr, IP(50));
	vsw_dhcp_destroy(d);
}

static void test_other_server(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 1, .mac = MAC_A};

	(void)state;
	assert_int_equal(send_req(d, &q, T0), 2);
	q.type = 3;
	q.server_id = IP(2);
	q.req_ip = IP(100);
	assert_int_equal(send_req(d, &q, T0), 0);
	assert_int_equal(vsw_dhcp_stats(d)->other_server, 1);
	assert_int_equal(nleases(d, NULL, 0), 0); /* offer withdrawn */
	/* selecting another address than offered: NAK */
	q.type = 1;
	q.server_id = 0;
	assert_int_equal(send_req(d, &q, T0), 2);
	q.type = 3;
	q.server_id = SRV;
	q.req_ip = IP(101);
	assert_int_equal(send_req(d, &q, T0), 6);
	assert_int_equal(nleases(d, NULL, 0), 1); /* the offer stands */
	vsw_dhcp_expire(d, T0 + 60);
	q.req_ip = IP(100);
	/* selecting our server without an offer: NAK */
	q.server_id = SRV;
	assert_int_equal(send_req(d, &q, T0), 6);
	assert_int_equal(nev, 0);
	vsw_dhcp_destroy(d);
}

static void test_release(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 7, .mac = MAC_A, .ciaddr = IP(101), .server_id = SRV};
	uint8_t mac[6];

	(void)state;
	assert_int_equal(dora(d, MAC_A, T0), IP(100));
	assert_int_equal(send_req(d, &q, T0 + 1), 0); /* not its address: ignored */
	assert_int_equal(nleases(d, NULL, 0), 1);
	q.ciaddr = IP(100);
	assert_int_equal(send_req(d, &q, T0 + 1), 0);
	assert_int_equal(vsw_dhcp_stats(d)->release, 2);
	assert_int_equal(nleases(d, NULL, 0), 0);
	assert_false(vsw_dhcp_lookup_ip(d, IP(100), mac));
	assert_int_equal(nev, 2);
	assert_ev(1, MAC_A, IP(100), false);
	assert_int_equal(dora(d, MAC_B, T0 + 2), IP(100)); /* free again */
	vsw_dhcp_destroy(d);
}

static void test_decline(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 4, .mac = MAC_A, .req_ip = IP(100), .server_id = SRV};
	struct vsw_dhcp_lease ls[4];

	(void)state;
	assert_int_equal(dora(d, MAC_A, T0), IP(100));
	assert_int_equal(send_req(d, &q, T0 + 1), 0);
	assert_int_equal(vsw_dhcp_stats(d)->decline, 1);
	assert_int_equal(nev, 2);
	assert_ev(1, MAC_A, IP(100), false);
	assert_int_equal(nleases(d, ls, 4), 1);
	assert_int_equal(ls[0].state, VSW_LEASE_DECLINED);
	assert_int_equal(ls[0].expires, T0 + 1 + LEASE);
	/* the address stays out of use, the client gets another */
	assert_int_equal(dora(d, MAC_A, T0 + 2), IP(101));
	assert_int_equal(dora(d, MAC_B, T0 + 2), IP(102));
	vsw_dhcp_expire(d, T0 + 1 + LEASE);
	q.type = 1;
	q.mac = (const uint8_t[6]){0x52, 0x54, 0, 1, 1, 1};
	q.req_ip = 0;
	q.server_id = 0;
	assert_int_equal(send_req(d, &q, T0 + 2 + LEASE), 2);
	assert_int_equal(R.yiaddr, IP(100));
	vsw_dhcp_destroy(d);
}

static void test_inform(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 8, .mac = MAC_A, .ciaddr = IP(30)};

	(void)state;
	assert_int_equal(send_req(d, &q, T0), 5);
	assert_int_equal(R.yiaddr, 0);
	assert_int_equal(R.ciaddr, IP(30));
	assert_unicast(&R, MAC_A, IP(30));
	assert_full_config(&R);
	assert_null(R.opt[51]);
	assert_null(R.opt[58]);
	assert_null(R.opt[59]);
	assert_int_equal(nleases(d, NULL, 0), 0);
	assert_int_equal(nev, 0);
	assert_int_equal(vsw_dhcp_stats(d)->inform, 1);
	vsw_dhcp_destroy(d);
}

static void test_static(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d;
	struct vsw_dhcp_lease ls[4];
	uint8_t mac[6];
	unsigned int i;

	(void)state;
	memcpy(c.statics[1].mac, MAC_B, 6);
	c.statics[1].ip = IP(100); /* inside the range: kept from the pool */
	c.nstatics = 2;
	d = mk(&c, NULL);
	assert_true(vsw_dhcp_lookup_ip(d, IP(50), mac)); /* before any DHCP */
	assert_memory_equal(mac, MAC_S, 6);
	/* a static's address in the range is not handed to others, asked or not */
	struct req h = {.type = 1, .mac = MAC_A, .req_ip = IP(100)};
	assert_int_equal(send_req(d, &h, T0), 2);
	assert_int_equal(R.yiaddr, IP(101));
	h.type = 7; /* RELEASE of the offer */
	h.ciaddr = IP(101);
	assert_int_equal(send_req(d, &h, T0), 0);
	assert_int_equal(nleases(d, NULL, 0), 0);
	h.type = 3;
	h.ciaddr = 0;
	assert_int_equal(send_req(d, &h, T0), 6);
	assert_int_equal(dora(d, MAC_A, T0), IP(101));
	assert_int_equal(dora(d, MAC_S, T0), IP(50));
	assert_int_equal(dora(d, MAC_B, T0), IP(100));
	assert_int_equal(nleases(d, ls, 4), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(ls[i].is_static, ls[i].ip != IP(101));
	assert_ev(1, MAC_S, IP(50), true);
	/* a static client asking for another address is refused */
	struct req q = {.type = 3, .mac = MAC_S, .req_ip = IP(105)};
	assert_int_equal(send_req(d, &q, T0), 6);
	/* declining a static address ends the lease, the static remains */
	q.type = 1;
	q.req_ip = 0;
	assert_int_equal(send_req(d, &q, T0), 2);
	assert_int_equal(R.yiaddr, IP(50));
	q.type = 4;
	q.req_ip = IP(50);
	assert_int_equal(send_req(d, &q, T0), 0);
	assert_int_equal(dora(d, MAC_S, T0 + 1), IP(50));
	vsw_dhcp_destroy(d);
}

static void test_broadcast_flag(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 1, .mac = MAC_A, .flags = 0x8000};

	(void)state;
	assert_int_equal(send_req(d, &q, T0), 2);
	assert_broadcast(&R);
	assert_int_equal(R.flags, 0x8000);
	assert_int_equal(R.yiaddr, IP(100));
	q.type = 3;
	q.server_id = SRV;
	q.req_ip = IP(100);
	assert_int_equal(send_req(d, &q, T0), 5);
	assert_broadcast(&R);
	q.flags = 0;
	assert_int_equal(send_req(d, &q, T0), 5);
	assert_unicast(&R, MAC_A, IP(100));
	vsw_dhcp_destroy(d);
}

static void test_exhaustion(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	const struct vsw_dhcp_stats *st = vsw_dhcp_stats(d);
	uint8_t mac[6] = {0x52, 0x54, 0, 0xee, 0, 0};
	struct req q = {.type = 1, .mac = mac};
	unsigned int i, offers = 0;

	(void)state;
	assert_int_equal(dora(d, MAC_A, T0), IP(100));
	for (i = 0; i < 200; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		if (send_req(d, &q, T0 + 1) == 2) {
			offers++;
			assert_int_equal(R.yiaddr, IP(101 + i));
		}
	}
	assert_int_equal(offers, 9);
	assert_int_equal(st->pool_exhausted, 191);
	assert_int_equal(nleases(d, NULL, 0), 10);
	/* the earlier client keeps its lease and renews */
	struct req rn = {.type = 3, .mac = MAC_A, .ciaddr = IP(100)};
	assert_int_equal(send_req(d, &rn, T0 + 30), 5);
	assert_int_equal(R.yiaddr, IP(100));
	assert_true(vsw_dhcp_lookup_ip(d, IP(100), mac));
	assert_memory_equal(mac, MAC_A, 6);
	/* the offers run out after 60 s and the pool is back */
	vsw_dhcp_expire(d, T0 + 1 + 60);
	assert_int_equal(nleases(d, NULL, 0), 1);
	assert_int_equal(dora(d, MAC_B, T0 + 62), IP(101));
	vsw_dhcp_destroy(d);
}

static void test_expiry(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 1, .mac = MAC_B};
	struct vsw_dhcp_lease ls[4];
	uint8_t mac[6];

	(void)state;
	assert_int_equal(dora(d, MAC_A, T0), IP(100));
	assert_int_equal(send_req(d, &q, T0), 2);
	assert_int_equal(send_req(d, &q, T0 + 30), 2); /* a new DISCOVER holds it longer */
	vsw_dhcp_expire(d, T0 + 89);
	assert_int_equal(nleases(d, NULL, 0), 2);
	vsw_dhcp_expire(d, T0 + 90);
	assert_int_equal(nleases(d, ls, 4), 1);
	assert_int_equal(ls[0].ip, IP(100));
	assert_int_equal(nev, 1);
	vsw_dhcp_expire(d, T0 + LEASE - 1);
	assert_int_equal(nleases(d, NULL, 0), 1);
	vsw_dhcp_expire(d, T0 + LEASE);
	assert_int_equal(nleases(d, NULL, 0), 0);
	assert_int_equal(nev, 2);
	assert_ev(1, MAC_A, IP(100), false);
	assert_false(vsw_dhcp_lookup_ip(d, IP(100), mac));
	vsw_dhcp_destroy(d);
}

/* --- the lease file --- */

static void path_of(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", dir, name);
}

static void test_file_round_trip(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	char path[256], tmp[300], buf[512];
	struct vsw_dhcp_lease ls[4];
	struct vsw_dhcp *d;
	FILE *f;
	size_t n;

	(void)state;
	path_of(path, sizeof(path), "rt.leases");
	unlink(path);
	d = mk(&c, path); /* no file yet: fine */
	struct req q = {.type = 1, .mac = MAC_A, .hostname = "my host"};
	assert_int_equal(send_req(d, &q, T0), 2);
	q.type = 3;
	q.server_id = SRV;
	q.req_ip = IP(100);
	assert_int_equal(send_req(d, &q, T0), 5);
	assert_int_equal(dora(d, MAC_S, T0), IP(50));
	assert_int_equal(vsw_dhcp_stats(d)->file_errors, 0);
	vsw_dhcp_destroy(d);

	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_true(strncmp(buf, "vsw-dhcp-leases 1\n", 18) == 0);
	assert_non_null(strstr(buf, "52:54:00:12:34:56 192.168.122.100 1700003600 my host\n"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);

	nev = 0;
	d = mk(&c, path);
	assert_int_equal(nev, 2); /* the gateway learns the loaded bindings */
	assert_int_equal(nleases(d, ls, 4), 2);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(ls[i].state, VSW_LEASE_BOUND);
		assert_int_equal(ls[i].expires, T0 + LEASE);
		if (ls[i].ip == IP(100))
			assert_string_equal(ls[i].hostname, "my host");
		else
			assert_true(ls[i].is_static);
	}
	q.type = 1;
	q.server_id = 0;
	q.req_ip = 0;
	assert_int_equal(send_req(d, &q, T0 + 10), 2);
	assert_int_equal(R.yiaddr, IP(100));
	assert_int_equal(dora(d, MAC_B, T0 + 10), IP(101));
	vsw_dhcp_destroy(d);

	/* later, with the range moved: the lease outside it is left out */
	c.range_start = IP(200);
	c.range_end = IP(210);
	d = mk(&c, path);
	assert_int_equal(nleases(d, ls, 4), 1);
	assert_int_equal(ls[0].ip, IP(50));
	vsw_dhcp_destroy(d);
	/* after the leases ended: nothing */
	d = vsw_dhcp_create(&c, path, T0 + 2 * LEASE, buf, sizeof(buf));
	assert_non_null(d);
	assert_int_equal(nleases(d, NULL, 0), 0);
	vsw_dhcp_destroy(d);
	unlink(path);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

static void test_file_malformed(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
	} bad[] = {
		{"", 1},
		{"vsw-dhcp-leases 2\n", 1},
		{"vsw-dhcp-leases 1", 1},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.100 1700003600\nxx\n", 3},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:5 192.168.122.100 1700003600\n", 2},
		{"vsw-dhcp-leases 1\n52-54-00-12-34-56 192.168.122.100 1700003600\n", 2},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.256 1700003600\n", 2},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122 1700003600\n", 2},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.100 -5\n", 2},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.100 17000036x0\n", 2},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.100 1700003600 \n", 2},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.100 1700003600", 2},
		{"vsw-dhcp-leases 1\n\n", 2},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.100 1700003600\n"
		 "52:54:00:12:34:56 192.168.122.101 1700003600\n", 3},
		{"vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.100 1700003600\n"
		 "52:54:00:12:34:57 192.168.122.100 1700003600\n", 3},
	};
	struct vsw_dhcp_cfg c = cfg0();
	char path[256], err[512], want[300];
	unsigned int i;

	(void)state;
	path_of(path, sizeof(path), "bad.leases");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i].text);
		err[0] = '\0';
		assert_null(vsw_dhcp_create(&c, path, T0, err, sizeof(err)));
		snprintf(want, sizeof(want), "%s:%u: ", path, bad[i].line);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("case %u: '%s' does not start with '%s'", i, err, want);
	}
	/* a line longer than any we write */
	char big[400];
	memset(big, 'a', sizeof(big));
	memcpy(big, "vsw-dhcp-leases 1\n", 18);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	write_file(path, big);
	assert_null(vsw_dhcp_create(&c, path, T0, err, sizeof(err)));
	assert_non_null(strstr(err, ":2: "));
	/* an expired lease, and a hostname: accepted */
	write_file(path, "vsw-dhcp-leases 1\n52:54:00:12:34:56 192.168.122.100 1 old\n"
			 "52:54:00:12:34:57 192.168.122.101 1700003600 a b\n");
	struct vsw_dhcp *d = mk(&c, path);
	assert_int_equal(nleases(d, NULL, 0), 1);
	vsw_dhcp_destroy(d);
	/* not readable as a file */
	assert_null(vsw_dhcp_create(&c, dir, T0, err, sizeof(err)));
	unlink(path);
}

static void test_file_write_error(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	char path[256];
	struct vsw_dhcp *d;

	(void)state;
	path_of(path, sizeof(path), "nodir/x.leases");
	d = mk(&c, path);
	assert_int_equal(dora(d, MAC_A, T0), IP(100)); /* served all the same */
	assert_int_equal(vsw_dhcp_stats(d)->file_errors, 1);
	vsw_dhcp_destroy(d);
}

static void test_file_rate(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct req q = {.type = 3, .mac = MAC_A, .ciaddr = IP(100)};
	struct vsw_dhcp_lease ls[2];
	char path[256];
	struct vsw_dhcp *d;
	int i;

	(void)state;
	path_of(path, sizeof(path), "rate.leases");
	unlink(path);
	d = mk(&c, path);
	assert_int_equal(dora(d, MAC_A, T0), IP(100));
	assert_int_equal(access(path, F_OK), 0); /* written at once */
	unlink(path);
	for (i = 0; i < 100; i++) /* a flood of renewals in that second */
		assert_int_equal(send_req(d, &q, T0), 5);
	assert_int_equal(access(path, F_OK), -1);
	vsw_dhcp_expire(d, T0 + 1); /* written by the next expire */
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	vsw_dhcp_expire(d, T0 + 2); /* nothing changed: not written */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(send_req(d, &q, T0 + 3), 5);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	assert_int_equal(send_req(d, &q, T0 + 3), 5);
	vsw_dhcp_destroy(d); /* and by destroy */
	d = mk(&c, path);
	assert_int_equal(nleases(d, ls, 2), 1);
	assert_int_equal(ls[0].expires, T0 + 3 + LEASE);
	vsw_dhcp_destroy(d);
	unlink(path);
}

/* --- configuration --- */

static void test_bad_cfg(void **state)
{
	struct vsw_dhcp_cfg c;
	char err[256];
	int i;

	(void)state;
	for (i = 0; i < 12; i++) {
		c = cfg0();
		switch (i) {
		case 0: c.prefix_len = 31; break;
		case 1: c.prefix_len = 7; break;
		case 2: c.range_start = IP(110); break;
		case 3: c.range_end = IP(255); break;
		case 4: c.range_start = IP(0); break;
		case 5: c.range_start = IP(1); break;
		case 6: c.prefix_len = 16, c.range_end = c.range_start + 4096; break;
		case 7: c.ndns = 4; break;
		case 8: c.lease_s = 0; break;
		case 9: c.mtu = 67; break;
		case 10: c.statics[0].ip = 0x0a000001; break;
		case 11: c.statics[1] = c.statics[0], c.nstatics = 2; break;
		}
		err[0] = '\0';
		if (vsw_dhcp_create(&c, NULL, T0, err, sizeof(err)))
			fail_msg("bad cfg %d accepted", i);
		assert_true(strncmp(err, "dhcp: ", 6) == 0);
	}
	c = cfg0();
	c.prefix_len = 16;
	c.range_end = c.range_start + 4095;
	vsw_dhcp_destroy(mk(&c, NULL));
}

/* --- bad input --- */

/* Feeds frame f (n bytes); asserts no reply and that exactly the counter
 * at offset off of the stats went up by one, and nothing else. */
static void expect_drop(struct vsw_dhcp *d, const uint8_t *f, size_t n, size_t off,
			const char *what)
{
	struct vsw_dhcp_stats before = *vsw_dhcp_stats(d), after;
	uint64_t *a = (uint64_t *)&after, *b = (uint64_t *)&before;
	uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees over-reads */
	size_t i;
	int rc;

	assert_non_null(copy);
	memcpy(copy, f, n);
	rc = vsw_dhcp_input(d, copy, n, T0, out, sizeof(out));
	free(copy);
	if (rc != 0)
		fail_msg("%s: answered", what);
	after = *vsw_dhcp_stats(d);
	for (i = 0; i < sizeof(after) / sizeof(uint64_t); i++)
		if (a[i] != b[i] + (i * sizeof(uint64_t) == off))
			fail_msg("%s: counter %zu is %llu, was %llu", what, i,
				 (unsigned long long)a[i], (unsigned long long)b[i]);
	assert_int_equal(nleases(d, NULL, 0), 0);
}

#define MALF offsetof(struct vsw_dhcp_stats, malformed)
#define NOTD offsetof(struct vsw_dhcp_stats, not_dhcp)

static void test_truncated(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 1, .mac = MAC_A, .hostname = "h"};
	uint8_t f[1600], g[1600];
	size_t n = mkreq(&q, f), k, end;
	char what[64];

	(void)state;
	/* cut anywhere, lengths left as they were */
	for (k = 0; k < n; k++) {
		snprintf(what, sizeof(what), "cut at %zu", k);
		expect_drop(d, f, k, MALF, what);
	}
	/* cut with IP and UDP lengths fixed to match: the BOOTP part ends
	 * short of the end option */
	for (end = OPT0; f[end] != 255; end++)
		;
	for (k = 42; k <= end; k++) {
		memcpy(g, f, k);
		fixup(g, k - 42);
		snprintf(what, sizeof(what), "payload cut at %zu", k - 42);
		expect_drop(d, g, k, MALF, what);
	}
	memcpy(g, f, end + 1);
	fixup(g, end + 1 - 42);
	assert_true(vsw_dhcp_input(d, g, end + 1, T0, out, sizeof(out)) > 0);
	assert_int_equal(vsw_dhcp_input(d, f, n, T0, out, VSW_DHCP_FRAME_MAX - 1), -1);
	vsw_dhcp_destroy(d);
}

/* The DISCOVER of MAC_A with options raw (no end added). */
static size_t raw_frame(uint8_t *f, const uint8_t *raw, size_t nraw)
{
	struct req q = {.type = 1, .mac = MAC_A, .raw = raw, .nraw = nraw};

	return mkreq(&q, f);
}

static void test_bad_options(void **state)
{
	static const uint8_t past_end[] = {53, 1, 1, 12, 250, 'a', 'b'};
	static const uint8_t no_end[] = {53, 1, 1, 12, 2, 'a', 'b'};
	static const uint8_t len_missing[] = {53, 1, 1, 12};
	static const uint8_t past_end_short[] = {53, 1, 1, 12, 5, 'a', 'b'};
	static const uint8_t dup53[] = {53, 1, 1, 53, 1, 1, 255};
	static const uint8_t len53[] = {53, 2, 1, 0, 255};
	static const uint8_t type_offer[] = {53, 1, 2, 255};
	static const uint8_t type_9[] = {53, 1, 9, 255};
	static const uint8_t len50[] = {53, 1, 1, 50, 3, 1, 2, 3, 255};
	static const uint8_t bad_overload[] = {53, 1, 1, 52, 1, 4, 255};
	static const uint8_t overload_no_end[] = {53, 1, 1, 52, 1, 2, 255};
	static const uint8_t no53[] = {12, 1, 'a', 255};
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	uint8_t f[1600];
	size_t n;

	(void)state;
	/* the tail of the frame is zero padding; make it not an end option
	 * either: a 300-byte payload has pads after the options, so these
	 * must be cut to the options' length to lack the end */
	n = raw_frame(f, past_end, sizeof(past_end));
	fixup(f, 240 + sizeof(past_end));
	expect_drop(d, f, 42 + 240 + sizeof(past_end), MALF, "option past the end");
	n = raw_frame(f, past_end_short, sizeof(past_end_short));
	fixup(f, 240 + sizeof(past_end_short));
	expect_drop(d, f, 42 + 240 + sizeof(past_end_short), MALF, "option 3 bytes past the end");
	n = raw_frame(f, no_end, sizeof(no_end));
	expect_drop(d, f, n, MALF, "no end (zero padding)");
	fixup(f, 240 + sizeof(no_end));
	expect_drop(d, f, 42 + 240 + sizeof(no_end), MALF, "no end");
	n = raw_frame(f, len_missing, sizeof(len_missing));
	fixup(f, 240 + sizeof(len_missing));
	expect_drop(d, f, 42 + 240 + sizeof(len_missing), MALF, "length byte missing");
	n = raw_frame(f, dup53, sizeof(dup53));
	expect_drop(d, f, n, MALF, "53 twice");
	n = raw_frame(f, len53, sizeof(len53));
	expect_drop(d, f, n, MALF, "53 of length 2");
	n = raw_frame(f, type_offer, sizeof(type_offer));
	expect_drop(d, f, n, MALF, "OFFER from a client");
	n = raw_frame(f, type_9, sizeof(type_9));
	expect_drop(d, f, n, MALF, "type 9");
	n = raw_frame(f, len50, sizeof(len50));
	expect_drop(d, f, n, MALF, "50 of length 3");
	n = raw_frame(f, bad_overload, sizeof(bad_overload));
	expect_drop(d, f, n, MALF, "overload 4");
	n = raw_frame(f, overload_no_end, sizeof(overload_no_end));
	expect_drop(d, f, n, MALF, "sname without end");
	n = raw_frame(f, no53, sizeof(no53));
	expect_drop(d, f, n, NOTD, "plain BOOTP");
	vsw_dhcp_destroy(d);
}

static void test_overload(void **state)
{
	static const uint8_t opts[] = {52, 1, 3, 255};
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	uint8_t f[1600];
	size_t n = raw_frame(f, opts, sizeof(opts));
	uint8_t *b = f + 42;
	int len;

	(void)state;
	/* message type in the file field, requested address in sname */
	b[108] = 53, b[109] = 1, b[110] = 1, b[111] = 255;
	b[44] = 0, b[45] = 50, b[46] = 4;
	put32(b + 47, IP(104));
	b[51] = 255;
	fixup(f, n - 42);
	len = vsw_dhcp_input(d, f, n, T0, out, sizeof(out));
	assert_true(len > 0);
	parse_rep(out, len, &R);
	assert_int_equal(rtype(&R), 2);
	assert_int_equal(R.yiaddr, IP(104));
	vsw_dhcp_destroy(d);
}

static void test_bad_headers(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 1, .mac = MAC_A};
	uint8_t f[1600], g[1600];
	size_t n = mkreq(&q, f);
	uint8_t *ip = g + 14, *udp = g + 34, *b = g + 42;

	(void)state;
#define FRESH() memcpy(g, f, n)
#define REIP() (put16(ip + 10, 0), put16(ip + 10, ref_ip_csum(ip)))
	FRESH(), b[2] = 7, fixup(g, n - 42);
	expect_drop(d, g, n, MALF, "hlen 7");
	FRESH(), b[1] = 6, fixup(g, n - 42);
	expect_drop(d, g, n, MALF, "htype 6");
	FRESH(), ip[10] ^= 1;
	expect_drop(d, g, n, MALF, "bad IP checksum");
	FRESH(), put16(udp + 4, (uint32_t)(n - 34 + 1));
	expect_drop(d, g, n, MALF, "UDP length beyond the frame");
	FRESH(), put16(udp + 4, 7);
	expect_drop(d, g, n, MALF, "UDP length 7");
	FRESH(), ip[0] = 0x44, REIP();
	expect_drop(d, g, n, MALF, "IHL 4");
	FRESH(), ip[0] = 0x65, REIP();
	expect_drop(d, g, n, MALF, "IP version 6");
	FRESH(), put16(ip + 2, (uint32_t)(n - 14 + 1)), REIP();
	expect_drop(d, g, n, MALF, "IP length beyond the frame");
	FRESH(), put16(ip + 2, 19), REIP();
	expect_drop(d, g, n, MALF, "IP length below the header");
	FRESH(), put16(ip + 6, 0x2000), REIP();
	expect_drop(d, g, n, MALF, "first fragment");
	FRESH(), put16(ip + 6, 0x0010), REIP();
	expect_drop(d, g, n, NOTD, "later fragment");
	FRESH(), memset(b + 28, 0xff, 6), fixup(g, n - 42);
	expect_drop(d, g, n, MALF, "broadcast chaddr");
	FRESH(), put32(b + 24, IP(254)), fixup(g, n - 42);
	expect_drop(d, g, n, offsetof(struct vsw_dhcp_stats, relayed), "giaddr");
	FRESH(), b[0] = 2, fixup(g, n - 42);
	expect_drop(d, g, n, NOTD, "BOOTREPLY");
	FRESH(), b[236] = 0, fixup(g, n - 42);
	expect_drop(d, g, n, NOTD, "no magic cookie");
	FRESH(), put16(udp + 2, 53), fixup(g, n - 42);
	expect_drop(d, g, n, NOTD, "UDP to 53");
	FRESH(), ip[9] = 6, fixup(g, n - 42);
	expect_drop(d, g, n, NOTD, "TCP");
	FRESH(), put16(g + 12, 0x0806);
	expect_drop(d, g, n, NOTD, "ARP");
	/* VLAN tag: the IPv4 frame moved 4 bytes on */
	memcpy(g, f, 12);
	put16(g + 12, 0x8100);
	put16(g + 14, 5);
	memcpy(g + 16, f + 12, n - 12);
	expect_drop(d, g, n + 4, NOTD, "VLAN");
	/* IP options are allowed */
	memcpy(g, f, 34);
	ip[0] = 0x46;
	memset(g + 34, 1, 4); /* NOPs */
	memcpy(g + 38, f + 34, n - 34);
	put16(ip + 2, (uint32_t)(n - 14 + 4));
	REIP();
	assert_true(vsw_dhcp_input(d, g, n + 4, T0, out, sizeof(out)) > 0);
	/* so is Ethernet padding after the IP packet */
	memcpy(g, f, n);
	memset(g + n, 0xa5, 20);
	assert_true(vsw_dhcp_input(d, g, n + 20, T0, out, sizeof(out)) > 0);
#undef FRESH
#undef REIP
	vsw_dhcp_destroy(d);
}

static void test_bad_input_stateful(void **state)
{
	struct vsw_dhcp_cfg c = cfg0();
	struct vsw_dhcp *d = mk(&c, NULL);
	struct req q = {.type = 3, .mac = MAC_A, .ciaddr = IP(100), .giaddr = IP(254)};

	(void)state;
	assert_int_equal(dora(d, MAC_A, T0), IP(100));
	/* a relayed RELEASE does not end the lease */
	q.type = 7;
	assert_int_equal(send_req(d, &q, T0), 0);
	assert_int_equal(nleases(d, NULL, 0), 1);
	assert_int_equal(vsw_dhcp_stats(d)->relayed, 1);
	assert_int_equal(vsw_dhcp_stats(d)->release, 0);
	/* a RELEASE naming another server is not for us */
	q.giaddr = 0;
	q.server_id = IP(2);
	assert_int_equal(send_req(d, &q, T0), 0);
	assert_int_equal(nleases(d, NULL, 0), 1);
	assert_int_equal(nev, 1);
	vsw_dhcp_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dora, setup),
		cmocka_unit_test_setup(test_options_optional, setup),
		cmocka_unit_test_setup(test_renew, setup),
		cmocka_unit_test_setup(test_init_reboot, setup),
		cmocka_unit_test_setup(test_unknown_client_request, setup),
		cmocka_unit_test_setup(test_discover_requested, setup),
		cmocka_unit_test_setup(test_other_server, setup),
		cmocka_unit_test_setup(test_release, setup),
		cmocka_unit_test_setup(test_decline, setup),
		cmocka_unit_test_setup(test_inform, setup),
		cmocka_unit_test_setup(test_static, setup),
		cmocka_unit_test_setup(test_broadcast_flag, setup),
		cmocka_unit_test_setup(test_exhaustion, setup),
		cmocka_unit_test_setup(test_expiry, setup),
		cmocka_unit_test_setup(test_file_round_trip, setup),
		cmocka_unit_test_setup(test_file_malformed, setup),
		cmocka_unit_test_setup(test_file_write_error, setup),
		cmocka_unit_test_setup(test_file_rate, setup),
		cmocka_unit_test_setup(test_bad_cfg, setup),
		cmocka_unit_test_setup(test_truncated, setup),
		cmocka_unit_test_setup(test_bad_options, setup),
		cmocka_unit_test_setup(test_overload, setup),
		cmocka_unit_test_setup(test_bad_headers, setup),
		cmocka_unit_test_setup(test_bad_input_stateful, setup),
	};
	char cmd[128];
	int rc;

	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
