/* Owns the libFuzzer target of the NAT core (src/nat/nat.c, nat_xlate.c):
 * a small NAT (64 sessions, 16 external ports, inside 10.0.0.1/24, outside
 * 198.51.100.1) fed a sequence of records, each
 *   ctrl, len, len bytes
 * ctrl bit 0: 0 = vsw_nat_out, 1 = vsw_nat_in; bit 1: l4_partial; bit 2:
 * the harness fixes the packet up (inside source / outside destination,
 * valid L4 and IPv4 checksums) so translation paths are reached; bits 3-5:
 * time advanced before the packet (and vsw_nat_expire run); ctrl >= 0xc0:
 * instead a forward table of (len % 4) entries of 5 bytes is swapped in.
 * Checks: nothing but OK changes the packet; after OK the IPv4 header
 * checksum is valid, the TTL one less, and an L4 checksum the harness made
 * valid is still valid (a partial sum still the new pseudo-header sum);
 * the session count adds up and never passes the limit.
 * The NAT sources are compiled into this binary so they are instrumented. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include "nat/nat.h"
#include "../unit/net_bytes.h"
#include "../unit/ut_eal.h"

#define EXT 0xc6336401u    /* 198.51.100.1 */
#define INSIDE 0x0a000001u /* 10.0.0.1 */
#define MAXPKT 255u






/* Where the L4 checksum is and over how many bytes, for a plain 20-byte
 * header packet whose L4 header is all there; -1 otherwise. */
static int l4_layout(const uint8_t *ip, uint32_t len, uint32_t *l4len)
{
	if (len < 20 || ip[0] != 0x45 || rd16(ip + 2) > len || rd16(ip + 2) < 20)
		return -1;
	*l4len = rd16(ip + 2) - 20u;
	int off = ip[9] == 6 ? 16 : ip[9] == 17 ? 6 : ip[9] == 1 ? 2 : -1;
	uint32_t need = ip[9] == 6 ? 20 : 8;
	return off >= 0 && *l4len >= need ? off : -1;
}

static uint16_t phdr(const uint8_t *ip, uint32_t l4len)
{
	return fold(sum_bytes(ip + 12, 8, 0) + ip[9] + l4len);
}

static uint32_t l4_sum(const uint8_t *ip, uint32_t l4len)
{
	return sum_bytes(ip + 20, l4len, ip[9] == 1 ? 0 : phdr(ip, l4len));
}

/* 1: full checksum valid, 2: partial sum right, 0: neither / not checked. */
static int l4_state(const uint8_t *ip, uint32_t len, bool partial)
{
	uint32_t l4len;
	int off = l4_layout(ip, len, &l4len);
	if (off < 0)
		return 0;
	uint16_t f = rd16(ip + 20 + off);
	if (partial && ip[9] != 1)
		return f == phdr(ip, l4len) ? 2 : 0;
	if (ip[9] == 17 && f == 0)
		return 0;
	return fold(l4_sum(ip, l4len)) == 0xffff ? 1 : 0;
}

static void fix_up(uint8_t *ip, uint32_t len, bool in, bool partial)
{
	if (len < 20)
		return;
	if (in)
		wr32(ip + 16, EXT);
	else if (ip[12] != 10 || ip[13] != 0 || ip[14] != 0 || ip[15] < 2 || ip[15] > 5)
		wr32(ip + 12, INSIDE + 1 + (ip[15] & 3)); /* one of 4 guests */
	uint32_t l4len;
	int off = l4_layout(ip, len, &l4len);
	if (off >= 0) {
		wr16(ip + 20 + off, 0);
		uint16_t c = partial && ip[9] != 1 ? phdr(ip, l4len) :
						     (uint16_t)~fold(l4_sum(ip, l4len));
		wr16(ip + 20 + off, c);
	}
	unsigned int hl = (ip[0] & 15u) * 4;
	if (hl >= 20 && hl <= len) {
		wr16(ip + 10, 0);
		wr16(ip + 10, (uint16_t)~fold(sum_bytes(ip, hl, 0)));
	}
}

static void swap_forwards(struct vsw_nat *n, const uint8_t *d, uint32_t len)
{
	struct vsw_nat_forward fw[3];
	unsigned int k = len % 4;
	if (k * 5 > len)
		k = len / 5;
	for (unsigned int i = 0; i < k; i++) {
		const uint8_t *e = d + i * 5;
		fw[i] = (struct vsw_nat_forward){
			.proto = e[0] & 1 ? 17 : 6,
			.ext_port = (uint16_t)(40000 + (e[1] & 31)),
			.to_addr = INSIDE + 1 + (e[2] & 3),
			.to_port = rd16(e + 3),
		};
	}
	void *old = NULL;
	if (vsw_nat_forwards_swap(n, fw, k, &old) == 0)
		vsw_nat_forwards_free(old);
}

static void one_packet(struct vsw_nat *n, uint8_t ctrl, const uint8_t *d, uint32_t len,
		       uint64_t now)
{
	uint8_t *pkt = malloc(len ? len : 1); /* exact size: ASan sees over-reads */
	uint8_t *orig = malloc(len ? len : 1);
	bool in = ctrl & 1, partial = ctrl & 2;
	memcpy(pkt, d, len);
	if (ctrl & 4)
		fix_up(pkt, len, in, partial);
	memcpy(orig, pkt, len);
	int l4_before = l4_state(pkt, len, partial);
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t dmac[6];
	bool known;
	enum vsw_nat_verdict v = in ? vsw_nat_in(n, pkt, len, partial, dmac, &known, now) :
				      vsw_nat_out(n, pkt, len, partial, mac, now);
	if (v != VSW_NAT_OK) {
		if (memcmp(pkt, orig, len) != 0)
			abort(); /* a dropped packet was changed */
	} else {
		if (fold(sum_bytes(pkt, 20, 0)) != 0xffff || pkt[8] != orig[8] - 1)
			abort();
		if (l4_before != 0 && l4_state(pkt, len, partial) != l4_before)
			abort();
	}
	free(pkt);
	free(orig);
}

static void check_counts(const struct vsw_nat *n)
{
	struct vsw_nat_stats st;
	vsw_nat_get_stats(n, &st);
	unsigned int c = vsw_nat_session_count(n);
	if (c > 64 || st.sessions_created - st.sessions_expired != c)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *args[] = { "fuzz", "--no-huge", "--no-pci", "-m", "64", "--no-shconf",
			 "--no-telemetry", "--log-level=*:error", "-l", "0",
			 "--file-prefix=vsw-fuzz-nat" };
	if (rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args) < 0) {
		fprintf(stderr, "fuzz_nat: rte_eal_init failed\n");
		abort();
	}
	ut_eal_forget_runtime_dir();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsw_nat_cfg cfg = {
		.inside_addr = INSIDE, .inside_len = 24, .ext_addr = EXT, .max_sessions = 64,
		.port_min = 40000, .port_max = 40015, .tcp_est_s = 100, .tcp_trans_s = 20,
		.udp_s = 30, .icmp_s = 10, .socket = -1,
	};
	char err[128];
	struct vsw_nat *n = vsw_nat_create(&cfg, err, sizeof(err));
	if (n == NULL)
		abort();
	uint64_t now = 1000000;
	size_t i = 0;
	while (i + 2 <= size) {
		uint8_t ctrl = data[i], want = data[i + 1];
		i += 2;
		uint32_t len = (uint32_t)(size - i < want ? size - i : want);
		if (ctrl >= 0xc0) {
			swap_forwards(n, data + i, len);
		} else {
			uint32_t adv = (ctrl >> 3) & 7;
			if (adv) {
				now += (uint64_t)adv * adv * adv * 1000;
				vsw_nat_expire(n, now, 8);
			}
			one_packet(n, ctrl, data + i, len, now);
		}
		i += len;
		check_counts(n);
	}
	struct vsw_nat_session_info si[64];
	vsw_nat_sessions(n, si, 64, now);
	struct vsw_nat_forward fw[64];
	vsw_nat_forwards(n, fw, 64);
	vsw_nat_destroy(n);
	return 0;
}
