/* Unit tests of the NAT core (src/nat/nat.c, nat_xlate.c): packets built by
 * hand, translated out and back, every checksum compared with a full
 * recomputation written here (byte loops, pseudo-headers by hand); the
 * mapping and filtering behaviour, port allocation, forwards, timeouts and
 * expiry, the table limit, every kind of bad input (each with its counter,
 * the packet left untouched, exact-size buffers so ASan sees over-reads),
 * and session copies taken while a worker thread writes. */
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>

#include "nat/nat.h"
#include "ut_eal.h"
#include "net_bytes.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define GW IP4(10, 0, 0, 1)
#define G1 IP4(10, 0, 0, 2)
#define G2 IP4(10, 0, 0, 3)
#define EXT IP4(198, 51, 100, 1)
#define R1 IP4(203, 0, 113, 5)
#define R2 IP4(203, 0, 113, 6)
#define TCP 6
#define UDP 17
#define ICMP 1
#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04
#define T0 1000000ull
#define PMIN 20000
#define PMAX 29999

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t MAC2[6] = { 2, 0, 0, 0, 0, 2 };

static struct vsw_nat *nat;

/* --- byte helpers and reference checksums --- */







static unsigned int ihl(const uint8_t *ip)
{
	return (ip[0] & 15u) * 4;
}

static uint16_t ref_ip_csum(const uint8_t *ip)
{
	uint8_t h[60];
	memcpy(h, ip, ihl(ip));
	wr16(h + 10, 0);
	return (uint16_t)~fold(sum_bytes(h, ihl(ip), 0));
}

static void ip_fix(uint8_t *ip)
{
	wr16(ip + 10, ref_ip_csum(ip));
}

static unsigned int csum_off(uint8_t proto)
{
	return proto == TCP ? 16 : proto == UDP ? 6 : 2;
}

/* The pseudo-header sum (not complemented), as a checksum offload leaves it. */
static uint16_t phdr_sum(const uint8_t *ip)
{
	uint32_t s = sum_bytes(ip + 12, 8, 0) + ip[9] + (uint32_t)(rd16(ip + 2) - ihl(ip));
	return fold(s);
}

/* The L4 checksum of a whole packet, computed from scratch. */
static uint16_t ref_l4(const uint8_t *ip)
{
	uint32_t l4len = rd16(ip + 2) - ihl(ip);
	uint8_t *t = malloc(l4len);
	memcpy(t, ip + ihl(ip), l4len);
	wr16(t + csum_off(ip[9]), 0);
	uint32_t s = sum_bytes(t, l4len, ip[9] == ICMP ? 0 : phdr_sum(ip));
	free(t);
	uint16_t c = (uint16_t)~fold(s);
	return ip[9] == UDP && c == 0 ? 0xffff : c;
}

static uint8_t *l4(uint8_t *ip)
{
	return ip + ihl(ip);
}

static void l4_fix(uint8_t *ip)
{
	wr16(l4(ip) + csum_off(ip[9]), ref_l4(ip));
}

static void assert_csums(uint8_t *ip)
{
	assert_int_equal(rd16(ip + 10), ref_ip_csum(ip));
	assert_int_equal(rd16(l4(ip) + csum_off(ip[9])), ref_l4(ip));
}

/* --- packet builders (TTL 64, L4 payload bytes i*7) --- */

static void ip_hdr(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst, uint16_t tot)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	wr16(b + 2, tot);
	wr16(b + 4, 0x1234);
	wr16(b + 6, 0x4000); /* DF */
	b[8] = 64;
	b[9] = proto;
	wr32(b + 12, src);
	wr32(b + 16, dst);
}

static void payload(uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

static uint32_t mk_tcp(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
		       uint8_t flags, uint32_t data)
{
	uint32_t len = 40 + data;
	ip_hdr(b, TCP, src, dst, (uint16_t)len);
	uint8_t *t = b + 20;
	memset(t, 0, 20);
	wr16(t, sp);
	wr16(t + 2, dp);
	wr32(t + 4, 0x11223344);
	wr32(t + 8, flags & ACK ? 0x55667788 : 0);
	t[12] = 0x50;
	t[13] = flags;
	wr16(t + 14, 65535);
	payload(t + 20, data);
	l4_fix(b);
	ip_fix(b);
	return len;
}

static uint32_t mk_udp(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
		       uint32_t data, bool csum)
{
	uint32_t len = 28 + data;
	ip_hdr(b, UDP, src, dst, (uint16_t)len);
	uint8_t *u = b + 20;
	wr16(u, sp);
	wr16(u + 2, dp);
	wr16(u + 4, (uint16_t)(8 + data));
	wr16(u + 6, 0);
	payload(u + 8, data);
	if (csum)
		l4_fix(b);
	ip_fix(b);
	return len;
}

static uint32_t mk_echo(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint16_t id)
{
	ip_hdr(b, ICMP, src, dst, 28 + 16);
	uint8_t *c = b + 20;
	memset(c, 0, 8);
	c[0] = type;
	wr16(c + 4, id);
	wr16(c + 6, 7);
	payload(c + 8, 16);
	l4_fix(b);
	ip_fix(b);
	return 44;
}

static uint32_t mk_icmp_err(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
			    const uint8_t *quote, uint32_t qlen)
{
	ip_hdr(b, ICMP, src, dst, (uint16_t)(28 + qlen));
	uint8_t *c = b + 20;
	memset(c, 0, 8);
	c[0] = type;
	c[1] = code;
	memcpy(c + 8, quote, qlen);
	l4_fix(b);
	ip_fix(b);
	return 28 + qlen;
}

/* --- NAT set-up --- */

static struct vsw_nat_cfg cfg_default(void)
{
	return (struct vsw_nat_cfg){
		.inside_addr = GW, .inside_len = 24, .ext_addr = EXT, .max_sessions = 64,
		.port_min = PMIN, .port_max = PMAX, .tcp_est_s = 100, .tcp_trans_s = 20,
		.udp_s = 30, .icmp_s = 10, .socket = -1 /* SOCKET_ID_ANY */,
	};
}

static struct vsw_nat *mk_nat(uint32_t max, uint16_t pmin, uint16_t pmax)
{
	struct vsw_nat_cfg c = cfg_default();
	c.max_sessions = max;
	c.port_min = pmin;
	c.port_max = pmax;
	char err[128] = "";
	struct vsw_nat *n = vsw_nat_create(&c, err, sizeof(err));
	assert_non_null(n);
	return n;
}

static int teardown(void **state)
{
	(void)state;
	vsw_nat_destroy(nat);
	nat = NULL;
	return 0;
}

static enum vsw_nat_verdict out(uint8_t *b, uint32_t len, uint64_t now)
{
	return vsw_nat_out(nat, b, len, false, MAC1, now);
}

static enum vsw_nat_verdict in(uint8_t *b, uint32_t len, uint64_t now)
{
	uint8_t mac[6];
	bool known;
	return vsw_nat_in(nat, b, len, false, mac, &known, now);
}

static struct vsw_nat_stats stats(void)
{
	struct vsw_nat_stats s;
	vsw_nat_get_stats(nat, &s);
	return s;
}

/* The single session (asserts there is one). */
static struct vsw_nat_session_info one_session(uint64_t now)
{
	struct vsw_nat_session_info si[4];
	assert_int_equal(vsw_nat_sessions(nat, si, 4, now), 1);
	return si[0];
}

/* Sends G:sp -> R:dp UDP and returns the external port it got. */
static uint16_t udp_out(uint32_t g, uint16_t sp, uint32_t r, uint16_t dp, uint64_t now)
{
	uint8_t b[64];
	uint32_t len = mk_udp(b, g, r, sp, dp, 4, true);
	assert_int_equal(out(b, len, now), VSW_NAT_OK);
	return rd16(b + 20);
}

/* --- translation --- */

static void test_tcp_out_and_back(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[128], orig[128];
	uint32_t len = mk_tcp(b, G1, R1, 40000, 80, SYN, 10);
	memcpy(orig, b, len);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	uint16_t ep = rd16(b + 20);
	assert_true(ep >= PMIN && ep <= PMAX);
	assert_int_equal(rd32(b + 12), EXT);
	assert_int_equal(rd32(b + 16), R1);
	assert_int_equal(rd16(b + 22), 80);
	assert_int_equal(b[8], 63);
	assert_memory_equal(b + 40, orig + 40, 10);
	assert_csums(b);

	len = mk_tcp(b, R1, EXT, 80, ep, SYN | ACK, 0);
	uint8_t mac[6] = { 0 };
	bool known = false;
	assert_int_equal(vsw_nat_in(nat, b, len, false, mac, &known, T0 + 1), VSW_NAT_OK);
	assert_int_equal(rd32(b + 12), R1);
	assert_int_equal(rd32(b + 16), G1);
	assert_int_equal(rd16(b + 20), 80);
	assert_int_equal(rd16(b + 22), 40000);
	assert_int_equal(b[8], 63);
	assert_csums(b);
	assert_true(known);
	assert_memory_equal(mac, MAC1, 6);

	struct vsw_nat_stats st = stats();
	assert_int_equal(st.out_packets, 1);
	assert_int_equal(st.in_packets, 1);
	assert_int_equal(st.sessions_created, 1);
	struct vsw_nat_session_info si = one_session(T0 + 1);
	assert_int_equal(si.proto, TCP);
	assert_int_equal(si.in_addr, G1);
	assert_int_equal(si.in_port, 40000);
	assert_int_equal(si.ext_addr, EXT);
	assert_int_equal(si.ext_port, ep);
	assert_int_equal(si.rem_addr, R1);
	assert_int_equal(si.rem_port, 80);
	assert_string_equal(si.state, "established");
	assert_false(si.forwarded);
	assert_memory_equal(si.in_mac, MAC1, 6);
	assert_int_equal(si.packets_out, 1);
	assert_int_equal(si.packets_in, 1);
	assert_int_equal(vsw_nat_session_count(nat), 1);
}

static void test_port_kept_when_in_range(void **state)
{
	(void)state;
	nat = mk_nat(64, 1024, 65535);
	assert_int_equal(udp_out(G1, 40000, R1, 53, T0), 40000);
	/* G2 wants the same port: it is taken */
	uint16_t p2 = udp_out(G2, 40000, R1, 53, T0);
	assert_int_not_equal(p2, 40000);
	assert_true(p2 >= 1024);
}

static void test_udp_out_and_back(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[128];
	uint32_t len = mk_udp(b, G1, R1, 5000, 53, 33, true);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	uint16_t ep = rd16(b + 20);
	assert_true(ep >= PMIN && ep <= PMAX);
	assert_int_equal(rd32(b + 12), EXT);
	assert_int_equal(b[8], 63);
	assert_csums(b);

	len = mk_udp(b, R1, EXT, 53, ep, 17, true);
	assert_int_equal(in(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd32(b + 16), G1);
	assert_int_equal(rd16(b + 22), 5000);
	assert_csums(b);
	assert_string_equal(one_session(T0).state, "udp");
}

static void test_udp_zero_checksum_stays_zero(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[128];
	uint32_t len = mk_udp(b, G1, R1, 5000, 53, 8, false);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd16(b + 26), 0);
	assert_int_equal(rd16(b + 10), ref_ip_csum(b));
	uint16_t ep = rd16(b + 20);
	len = mk_udp(b, R1, EXT, 53, ep, 8, false);
	assert_int_equal(in(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd16(b + 26), 0);
	assert_int_equal(rd16(b + 22), 5000);
	teardown(NULL);

	/* a computed checksum of zero is sent as 0xffff: pick the payload so
	 * that the translated packet sums to 0xffff (the inside port is kept) */
	nat = mk_nat(64, 1024, 65535);
	uint8_t t[64];
	len = mk_udp(t, EXT, R1, 5000, 53, 2, false);
	wr16(t + 28, 0);
	uint16_t w = (uint16_t)~fold(sum_bytes(t + 20, 10, phdr_sum(t)));
	len = mk_udp(b, G1, R1, 5000, 53, 2, false);
	wr16(b + 28, w);
	l4_fix(b);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd16(b + 20), 5000);
	assert_int_equal(rd16(b + 26), 0xffff);
	assert_csums(b);
}

static void test_icmp_echo_out_and_back(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[128];
	uint32_t len = mk_echo(b, G1, R1, 8, 0x1234);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	uint16_t eid = rd16(b + 24);
	assert_true(eid >= PMIN && eid <= PMAX);
	assert_int_equal(rd32(b + 12), EXT);
	assert_csums(b);
	assert_string_equal(one_session(T0).state, "icmp");

	len = mk_echo(b, R1, EXT, 0, eid);
	assert_int_equal(in(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd16(b + 24), 0x1234);
	assert_int_equal(rd32(b + 16), G1);
	assert_csums(b);
	/* an echo request to the address is the caller's to answer */
	len = mk_echo(b, R1, EXT, 8, eid);
	assert_int_equal(in(b, len, T0), VSW_NAT_NOT_MINE);
}

static void test_endpoint_independent_mapping(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint16_t p1 = udp_out(G1, 5000, R1, 53, T0);
	uint16_t p2 = udp_out(G1, 5000, R2, 53, T0);
	uint16_t p3 = udp_out(G1, 5000, R1, 54, T0);
	assert_int_equal(p1, p2);
	assert_int_equal(p1, p3);
	assert_int_equal(vsw_nat_session_count(nat), 3);
	/* TCP has its own mapping: may differ, but must work */
	uint8_t b[128];
	uint32_t len = mk_tcp(b, G1, R1, 5000, 80, SYN, 0);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
}

static void test_filtering(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint16_t ep = udp_out(G1, 5000, R1, 53, T0);
	uint8_t b[128], orig[128];
	uint32_t len = mk_udp(b, R2, EXT, 53, ep, 4, true);
	memcpy(orig, b, len);
	assert_int_equal(in(b, len, T0), VSW_NAT_NO_SESSION);
	assert_memory_equal(b, orig, len);
	len = mk_udp(b, R1, EXT, 54, ep, 4, true); /* port-dependent too */
	assert_int_equal(in(b, len, T0), VSW_NAT_NO_SESSION);
	len = mk_tcp(b, R1, EXT, 53, ep, SYN, 0); /* other protocol */
	assert_int_equal(in(b, len, T0), VSW_NAT_NO_SESSION);
	assert_int_equal(stats().drops[VSW_NAT_NO_SESSION], 3);
	assert_int_equal(vsw_nat_session_count(nat), 1);
}

static void test_two_guests_same_port(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint16_t p1 = udp_out(G1, 5000, R1, 53, T0);
	uint8_t b[128];
	uint32_t len = mk_udp(b, G2, R1, 5000, 53, 4, true);
	assert_int_equal(vsw_nat_out(nat, b, len, false, MAC2, T0), VSW_NAT_OK);
	uint16_t p2 = rd16(b + 20);
	assert_int_not_equal(p1, p2);
	uint8_t mac[6];
	bool known;
	len = mk_udp(b, R1, EXT, 53, p2, 4, true);
	assert_int_equal(vsw_nat_in(nat, b, len, false, mac, &known, T0), VSW_NAT_OK);
	assert_int_equal(rd32(b + 16), G2);
	assert_memory_equal(mac, MAC2, 6);
	len = mk_udp(b, R1, EXT, 53, p1, 4, true);
	assert_int_equal(vsw_nat_in(nat, b, len, false, mac, &known, T0), VSW_NAT_OK);
	assert_int_equal(rd32(b + 16), G1);
	assert_memory_equal(mac, MAC1, 6);
}

/* With checksum offload the field holds the pseudo-header sum: after the
 * rewrite it must be the pseudo-header sum of the new addresses (the port
 * is the device's business). */
static void test_l4_partial(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t mac[6];
	bool known;
	uint8_t b[256];
	for (int proto = 0; proto < 2; proto++) {
		uint32_t len = proto == 0 ? mk_tcp(b, G1, R1, 40000, 443, SYN, 100) :
					    mk_udp(b, G1, R1, 40000, 443, 100, true);
		unsigned int co = 20 + csum_off(b[9]);
		wr16(b + co, phdr_sum(b));
		assert_int_equal(vsw_nat_out(nat, b, len, true, MAC1, T0), VSW_NAT_OK);
		assert_int_equal(rd16(b + co), phdr_sum(b));
		assert_int_equal(rd16(b + 10), ref_ip_csum(b));
		uint16_t ep = rd16(b + 20);
		len = proto == 0 ? mk_tcp(b, R1, EXT, 443, ep, SYN | ACK, 50) :
				   mk_udp(b, R1, EXT, 443, ep, 50, true);
		wr16(b + co, phdr_sum(b));
		assert_int_equal(vsw_nat_in(nat, b, len, true, mac, &known, T0), VSW_NAT_OK);
		assert_int_equal(rd32(b + 16), G1);
		assert_int_equal(rd16(b + co), phdr_sum(b));
		/* completing the sum gives a correct checksum */
		uint32_t l4len = len - 20;
		uint16_t c = (uint16_t)~fold(sum_bytes(b + 20, l4len, 0));
		wr16(b + co, c);
		assert_int_equal(c == 0 && b[9] == UDP ? 0xffff : c, ref_l4(b));
	}
}

/* A checksum that comes out as 0x0000/0xffff on the way is right after. */
static void test_checksums_many_values(void **state)
{
	(void)state;
	nat = mk_nat(1024, 1, 65535);
	uint8_t b[128];
	for (unsigned int i = 0; i < 600; i++) {
		uint16_t sp = (uint16_t)(1 + i * 109);
		uint32_t d = 2 + i % 9;
		uint32_t len = i & 1 ? mk_tcp(b, G1 + (i % 50), R1 + i, sp, 80, ACK, d) :
				       mk_udp(b, G1 + (i % 50), R1 + i, sp, 53, d, true);
		wr16(b + len - 2, (uint16_t)(i * 2654435761u >> 7)); /* sweep the sums */
		l4_fix(b);
		assert_int_equal(out(b, len, T0), VSW_NAT_OK);
		assert_csums(b);
	}
}

/* --- ICMP errors --- */

static void test_icmp_error_in_udp(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[256], sent[128], guest[128];
	uint32_t len = mk_udp(sent, G1, R1, 5000, 53, 12, true);
	memcpy(guest, sent, len);
	assert_int_equal(out(sent, len, T0), VSW_NAT_OK);
	/* port unreachable from R1 quoting what it got, all of it */
	uint32_t elen = mk_icmp_err(b, R1, EXT, 3, 3, sent, len);
	uint8_t mac[6];
	bool known;
	assert_int_equal(vsw_nat_in(nat, b, elen, false, mac, &known, T0 + 5), VSW_NAT_OK);
	assert_int_equal(rd32(b + 12), R1);
	assert_int_equal(rd32(b + 16), G1);
	assert_int_equal(b[8], 63);
	assert_csums(b); /* outer IP and ICMP over everything */
	uint8_t *q = b + 28;
	assert_int_equal(rd32(q + 12), G1);
	assert_int_equal(rd16(q + 20), 5000);
	assert_int_equal(rd16(q + 10), ref_ip_csum(q));
	assert_int_equal(rd16(q + 26), ref_l4(q));
	/* the quote is the guest's own packet again (but for the TTL it lost) */
	guest[8]--;
	ip_fix(guest);
	assert_memory_equal(q, guest, len);
	assert_true(known);
	assert_memory_equal(mac, MAC1, 6);
	assert_int_equal(stats().icmp_errors_in, 1);
	/* errors do not refresh the session */
	assert_int_equal(one_session(T0 + 5).idle_ms, 5);
}

static void test_icmp_error_in_tcp_short_quote_and_echo(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[256], sent[128];
	uint32_t len = mk_tcp(sent, G1, R1, 40000, 80, SYN, 0);
	assert_int_equal(out(sent, len, T0), VSW_NAT_OK);
	/* frag needed from a router, quoting 28 bytes: no TCP checksum inside */
	uint32_t elen = mk_icmp_err(b, R2, EXT, 3, 4, sent, 28);
	assert_int_equal(in(b, elen, T0), VSW_NAT_OK);
	assert_int_equal(rd32(b + 16), G1);
	assert_csums(b);
	assert_int_equal(rd32(b + 28 + 12), G1);
	assert_int_equal(rd16(b + 48), 40000);
	assert_int_equal(rd16(b + 28 + 10), ref_ip_csum(b + 28));

	/* time exceeded about a ping: the quoted echo's id and checksum too */
	len = mk_echo(sent, G1, R1, 8, 0x4242);
	assert_int_equal(out(sent, len, T0), VSW_NAT_OK);
	elen = mk_icmp_err(b, R2, EXT, 11, 0, sent, len);
	assert_int_equal(in(b, elen, T0), VSW_NAT_OK);
	assert_csums(b);
	assert_int_equal(rd16(b + 28 + 24), 0x4242);
	assert_csums(b + 28);
	assert_int_equal(stats().icmp_errors_in, 2);
}

static void test_icmp_error_in_unknown(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[256], sent[128];
	uint32_t len = mk_udp(sent, G1, R1, 5000, 53, 4, true);
	assert_int_equal(out(sent, len, T0), VSW_NAT_OK);
	uint8_t other[128];
	memcpy(other, sent, len);
	wr16(other + 22, 54); /* no session to R1:54 */
	uint32_t elen = mk_icmp_err(b, R1, EXT, 3, 3, other, len);
	assert_int_equal(in(b, elen, T0), VSW_NAT_NO_SESSION);
	memcpy(other, sent, len);
	wr32(other + 12, IP4(198, 51, 100, 2)); /* not ours */
	elen = mk_icmp_err(b, R1, EXT, 3, 3, other, len);
	assert_int_equal(in(b, elen, T0), VSW_NAT_NO_SESSION);
	assert_int_equal(stats().icmp_errors_in, 0);
}

/* A guest's error about a packet that came in through a session leaves
 * with the external view in the quote. */
static void test_icmp_error_out(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint16_t ep = udp_out(G1, 5000, R1, 53, T0);
	uint8_t got[128], b[256];
	uint32_t len = mk_udp(got, R1, EXT, 53, ep, 6, true);
	assert_int_equal(in(got, len, T0), VSW_NAT_OK);
	uint32_t elen = mk_icmp_err(b, G1, R1, 3, 3, got, len);
	assert_int_equal(out(b, elen, T0), VSW_NAT_OK);
	assert_int_equal(rd32(b + 12), EXT);
	assert_csums(b);
	uint8_t *q = b + 28;
	assert_int_equal(rd32(q + 16), EXT);
	assert_int_equal(rd16(q + 22), ep);
	assert_int_equal(rd16(q + 10), ref_ip_csum(q));
	assert_int_equal(rd16(q + 26), ref_l4(q));
	/* about a flow it has no session for */
	wr16(got + 20, 99);
	l4_fix(got);
	elen = mk_icmp_err(b, G1, R1, 3, 3, got, len);
	assert_int_equal(out(b, elen, T0), VSW_NAT_NO_SESSION);
}

/* --- forwards --- */

static void test_forwards(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	struct vsw_nat_forward fw[2] = {
		{ .proto = TCP, .ext_port = 2222, .to_addr = G1, .to_port = 22 },
		{ .proto = UDP, .ext_port = 5353, .to_addr = G2, .to_port = 53 },
	};
	void *old = (void *)1;
	assert_int_equal(vsw_nat_forwards_swap(nat, fw, 2, &old), 0);
	assert_null(old);
	struct vsw_nat_forward got[4];
	assert_int_equal(vsw_nat_forwards(nat, got, 4), 2);
	assert_int_equal(got[1].ext_port, 5353);

	uint8_t b[128], mac[6];
	bool known = true;
	uint32_t len = mk_tcp(b, R1, EXT, 33333, 2222, SYN, 0);
	assert_int_equal(vsw_nat_in(nat, b, len, false, mac, &known, T0), VSW_NAT_OK);
	assert_false(known);
	assert_int_equal(rd32(b + 16), G1);
	assert_int_equal(rd16(b + 22), 22);
	assert_csums(b);
	struct vsw_nat_session_info si = one_session(T0);
	assert_true(si.forwarded);
	assert_int_equal(si.ext_port, 2222);
	len = mk_tcp(b, R1, EXT, 33333, 2222, SYN, 0); /* retransmitted */
	assert_int_equal(vsw_nat_in(nat, b, len, false, mac, &known, T0), VSW_NAT_OK);
	assert_false(known);
	assert_int_equal(vsw_nat_session_count(nat), 1);

	len = mk_tcp(b, G1, R1, 22, 33333, SYN | ACK, 0);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd32(b + 12), EXT);
	assert_int_equal(rd16(b + 20), 2222);
	assert_csums(b);
	len = mk_tcp(b, R1, EXT, 33333, 2222, ACK, 5);
	assert_int_equal(vsw_nat_in(nat, b, len, false, mac, &known, T0), VSW_NAT_OK);
	assert_true(known);
	assert_memory_equal(mac, MAC1, 6);
	assert_string_equal(one_session(T0).state, "established");

	len = mk_udp(b, R2, EXT, 999, 5353, 3, true);
	assert_int_equal(in(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd32(b + 16), G2);
	assert_int_equal(rd16(b + 22), 53);
	len = mk_udp(b, R2, EXT, 999, 2222, 3, true); /* forward is TCP only */
	assert_int_equal(in(b, len, T0), VSW_NAT_NO_SESSION);
}

static void test_forwards_rejected(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	struct vsw_nat_forward ok = { .proto = TCP, .ext_port = 80, .to_addr = G1, .to_port = 80 };
	void *old;
	assert_int_equal(vsw_nat_forwards_swap(nat, &ok, 1, &old), 0);
	struct vsw_nat_forward dup[2] = { ok, ok };
	dup[1].to_addr = G2;
	assert_int_equal(vsw_nat_forwards_swap(nat, dup, 2, &old), -1);
	struct vsw_nat_forward bad = ok;
	bad.to_addr = R1;
	assert_int_equal(vsw_nat_forwards_swap(nat, &bad, 1, &old), -1);
	bad = ok;
	bad.proto = ICMP;
	assert_int_equal(vsw_nat_forwards_swap(nat, &bad, 1, &old), -1);
	bad = ok;
	bad.to_addr = GW;
	assert_int_equal(vsw_nat_forwards_swap(nat, &bad, 1, &old), -1);
	struct vsw_nat_forward many[65];
	for (int i = 0; i < 65; i++)
		many[i] = (struct vsw_nat_forward){ TCP, (uint16_t)(100 + i), G1, 80 };
	assert_int_equal(vsw_nat_forwards_swap(nat, many, 65, &old), -1);
	assert_int_equal(vsw_nat_forwards_swap(nat, many, 64, &old), 0);
	vsw_nat_forwards_free(old);
	/* the same port for TCP and UDP is no duplicate */
	struct vsw_nat_forward both[2] = { ok, ok };
	both[1].proto = UDP;
	assert_int_equal(vsw_nat_forwards_swap(nat, both, 2, &old), 0);
	vsw_nat_forwards_free(old);
	struct vsw_nat_forward got[2];
	assert_int_equal(vsw_nat_forwards(nat, got, 2), 2);
}

/* A swap leaves the sessions a forward made; only new flows see the change. */
static void test_forwards_swap_in_use(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	struct vsw_nat_forward fw = { .proto = UDP, .ext_port = 7000, .to_addr = G1, .to_port = 7 };
	void *old;
	assert_int_equal(vsw_nat_forwards_swap(nat, &fw, 1, &old), 0);
	uint8_t b[128];
	uint32_t len = mk_udp(b, R1, EXT, 1111, 7000, 3, true);
	assert_int_equal(in(b, len, T0), VSW_NAT_OK);
	assert_int_equal(vsw_nat_forwards_swap(nat, NULL, 0, &old), 0);
	assert_non_null(old);
	vsw_nat_forwards_free(old);
	assert_int_equal(vsw_nat_forwards(nat, &fw, 1), 0);
	len = mk_udp(b, R1, EXT, 1111, 7000, 3, true);
	assert_int_equal(in(b, len, T0), VSW_NAT_OK);
	len = mk_udp(b, G1, R1, 7, 1111, 3, true);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd16(b + 20), 7000);
	len = mk_udp(b, R2, EXT, 1111, 7000, 3, true);
	assert_int_equal(in(b, len, T0), VSW_NAT_NO_SESSION);
	/* the forwarded session ends like any other and gives back nothing */
	vsw_nat_expire(nat, T0 + 30000, 64);
	assert_int_equal(vsw_nat_session_count(nat), 0);
}

static void test_forward_port_never_allocated(void **state)
{
	(void)state;
	nat = mk_nat(64, 20000, 20001);
	struct vsw_nat_forward fw = { .proto = TCP, .ext_port = 20000, .to_addr = G2, .to_port = 80 };
	void *old;
	assert_int_equal(vsw_nat_forwards_swap(nat, &fw, 1, &old), 0);
	uint8_t b[128];
	uint32_t len = mk_tcp(b, G1, R1, 20000, 80, SYN, 0);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	assert_int_equal(rd16(b + 20), 20001);
	len = mk_tcp(b, G1, R1, 20005, 80, SYN, 0);
	assert_int_equal(out(b, len, T0), VSW_NAT_TABLE_FULL);
	/* UDP's range is its own and has no forward */
	assert_int_equal(udp_out(G1, 20000, R1, 53, T0), 20000);
}

/* --- timeouts and expiry --- */

static void test_timeouts_udp_icmp(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	udp_out(G1, 5000, R1, 53, T0);
	uint8_t b[128];
	uint32_t len = mk_echo(b, G1, R1, 8, 1);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	vsw_nat_expire(nat, T0 + 9999, 64);
	assert_int_equal(vsw_nat_session_count(nat), 2);
	vsw_nat_expire(nat, T0 + 10000, 64);
	assert_int_equal(vsw_nat_session_count(nat), 1);
	struct vsw_nat_session_info si = one_session(T0 + 10000);
	assert_string_equal(si.state, "udp");
	assert_int_equal(si.expires_in_ms, 20000);
	assert_int_equal(si.idle_ms, 10000);
	udp_out(G1, 5000, R1, 53, T0 + 20000); /* refreshed */
	vsw_nat_expire(nat, T0 + 49999, 64);
	assert_int_equal(vsw_nat_session_count(nat), 1);
	vsw_nat_expire(nat, T0 + 50000, 64);
	assert_int_equal(vsw_nat_session_count(nat), 0);
	assert_int_equal(stats().sessions_expired, 2);
}

static uint32_t tcp_pkt(uint8_t *b, bool outbound, uint8_t flags, uint16_t ep)
{
	return outbound ? mk_tcp(b, G1, R1, 40000, 80, flags, 0) :
			  mk_tcp(b, R1, EXT, 80, ep, flags, 0);
}

/* Sends a sequence of (direction, flags) and returns the session's state
 * and how long it has left. */
static struct vsw_nat_session_info tcp_run(const uint8_t *seq, unsigned int n)
{
	uint8_t b[128];
	uint16_t ep = 0;
	for (unsigned int i = 0; i < n; i++) {
		bool o = seq[i] & 0x80;
		uint32_t len = tcp_pkt(b, o, seq[i] & 0x7f, ep);
		assert_int_equal(o ? out(b, len, T0) : in(b, len, T0), VSW_NAT_OK);
		if (o)
			ep = rd16(b + 20);
	}
	return one_session(T0);
}

#define OUTB 0x80
static void test_timeouts_tcp(void **state)
{
	(void)state;
	static const struct {
		uint8_t seq[6];
		unsigned int n;
		const char *state;
		uint32_t left;
	} cases[] = {
		{ { OUTB | SYN }, 1, "syn", 20000 },
		{ { OUTB | SYN, SYN | ACK }, 2, "established", 100000 },
		{ { OUTB | ACK, ACK }, 2, "established", 100000 }, /* picked up mid-stream */
		{ { OUTB | SYN, SYN | ACK, OUTB | ACK, OUTB | FIN | ACK }, 4, "established", 100000 },
		{ { OUTB | SYN, SYN | ACK, OUTB | FIN | ACK, FIN | ACK }, 4, "fin", 20000 },
		{ { OUTB | SYN, SYN | ACK, RST }, 3, "closed", 10000 },
		{ { OUTB | SYN, OUTB | RST }, 2, "closed", 10000 },
		{ { OUTB | SYN, SYN | ACK, RST, OUTB | SYN }, 4, "syn", 20000 }, /* port re-used */
	};
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nat = mk_nat(64, PMIN, PMAX);
		struct vsw_nat_session_info si = tcp_run(cases[i].seq, cases[i].n);
		assert_string_equal(si.state, cases[i].state);
		assert_int_equal(si.expires_in_ms, cases[i].left);
		vsw_nat_expire(nat, T0 + cases[i].left - 1, 64);
		assert_int_equal(vsw_nat_session_count(nat), 1);
		vsw_nat_expire(nat, T0 + cases[i].left, 64);
		assert_int_equal(vsw_nat_session_count(nat), 0);
		teardown(NULL);
	}
}

static void test_expiry_frees_ports(void **state)
{
	(void)state;
	nat = mk_nat(64, 20000, 20000);
	assert_int_equal(udp_out(G1, 1, R1, 53, T0), 20000);
	assert_int_equal(udp_out(G1, 1, R2, 53, T0 + 10000), 20000);
	uint8_t b[128];
	uint32_t len = mk_udp(b, G2, R1, 1, 53, 4, true);
	assert_int_equal(out(b, len, T0), VSW_NAT_TABLE_FULL);
	vsw_nat_expire(nat, T0 + 30000, 64); /* the first session only */
	assert_int_equal(vsw_nat_session_count(nat), 1);
	len = mk_udp(b, G2, R1, 1, 53, 4, true);
	assert_int_equal(out(b, len, T0 + 30000), VSW_NAT_TABLE_FULL); /* still mapped */
	vsw_nat_expire(nat, T0 + 40000, 64);
	assert_int_equal(vsw_nat_session_count(nat), 0);
	len = mk_udp(b, G2, R1, 1, 53, 4, true);
	assert_int_equal(out(b, len, T0 + 40000), VSW_NAT_OK);
	assert_int_equal(rd16(b + 20), 20000);
	/* the old mapping's replies are gone */
	len = mk_udp(b, R2, EXT, 53, 20000, 4, true);
	assert_int_equal(in(b, len, T0 + 40000), VSW_NAT_NO_SESSION);
}

/* Each direction remembers the session it found last: once that session is
 * freed and its slot taken by another flow, neither the old flow's next
 * packet out nor a late reply to it may be translated with the new one. */
static void test_last_session_freed(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[128];
	uint16_t pa = udp_out(G1, 5000, R1, 53, T0);
	uint32_t len = mk_udp(b, R1, EXT, 53, pa, 4, true);
	assert_int_equal(in(b, len, T0), VSW_NAT_OK); /* remembered both ways */
	vsw_nat_expire(nat, T0 + 30000, 64);
	assert_int_equal(vsw_nat_session_count(nat), 0);
	uint16_t pb = udp_out(G2, 6000, R2, 53, T0 + 30000); /* the freed slot */
	assert_int_equal(vsw_nat_session_count(nat), 1);

	len = mk_udp(b, R1, EXT, 53, pa, 4, true);
	assert_int_equal(in(b, len, T0 + 30000), VSW_NAT_NO_SESSION);
	udp_out(G1, 5000, R1, 53, T0 + 30000);
	assert_int_equal(vsw_nat_session_count(nat), 2);
	struct vsw_nat_session_info si[4];
	assert_int_equal(vsw_nat_sessions(nat, si, 4, T0 + 30000), 2);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(si[i].packets_out, 1);
		assert_int_equal(si[i].packets_in, 0);
	}
	/* B's replies still reach B. */
	len = mk_udp(b, R2, EXT, 53, pb, 4, true);
	assert_int_equal(in(b, len, T0 + 30000), VSW_NAT_OK);
	assert_int_equal(rd32(b + 16), G2);
	assert_int_equal(rd16(b + 22), 6000);
}

static void test_expire_budget(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	for (uint16_t i = 0; i < 40; i++)
		udp_out(G1, (uint16_t)(100 + i), R1, 53, T0);
	vsw_nat_expire(nat, T0 + 30000, 5);
	assert_int_equal(vsw_nat_session_count(nat), 35);
	vsw_nat_expire(nat, T0 + 30000, 1);
	assert_int_equal(vsw_nat_session_count(nat), 34);
	for (int i = 0; i < 64; i++)
		vsw_nat_expire(nat, T0 + 30000, 1);
	assert_int_equal(vsw_nat_session_count(nat), 0);
}

/* --- limits --- */

static void test_table_full(void **state)
{
	(void)state;
	nat = mk_nat(4, PMIN, PMAX);
	uint16_t ep[4];
	for (uint16_t i = 0; i < 4; i++)
		ep[i] = udp_out(G1, (uint16_t)(100 + i), R1, 53, T0);
	uint8_t b[128], orig[128];
	uint32_t len = mk_udp(b, G2, R1, 100, 53, 4, true);
	memcpy(orig, b, len);
	assert_int_equal(out(b, len, T0), VSW_NAT_TABLE_FULL);
	assert_memory_equal(b, orig, len);
	len = mk_udp(b, G1, R2, 100, 53, 4, true); /* mapped port, new remote */
	assert_int_equal(out(b, len, T0), VSW_NAT_TABLE_FULL);
	assert_int_equal(stats().drops[VSW_NAT_TABLE_FULL], 2);
	assert_int_equal(vsw_nat_session_count(nat), 4);
	for (uint16_t i = 0; i < 4; i++) {
		assert_int_equal(udp_out(G1, (uint16_t)(100 + i), R1, 53, T0), ep[i]);
		len = mk_udp(b, R1, EXT, 53, ep[i], 4, true);
		assert_int_equal(in(b, len, T0), VSW_NAT_OK);
		assert_int_equal(rd16(b + 22), 100 + i);
	}
	vsw_nat_expire(nat, T0 + 30000, 64);
	assert_int_equal(udp_out(G2, 100, R1, 53, T0 + 30000) >= PMIN, 1);
}

static void test_port_exhaustion(void **state)
{
	(void)state;
	nat = mk_nat(64, 20000, 20001);
	udp_out(G1, 1, R1, 53, T0);
	udp_out(G1, 2, R1, 53, T0);
	uint8_t b[128];
	uint32_t len = mk_udp(b, G1, R1, 3, 53, 4, true);
	assert_int_equal(out(b, len, T0), VSW_NAT_TABLE_FULL);
	len = mk_udp(b, G2, R1, 1, 53, 4, true);
	assert_int_equal(out(b, len, T0), VSW_NAT_TABLE_FULL);
	/* an existing mapping still reaches new remotes */
	udp_out(G1, 1, R2, 53, T0);
	len = mk_tcp(b, G1, R1, 3, 80, SYN, 0); /* TCP has its own ports */
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	len = mk_echo(b, G1, R1, 8, 3);
	assert_int_equal(out(b, len, T0), VSW_NAT_OK);
	assert_int_equal(stats().drops[VSW_NAT_TABLE_FULL], 2);
	assert_int_equal(vsw_nat_session_count(nat), 5);
}

/* --- bad input --- */

/* Feeds a copy of exactly len bytes; a drop must leave the bytes alone. */
static enum vsw_nat_verdict feed(bool outbound, const uint8_t *pkt, uint32_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	memcpy(c, pkt, len);
	enum vsw_nat_verdict v = outbound ? out(c, len, T0) : in(c, len, T0);
	if (v != VSW_NAT_OK)
		assert_memory_equal(c, pkt, len);
	free(c);
	return v;
}

static void expect(bool outbound, const uint8_t *pkt, uint32_t len, enum vsw_nat_verdict v)
{
	uint64_t before = stats().drops[v];
	assert_int_equal(feed(outbound, pkt, len), v);
	assert_int_equal(stats().drops[v], before + 1);
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t b[256], sent[128];
	uint32_t plen[4];
	uint8_t pk[4][256];
	plen[0] = mk_tcp(pk[0], G1, R1, 1, 2, SYN, 3);
	plen[1] = mk_udp(pk[1], G1, R1, 1, 2, 3, true);
	plen[2] = mk_echo(pk[2], G1, R1, 8, 9);
	uint32_t len = mk_udp(sent, G1, R1, 5000, 53, 4, true);
	assert_int_equal(out(sent, len, T0), VSW_NAT_OK);
	plen[3] = mk_icmp_err(pk[3], R1, EXT, 3, 3, sent, 28);
	for (int k = 0; k < 4; k++) {
		bool o = k < 3;
		/* the frame cut short */
		for (uint32_t l = 0; l < plen[k]; l++)
			expect(o, pk[k], l, VSW_NAT_TRUNCATED);
		/* the IP packet itself short of its headers (total length says so) */
		uint32_t need = k == 0 ? 40 : k == 3 ? 56 : 28;
		for (uint32_t t = 20; t < need; t++) {
			memcpy(b, pk[k], plen[k]);
			wr16(b + 2, (uint16_t)t);
			ip_fix(b);
			expect(o, b, t, VSW_NAT_TRUNCATED);
		}
		assert_int_equal(feed(o, pk[k], plen[k]), VSW_NAT_OK);
	}
	assert_int_equal(stats().icmp_errors_in, 1);
}

static void test_bad_headers(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t g[128], b[128];
	uint32_t len = mk_udp(g, G1, R1, 5000, 53, 8, true);

	memcpy(b, g, len);
	b[0] = 0x44; /* IHL 4 */
	expect(true, b, len, VSW_NAT_BAD_HEADER);
	b[0] = 0x40;
	expect(true, b, len, VSW_NAT_BAD_HEADER);
	b[0] = 0x65; /* version 6 */
	expect(true, b, len, VSW_NAT_BAD_HEADER);

	/* options (a NOP word): a good header, refused anyway */
	uint8_t o[128];
	memcpy(o, g, 20);
	o[0] = 0x46;
	wr32(o + 20, 0x01010101);
	memcpy(o + 24, g + 20, len - 20);
	wr16(o + 2, (uint16_t)(len + 4));
	ip_fix(o);
	expect(true, o, len + 4, VSW_NAT_BAD_HEADER);

	memcpy(b, g, len);
	wr16(b + 2, (uint16_t)(len + 1)); /* beyond the data */
	ip_fix(b);
	expect(true, b, len, VSW_NAT_TRUNCATED);
	wr16(b + 2, 19);
	ip_fix(b);
	expect(true, b, len, VSW_NAT_BAD_HEADER);

	memcpy(b, g, len);
	b[10] ^= 1;
	expect(true, b, len, VSW_NAT_BAD_CHECKSUM);
	expect(false, b, len, VSW_NAT_BAD_CHECKSUM);

	for (uint8_t ttl = 0; ttl < 2; ttl++) {
		memcpy(b, g, len);
		b[8] = ttl;
		ip_fix(b);
		expect(true, b, len, VSW_NAT_TTL);
	}
	uint8_t r[128];
	uint16_t ep = udp_out(G1, 5000, R1, 53, T0);
	uint32_t rlen = mk_udp(r, R1, EXT, 53, ep, 4, true);
	r[8] = 1;
	ip_fix(r);
	expect(false, r, rlen, VSW_NAT_TTL);

	static const uint16_t frags[] = { 0x2000, 0x0001, 0x2001, 0x6000, 0x1fff };
	for (unsigned int i = 0; i < 5; i++) {
		memcpy(b, g, len);
		wr16(b + 6, frags[i]);
		ip_fix(b);
		expect(true, b, len, VSW_NAT_FRAGMENT);
	}
	memcpy(b, g, len);
	wr16(b + 6, 0x8000); /* the reserved bit is no fragment */
	ip_fix(b);
	assert_int_equal(feed(true, b, len), VSW_NAT_OK);
}

static void test_bad_protocols_and_addresses(void **state)
{
	(void)state;
	nat = mk_nat(64, PMIN, PMAX);
	uint8_t g[128], b[128];
	uint32_t len = mk_udp(g, G1, R1, 5000, 53, 8, true);
	memcpy(b, g, len);
	b[9] = 47; /* GRE */
	ip_fix(b);
	expect(true, b, len, VSW_NAT_PROTO);
	len = mk_echo(b, G1, R1, 13, 1); /* timestamp */
	expect(true, b, len, VSW_NAT_PROTO);
	len = mk_echo(b, G1, R1, 0, 1); /* echo reply from a guest: nothing asked */
	expect(true, b, len, VSW_NAT_PROTO);

	static const uint32_t srcs[] = { GW, IP4(10, 0, 0, 0), IP4(10, 0, 0, 255),
					 IP4(10, 0, 1, 2), R1, EXT };
	for (unsigned int i = 0; i < 6; i++) {
		len = mk_udp(b, srcs[i], R1, 5000, 53, 8, true);
		expect(true, b, len, VSW_NAT_SRC);
	}
	len = mk_udp(b, R1, IP4(198, 51, 100, 2), 53, 5000, 8, true);
	expect(false, b, len, VSW_NAT_NOT_MINE);
	len = mk_udp(b, R1, G1, 53, 5000, 8, true);
	expect(false, b, len, VSW_NAT_NOT_MINE);

	/* broken quotes in ICMP errors */
	uint8_t q[64], e[128];
	uint32_t ql = mk_udp(q, EXT, R1, 20000, 53, 0, true);
	q[0] = 0x46;
	len = mk_icmp_err(e, R1, EXT, 3, 3, q, ql);
	expect(false, e, len, VSW_NAT_BAD_HEADER);
	q[0] = 0x45;
	wr16(q + 6, 0x0010);
	len = mk_icmp_err(e, R1, EXT, 3, 3, q, ql);
	expect(false, e, len, VSW_NAT_FRAGMENT);
	wr16(q + 6, 0);
	q[9] = 47;
	len = mk_icmp_err(e, R1, EXT, 3, 3, q, ql);
	expect(false, e, len, VSW_NAT_PROTO);

	/* padding after the packet is ignored and left alone */
	len = mk_udp(b, G1, R1, 5000, 53, 8, true);
	memset(b + len, 0xee, 10);
	assert_int_equal(out(b, len + 10, T0), VSW_NAT_OK);
	for (int i = 0; i < 10; i++)
		assert_int_equal(b[len + i], 0xee);
	assert_csums(b);
}

static void test_cfg_and_names(void **state)
{
	(void)state;
	char err[128];
	struct vsw_nat_cfg bad[7];
	for (int i = 0; i < 7; i++)
		bad[i] = cfg_default();
	bad[0].max_sessions = 0;
	bad[1].port_min = 3000;
	bad[1].port_max = 2000;
	bad[2].inside_len = 31;
	bad[3].inside_addr = IP4(10, 0, 0, 0);
	bad[4].udp_s = 0;
	bad[5].port_min = 0;
	bad[6].ext_addr = 0;
	for (int i = 0; i < 7; i++) {
		err[0] = 0;
		assert_null(vsw_nat_create(&bad[i], err, sizeof(err)));
		assert_true(strlen(err) > 0);
	}
	for (int a = 0; a < VSW_NAT__MAX; a++)
		for (int c = a + 1; c < VSW_NAT__MAX; c++)
			assert_string_not_equal(vsw_nat_verdict_name(a), vsw_nat_verdict_name(c));
	assert_string_equal(vsw_nat_verdict_name(VSW_NAT_TABLE_FULL), "table_full");
}

/* --- session copies while the worker writes --- */

#define CFLOWS 97
static volatile bool writer_done;

/* The worker: flows f = 0..96 (guest 10.0.0.2+f port 1000+f to remote
 * R1+f port 2000+f, MAC ending in f) chosen at random, sessions ending
 * after 5 packets, so the 8 entries keep changing flows. */
static void *writer(void *arg)
{
	(void)arg;
	uint8_t b[64];
	uint32_t r = 12345;
	for (uint32_t i = 0; i < 150000; i++) {
		r = r * 1103515245u + 12345u;
		uint32_t f = (r >> 8) % CFLOWS;
		uint8_t mac[6] = { 2, 0, 0, 0, 0, (uint8_t)f };
		uint32_t len = mk_udp(b, G1 + f, R1 + f, (uint16_t)(1000 + f),
				      (uint16_t)(2000 + f), 0, true);
		uint64_t now = T0 + (uint64_t)i * 200;
		vsw_nat_out(nat, b, len, false, mac, now);
		vsw_nat_expire(nat, now, 4);
	}
	writer_done = true;
	return NULL;
}

/* Every field of a copy from one and the same flow (a torn copy mixes two). */
static bool consistent(const struct vsw_nat_session_info *si)
{
	uint32_t f = si->in_port - 1000u;
	return f < CFLOWS && si->proto == UDP && si->in_addr == G1 + f &&
	       si->rem_addr == R1 + f && si->rem_port == 2000 + f && si->in_mac[5] == f &&
	       si->ext_port >= PMIN && si->ext_port <= PMAX && si->packets_out >= 1 &&
	       strcmp(si->state, "udp") == 0;
}

static struct vsw_nat *mk_churn_nat(void)
{
	struct vsw_nat_cfg c = cfg_default();
	c.max_sessions = 8; /* few entries, re-used all the time: copies meet writes */
	c.udp_s = 1;        /* 5 packets: flows come and go */
	char err[128];
	return vsw_nat_create(&c, err, sizeof(err));
}

static void check_churn_stats(void)
{
	struct vsw_nat_stats st = stats();
	assert_int_equal(st.out_packets + st.drops[VSW_NAT_TABLE_FULL], 150000);
	assert_int_equal(st.sessions_created - st.sessions_expired, vsw_nat_session_count(nat));
}

static void test_sessions_copy_not_torn(void **state)
{
	(void)state;
	nat = mk_churn_nat();
	assert_non_null(nat);
	writer_done = false;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, writer, NULL), 0);
	struct vsw_nat_session_info si[8];
	unsigned long checked = 0;
	while (!writer_done) {
		unsigned int k = vsw_nat_sessions(nat, si, 8, T0);
		for (unsigned int i = 0; i < k; i++)
			assert_true(consistent(&si[i]));
		checked += k;
	}
	pthread_join(t, NULL);
	assert_true(checked > 0);
	check_churn_stats();
}

/* The same, made certain to meet writes half done: the reader runs in a
 * timer signal handler on the worker's own thread, interrupting it
 * anywhere, also inside a write (which it must then leave out). */
static volatile sig_atomic_t torn, sig_checked;

static void on_alarm(int sig)
{
	(void)sig;
	struct vsw_nat_session_info si[8];
	unsigned int k = vsw_nat_sessions(nat, si, 8, T0);
	for (unsigned int i = 0; i < k; i++)
		if (!consistent(&si[i]))
			torn = 1;
	sig_checked += (sig_atomic_t)k;
}

static void test_sessions_copy_interrupting_writer(void **state)
{
	(void)state;
	nat = mk_churn_nat();
	assert_non_null(nat);
	torn = 0;
	sig_checked = 0;
	struct sigaction sa = { .sa_handler = on_alarm };
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	struct itimerval it = { .it_interval = { 0, 50 }, .it_value = { 0, 50 } };
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	writer(NULL);
	struct itimerval off = { 0 };
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	assert_false(torn);
	assert_true(sig_checked > 0);
	check_churn_stats();
}

int main(void)
{
	if (ut_eal_pool("nat", 64) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tcp_out_and_back, teardown),
		cmocka_unit_test_teardown(test_port_kept_when_in_range, teardown),
		cmocka_unit_test_teardown(test_udp_out_and_back, teardown),
		cmocka_unit_test_teardown(test_udp_zero_checksum_stays_zero, teardown),
		cmocka_unit_test_teardown(test_icmp_echo_out_and_back, teardown),
		cmocka_unit_test_teardown(test_endpoint_independent_mapping, teardown),
		cmocka_unit_test_teardown(test_filtering, teardown),
		cmocka_unit_test_teardown(test_two_guests_same_port, teardown),
		cmocka_unit_test_teardown(test_l4_partial, teardown),
		cmocka_unit_test_teardown(test_checksums_many_values, teardown),
		cmocka_unit_test_teardown(test_icmp_error_in_udp, teardown),
		cmocka_unit_test_teardown(test_icmp_error_in_tcp_short_quote_and_echo, teardown),
		cmocka_unit_test_teardown(test_icmp_error_in_unknown, teardown),
		cmocka_unit_test_teardown(test_icmp_error_out, teardown),
		cmocka_unit_test_teardown(test_forwards, teardown),
		cmocka_unit_test_teardown(test_forwards_rejected, teardown),
		cmocka_unit_test_teardown(test_forwards_swap_in_use, teardown),
		cmocka_unit_test_teardown(test_forward_port_never_allocated, teardown),
		cmocka_unit_test_teardown(test_timeouts_udp_icmp, teardown),
		cmocka_unit_test_teardown(test_timeouts_tcp, teardown),
		cmocka_unit_test_teardown(test_expiry_frees_ports, teardown),
		cmocka_unit_test_teardown(test_last_session_freed, teardown),
		cmocka_unit_test_teardown(test_expire_budget, teardown),
		cmocka_unit_test_teardown(test_table_full, teardown),
		cmocka_unit_test_teardown(test_port_exhaustion, teardown),
		cmocka_unit_test_teardown(test_truncated_everywhere, teardown),
		cmocka_unit_test_teardown(test_bad_headers, teardown),
		cmocka_unit_test_teardown(test_bad_protocols_and_addresses, teardown),
		cmocka_unit_test_teardown(test_cfg_and_names, teardown),
		cmocka_unit_test_teardown(test_sessions_copy_not_torn, teardown),
		cmocka_unit_test_teardown(test_sessions_copy_interrupting_writer, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
