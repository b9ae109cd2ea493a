/* Unit tests of the NAT gateway port (src/nat/gateway.c, gw_*.c) through
 * its port ops, as the bridge and the daemon drive it: guests' frames in by
 * tx_burst, the inside's frames out of rx_burst, the uplink a fake port
 * (gw_harness.h), DHCP run on the test's event loop. Every test ends with
 * every mbuf back in the pool (teardown), so no path may leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "gw_harness.h"
#include "net_bytes.h"
#include "nat/gw_priv.h"
#include "ut_eal.h"

#define POOL 512

static struct rte_mempool *mp;
static struct vsw_evloop *loop;
static struct gwh H;
static uint8_t F[GWH_FRAME_MAX];

static const uint8_t G1[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x01 };
static const uint8_t G2[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x02 };
static const uint8_t G3[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x03 };
static const uint8_t NEIGH_MAC[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x07 };
#define NEIGH_IP 0xc6336407u /* 198.51.100.7: a host on the uplink's network */

/* --- helpers --- */

static const uint8_t *bytes(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const uint8_t *);
}

static void guest(const uint8_t *f, size_t len)
{
	struct rte_mbuf *m = gwh_mbuf(&H, f, len);
	assert_non_null(m);
	assert_int_equal(gwh_guest_send(&H, m), 1);
}

static void outside(const uint8_t *f, size_t len)
{
	struct rte_mbuf *m = gwh_mbuf(&H, f, len);
	assert_non_null(m);
	assert_true(gwh_uplink_queue(&H, m));
}

static uint16_t poll_all(struct rte_mbuf **b)
{
	return gwh_poll(&H, b, VSW_BURST);
}

static struct rte_mbuf *poll_one(void)
{
	struct rte_mbuf *b[VSW_BURST];
	uint16_t n = poll_all(b);
	if (n != 1)
		rte_pktmbuf_free_bulk(b, n);
	assert_int_equal(n, 1);
	return b[0];
}

static void poll_none(void)
{
	struct rte_mbuf *b[VSW_BURST];
	uint16_t n = poll_all(b);
	rte_pktmbuf_free_bulk(b, n);
	assert_int_equal(n, 0);
}

static struct vsw_gw_stats stats(void)
{
	struct vsw_gw_stats s;
	vsw_gw_get_stats(H.gw, &s);
	return s;
}

static struct vsw_nat_stats nat_stats(void)
{
	struct vsw_nat_stats s;
	vsw_nat_get_stats(vsw_gw_nat(H.gw), &s);
	return s;
}

static const char *next_hop(uint8_t mac[6])
{
	struct rte_ether_addr a;
	const char *s = vsw_gw_next_hop(H.gw, &a);
	if (mac != NULL)
		memcpy(mac, a.addr_bytes, 6);
	return s;
}

/* The one frame the fake uplink sent since the last clear (kept in the log). */
static const uint8_t *uplink_one(void)
{
	assert_int_equal(H.up_tx_n, 1);
	return bytes(H.up_tx[0]);
}

/* f is an ARP request on the uplink, from the uplink, for target. */
static void assert_uplink_arp_request(const uint8_t *f, uint32_t target)
{
	assert_memory_equal(f, GWH_BCAST, 6);
	assert_memory_equal(f + 6, GWH_UP_MAC, 6);
	assert_int_equal(rd16(f + 12), 0x0806);
	assert_int_equal(rd16(f + 14), 1);
	assert_int_equal(rd16(f + 16), 0x0800);
	assert_int_equal(f[18], 6);
	assert_int_equal(f[19], 4);
	assert_int_equal(rd16(f + 20), 1);
	assert_memory_equal(f + 22, GWH_UP_MAC, 6);
	assert_int_equal(rd32(f + 28), GWH_EXT_IP);
	assert_memory_equal(f + 32, GWH_ZERO, 6);
	assert_int_equal(rd32(f + 38), target);
}

/* f is an ARP reply from (mac, ip) to (tmac, tip). */
static void assert_arp_reply(const uint8_t *f, const uint8_t *mac, uint32_t ip,
			     const uint8_t *tmac, uint32_t tip)
{
	assert_memory_equal(f, tmac, 6);
	assert_memory_equal(f + 6, mac, 6);
	assert_int_equal(rd16(f + 12), 0x0806);
	assert_int_equal(rd16(f + 14), 1);
	assert_int_equal(rd16(f + 16), 0x0800);
	assert_int_equal(f[18], 6);
	assert_int_equal(f[19], 4);
	assert_int_equal(rd16(f + 20), 2);
	assert_memory_equal(f + 22, mac, 6);
	assert_int_equal(rd32(f + 28), ip);
	assert_memory_equal(f + 32, tmac, 6);
	assert_int_equal(rd32(f + 38), tip);
}

/* A DHCP reply of type want to mac; returns yiaddr. */
static uint32_t assert_dhcp_reply(struct rte_mbuf *m, const uint8_t *mac, uint8_t want)
{
	const uint8_t *f = bytes(m), *ip = f + 14, *udp = f + 34, *b = f + 42;
	size_t len = rte_pktmbuf_data_len(m);
	assert_true(len >= 42 + 240);
	assert_memory_equal(f + 6, H.in_mac, 6);
	assert_int_equal(rd16(f + 12), 0x0800);
	assert_true(gwh_ip_csum_ok(ip));
	assert_true(gwh_l4_csum_ok(ip));
	assert_int_equal(ip[9], 17);
	assert_int_equal(rd32(ip + 12), GWH_GW_IP);
	assert_int_equal(rd16(udp), 67);
	assert_int_equal(rd16(udp + 2), 68);
	assert_int_equal(b[0], 2);
	assert_memory_equal(b + 28, mac, 6);
	assert_int_equal(gwh_dhcp_opt(f, len, 53, NULL), want);
	uint32_t yi = rd32(b + 16);
	if (want != 6) { /* not a NAK: unicast to the client at its new address */
		assert_memory_equal(f, mac, 6);
		assert_int_equal(rd32(ip + 16), yi);
	}
	return yi;
}

static uint32_t xid = 0x5000;

/* DISCOVER, OFFER, REQUEST, ACK for mac; returns the address bound. */
static uint32_t dora(const uint8_t *mac)
{
	size_t n = gwh_dhcp(F, mac, 1, ++xid, 0, 0);
	guest(F, n);
	poll_none(); /* handed to the control thread, not answered here */
	gwh_control(&H);
	struct rte_mbuf *o = poll_one();
	uint32_t offered = assert_dhcp_reply(o, mac, 2);
	rte_pktmbuf_free(o);
	assert_true(offered >= GWH_RANGE_START && offered <= GWH_RANGE_END);

	n = gwh_dhcp(F, mac, 3, xid, offered, GWH_GW_IP);
	guest(F, n);
	poll_none();
	gwh_control(&H);
	o = poll_one();
	assert_int_equal(assert_dhcp_reply(o, mac, 5), offered);
	rte_pktmbuf_free(o);
	return offered;
}

static size_t router_arp_reply(uint8_t *f)
{
	return gwh_arp(f, 2, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_ROUTER_IP, GWH_UP_MAC, GWH_EXT_IP);
}

/* A guest's UDP payload as the uplink must see it after translation. */
static void assert_udp_out(const uint8_t *f, uint32_t dst, uint16_t dport, const char *payload,
			   uint16_t *ext_port)
{
	const uint8_t *ip = f + 14, *udp = ip + 20;
	assert_memory_equal(f, GWH_ROUTER_MAC, 6);
	assert_memory_equal(f + 6, GWH_UP_MAC, 6);
	assert_int_equal(rd16(f + 12), 0x0800);
	assert_true(gwh_ip_csum_ok(ip));
	assert_int_equal(ip[8], 63);
	assert_int_equal(ip[9], 17);
	assert_int_equal(rd32(ip + 12), GWH_EXT_IP);
	assert_int_equal(rd32(ip + 16), dst);
	assert_true(rd16(udp) >= 1024);
	assert_int_equal(rd16(udp + 2), dport);
	assert_true(gwh_l4_csum_ok(ip));
	assert_memory_equal(udp + 8, payload, strlen(payload));
	*ext_port = rd16(udp);
}

/* Leases mac an address, sends UDP sport -> REMOTE:5353 from it, resolves
 * the next hop; returns the guest's address, *ext the port outside. */
static uint32_t udp_flow(const uint8_t *mac, uint16_t sport, uint16_t *ext)
{
	uint32_t ip = dora(mac);
	size_t n = gwh_udp(F, H.in_mac, mac, ip, sport, GWH_REMOTE_IP, 5353, "hello", 5);
	guest(F, n);
	poll_none();
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP); /* the next hop first */
	assert_int_equal(gwh_held(&H), 1);
	assert_string_equal(next_hop(NULL), "resolving");
	gwh_uplink_clear(&H);

	outside(F, router_arp_reply(F));
	poll_none();
	assert_udp_out(uplink_one(), GWH_REMOTE_IP, 5353, "hello", ext);
	gwh_uplink_clear(&H);
	assert_int_equal(gwh_held(&H), 0);
	return ip;
}

/* --- fixtures --- */

static int open_gw(const char *lease_dir)
{
	char err[256];
	if (gwh_open(&H, mp, loop, lease_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "gwh_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	memset(&H, 0, sizeof(H));
	gwh_default_net(&H);
	return open_gw(NULL);
}

/* No leak on any path: once the gateway's queues are drained, only the
 * frames held for the next hop are out of the pool, and after destroy
 * none. A test that fails midway leaks what it held: the next tests
 * compare with what was left then, so the leak is reported once. */
static unsigned int pool_expect = POOL;

static int teardown(void **state)
{
	(void)state;
	gwh_drain(&H);
	unsigned int held = gwh_held(&H);
	unsigned int before = rte_mempool_avail_count(mp);
	gwh_close(&H);
	unsigned int after = rte_mempool_avail_count(mp), expect = pool_expect;
	pool_expect = after;
	assert_true(H.up_destroyed);
	assert_int_equal(before + held, expect);
	assert_int_equal(after, expect);
	return 0;
}

/* --- ARP and ping on the inside --- */

static void test_arp_for_gateway(void **state)
{
	(void)state;
	/* Its MAC is a locally administered unicast one. */
	assert_int_equal(H.in_mac[0] & 3, 2);
	size_t n = gwh_arp(F, 1, GWH_BCAST, G1, GWH_NET(150), GWH_ZERO, GWH_GW_IP);
	guest(F, n);
	struct rte_mbuf *m = poll_one();
	assert_int_equal(rte_pktmbuf_pkt_len(m), 60);
	assert_arp_reply(bytes(m), H.in_mac, GWH_GW_IP, G1, GWH_NET(150));
	rte_pktmbuf_free(m);
	assert_int_equal(stats().arp_replied_inside, 1);
	assert_int_equal(H.up_tx_n, 0);

	/* A probe (sender 0.0.0.0, RFC 5227) is answered too. */
	n = gwh_arp(F, 1, GWH_BCAST, G2, 0, GWH_ZERO, GWH_GW_IP);
	guest(F, n);
	m = poll_one();
	assert_arp_reply(bytes(m), H.in_mac, GWH_GW_IP, G2, 0);
	rte_pktmbuf_free(m);
	assert_int_equal(stats().arp_replied_inside, 2);
}

static void test_arp_other_ignored(void **state)
{
	(void)state;
	/* For another guest. */
	guest(F, gwh_arp(F, 1, GWH_BCAST, G1, GWH_NET(150), GWH_ZERO, GWH_NET(151)));
	/* A gratuitous announcement of the gateway's address. */
	guest(F, gwh_arp(F, 1, GWH_BCAST, G1, GWH_GW_IP, GWH_ZERO, GWH_GW_IP));
	/* A reply to the gateway it did not ask for. */
	guest(F, gwh_arp(F, 2, H.in_mac, G1, GWH_NET(150), H.in_mac, GWH_GW_IP));
	/* The uplink's address is not answered on the inside. */
	guest(F, gwh_arp(F, 1, GWH_BCAST, G1, GWH_NET(150), GWH_ZERO, GWH_EXT_IP));
	poll_none();
	assert_int_equal(stats().arp_replied_inside, 0);
	assert_int_equal(H.up_tx_n, 0);

	/* Not Ethernet/IPv4 ARP (hlen 8): bad. */
	size_t n = gwh_arp(F, 1, GWH_BCAST, G1, GWH_NET(150), GWH_ZERO, GWH_GW_IP);
	F[18] = 8;
	guest(F, n);
	/* Cut short. */
	n = gwh_arp(F, 1, GWH_BCAST, G1, GWH_NET(150), GWH_ZERO, GWH_GW_IP);
	guest(F, 40);
	/* A multicast sender hardware address. */
	n = gwh_arp(F, 1, GWH_BCAST, G1, GWH_NET(150), GWH_ZERO, GWH_GW_IP);
	F[22] |= 1;
	guest(F, n);
	poll_none();
	assert_int_equal(stats().bad_frame, 3);
	assert_int_equal(stats().arp_replied_inside, 0);
}

static void check_echo_reply(struct rte_mbuf *m, const uint8_t *to_mac, const uint8_t *from_mac,
			     uint32_t from, uint32_t to, uint16_t id, uint16_t seq)
{
	const uint8_t *f = bytes(m), *ip = f + 14, *ic = ip + 20;
	assert_memory_equal(f, to_mac, 6);
	assert_memory_equal(f + 6, from_mac, 6);
	assert_int_equal(rd16(f + 12), 0x0800);
	assert_true(gwh_ip_csum_ok(ip));
	assert_int_equal(ip[9], 1);
	assert_int_equal(ip[8], 64);
	assert_int_equal(rd32(ip + 12), from);
	assert_int_equal(rd32(ip + 16), to);
	assert_int_equal(ic[0], 0);
	assert_int_equal(ic[1], 0);
	assert_int_equal(rd16(ic + 4), id);
	assert_int_equal(rd16(ic + 6), seq);
	assert_true(gwh_l4_csum_ok(ip));
	for (unsigned int i = 8; i < 32; i++)
		assert_int_equal(ic[i], 0xa0 + i);
}

static void test_ping_gateway(void **state)
{
	(void)state;
	guest(F, gwh_echo(F, H.in_mac, G1, GWH_NET(150), GWH_GW_IP, 0x4242, 7));
	struct rte_mbuf *m = poll_one();
	check_echo_reply(m, G1, H.in_mac, GWH_GW_IP, GWH_NET(150), 0x4242, 7);
	rte_pktmbuf_free(m);

	/* The uplink's address, from inside, is the gateway too. */
	guest(F, gwh_echo(F, H.in_mac, G1, GWH_NET(150), GWH_EXT_IP, 0x4243, 8));
	m = poll_one();
	check_echo_reply(m, G1, H.in_mac, GWH_EXT_IP, GWH_NET(150), 0x4243, 8);
	rte_pktmbuf_free(m);

	/* Every id and sequence number: the incremental checksum update
	 * (RFC 1624) right whatever the checksum was, 0xffff and 0 included. */
	for (uint32_t id = 0; id < 0x10000; id += 0x0101) {
		guest(F, gwh_echo(F, H.in_mac, G1, GWH_NET(150), GWH_GW_IP, (uint16_t)id,
				  (uint16_t)~id));
		m = poll_one();
		assert_true(gwh_l4_csum_ok(bytes(m) + 14));
		rte_pktmbuf_free(m);
	}
	assert_int_equal(stats().ping_replied, 2 + 256);
	assert_int_equal(H.up_tx_n, 0);

	/* Something else to the gateway's address: dropped, counted. */
	guest(F, gwh_tcp(F, H.in_mac, G1, GWH_NET(150), 40000, GWH_GW_IP, 22, 0x02, 1));
	poll_none();
	assert_int_equal(stats().to_gateway_other, 1);
}

/* --- DHCP --- */

static void test_dhcp_discover_offer(void **state)
{
	(void)state;
	guest(F, gwh_dhcp(F, G1, 1, 0x1234, 0, 0));
	poll_none();
	assert_int_equal(stats().dhcp_in, 1);
	assert_int_equal(stats().dhcp_out, 0);
	gwh_control(&H);
	assert_int_equal(stats().dhcp_out, 1);
	struct rte_mbuf *m = poll_one();
	const uint8_t *f = bytes(m), *o;
	size_t len = rte_pktmbuf_data_len(m);
	uint32_t yi = assert_dhcp_reply(m, G1, 2);
	assert_true(yi >= GWH_RANGE_START && yi <= GWH_RANGE_END);
	assert_int_equal(rd32(f + 42 + 4), 0x1234);
	assert_int_equal(gwh_dhcp_opt(f, len, 54, &o), GWH_GW_IP >> 24);
	assert_int_equal(rd32(o), GWH_GW_IP);
	assert_int_equal(gwh_dhcp_opt(f, len, 3, &o), GWH_GW_IP >> 24);
	assert_int_equal(rd32(o), GWH_GW_IP);
	assert_int_equal(gwh_dhcp_opt(f, len, 1, &o), 255);
	assert_int_equal(rd32(o), 0xffffff00u);
	assert_int_equal(gwh_dhcp_opt(f, len, 6, &o), GWH_DNS_IP >> 24);
	assert_int_equal(rd32(o), GWH_DNS_IP);
	assert_int_equal(gwh_dhcp_opt(f, len, 26, &o), 1500 >> 8);
	assert_int_equal(rd16(o), 1500);
	rte_pktmbuf_free(m);
	assert_int_equal(H.up_tx_n, 0);
	/* Offered is not bound: no MAC may use it yet. */
	uint8_t mac[6];
	assert_false(vsw_dhcp_lookup_ip(vsw_gw_dhcp(H.gw), yi, mac));
}

static void test_dhcp_dora_binds(void **state)
{
	(void)state;
	uint32_t ip = dora(G1);
	uint8_t mac[6];
	assert_true(vsw_dhcp_lookup_ip(vsw_gw_dhcp(H.gw), ip, mac));
	assert_memory_equal(mac, G1, 6);
	struct rte_ether_addr g1;
	memcpy(g1.addr_bytes, G1, 6);
	assert_int_equal(H.gw->bound[ip - GWH_NET(0)], gw_mac_key(&g1));

	/* Unicast to the gateway's MAC and address (a renewal) reaches DHCP too. */
	size_t n = gwh_dhcp(F, G1, 3, ++xid, 0, 0);
	memcpy(F, H.in_mac, 6);
	wr32(F + 42 + 12, ip); /* ciaddr */
	wr32(F + 14 + 12, ip);
	wr32(F + 14 + 16, GWH_GW_IP);
	gwh_fix_csums(F);
	guest(F, n);
	poll_none();
	gwh_control(&H);
	struct rte_mbuf *m = poll_one();
	assert_int_equal(assert_dhcp_reply(m, G1, 5), ip);
	rte_pktmbuf_free(m);
}

/* The control thread behind: DHCP beyond what the rings hold is dropped
 * and counted on both sides, the rest answered, nothing leaked. */
static void test_dhcp_flood(void **state)
{
	(void)state;
	const unsigned int n = 80, ring = GW_DHCP_RING - 1; /* an rte_ring holds size - 1 */
	for (unsigned int i = 0; i < n; i++) {
		uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0x00, (uint8_t)i };
		guest(F, gwh_dhcp(F, mac, 1, 900 + i, 0, 0));
	}
	poll_none();
	poll_none();
	poll_none();
	struct vsw_gw_stats st = stats();
	assert_int_equal(st.dhcp_in, ring);
	assert_int_equal(st.dhcp_ring_full, n - ring);
	gwh_control(&H);
	st = stats();
	assert_int_equal(vsw_dhcp_stats(vsw_gw_dhcp(H.gw))->offer, ring);
	assert_int_equal(st.dhcp_out, ring);
	assert_int_equal(st.dhcp_reply_drops, 0);
	/* More, while answers still wait for the bridge to take them. */
	for (unsigned int i = 0; i < 4; i++) {
		uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xbb, 0x00, (uint8_t)i };
		guest(F, gwh_dhcp(F, mac, 1, 1900 + i, 0, 0));
	}
	struct rte_mbuf *b[VSW_BURST];
	assert_int_equal(gwh_poll(&H, b, 0), 0); /* handed over; nothing taken by the bridge */
	gwh_control(&H);
	unsigned int got = 0;
	for (int r = 0; r < 8; r++) {
		uint16_t k = poll_all(b);
		for (uint16_t i = 0; i < k; i++) {
			assert_int_equal(gwh_dhcp_opt(bytes(b[i]), rte_pktmbuf_data_len(b[i]), 53, NULL),
					 2);
			got++;
		}
		rte_pktmbuf_free_bulk(b, k);
	}
	st = stats();
	assert_int_equal(st.dhcp_out + st.dhcp_reply_drops, ring + 4);
	assert_int_equal(got, st.dhcp_out);
	assert_true(st.dhcp_out >= ring);
}

/* --- translation out and back --- */

static void test_udp_out_and_back(void **state)
{
	(void)state;
	uint16_t ext;
	uint32_t ip = udp_flow(G1, 40000, &ext);
	uint8_t mac[6];
	assert_string_equal(next_hop(mac), "resolved");
	assert_memory_equal(mac, GWH_ROUTER_MAC, 6);
	assert_int_equal(stats().arp_requests, 1);

	/* Resolved: the next frame goes at once, same mapping. */
	uint16_t ext2;
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "again", 5));
	poll_none();
	assert_udp_out(uplink_one(), GWH_REMOTE_IP, 5353, "again", &ext2);
	assert_int_equal(ext2, ext);
	gwh_uplink_clear(&H);

	/* The reply comes back to the guest's MAC, from the gateway's. */
	guest(F, 0); /* nothing: a zero-length frame is a runt */
	assert_int_equal(stats().bad_frame, 0);
	poll_none();
	assert_int_equal(stats().bad_frame, 1);
	outside(F, gwh_udp(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, 5353, GWH_EXT_IP, ext,
			   "reply", 5));
	struct rte_mbuf *m = poll_one();
	const uint8_t *f = bytes(m), *rip = f + 14;
	assert_memory_equal(f, G1, 6);
	assert_memory_equal(f + 6, H.in_mac, 6);
	assert_true(gwh_ip_csum_ok(rip));
	assert_int_equal(rip[8], 63);
	assert_int_equal(rd32(rip + 12), GWH_REMOTE_IP);
	assert_int_equal(rd32(rip + 16), ip);
	assert_int_equal(rd16(rip + 20), 5353);
	assert_int_equal(rd16(rip + 22), 40000);
	assert_true(gwh_l4_csum_ok(rip));
	assert_memory_equal(rip + 28, "reply", 5);
	rte_pktmbuf_free(m);
	assert_int_equal(H.up_tx_n, 0);
	struct vsw_nat_stats ns = nat_stats();
	assert_int_equal(ns.out_packets, 2);
	assert_int_equal(ns.in_packets, 1);

	/* From another remote port: filtered (address and port dependent). */
	outside(F, gwh_udp(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, 5354, GWH_EXT_IP, ext,
			   "nope", 4));
	poll_none();
	assert_int_equal(nat_stats().drops[VSW_NAT_NO_SESSION], 1);
	/* To another MAC or address on the uplink's network: not ours. */
	outside(F, gwh_udp(F, NEIGH_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, 5353, GWH_EXT_IP, ext,
			   "x", 1));
	outside(F, gwh_udp(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, 5353, NEIGH_IP, ext,
			   "x", 1));
	outside(F, gwh_udp(F, GWH_BCAST, GWH_ROUTER_MAC, GWH_REMOTE_IP, 5353, 0xffffffffu, ext,
			   "x", 1));
	poll_none();
	assert_int_equal(stats().not_for_us, 3);
	assert_int_equal(H.up_tx_n, 0);
}

static void test_tcp_and_ping_out(void **state)
{
	(void)state;
	uint16_t ext;
	uint32_t ip = udp_flow(G1, 40000, &ext);

	guest(F, gwh_tcp(F, H.in_mac, G1, ip, 33000, GWH_REMOTE_IP, 443, 0x02, 1000));
	poll_none();
	const uint8_t *f = uplink_one(), *tip = f + 14;
	assert_memory_equal(f, GWH_ROUTER_MAC, 6);
	assert_int_equal(rd32(tip + 12), GWH_EXT_IP);
	assert_int_equal(rd16(tip + 22), 443);
	assert_int_equal(rd32(tip + 24), 1000);
	assert_true(gwh_ip_csum_ok(tip));
	assert_true(gwh_l4_csum_ok(tip));
	uint16_t text = rd16(tip + 20);
	gwh_uplink_clear(&H);
	outside(F, gwh_tcp(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, 443, GWH_EXT_IP, text,
			   0x12, 5000));
	struct rte_mbuf *m = poll_one();
	f = bytes(m);
	assert_memory_equal(f, G1, 6);
	assert_int_equal(rd32(f + 30), ip);
	assert_int_equal(rd16(f + 36), 33000);
	assert_true(gwh_l4_csum_ok(f + 14));
	rte_pktmbuf_free(m);

	/* Ping to the outside: translated, the id is the "port". */
	guest(F, gwh_echo(F, H.in_mac, G1, ip, GWH_REMOTE_IP, 0x0777, 1));
	poll_none();
	f = uplink_one();
	assert_int_equal(rd32(f + 26), GWH_EXT_IP);
	assert_int_equal(f[34], 8);
	assert_true(gwh_l4_csum_ok(f + 14));
	uint16_t id = rd16(f + 38);
	gwh_uplink_clear(&H);
	size_t n = gwh_echo(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, GWH_EXT_IP, id, 1);
	F[34] = 0; /* echo reply */
	gwh_fix_csums(F);
	outside(F, n);
	m = poll_one();
	f = bytes(m);
	assert_memory_equal(f, G1, 6);
	assert_int_equal(rd32(f + 30), ip);
	assert_int_equal(rd16(f + 38), 0x0777);
	assert_true(gwh_l4_csum_ok(f + 14));
	rte_pktmbuf_free(m);
}

/* --- the next hop --- */

static const struct gw_next_hop *router(void)
{
	const struct gw_next_hop *e = gw_nh_find(H.gw, GWH_ROUTER_IP);
	assert_non_null(e);
	return e;
}

static void test_next_hop_unresolved(void **state)
{
	(void)state;
	uint32_t ip = dora(G1);
	gwh_freeze_timers(&H);
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "lost", 4));
	poll_none();
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	assert_int_equal(gwh_held(&H), 1);
	uint64_t t0 = router()->asked_ms;

	/* More frames wait with it, up to the hold queue's size. */
	for (int i = 0; i < GW_HOLD + 2; i++)
		guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "lost", 4));
	poll_none();
	assert_int_equal(H.up_tx_n, 0); /* no second request meanwhile */
	assert_int_equal(gwh_held(&H), GW_HOLD);
	assert_int_equal(stats().unresolved, 3);

	gwh_timer(&H, t0 + GW_ARP_RETRY_MS - 1);
	assert_int_equal(H.up_tx_n, 0);
	gwh_timer(&H, t0 + GW_ARP_RETRY_MS);
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	gwh_timer(&H, t0 + 2 * GW_ARP_RETRY_MS);
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	assert_int_equal(stats().arp_requests, 3);
	assert_string_equal(next_hop(NULL), "resolving");
	assert_int_equal(rte_mempool_avail_count(mp), pool_expect - GW_HOLD);

	/* Three tries unanswered: what was held is dropped and counted. */
	gwh_timer(&H, t0 + 3 * GW_ARP_RETRY_MS);
	assert_int_equal(H.up_tx_n, 0);
	assert_int_equal(gwh_held(&H), 0);
	assert_int_equal(stats().unresolved, 3 + GW_HOLD);
	assert_string_equal(next_hop(NULL), "failed");
	assert_int_equal(rte_mempool_avail_count(mp), pool_expect);

	/* While failed, frames are dropped at once, no request. */
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "lost", 4));
	poll_none();
	assert_int_equal(H.up_tx_n, 0);
	assert_int_equal(stats().unresolved, 4 + GW_HOLD);

	/* Later it is asked again. */
	gwh_timer(&H, t0 + 3 * GW_ARP_RETRY_MS + GW_ARP_FAILED_MS);
	assert_string_equal(next_hop(NULL), "none");
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "late", 4));
	poll_none();
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	assert_int_equal(gwh_held(&H), 1);
	/* An answer now sends it. */
	outside(F, router_arp_reply(F));
	poll_none();
	uint16_t ext;
	assert_udp_out(uplink_one(), GWH_REMOTE_IP, 5353, "late", &ext);
	gwh_uplink_clear(&H);
}

/* A frame the NAT translated already, routed at a time of the test's. */
static void route_at(uint64_t now_ms)
{
	size_t n = gwh_udp(F, H.in_mac, GWH_UP_MAC, GWH_EXT_IP, 2000, GWH_REMOTE_IP, 53, "r", 1);
	struct rte_mbuf *m = gwh_mbuf(&H, F, n);
	assert_non_null(m);
	gwh_route_at(&H, m, GWH_REMOTE_IP, now_ms);
}

static void test_next_hop_refresh_and_aging(void **state)
{
	(void)state;
	static const uint8_t NEW[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x99 };
	const uint64_t R = GW_ARP_REACHABLE_MS;
	uint16_t ext;
	udp_flow(G1, 40000, &ext);
	gwh_freeze_timers(&H);
	uint64_t t = router()->since_ms;

	/* In use: asked again after a while, the old answer serving meanwhile. */
	route_at(t + R - 10);
	assert_memory_equal(uplink_one(), GWH_ROUTER_MAC, 6);
	gwh_uplink_clear(&H);
	gwh_timer(&H, t + R - 1);
	assert_int_equal(H.up_tx_n, 0);
	gwh_timer(&H, t + R);
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	gwh_timer(&H, t + R + GW_ARP_RETRY_MS - 1); /* not again at once */
	assert_int_equal(H.up_tx_n, 0);
	assert_string_equal(next_hop(NULL), "resolved");
	route_at(t + R + 1);
	assert_memory_equal(uplink_one(), GWH_ROUTER_MAC, 6);
	gwh_uplink_clear(&H);

	/* The router's new MAC, from any ARP of it, is used from then on. */
	outside(F, gwh_arp(F, 1, GWH_BCAST, NEW, GWH_ROUTER_IP, GWH_ZERO, NEIGH_IP));
	poll_none();
	assert_int_equal(H.up_tx_n, 0); /* not for us: not answered */
	route_at(t + R + 2);
	assert_memory_equal(uplink_one(), NEW, 6);
	gwh_uplink_clear(&H);

	/* Unused as long: forgotten, and asked for at the next frame. */
	gwh_timer(&H, t + 2 * R + 1);
	assert_string_equal(next_hop(NULL), "resolved");
	gwh_uplink_clear(&H);
	gwh_timer(&H, t + 2 * R + 2);
	assert_string_equal(next_hop(NULL), "none");
	gwh_uplink_clear(&H);
	route_at(t + 2 * R + 3);
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	assert_int_equal(gwh_held(&H), 1);
}

/* A destination on the uplink's own network is its own next hop. */
static void test_next_hop_on_link(void **state)
{
	(void)state;
	uint32_t ip = dora(G1);
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, NEIGH_IP, 53, "q", 1));
	poll_none();
	assert_uplink_arp_request(uplink_one(), NEIGH_IP);
	gwh_uplink_clear(&H);
	outside(F, gwh_arp(F, 2, GWH_UP_MAC, NEIGH_MAC, NEIGH_IP, GWH_UP_MAC, GWH_EXT_IP));
	poll_none();
	const uint8_t *f = uplink_one();
	assert_memory_equal(f, NEIGH_MAC, 6);
	assert_int_equal(rd32(f + 30), NEIGH_IP);
	gwh_uplink_clear(&H);
	assert_string_equal(next_hop(NULL), "none"); /* the router is another entry */

	/* The router too; both stay known. */
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 53, "q", 1));
	poll_none();
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	outside(F, router_arp_reply(F));
	poll_none();
	assert_memory_equal(uplink_one(), GWH_ROUTER_MAC, 6);
	gwh_uplink_clear(&H);
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, NEIGH_IP, 53, "q", 1));
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 53, "q", 1));
	poll_none();
	assert_int_equal(H.up_tx_n, 2);
	assert_memory_equal(bytes(H.up_tx[0]), NEIGH_MAC, 6);
	assert_memory_equal(bytes(H.up_tx[1]), GWH_ROUTER_MAC, 6);
	gwh_uplink_clear(&H);
	assert_int_equal(stats().arp_requests, 2);

	/* No uplink gateway: elsewhere is unroutable, counted. */
	gwh_close(&H);
	gwh_default_net(&H);
	H.net.uplink_gateway = 0;
	assert_int_equal(open_gw(NULL), 0);
	ip = dora(G1);
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 53, "q", 1));
	poll_none();
	assert_int_equal(H.up_tx_n, 0);
	assert_int_equal(stats().no_route, 1);
}

/* --- what a guest may not do --- */

static void test_spoofed_source(void **state)
{
	(void)state;
	uint16_t ext;
	uint32_t ip1 = udp_flow(G1, 40000, &ext);
	uint64_t out0 = nat_stats().out_packets;

	/* Another MAC using G1's address. */
	guest(F, gwh_udp(F, H.in_mac, G2, ip1, 40001, GWH_REMOTE_IP, 5353, "spoof", 5));
	/* G1 using an address leased to nobody. */
	guest(F, gwh_udp(F, H.in_mac, G1, GWH_NET(160), 40001, GWH_REMOTE_IP, 5353, "spoof", 5));
	/* The gateway's own address as source. */
	guest(F, gwh_udp(F, H.in_mac, G1, GWH_GW_IP, 40001, GWH_REMOTE_IP, 5353, "spoof", 5));
	poll_none();
	assert_int_equal(stats().spoofed, 3);
	assert_int_equal(H.up_tx_n, 0);
	assert_int_equal(nat_stats().out_packets, out0);
	/* Outside the subnet: the NAT's reason. */
	guest(F, gwh_udp(F, H.in_mac, G1, 0x0a000001u, 40001, GWH_REMOTE_IP, 5353, "x", 1));
	poll_none();
	assert_int_equal(nat_stats().drops[VSW_NAT_SRC], 1);
	assert_int_equal(H.up_tx_n, 0);

	/* A static lease is bound from the start, without DHCP. */
	guest(F, gwh_udp(F, H.in_mac, GWH_STATIC_MAC, GWH_STATIC_IP, 40000, GWH_REMOTE_IP, 5353,
			 "static", 6));
	poll_none();
	assert_udp_out(uplink_one(), GWH_REMOTE_IP, 5353, "static", &ext);
	gwh_uplink_clear(&H);
	assert_int_equal(stats().spoofed, 3);

	/* Released: no longer G1's. */
	guest(F, gwh_dhcp(F, G1, 7, ++xid, ip1, GWH_GW_IP));
	poll_none();
	gwh_control(&H);
	poll_none(); /* no answer to a RELEASE */
	guest(F, gwh_udp(F, H.in_mac, G1, ip1, 40000, GWH_REMOTE_IP, 5353, "gone", 4));
	poll_none();
	assert_int_equal(stats().spoofed, 4);
	assert_int_equal(H.up_tx_n, 0);
}

static void test_spoof_check_off(void **state)
{
	(void)state;
	gwh_close(&H);
	gwh_default_net(&H);
	H.net.spoof_check = false;
	assert_int_equal(open_gw(NULL), 0);
	guest(F, gwh_udp(F, H.in_mac, G2, GWH_NET(160), 40001, GWH_REMOTE_IP, 5353, "free", 4));
	poll_none();
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	assert_int_equal(stats().spoofed, 0);
	assert_int_equal(gwh_held(&H), 1);
}

static void test_ipv6_dropped(void **state)
{
	(void)state;
	memset(F, 0, 80);
	memcpy(F, H.in_mac, 6);
	memcpy(F + 6, G1, 6);
	wr16(F + 12, 0x86dd);
	F[14] = 0x60;
	wr16(F + 18, 8);
	F[20] = 17;
	F[21] = 64;
	guest(F, 14 + 40 + 8);
	/* Multicast IPv6 (neighbour discovery) too. */
	memcpy(F, "\x33\x33\x00\x00\x00\x01", 6);
	guest(F, 14 + 40 + 8);
	poll_none();
	assert_int_equal(stats().ipv6, 2);
	assert_int_equal(H.up_tx_n, 0);
	/* Neither ARP nor IP. */
	wr16(F + 12, 0x88cc);
	guest(F, 60);
	poll_none();
	assert_int_equal(stats().not_ip, 1);
	assert_int_equal(H.up_tx_n, 0);
}

static void test_broadcast_not_dhcp(void **state)
{
	(void)state;
	uint32_t ip = dora(G1);
	uint64_t dhcp_in = stats().dhcp_in;
	/* NetBIOS-style broadcast on the subnet. */
	guest(F, gwh_udp(F, GWH_BCAST, G1, ip, 137, GWH_NET(255), 137, "nb", 2));
	/* To everyone, to a DHCP client port. */
	guest(F, gwh_udp(F, GWH_BCAST, G1, ip, 67, 0xffffffffu, 68, "x", 1));
	/* Unicast to another guest, flooded while its MAC is unknown. */
	guest(F, gwh_udp(F, G2, G1, ip, 5000, GWH_NET(120), 5000, "x", 1));
	/* Multicast, to an outside-looking address. */
	guest(F, gwh_udp(F, (const uint8_t *)"\x01\x00\x5e\x00\x00\xfb", G1, ip, 5353,
			 0xe00000fbu, 5353, "m", 1));
	poll_none();
	assert_int_equal(stats().not_for_us, 4);
	assert_int_equal(stats().dhcp_in, dhcp_in);
	assert_int_equal(H.up_tx_n, 0);
	gwh_control(&H);
	poll_none();
	/* To the gateway's MAC but another guest's address: not routed back. */
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 5000, GWH_NET(120), 5000, "x", 1));
	poll_none();
	assert_int_equal(stats().inside_routed, 1);
	assert_int_equal(H.up_tx_n, 0);
}

/* Bad IPv4 from a guest: each counted, nothing sent, nothing leaked. */
static void test_bad_ipv4(void **state)
{
	(void)state;
	uint32_t ip = dora(G1);
	size_t n;
	uint64_t bad0 = stats().bad_frame;

	n = gwh_udp(F, H.in_mac, G1, ip, 1, GWH_REMOTE_IP, 2, "x", 1);
	F[14] = 0x44; /* IHL 4 */
	guest(F, n);
	n = gwh_udp(F, H.in_mac, G1, ip, 1, GWH_REMOTE_IP, 2, "x", 1);
	wr16(F + 16, 200); /* total length beyond the frame */
	guest(F, n);
	guest(F, 14 + 10); /* IPv4 header cut short */
	n = gwh_udp(F, H.in_mac, G1, ip, 1, GWH_REMOTE_IP, 2, "x", 1);
	F[14] = 0x65; /* version 6 in an IPv4 ethertype */
	guest(F, n);
	poll_none();
	assert_int_equal(stats().bad_frame, bad0 + 4);

	n = gwh_udp(F, H.in_mac, G1, ip, 1, GWH_REMOTE_IP, 2, "x", 1);
	F[24] ^= 0x40; /* IP header checksum wrong */
	guest(F, n);
	n = gwh_udp(F, H.in_mac, G1, ip, 1, GWH_REMOTE_IP, 2, "x", 1);
	F[22] = 1; /* TTL 1 */
	gwh_fix_csums(F);
	guest(F, n);
	n = gwh_udp(F, H.in_mac, G1, ip, 1, GWH_REMOTE_IP, 2, "x", 1);
	wr16(F + 20, 0x2000); /* MF: a fragment */
	gwh_fix_csums(F);
	guest(F, n);
	/* Protocol 47 (GRE): not translated. */
	n = gwh_ipv4(F, H.in_mac, G1, 47, ip, GWH_REMOTE_IP, (const uint8_t *)"\0\0\x08\0", 4);
	guest(F, n);
	poll_none();
	struct vsw_nat_stats ns = nat_stats();
	assert_int_equal(ns.drops[VSW_NAT_BAD_CHECKSUM], 1);
	assert_int_equal(ns.drops[VSW_NAT_TTL], 1);
	assert_int_equal(ns.drops[VSW_NAT_FRAGMENT], 1);
	assert_int_equal(ns.drops[VSW_NAT_PROTO], 1);
	assert_int_equal(ns.out_packets, 0);
	assert_int_equal(H.up_tx_n, 0);
	assert_int_equal(gwh_held(&H), 0);

	/* The same from the uplink. */
	bad0 = stats().bad_frame;
	n = gwh_udp(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, 1, GWH_EXT_IP, 2, "x", 1);
	F[14] = 0x44;
	outside(F, n);
	outside(F, 14 + 10);
	outside(F, 8); /* a runt */
	poll_none();
	assert_int_equal(stats().bad_frame, bad0 + 3);
	assert_int_equal(H.up_tx_n, 0);
}

/* A chained frame (a guest's large send) with its headers in a short
 * first segment is linearised before the NAT reads it. */
static void test_chained_frame(void **state)
{
	(void)state;
	uint16_t ext;
	uint32_t ip = udp_flow(G1, 40000, &ext);
	char payload[600];
	memset(payload, 'p', sizeof(payload));
	payload[sizeof(payload) - 1] = '\0';
	size_t n = gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, payload,
			   sizeof(payload) - 1);
	struct rte_mbuf *a = gwh_mbuf(&H, F, 40), *b = gwh_mbuf(&H, F + 40, n - 40);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	assert_int_equal(gwh_guest_send(&H, a), 1);
	poll_none();
	assert_int_equal(H.up_tx_n, 1);
	struct rte_mbuf *o = H.up_tx[0];
	assert_int_equal(rte_pktmbuf_pkt_len(o), n);
	assert_int_equal(o->nb_segs, 1);
	uint16_t e2;
	assert_udp_out(bytes(o), GWH_REMOTE_IP, 5353, payload, &e2);
	assert_int_equal(e2, ext);
	gwh_uplink_clear(&H);
}

/* A guest's checksum offload: the UDP checksum field holds the folded
 * pseudo-header sum, the device adds the rest. After translation it must
 * be the pseudo-header sum of the new addresses (ports are the device's
 * to add), and the offload request must reach the uplink, also when the
 * frame was shared and had to be copied. */
static void test_offload_partial_checksum(void **state)
{
	(void)state;
	uint16_t ext;
	uint32_t ip = udp_flow(G1, 40000, &ext);
	for (int shared = 0; shared < 2; shared++) {
		size_t n = gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "csum", 4);
		uint16_t ulen = rd16(F + 34 + 4);
		wr16(F + 34 + 6, fold(sum_bytes(F + 26, 8, 0) + 17 + ulen));
		struct rte_mbuf *m = gwh_mbuf(&H, F, n);
		assert_non_null(m);
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
		m->l2_len = 14;
		m->l3_len = 20;
		if (shared)
			rte_mbuf_refcnt_update(m, 1);
		assert_int_equal(gwh_guest_send(&H, m), 1);
		poll_none();
		assert_int_equal(H.up_tx_n, 1);
		const struct rte_mbuf *o = H.up_tx[0];
		const uint8_t *oip = bytes(o) + 14;
		assert_true(gwh_ip_csum_ok(oip));
		assert_int_equal(rd32(oip + 12), GWH_EXT_IP);
		assert_int_equal(rd16(oip + 20), ext);
		assert_int_equal(rd16(oip + 26), fold(sum_bytes(oip + 12, 8, 0) + 17 + ulen));
		assert_int_equal(o->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_L4_MASK),
				 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM);
		assert_int_equal(o->l2_len, 14);
		assert_int_equal(o->l3_len, 20);
		gwh_uplink_clear(&H);
		if (shared) {
			assert_int_equal(rd16(bytes(m) + 40), fold(sum_bytes(F + 26, 8, 0) + 17 + ulen));
			rte_pktmbuf_free(m);
		}
	}
}

/* The bridge floods by raising the refcount: the gateway must copy before
 * it writes, or another port's copy of the frame changes under it. */
static void shared_case(size_t n, bool expect_inside, bool expect_uplink)
{
	struct rte_mbuf *m = gwh_mbuf(&H, F, n);
	assert_non_null(m);
	uint8_t before[GWH_FRAME_MAX];
	memcpy(before, F, n);
	rte_mbuf_refcnt_update(m, 1);
	assert_int_equal(gwh_guest_send(&H, m), 1);
	struct rte_mbuf *b[2 * VSW_BURST];
	uint16_t k = poll_all(b);
	gwh_control(&H); /* DHCP: the control thread reads it, and lets go */
	k += poll_all(b + k);
	assert_int_equal(k, expect_inside ? 1 : 0);
	assert_int_equal(H.up_tx_n, expect_uplink ? 1 : 0);
	if (k == 1) {
		assert_ptr_not_equal(b[0], m);
		rte_pktmbuf_free(b[0]);
	}
	if (H.up_tx_n == 1)
		assert_ptr_not_equal(H.up_tx[0], m);
	/* The other reference is untouched and still ours. */
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m), n);
	assert_memory_equal(bytes(m), before, n);
	rte_pktmbuf_free(m);
	gwh_uplink_clear(&H);
}

static void test_shared_frame_not_modified(void **state)
{
	(void)state;
	uint16_t ext;
	uint32_t ip = udp_flow(G1, 40000, &ext);
	shared_case(gwh_arp(F, 1, GWH_BCAST, G1, ip, GWH_ZERO, GWH_GW_IP), true, false);
	shared_case(gwh_echo(F, H.in_mac, G1, ip, GWH_GW_IP, 1, 1), true, false);
	shared_case(gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "flood", 5), false,
		    true);
	shared_case(gwh_dhcp(F, G2, 1, 77, 0, 0), true, false); /* the OFFER */
	assert_int_equal(stats().dhcp_out, 3);
	shared_case(gwh_udp(F, GWH_BCAST, G1, ip, 137, GWH_NET(255), 137, "nb", 2), false, false);
	assert_int_equal(stats().arp_replied_inside, 1);
	assert_int_equal(stats().ping_replied, 1);
}

/* --- the uplink side --- */

static void test_uplink_arp(void **state)
{
	(void)state;
	outside(F, gwh_arp(F, 1, GWH_BCAST, NEIGH_MAC, NEIGH_IP, GWH_ZERO, GWH_EXT_IP));
	poll_none();
	assert_int_equal(rte_pktmbuf_pkt_len(H.up_tx[0]), 60);
	assert_arp_reply(uplink_one(), GWH_UP_MAC, GWH_EXT_IP, NEIGH_MAC, NEIGH_IP);
	gwh_uplink_clear(&H);
	assert_int_equal(stats().arp_replied_uplink, 1);
	/* For another address, a reply, bad ones: not answered. */
	outside(F, gwh_arp(F, 1, GWH_BCAST, NEIGH_MAC, NEIGH_IP, GWH_ZERO, 0xc6336409u));
	outside(F, gwh_arp(F, 2, GWH_UP_MAC, NEIGH_MAC, NEIGH_IP, GWH_UP_MAC, GWH_EXT_IP));
	outside(F, gwh_arp(F, 1, GWH_BCAST, NEIGH_MAC, NEIGH_IP, GWH_ZERO, GWH_GW_IP));
	size_t n = gwh_arp(F, 1, GWH_BCAST, NEIGH_MAC, NEIGH_IP, GWH_ZERO, GWH_EXT_IP);
	F[16] = 0x86; /* protocol not IPv4 */
	outside(F, n);
	outside(F, 30);
	poll_none();
	assert_int_equal(H.up_tx_n, 0);
	assert_int_equal(stats().arp_replied_uplink, 1);
	assert_int_equal(stats().bad_frame, 2);
	/* A reply nobody asked for resolves nothing. */
	assert_string_equal(next_hop(NULL), "none");
}

static void test_uplink_ping(void **state)
{
	(void)state;
	outside(F, gwh_echo(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, GWH_EXT_IP, 0x99, 3));
	poll_none(); /* nothing for the inside */
	assert_int_equal(H.up_tx_n, 1);
	struct rte_mbuf *m = H.up_tx[0];
	check_echo_reply(m, GWH_ROUTER_MAC, GWH_UP_MAC, GWH_EXT_IP, GWH_REMOTE_IP, 0x99, 3);
	gwh_uplink_clear(&H);
	assert_int_equal(stats().ping_replied, 1);
	/* To another MAC: not ours. */
	outside(F, gwh_echo(F, NEIGH_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, GWH_EXT_IP, 0x99, 4));
	/* Bad header checksum: the NAT refuses it. */
	size_t n = gwh_echo(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, GWH_EXT_IP, 0x99, 5);
	F[24] ^= 1;
	outside(F, n);
	poll_none();
	assert_int_equal(H.up_tx_n, 0);
	assert_int_equal(stats().ping_replied, 1);
	assert_int_equal(stats().not_for_us, 1);
	assert_int_equal(nat_stats().drops[VSW_NAT_BAD_CHECKSUM], 1);
}

/* --- port forwards --- */

static size_t syn_in(uint16_t sport, uint16_t dport)
{
	return gwh_tcp(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, sport, GWH_EXT_IP, dport, 0x02,
		       77);
}

static void test_forward(void **state)
{
	(void)state;
	char err[256];
	uint32_t ip = dora(G1);
	struct vsw_nat_forward fw = { .proto = IPPROTO_TCP, .ext_port = 8080, .to_addr = ip,
				      .to_port = 80 };
	/* Before: filtered. */
	outside(F, syn_in(5555, 8080));
	poll_none();
	assert_int_equal(nat_stats().drops[VSW_NAT_NO_SESSION], 1);

	assert_int_equal(vsw_gw_forward_add(H.gw, &fw, err, sizeof(err)), 0);
	assert_int_equal(vsw_gw_forward_add(H.gw, &fw, err, sizeof(err)), -1); /* twice */
	struct vsw_nat_forward bad = fw;
	bad.ext_port = 8081;
	bad.to_addr = GWH_GW_IP;
	assert_int_equal(vsw_gw_forward_add(H.gw, &bad, err, sizeof(err)), -1);
	bad.to_addr = GWH_REMOTE_IP;
	assert_int_equal(vsw_gw_forward_add(H.gw, &bad, err, sizeof(err)), -1);

	/* The guest's MAC is known (its DHCP lease): the SYN reaches it. */
	outside(F, syn_in(5556, 8080));
	struct rte_mbuf *m = poll_one();
	const uint8_t *f = bytes(m), *tip = f + 14;
	assert_memory_equal(f, G1, 6);
	assert_memory_equal(f + 6, H.in_mac, 6);
	assert_true(gwh_ip_csum_ok(tip));
	assert_int_equal(rd32(tip + 12), GWH_REMOTE_IP);
	assert_int_equal(rd32(tip + 16), ip);
	assert_int_equal(rd16(tip + 20), 5556);
	assert_int_equal(rd16(tip + 22), 80);
	assert_int_equal(tip[33], 0x02);
	assert_true(gwh_l4_csum_ok(tip));
	rte_pktmbuf_free(m);

	/* The guest's SYN-ACK leaves from the forwarded port. An ARP reply
	 * nobody asked for does not resolve the next hop. */
	outside(F, router_arp_reply(F));
	poll_none();
	assert_string_equal(next_hop(NULL), "none");
	guest(F, gwh_tcp(F, H.in_mac, G1, ip, 80, GWH_REMOTE_IP, 5556, 0x12, 9));
	poll_none();
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	outside(F, router_arp_reply(F));
	poll_none();
	f = uplink_one();
	assert_int_equal(rd32(f + 26), GWH_EXT_IP);
	assert_int_equal(rd16(f + 34), 8080);
	assert_int_equal(rd16(f + 36), 5556);
	assert_true(gwh_l4_csum_ok(f + 14));
	gwh_uplink_clear(&H);

	/* Removed: a new connection is filtered again. */
	assert_int_equal(vsw_gw_forward_del(H.gw, IPPROTO_TCP, 8080, err, sizeof(err)), 0);
	assert_int_equal(vsw_gw_forward_del(H.gw, IPPROTO_TCP, 8080, err, sizeof(err)), -1);
	assert_int_equal(vsw_nat_forwards(vsw_gw_nat(H.gw), NULL, 0), 0);
	outside(F, syn_in(5557, 8080));
	poll_none();
	assert_int_equal(nat_stats().drops[VSW_NAT_NO_SESSION], 2);
}

/* A forward to a guest whose MAC the gateway does not know yet: it asks
 * the inside by ARP and delivers once the guest answered. */
static void test_forward_unknown_guest(void **state)
{
	(void)state;
	char err[256];
	/* A guest with an address of its own setting: only without the spoof
	 * check (with it, only bound addresses are learned; see below). */
	gwh_close(&H);
	gwh_default_net(&H);
	H.net.spoof_check = false;
	assert_int_equal(open_gw(NULL), 0);
	struct vsw_nat_forward fw = { .proto = IPPROTO_UDP, .ext_port = 6000,
				      .to_addr = GWH_NET(60), .to_port = 7000 };
	assert_int_equal(vsw_gw_forward_add(H.gw, &fw, err, sizeof(err)), 0);
	outside(F, gwh_udp(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, 9000, GWH_EXT_IP, 6000,
			   "one", 3));
	struct rte_mbuf *m = poll_one();
	const uint8_t *f = bytes(m);
	assert_memory_equal(f, GWH_BCAST, 6);
	assert_memory_equal(f + 6, H.in_mac, 6);
	assert_int_equal(rd16(f + 12), 0x0806);
	assert_int_equal(rd16(f + 20), 1);
	assert_memory_equal(f + 22, H.in_mac, 6);
	assert_int_equal(rd32(f + 28), GWH_GW_IP);
	assert_int_equal(rd32(f + 38), GWH_NET(60));
	rte_pktmbuf_free(m);
	assert_int_equal(stats().inside_unknown, 1);

	/* The guest answers; the next datagram reaches it. */
	guest(F, gwh_arp(F, 2, H.in_mac, G3, GWH_NET(60), H.in_mac, GWH_GW_IP));
	poll_none();
	outside(F, gwh_udp(F, GWH_UP_MAC, GWH_ROUTER_MAC, GWH_REMOTE_IP, 9000, GWH_EXT_IP, 6000,
			   "two", 3));
	m = poll_one();
	f = bytes(m);
	assert_memory_equal(f, G3, 6);
	assert_int_equal(rd32(f + 30), GWH_NET(60));
	assert_int_equal(rd16(f + 36), 7000);
	assert_memory_equal(f + 42, "two", 3);
	assert_true(gwh_l4_csum_ok(f + 14));
	rte_pktmbuf_free(m);
}

/* Found by this test (fixed in gw_inside.c learn_seen): with spoof_check
 * on, any guest's ARP set "seen" for any inside address, and a forward's
 * packets went to the "seen" MAC, so one gratuitous ARP naming another
 * guest's address took that guest's port-forwarded connections. An address
 * bound to a MAC (DHCP or static) is delivered to that MAC. */
static void test_arp_does_not_steal_forward(void **state)
{
	(void)state;
	char err[256];
	uint32_t ip1 = dora(G1);
	struct vsw_nat_forward fw = { .proto = IPPROTO_TCP, .ext_port = 8080, .to_addr = ip1,
				      .to_port = 80 };
	assert_int_equal(vsw_gw_forward_add(H.gw, &fw, err, sizeof(err)), 0);
	/* G2 announces G1's address. */
	guest(F, gwh_arp(F, 1, GWH_BCAST, G2, ip1, GWH_ZERO, ip1));
	poll_none();
	/* G2 cannot send from it... */
	guest(F, gwh_udp(F, H.in_mac, G2, ip1, 1, GWH_REMOTE_IP, 2, "x", 1));
	poll_none();
	assert_int_equal(stats().spoofed, 1);
	/* ...but the forwarded SYN must still go to G1. */
	outside(F, syn_in(5556, 8080));
	struct rte_mbuf *m = poll_one();
	uint8_t dst[6];
	memcpy(dst, bytes(m), 6);
	rte_pktmbuf_free(m);
	assert_memory_equal(dst, G1, 6);
}

/* --- life --- */

/* The lease file keeps bindings across a restart: the guest's traffic is
 * still translated (not refused as spoofed) by the new gateway. */
static void test_leases_survive_restart(void **state)
{
	(void)state;
	char dir[] = "/tmp/vsw-gw-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	gwh_close(&H);
	gwh_default_net(&H);
	assert_int_equal(open_gw(dir), 0);
	uint32_t ip = dora(G1);
	assert_int_equal(access(H.lease_file, R_OK), 0);
	/* Closed as the daemon stops: the file stays (gwh_close would remove it). */
	H.port->ops->destroy(H.port);
	rte_free(H.port);
	H.port = NULL;
	assert_true(H.up_destroyed);
	assert_int_equal(rte_mempool_avail_count(mp), pool_expect);

	assert_int_equal(open_gw(dir), 0);
	uint8_t mac[6];
	assert_true(vsw_dhcp_lookup_ip(vsw_gw_dhcp(H.gw), ip, mac));
	assert_memory_equal(mac, G1, 6);
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "back", 4));
	poll_none();
	assert_uplink_arp_request(uplink_one(), GWH_ROUTER_IP);
	gwh_uplink_clear(&H);
	assert_int_equal(stats().spoofed, 0);
	assert_int_equal(gwh_held(&H), 1);
	/* teardown destroys it, with a frame held: that one must be freed too. */
	char path[sizeof(H.lease_file)];
	memcpy(path, H.lease_file, sizeof(path));
	gwh_drain(&H);
	gwh_close(&H);
	assert_int_equal(rte_mempool_avail_count(mp), pool_expect);
	unlink(path);
	rmdir(dir);
	assert_int_equal(open_gw(NULL), 0); /* for teardown */
}

/* Frames left in every queue when the gateway is destroyed are freed:
 * guests' frames not yet polled, answers not yet taken (DHCP on its ring,
 * ping in the queue for the bridge), frames held for the next hop, frames
 * the uplink had not handed over; then DHCP not yet seen by the control
 * thread. */
static void test_destroy_with_frames_everywhere(void **state)
{
	(void)state;
	uint32_t ip = dora(G1);
	struct rte_mbuf *b[1];
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "held", 4));
	guest(F, gwh_echo(F, H.in_mac, G1, ip, GWH_GW_IP, 1, 1));
	guest(F, gwh_dhcp(F, G2, 1, 1, 0, 0));
	assert_int_equal(gwh_poll(&H, b, 0), 0); /* worked, handed nothing over */
	gwh_control(&H);                          /* the OFFER waits on its ring */
	guest(F, gwh_echo(F, H.in_mac, G1, ip, GWH_GW_IP, 1, 2)); /* not polled */
	outside(F, gwh_arp(F, 1, GWH_BCAST, NEIGH_MAC, NEIGH_IP, GWH_ZERO, GWH_EXT_IP));
	assert_int_equal(gwh_held(&H), 1);
	assert_int_equal(rte_ring_count(H.gw->dhcp_out), 1);
	assert_int_equal(H.gw->inq_n, 1);
	assert_int_equal(rte_mempool_avail_count(mp), pool_expect - 6); /* + the ARP request sent */
	gwh_close(&H);
	assert_int_equal(rte_mempool_avail_count(mp), pool_expect);

	assert_int_equal(open_gw(NULL), 0);
	guest(F, gwh_dhcp(F, G2, 1, 1, 0, 0));
	assert_int_equal(gwh_poll(&H, b, 0), 0);
	assert_int_equal(rte_ring_count(H.gw->dhcp_in), 1);
	gwh_close(&H);
	assert_int_equal(rte_mempool_avail_count(mp), pool_expect);
	assert_int_equal(open_gw(NULL), 0);
}

/* More than the gateway can hand over in one poll: the rest waits for
 * the next, in order; the NAT table limit holds with new flows refused. */
static void test_many_frames_and_full_table(void **state)
{
	(void)state;
	uint16_t ext;
	uint32_t ip = udp_flow(G1, 40000, &ext);
	for (int i = 0; i < 40; i++)
		guest(F, gwh_echo(F, H.in_mac, G1, ip, GWH_GW_IP, 9, (uint16_t)i));
	struct rte_mbuf *b[VSW_BURST];
	uint16_t k = gwh_poll(&H, b, 16);
	assert_int_equal(k, 16);
	for (uint16_t i = 0; i < k; i++)
		assert_int_equal(rd16(bytes(b[i]) + 40), i);
	rte_pktmbuf_free_bulk(b, k);
	/* The other 16 of the first burst and the 8 the ring still held. */
	k = gwh_poll(&H, b, VSW_BURST);
	assert_int_equal(k, 40 - 16);
	for (uint16_t i = 0; i < k; i++)
		assert_int_equal(rd16(bytes(b[i]) + 40), 16 + i);
	rte_pktmbuf_free_bulk(b, k);
	poll_none();

	/* Flows up to the table's size (one is udp_flow's), then refused. */
	for (int i = 1; i < GWH_MAX_SESSIONS + 4; i++)
		guest(F, gwh_udp(F, H.in_mac, G1, ip, (uint16_t)(41000 + i), GWH_REMOTE_IP, 5353,
				 "f", 1));
	poll_none();
	assert_int_equal(H.up_tx_n, GWH_MAX_SESSIONS - 1);
	gwh_uplink_clear(&H);
	assert_int_equal(nat_stats().drops[VSW_NAT_TABLE_FULL], 4);
	assert_int_equal(vsw_nat_session_count(vsw_gw_nat(H.gw)), GWH_MAX_SESSIONS);
	/* The first flow is unharmed. */
	guest(F, gwh_udp(F, H.in_mac, G1, ip, 40000, GWH_REMOTE_IP, 5353, "ok", 2));
	poll_none();
	uint16_t e2;
	assert_udp_out(uplink_one(), GWH_REMOTE_IP, 5353, "ok", &e2);
	assert_int_equal(e2, ext);
	gwh_uplink_clear(&H);
}

int main(void)
{
	mp = ut_eal_pool("test_gateway", POOL);
	if (mp == NULL) {
		fprintf(stderr, "EAL/pool set-up failed\n");
		return 1;
	}
	loop = vsw_evloop_create();
	if (loop == NULL)
		return 1;
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_arp_for_gateway),
		T(test_arp_other_ignored),
		T(test_ping_gateway),
		T(test_dhcp_discover_offer),
		T(test_dhcp_dora_binds),
		T(test_dhcp_flood),
		T(test_udp_out_and_back),
		T(test_tcp_and_ping_out),
		T(test_next_hop_unresolved),
		T(test_next_hop_refresh_and_aging),
		T(test_next_hop_on_link),
		T(test_spoofed_source),
		T(test_spoof_check_off),
		T(test_ipv6_dropped),
		T(test_broadcast_not_dhcp),
		T(test_bad_ipv4),
		T(test_chained_frame),
		T(test_offload_partial_checksum),
		T(test_shared_frame_not_modified),
		T(test_uplink_arp),
		T(test_uplink_ping),
		T(test_forward),
		T(test_forward_unknown_guest),
		T(test_leases_survive_restart),
		T(test_destroy_with_frames_everywhere),
		T(test_many_frames_and_full_table),
		T(test_arp_does_not_steal_forward),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	vsw_evloop_destroy(loop);
	return r;
}
