/* Owns the libFuzzer target of src/nat/dhcp*: a sequence of frames from the
 * input goes into one DHCP server (a range of 4 addresses and a static
 * entry, so exhaustion, statics and expiry are all reachable; no lease
 * file). Checked after each frame: a reply is at most VSW_DHCP_FRAME_MAX
 * bytes and parses (by a parser written here) as a BOOTREPLY to port 68
 * with correct IP and UDP checksums, the request's xid and chaddr, one
 * server identifier (ours), a reply type and an end option; the lease table
 * holds each address and each client at most once, inside the range or a
 * static; the on_bind calls (kept in a shadow table here) say exactly which
 * leases are bound.
 * Input: frames, each after a 4-byte header: flags, seconds to advance the
 * clock, length (big-endian). Flag FIX_LEN makes the IP total length and
 * UDP length fit the frame, FIX_CSUM recomputes the IP header checksum (so
 * mutated messages get past the IP checks), EXPIRE runs expiry first.
 * The DHCP sources are compiled into this binary (instrumented). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat/dhcp.h"
#include "../unit/net_bytes.h"

#define FIX_LEN 1u
#define FIX_CSUM 2u
#define EXPIRE 4u
#define SRV 0x0a000001u
#define RANGE0 0x0a00000au
#define RANGE1 0x0a00000du
#define STATIC_IP 0x0a000032u
#define MAX_SHADOW 16

#define CHECK(c)                                                                        \
	do {                                                                            \
		if (!(c)) {                                                             \
			fprintf(stderr, "fuzz_dhcp: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                        \
		}                                                                       \
	} while (0)

struct bind {
	uint8_t mac[6];
	uint32_t ip;
};
static struct bind shadow[MAX_SHADOW];
static unsigned int nshadow;

static int find_shadow(const uint8_t *mac, uint32_t ip)
{
	for (unsigned int i = 0; i < nshadow; i++)
		if (shadow[i].ip == ip && memcmp(shadow[i].mac, mac, 6) == 0)
			return (int)i;
	return -1;
}

static void on_bind(void *ctx, const uint8_t mac[6], uint32_t ip, bool bound)
{
	int k = find_shadow(mac, ip);

	(void)ctx;
	if (bound) {
		CHECK(k < 0 && nshadow < MAX_SHADOW);
		memcpy(shadow[nshadow].mac, mac, 6);
		shadow[nshadow++].ip = ip;
	} else {
		CHECK(k >= 0);
		shadow[k] = shadow[--nshadow];
	}
}



static uint16_t csum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void check_options(const uint8_t *o, size_t n)
{
	size_t i = 0;
	bool type = false, sid = false;

	for (;;) {
		CHECK(i < n);
		if (o[i] == 255) {
			CHECK(type && sid);
			return;
		}
		if (o[i] == 0) {
			i++;
			continue;
		}
		CHECK(i + 1 < n && o[i + 1] <= n - i - 2);
		if (o[i] == 53) {
			CHECK(!type && o[i + 1] == 1);
			CHECK(o[i + 2] == 2 || o[i + 2] == 5 || o[i + 2] == 6);
			type = true;
		}
		if (o[i] == 54) {
			CHECK(!sid && o[i + 1] == 4 && rd32(o + i + 2) == SRV);
			sid = true;
		}
		i += 2u + o[i + 1];
	}
}

static void check_reply(const uint8_t *f, int len, const uint8_t *req)
{
	const uint8_t *ip = f + 14, *udp = f + 34, *b = f + 42;
	uint8_t ph[12];
	size_t ulen;
	uint32_t yi;

	CHECK(len >= 42 + 240 && len <= VSW_DHCP_FRAME_MAX);
	CHECK(rd16(f + 12) == 0x0800 && ip[0] == 0x45 && ip[9] == 17);
	CHECK(rd16(ip + 2) == len - 14 && csum(0, ip, 20) == 0xffff);
	ulen = (size_t)len - 34;
	CHECK(rd16(udp) == 67 && rd16(udp + 2) == 68 && rd16(udp + 4) == ulen);
	memcpy(ph, ip + 12, 8);
	ph[8] = 0, ph[9] = 17, ph[10] = (uint8_t)(ulen >> 8), ph[11] = (uint8_t)ulen;
	CHECK(rd16(udp + 6) != 0 && csum(csum(0, ph, 12), udp, ulen) == 0xffff);
	CHECK(b[0] == 2 && b[1] == 1 && b[2] == 6 && rd32(b + 236) == 0x63825363u);
	CHECK(rd32(b + 4) == rd32(req + 4) && memcmp(b + 28, req + 28, 6) == 0);
	yi = rd32(b + 16);
	CHECK(yi == 0 || yi == STATIC_IP || (yi >= RANGE0 && yi <= RANGE1));
	check_options(b + 240, (size_t)len - 42 - 240);
}

static void check_table(const struct vsw_dhcp *d)
{
	struct vsw_dhcp_lease ls[8];
	unsigned int n = vsw_dhcp_leases(d, ls, 8), i, j, bound = 0;

	CHECK(n <= 5);
	for (i = 0; i < n; i++) {
		CHECK(ls[i].ip == STATIC_IP || (ls[i].ip >= RANGE0 && ls[i].ip <= RANGE1));
		CHECK(ls[i].is_static == (ls[i].ip == STATIC_IP));
		if (ls[i].state == VSW_LEASE_BOUND) {
			bound++;
			CHECK(find_shadow(ls[i].mac, ls[i].ip) >= 0);
		}
		for (j = 0; j < i; j++) {
			CHECK(ls[i].ip != ls[j].ip);
			CHECK(ls[i].state == VSW_LEASE_DECLINED || ls[j].state == VSW_LEASE_DECLINED ||
			      memcmp(ls[i].mac, ls[j].mac, 6) != 0);
		}
	}
	CHECK(bound == nshadow);
}

/* Makes mutated frames get past the length and checksum checks. */
static void fix(uint8_t *f, size_t n, uint8_t flags)
{
	size_t ihl;
	uint16_t c;

	if (n < 34 || rd16(f + 12) != 0x0800)
		return;
	ihl = (size_t)(f[14] & 15) * 4;
	if ((flags & FIX_LEN) && ihl >= 20 && 14 + ihl + 8 <= n) {
		f[16] = (uint8_t)((n - 14) >> 8), f[17] = (uint8_t)(n - 14);
		f[14 + ihl + 4] = (uint8_t)((n - 14 - ihl) >> 8);
		f[14 + ihl + 5] = (uint8_t)(n - 14 - ihl);
	}
	if ((flags & FIX_CSUM) && ihl >= 20 && 14 + ihl <= n) {
		f[24] = f[25] = 0;
		c = (uint16_t)~csum(0, f + 14, ihl);
		f[24] = (uint8_t)(c >> 8), f[25] = (uint8_t)c;
	}
}

static struct vsw_dhcp *make(void)
{
	static const uint8_t smac[6] = {0x52, 0x54, 0, 0, 0, 0x99};
	struct vsw_dhcp_cfg c;
	char err[128];
	struct vsw_dhcp *d;

	memset(&c, 0, sizeof(c));
	c.server_ip = SRV;
	c.prefix_len = 24;
	c.range_start = RANGE0;
	c.range_end = RANGE1;
	c.dns[0] = SRV;
	c.ndns = 1;
	c.lease_s = 120;
	c.mtu = 1400;
	c.server_mac[0] = 2;
	memcpy(c.statics[0].mac, smac, 6);
	c.statics[0].ip = STATIC_IP;
	c.nstatics = 1;
	c.on_bind = on_bind;
	d = vsw_dhcp_create(&c, NULL, 1000000000, err, sizeof(err));
	CHECK(d);
	return d;
}

/* One frame with its 4-byte header h, body n bytes. */
static void one_frame(struct vsw_dhcp *d, const uint8_t *h, const uint8_t *body, size_t n,
		      time_t *now)
{
	static uint8_t frame[2048], out[VSW_DHCP_FRAME_MAX];
	uint8_t *copy;
	int len;

	memcpy(frame, body, n);
	fix(frame, n, h[0]);
	*now += h[1];
	if (h[0] & EXPIRE)
		vsw_dhcp_expire(d, *now);
	/* an exactly sized copy, so ASan sees any read past the frame */
	copy = malloc(n ? n : 1);
	CHECK(copy);
	memcpy(copy, frame, n);
	len = vsw_dhcp_input(d, copy, n, *now, out, sizeof(out));
	free(copy);
	CHECK(len >= 0);
	if (len > 0)
		check_reply(out, len, frame + 42 + (frame[14] & 15) * 4 - 20);
	check_table(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	time_t now = 1000000000;
	struct vsw_dhcp *d;
	size_t n;

	nshadow = 0;
	d = make();
	while (size >= 4) {
		n = rd16(data + 2);
		if (n > size - 4)
			n = size - 4;
		if (n > 2048)
			n = 2048;
		one_frame(d, data, data + 4, n, &now);
		data += 4 + n;
		size -= 4 + n;
	}
	vsw_dhcp_expire(d, now + 100000);
	CHECK(nshadow == 0 && vsw_dhcp_leases(d, NULL, 0) == 0);
	vsw_dhcp_destroy(d);
	return 0;
}
