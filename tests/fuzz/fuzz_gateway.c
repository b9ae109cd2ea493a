/* Owns the libFuzzer target of the NAT gateway port (src/nat/gateway.c,
 * gw_*.c, with the DHCP and NAT sources under it): a gateway opened by the
 * unit tests' harness (tests/unit/gw_harness.c: fake uplink, the test's
 * event loop) for each input, fed a sequence of records
 *   ctrl, a, b, n, n bytes
 * ctrl bits 0-3: what the record is (enum below): a frame built from a
 *   template, patched with the n bytes as (pos_hi, pos_lo, value) triples,
 *   or a raw frame of the n bytes, or an action (time, control thread,
 *   forwards); bit 4: checksums recomputed after the patches (so patched
 *   fields get past checksum checks); bit 5: an inside frame is sent with
 *   refcnt 2, as the bridge floods, and must come out of it unchanged;
 *   bit 6: the worker polls after this record; bit 7: from the uplink
 *   (else from a guest).
 * a: bits 0-1 which guest (statically leased .50-.53) or uplink host,
 *   bits 2-3 what it is addressed to, bit 6 the frame is chained after its
 *   first 14 + (b & 31) bytes, bit 7 cut to 14 + b bytes.
 * b: ports, flags and such variations.
 * Uplink templates can answer the last flow the gateway sent out (its
 * translated ports), so replies and ICMP errors reach translation back.
 * The worker's own timers are stopped; time moves only by the records,
 * on a clock that never falls behind the worker's.
 * Checks: every frame sent on the uplink is ARP from the uplink's MAC and
 * address, or IPv4 from the uplink's address with a valid header checksum
 * (nothing leaves untranslated, IPv6 never); every frame for the inside
 * comes from the gateway's MAC; a shared frame is unchanged; after the
 * input, with the queues drained, every mbuf is back in the pool but those
 * held for a neighbour, and all of them after the gateway is destroyed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "gw_harness.h"
#include "net_bytes.h"
#include "nat/gw_priv.h"
#include "ut_eal.h"

#define POOL 192
#define MAX_SHARED 16

enum {
	T_RAW, T_ARP_REQ, T_ARP_REP, T_UDP, T_TCP, T_ECHO, T_ECHO_REPLY, T_ICMP_ERR,
	T_DHCP_DISCOVER, T_DHCP_REQUEST, T_DHCP_RELEASE, T_IPV6, T_BIG_UDP, T_PROTO,
	A_TIME, A_CONTROL,
};

static struct rte_mempool *mp;
static struct vsw_evloop *loop;
static struct gwh H;
static uint8_t F[GWH_FRAME_MAX];

/* The last flow the gateway translated out: what an answer must look like. */
static struct {
	bool valid;
	uint8_t proto;
	uint16_t ext_port, rem_port;
	uint32_t rem;
	uint8_t frame[128];
	size_t len;
} last;

static struct {
	struct rte_mbuf *m;
	uint8_t bytes[GWH_FRAME_MAX];
	uint32_t len;
} shared[MAX_SHARED];
static unsigned int nshared;

static uint64_t offset_ms; /* the test clock = the worker's + this */

static uint64_t now_ms(void)
{
	return gwh_now_ms(&H) + offset_ms;
}

static const uint8_t *guest_mac(unsigned int i)
{
	static uint8_t m[4][6];
	memcpy(m[i], GWH_STATIC_MAC, 6);
	m[i][5] = (uint8_t)(0x50 + i);
	return m[i];
}

static uint32_t guest_ip(unsigned int i)
{
	return GWH_STATIC_IP + i;
}

/* --- checks on what the gateway sends --- */

static void check_uplink_frame(struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	if (rte_pktmbuf_data_len(m) < 14)
		abort();
	uint16_t type = rd16(f + 12);
	if (memcmp(f + 6, GWH_UP_MAC, 6) != 0)
		abort();
	if (type == 0x0806) {
		if (rte_pktmbuf_data_len(m) < 42 || memcmp(f + 22, GWH_UP_MAC, 6) != 0 ||
		    rd32(f + 28) != GWH_EXT_IP)
			abort();
		return;
	}
	if (type != 0x0800 || rte_pktmbuf_data_len(m) < 34)
		abort(); /* IPv6 or anything else must never leave */
	const uint8_t *ip = f + 14;
	if (rd32(ip + 12) != GWH_EXT_IP || !gwh_ip_csum_ok(ip))
		abort();
	uint8_t proto = ip[9];
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl == 20 && rte_pktmbuf_data_len(m) >= 34 + 8 && (proto == 6 || proto == 17 ||
	    (proto == 1 && ip[20] == 8))) {
		last.valid = true;
		last.proto = proto;
		last.ext_port = rd16(ip + 20 + (proto == 1 ? 4 : 0));
		last.rem_port = proto == 1 ? last.ext_port : rd16(ip + 22);
		last.rem = rd32(ip + 16);
		last.len = RTE_MIN((size_t)rte_pktmbuf_data_len(m) - 14, sizeof(last.frame));
		memcpy(last.frame, ip, last.len);
	}
}

static void check_inside_frame(struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	if (rte_pktmbuf_data_len(m) < 14 || memcmp(f + 6, H.in_mac, 6) != 0)
		abort();
	if (rd16(f + 12) == 0x0800 && (rte_pktmbuf_data_len(m) < 34 || !gwh_ip_csum_ok(f + 14)))
		abort();
}

static void take_uplink(void)
{
	for (unsigned int i = 0; i < H.up_tx_n; i++)
		check_uplink_frame(H.up_tx[i]);
	gwh_uplink_clear(&H);
}

static void poll_gw(void)
{
	struct rte_mbuf *b[VSW_BURST];
	uint16_t k = gwh_poll(&H, b, VSW_BURST);
	for (uint16_t i = 0; i < k; i++)
		check_inside_frame(b[i]);
	rte_pktmbuf_free_bulk(b, k);
	take_uplink();
	gwh_timer(&H, now_ms());
	take_uplink();
}

/* --- frames from templates --- */

static size_t inside_template(unsigned int t, uint8_t a, uint8_t b)
{
	unsigned int g = a & 3, to = (a >> 2) & 3;
	const uint8_t *mac = guest_mac(g);
	uint32_t src = guest_ip(g);
	uint32_t dst = to == 0 ? GWH_GW_IP : to == 1 ? GWH_REMOTE_IP + (b & 3) :
		       to == 2 ? 0xc6336407u + (b & 1) : guest_ip((g + 1) & 3);
	const uint8_t *dmac = (a & 0x20) ? GWH_BCAST : H.in_mac;
	uint16_t sport = (uint16_t)(40000 + (b & 7)), dport = (uint16_t)(53 + ((b >> 3) & 3));
	static const uint8_t tcp_flags[8] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01 };
	uint8_t pl[64];
	uint8_t dm[6];
	switch (t) {
	case T_ARP_REQ:
		return gwh_arp(F, 1, GWH_BCAST, mac, (b & 1) ? 0 : src, GWH_ZERO,
			       to == 0 ? GWH_GW_IP : to == 1 ? GWH_EXT_IP : to == 2 ? src : dst);
	case T_ARP_REP:
		return gwh_arp(F, 2, H.in_mac, mac, (b & 1) ? guest_ip((g + 1) & 3) : src, H.in_mac,
			       GWH_GW_IP);
	case T_UDP:
		return gwh_udp(F, dmac, mac, src, sport, dst, dport, "fuzz", 4);
	case T_TCP:
		return gwh_tcp(F, dmac, mac, src, sport, dst, dport == 53 ? 80 : dport,
			       tcp_flags[b >> 5], 1000 + b);
	case T_ECHO:
		return gwh_echo(F, dmac, mac, src, dst, (uint16_t)(0x100 + (b & 7)), b);
	case T_ECHO_REPLY: {
		size_t n = gwh_echo(F, dmac, mac, src, dst, (uint16_t)(0x100 + (b & 7)), b);
		F[34] = 0;
		gwh_fix_csums(F);
		return n;
	}
	case T_ICMP_ERR: {
		/* Port unreachable about what a remote sent the guest (a forward). */
		uint8_t ic[8 + 28];
		memset(ic, 0, sizeof(ic));
		ic[0] = 3;
		ic[1] = 3;
		size_t n = gwh_udp(F, GWH_BCAST, GWH_BCAST, GWH_REMOTE_IP, (uint16_t)(5000 + (b & 7)),
				   src, 7000, "", 0);
		memcpy(ic + 8, F + 14, 28);
		(void)n;
		return gwh_ipv4(F, dmac, mac, 1, src, GWH_REMOTE_IP, ic, sizeof(ic));
	}
	case T_DHCP_DISCOVER:
	case T_DHCP_REQUEST:
	case T_DHCP_RELEASE:
		memcpy(dm, mac, 6);
		if (a & 0x10)
			dm[4] = b; /* many MACs: the pool runs out */
		return gwh_dhcp(F, dm, t == T_DHCP_DISCOVER ? 1 : t == T_DHCP_REQUEST ? 3 : 7, b,
				t == T_DHCP_DISCOVER ? 0 : GWH_RANGE_START + (b & 7),
				(b & 0x80) ? GWH_GW_IP : 0);
	case T_IPV6:
		memset(F, 0, 62);
		memcpy(F, dmac, 6);
		memcpy(F + 6, mac, 6);
		wr16(F + 12, 0x86dd);
		F[14] = 0x60;
		wr16(F + 18, 8);
		F[20] = 17;
		F[21] = 64;
		return 62;
	case T_BIG_UDP:
		memset(pl, 'x', sizeof(pl));
		return gwh_udp(F, dmac, mac, src, sport, dst, dport, pl, 16u * (b & 3) + 1);
	case T_PROTO:
		return gwh_ipv4(F, dmac, mac, b, src, dst, (const uint8_t *)"\0\0\0\0\0\0\0\0", 8);
	}
	return 0;
}

static size_t uplink_template(unsigned int t, uint8_t a, uint8_t b)
{
	unsigned int who = a & 3, to = (a >> 2) & 3;
	static const uint8_t NEIGH_MAC[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x07 };
	const uint8_t *smac = who == 1 ? NEIGH_MAC : GWH_ROUTER_MAC;
	uint32_t src = who == 0 ? GWH_REMOTE_IP + (b & 3) : who == 1 ? 0xc6336407u :
		       who == 2 ? GWH_ROUTER_IP : (last.valid ? last.rem : GWH_REMOTE_IP);
	uint32_t dst = to == 3 ? 0xc6336407u : GWH_EXT_IP;
	const uint8_t *dmac = (a & 0x20) ? GWH_BCAST : GWH_UP_MAC;
	/* Ports: the last flow's (an answer), a forward's, or others. */
	static const uint16_t fwd[3] = { 8080, 6000, 2222 };
	unsigned int pick = (b >> 3) & 3;
	bool answer = pick == 0 && last.valid;
	uint16_t dport = answer ? last.ext_port : pick == 0 ? 1024 : fwd[pick - 1];
	uint16_t sport = answer ? last.rem_port : (uint16_t)(5000 + (b & 7));
	if (answer && who == 3)
		src = last.rem;
	static const uint8_t tcp_flags[8] = { 0x12, 0x02, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01 };
	switch (t) {
	case T_ARP_REQ:
		return gwh_arp(F, 1, GWH_BCAST, smac, who == 2 ? GWH_ROUTER_IP : src, GWH_ZERO,
			       to == 0 ? GWH_EXT_IP : to == 1 ? GWH_GW_IP : 0xc6336409u);
	case T_ARP_REP:
		return gwh_arp(F, 2, dmac, smac, who == 1 ? 0xc6336407u : GWH_ROUTER_IP, GWH_UP_MAC,
			       GWH_EXT_IP);
	case T_UDP:
		return gwh_udp(F, dmac, smac, src, sport, dst, dport, "back", 4);
	case T_TCP:
		return gwh_tcp(F, dmac, smac, src, sport, dst, dport, tcp_flags[b >> 5], 7 + b);
	case T_ECHO:
		return gwh_echo(F, dmac, smac, src, dst, dport, b);
	case T_ECHO_REPLY: {
		size_t n = gwh_echo(F, dmac, smac, src, dst, dport, b);
		F[34] = 0;
		gwh_fix_csums(F);
		return n;
	}
	case T_ICMP_ERR: {
		/* Unreachable or fragmentation needed about the last packet out. */
		uint8_t ic[8 + 128];
		memset(ic, 0, sizeof(ic));
		ic[0] = (b & 1) ? 11 : 3;
		ic[1] = (b & 2) ? 4 : 3;
		wr16(ic + 6, 1400);
		size_t q = last.valid ? RTE_MIN(last.len, (size_t)28 + (b >> 4) * 4) : 28;
		if (last.valid)
			memcpy(ic + 8, last.frame, q);
		return gwh_ipv4(F, dmac, smac, 1, src, dst, ic, 8 + q);
	}
	case T_IPV6:
		memset(F, 0, 62);
		memcpy(F, dmac, 6);
		memcpy(F + 6, smac, 6);
		wr16(F + 12, 0x86dd);
		F[14] = 0x60;
		return 62;
	case T_BIG_UDP: {
		uint8_t pl[64];
		memset(pl, 'y', sizeof(pl));
		return gwh_udp(F, dmac, smac, src, sport, dst, dport, pl, 16u * (b & 3) + 1);
	}
	case T_PROTO:
		return gwh_ipv4(F, dmac, smac, b, src, dst, (const uint8_t *)"\0\0\0\0\0\0\0\0", 8);
	default: /* DHCP from the outside is nothing special */
		return gwh_dhcp(F, smac, 1, b, 0, 0);
	}
}

/* --- records --- */

static void action_control(uint8_t a, uint8_t b)
{
	char err[160];
	if (a & 1)
		gwh_control(&H);
	if (a & 2)
		vsw_gw_tick(H.gw);
	if (a & 4) {
		static const uint16_t ports[4] = { 8080, 6000, 2222, 9999 };
		struct vsw_nat_forward f = {
			.proto = (b & 1) ? IPPROTO_UDP : IPPROTO_TCP, .ext_port = ports[(b >> 1) & 3],
			.to_addr = GWH_NET(50 + ((b >> 3) & 15)), .to_port = (uint16_t)(b >> 4),
		};
		if (a & 8)
			vsw_gw_forward_del(H.gw, f.proto, f.ext_port, err, sizeof(err));
		else
			vsw_gw_forward_add(H.gw, &f, err, sizeof(err));
	}
	if (a & 0x10) {
		/* What the control socket reads meanwhile. */
		struct vsw_nat_session_info si[GWH_MAX_SESSIONS];
		struct vsw_dhcp_lease ls[8];
		struct rte_ether_addr mac;
		struct vsw_gw_stats st;
		vsw_nat_sessions(vsw_gw_nat(H.gw), si, GWH_MAX_SESSIONS, now_ms());
		vsw_dhcp_leases(vsw_gw_dhcp(H.gw), ls, 8);
		vsw_gw_next_hop(H.gw, &mac);
		vsw_gw_get_stats(H.gw, &st);
	}
}

static void send_frame(uint8_t ctrl, uint8_t a, uint8_t b, const uint8_t *d, size_t n)
{
	bool up = ctrl & 0x80;
	unsigned int t = ctrl & 15;
	size_t len;
	if (t == T_RAW) {
		len = n;
		memcpy(F, d, n);
	} else {
		len = up ? uplink_template(t, a, b) : inside_template(t, a, b);
		for (size_t i = 0; i + 3 <= n && len > 0; i += 3)
			F[((size_t)d[i] << 8 | d[i + 1]) % len] = d[i + 2];
		if ((ctrl & 0x10) && len >= 34 && rd16(F + 12) == 0x0800 && (F[14] & 0xf) >= 5 &&
		    (size_t)(F[14] & 0xf) * 4 + 14 <= len && rd16(F + 16) + 14u <= len)
			gwh_fix_csums(F);
	}
	if (a & 0x80)
		len = RTE_MIN(len, (size_t)14 + b);
	struct rte_mbuf *m;
	size_t cut = 14 + (b & 31);
	if ((a & 0x40) && len > cut) {
		m = gwh_mbuf(&H, F, cut);
		struct rte_mbuf *tail = gwh_mbuf(&H, F + cut, len - cut);
		if (m == NULL || tail == NULL || rte_pktmbuf_chain(m, tail) != 0) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(tail);
			return;
		}
	} else {
		m = gwh_mbuf(&H, F, len);
	}
	if (m == NULL)
		return; /* the pool is dry: the gateway's own allocations fail too */
	if (up) {
		gwh_uplink_queue(&H, m);
		return;
	}
	if ((ctrl & 0x20) && nshared < MAX_SHARED && m->nb_segs == 1) {
		shared[nshared].m = m;
		shared[nshared].len = rte_pktmbuf_data_len(m);
		memcpy(shared[nshared].bytes, F, shared[nshared].len);
		nshared++;
		rte_mbuf_refcnt_update(m, 1);
	}
	gwh_guest_send(&H, m);
}

static void run(const uint8_t *data, size_t size)
{
	size_t i = 0;
	while (i + 4 <= size) {
		uint8_t ctrl = data[i], a = data[i + 1], b = data[i + 2], want = data[i + 3];
		i += 4;
		size_t n = RTE_MIN((size_t)want, size - i);
		const uint8_t *d = data + i;
		i += n;
		switch (ctrl & 15) {
		case A_TIME:
			/* Up to ~21 s in small steps, up to ~22 min in big ones. */
			offset_ms += (ctrl & 0x80) ? (uint64_t)b * 5000 + a : (uint64_t)b * 80 + a;
			gwh_timer(&H, now_ms());
			take_uplink();
			break;
		case A_CONTROL:
			action_control(a, b);
			break;
		default:
			send_frame(ctrl, a, b, d, n);
			break;
		}
		if (ctrl & 0x40)
			poll_gw();
	}
}

/* FUZZ_GW_VERBOSE=1: what each input did, to see where seeds get. */
static bool verbose;

static void print_stats(void)
{
	struct vsw_gw_stats g;
	struct vsw_nat_stats n;
	vsw_gw_get_stats(H.gw, &g);
	vsw_nat_get_stats(vsw_gw_nat(H.gw), &n);
	fprintf(stderr,
		"gw: arp_in %lu arp_up %lu ping %lu dhcp %lu/%lu spoofed %lu ipv6 %lu not_ip %lu "
		"routed %lu gw_other %lu no_route %lu unresolved %lu arp_req %lu unknown %lu "
		"ring_full %lu tx_drops %lu not_for_us %lu bad %lu no_mbuf %lu\n"
		"nat: out %lu in %lu created %lu expired %lu icmp_err_in %lu drops",
		g.arp_replied_inside, g.arp_replied_uplink, g.ping_replied, g.dhcp_in, g.dhcp_out,
		g.spoofed, g.ipv6, g.not_ip, g.inside_routed, g.to_gateway_other, g.no_route,
		g.unresolved, g.arp_requests, g.inside_unknown, g.ring_full, g.uplink_tx_drops,
		g.not_for_us, g.bad_frame, g.no_mbuf, n.out_packets, n.in_packets,
		n.sessions_created, n.sessions_expired, n.icmp_errors_in);
	for (int v = 1; v < VSW_NAT__MAX; v++)
		if (n.drops[v])
			fprintf(stderr, " %s %lu", vsw_nat_verdict_name(v), n.drops[v]);
	fprintf(stderr, "\n");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_GW_VERBOSE") != NULL;
	mp = ut_eal_pool("fuzz-gateway", POOL);
	loop = vsw_evloop_create();
	if (mp == NULL || loop == NULL) {
		fprintf(stderr, "fuzz_gateway: EAL, pool or event loop set-up failed\n");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	memset(&H, 0, sizeof(H));
	memset(&last, 0, sizeof(last));
	nshared = 0;
	offset_ms = 0;
	gwh_default_net(&H);
	/* Four guests with static leases, three forwards (one to a guest no
	 * one has seen), short timeouts so time records expire things. */
	H.net.nstatic_leases = 4;
	for (unsigned int g = 0; g < 4; g++) {
		memcpy(H.net.static_leases[g].mac, guest_mac(g), 6);
		H.net.static_leases[g].ip = guest_ip(g);
	}
	H.net.nforwards = 3;
	H.net.forwards[0] = (struct vsw_cfg_forward){ IPPROTO_TCP, 8080, GWH_STATIC_IP, 80 };
	H.net.forwards[1] = (struct vsw_cfg_forward){ IPPROTO_UDP, 6000, GWH_STATIC_IP + 2, 7000 };
	H.net.forwards[2] = (struct vsw_cfg_forward){ IPPROTO_TCP, 2222, GWH_NET(60), 22 };
	H.net.tcp_est_s = 20;
	H.net.tcp_trans_s = 4;
	H.net.udp_s = 3;
	H.net.icmp_s = 2;
	H.net.lease_s = 60;
	if (size > 0) {
		/* The first byte: settings. */
		H.net.spoof_check = !(data[0] & 1);
		if (data[0] & 2)
			H.net.uplink_gateway = 0;
		data++;
		size--;
	}
	if (gwh_open(&H, mp, loop, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_gateway: %s\n", err);
		abort();
	}
	gwh_freeze_timers(&H);

	run(data, size);

	/* Drained: nothing but frames held for a neighbour is out of the pool. */
	for (int r = 0; r < 8; r++) {
		gwh_control(&H);
		poll_gw();
	}
	gwh_drain(&H);
	if (verbose)
		print_stats();
	for (unsigned int s = 0; s < nshared; s++) {
		struct rte_mbuf *m = shared[s].m;
		if (rte_mbuf_refcnt_read(m) != 1 || rte_pktmbuf_data_len(m) != shared[s].len ||
		    memcmp(rte_pktmbuf_mtod(m, const uint8_t *), shared[s].bytes, shared[s].len) != 0)
			abort(); /* the gateway wrote into a frame it shared */
		rte_pktmbuf_free(m);
	}
	if (rte_mempool_avail_count(mp) + gwh_held(&H) != POOL) {
		fprintf(stderr, "fuzz_gateway: %u mbufs missing after draining\n",
			POOL - rte_mempool_avail_count(mp) - gwh_held(&H));
		abort();
	}
	gwh_close(&H);
	if (rte_mempool_avail_count(mp) != POOL) {
		fprintf(stderr, "fuzz_gateway: %u mbufs leaked\n", POOL - rte_mempool_avail_count(mp));
		abort();
	}
	return 0;
}
