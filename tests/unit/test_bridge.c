/* Unit tests of the MAC table and the bridge's forwarding decision, on fake
 * ports that record what they are given: learning, known unicast, flooding
 * sets (never back out of the ingress port, never into another network),
 * moves, aging on a fake clock, static entries, table limit, VLAN access and
 * trunk ports, MTU; and the copy-once path's runs (direct.c) on fake
 * ports that hand out and take frames as views. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "switch/bridge.h"
#include "switch/direct.h"
#include "switch/fdb.h"
#include "vring/vring.h"
#include "ut_eal.h"

#define NPORTS 6
#define CAP 256

struct fake {
	uint16_t n;
	struct rte_mbuf *got[CAP];
	/* copy-once path: frames taken as views, and how many more fit */
	uint16_t nv;
	struct vsw_vq_view views[CAP];
	uint16_t room;
};

static struct rte_mempool *pool;
static struct vsw_port *ports[VSW_MAX_PORTS];
static struct fake fakes[NPORTS];
static struct vsw_network net_a, net_b;
static struct vsw_fwd_ctx *ctx;

static uint16_t fake_tx(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
			enum vsw_drop_reason *why)
{
	(void)q;
	(void)why;
	struct fake *f = p->priv;
	for (uint16_t i = 0; i < n; i++)
		f->got[f->n++] = pkts[i];
	return n;
}

static uint16_t one_queue(const struct vsw_port *p)
{
	(void)p;
	return 1;
}

static const struct vsw_port_ops fake_ops = {
	.tx_burst = fake_tx, .nb_rx_queues = one_queue, .nb_tx_queues = one_queue,
};

/* The frames a fake port's guest has queued, handed out as views. */
static struct vsw_vq_view queued[CAP];
static uint16_t nqueued, peek_done_k;
static int held_sends, unheld_sends; /* tx_views calls that may hold, and not */
static bool queue_stopped; /* after them, a frame views cannot carry */
static int peeks;

static uint16_t fake_peek(struct vsw_port *p, uint16_t q, struct vsw_vq_view *v, uint16_t n,
			  bool *stopped)
{
	(void)p;
	(void)q;
	peeks++;
	uint16_t k = RTE_MIN(n, nqueued);
	memcpy(v, queued, k * sizeof(*v));
	*stopped = k == nqueued && queue_stopped;
	return k;
}

static void fake_peek_done(struct vsw_port *p, uint16_t q, const struct vsw_vq_view *v, uint16_t k)
{
	(void)p;
	(void)q;
	(void)v;
	peek_done_k = k;
}

static uint16_t fake_tx_views(struct vsw_port *p, uint16_t q, const struct vsw_vq_view *const *v,
			      uint16_t n, bool hold)
{
	(void)q;
	if (hold)
		held_sends++;
	else
		unheld_sends++;
	struct fake *f = p->priv;
	uint16_t k = RTE_MIN(n, f->room);
	for (uint16_t i = 0; i < k; i++)
		f->views[f->nv++] = *v[i];
	f->room -= k;
	return k;
}

static const struct vsw_port_ops direct_ops = {
	.tx_burst = fake_tx, .nb_rx_queues = one_queue, .nb_tx_queues = one_queue,
	.rx_peek = fake_peek, .rx_peek_done = fake_peek_done, .tx_views = fake_tx_views,
};

static const struct rte_ether_addr mac_of[] = {
	{ { 0x52, 0x54, 0, 0, 0, 0xa0 } }, { { 0x52, 0x54, 0, 0, 0, 0xa1 } },
	{ { 0x52, 0x54, 0, 0, 0, 0xa2 } }, { { 0x52, 0x54, 0, 0, 0, 0xa3 } },
	{ { 0x52, 0x54, 0, 0, 0, 0xa4 } }, { { 0x52, 0x54, 0, 0, 0, 0xa5 } },
};
static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct rte_ether_addr mcast = { { 0x01, 0x00, 0x5e, 0, 0, 1 } };
static const struct rte_ether_addr unknown = { { 0x52, 0x54, 0, 0, 0, 0xee } };

static struct rte_mbuf *frame(const struct rte_ether_addr *src, const struct rte_ether_addr *dst,
			      uint16_t vid, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	char *d = rte_pktmbuf_append(m, len);
	assert_non_null(d);
	memset(d, 0x5a, len);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)d;
	eth->src_addr = *src;
	eth->dst_addr = *dst;
	if (vid) {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);
		vh->vlan_tci = rte_cpu_to_be_16(vid);
		vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	} else {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}
	return m;
}

static void send1(int in, struct rte_mbuf *m)
{
	vsw_bridge_input(ctx, ports[in], &m, 1);
	vsw_bridge_flush(ctx);
}

/* Which fake ports received something since the last reset, as a bitmask. */
static unsigned int receivers(void)
{
	unsigned int mask = 0;
	for (int i = 0; i < NPORTS; i++)
		if (fakes[i].n)
			mask |= 1u << i;
	return mask;
}

static void reset_rx(void)
{
	for (int i = 0; i < NPORTS; i++) {
		for (uint16_t j = 0; j < fakes[i].n; j++)
			rte_pktmbuf_free(fakes[i].got[j]);
		fakes[i].n = 0;
	}
}

static uint16_t got_vid(int port, int idx)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(fakes[port].got[idx], const struct rte_ether_hdr *);
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		return 0;
	return rte_be_to_cpu_16(((const struct rte_vlan_hdr *)(eth + 1))->vlan_tci) & 0xfff;
}

static void set_members(struct vsw_network *net, const int *ids, int n)
{
	net->members->n = 0;
	for (int i = 0; i < n; i++)
		net->members->ports[net->members->n++] = (uint16_t)ids[i];
}

/* Ports 0-3 in network A, 4-5 in network B; all untagged, MTU 1500. */
static int setup(void **state)
{
	(void)state;
	net_a.fdb = vsw_fdb_create("a", 16, NULL);
	net_b.fdb = vsw_fdb_create("b", 64, NULL);
	net_a.members = rte_zmalloc(NULL, sizeof(struct vsw_members), 0);
	net_b.members = rte_zmalloc(NULL, sizeof(struct vsw_members), 0);
	ctx = rte_zmalloc(NULL, sizeof(*ctx), 0);
	assert_non_null(net_a.fdb);
	assert_non_null(ctx);
	for (int i = 0; i < NPORTS; i++) {
		struct vsw_port *p = rte_zmalloc(NULL, sizeof(*p), 0);
		p->id = (uint16_t)i;
		p->ops = &fake_ops;
		p->priv = &fakes[i];
		fakes[i].nv = 0;
		fakes[i].room = CAP;
		p->cfg.mtu = 1500;
		p->net = i < 4 ? &net_a : &net_b;
		snprintf(p->name, sizeof(p->name), "p%d", i);
		ports[i] = p;
	}
	set_members(&net_a, (int[]){ 0, 1, 2, 3 }, 4);
	set_members(&net_b, (int[]){ 4, 5 }, 2);
	ctx->ports = ports;
	ctx->now = 1000;
	nqueued = peek_done_k = 0;
	queue_stopped = false;
	peeks = 0;
	return 0;
}

/* --- the copy-once path --- */

static uint8_t frame_bytes[CAP][2000];

static void queue_view(const struct rte_ether_addr *src, const struct rte_ether_addr *dst,
		       uint32_t len)
{
	struct vsw_vq_view *v = &queued[nqueued];
	v->frame = frame_bytes[nqueued];
	v->len = len;
	v->head = nqueued;
	v->needs = 0;
	v->nmore = 0;
	v->hdrs_len = 0;
	v->gso_size = 0;
	v->eth.src_addr = *src;
	v->eth.dst_addr = *dst;
	v->eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	nqueued++;
}

static void use_direct_ops(void)
{
	for (int i = 0; i < NPORTS; i++)
		ports[i]->ops = &direct_ops;
}

/* The views a fake port was given are exactly these queued frames, in order. */
static void assert_views(int port, const uint16_t *heads, unsigned int n)
{
	assert_int_equal(fakes[port].nv, n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(fakes[port].views[i].head, heads[i]);
}
#define ASSERT_VIEWS(port, ...)                                                                \
	do {                                                                                   \
		const uint16_t h_[] = { __VA_ARGS__ };                                         \
		assert_views(port, h_, RTE_DIM(h_));                                          \
	} while (0)

static void learn(int port, int mac)
{
	send1(port, frame(&mac_of[mac], &bcast, 0, 64));
	reset_rx();
	for (int i = 0; i < NPORTS; i++) /* count from here on */
		memset(ports[i]->counters, 0, sizeof(ports[i]->counters));
}

/* From port 0 a frame to each of ports 1..ndest (tx queues shared): the
 * sends made held and unheld, and every destination's lock free after. */
static void shared_run(int ndest, int held, int unheld)
{
	bool rest;
	nqueued = 0;
	held_sends = unheld_sends = 0;
	for (int d = 1; d <= ndest; d++)
		queue_view(&mac_of[0], &mac_of[d], 100);
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), ndest);
	assert_int_equal(held_sends, held);
	assert_int_equal(unheld_sends, unheld);
	for (int d = 1; d <= ndest; d++) {
		assert_true(rte_spinlock_trylock(&ports[d]->txq_lock[0]));
		rte_spinlock_unlock(&ports[d]->txq_lock[0]);
	}
}

static void test_direct_run_of_known_unicast(void **state)
{
	(void)state;
	use_direct_ops();
	learn(1, 1);
	learn(2, 2);
	bool rest = true;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
	assert_false(rest); /* nothing queued */
	/* To 1, 2, 1: one batch per destination, each in order. */
	queue_view(&mac_of[0], &mac_of[1], 100);
	queue_view(&mac_of[0], &mac_of[2], 200);
	queue_view(&mac_of[0], &mac_of[1], 300);
	held_sends = unheld_sends = 0;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 3);
	assert_false(rest);
	assert_int_equal(peek_done_k, 3);
	/* The workers' own queues: the receivers may wait for the sender's
	 * release; a shared queue (below) may not. */
	assert_int_equal(held_sends, 2);
	assert_int_equal(unheld_sends, 0);
	ASSERT_VIEWS(1, 0, 2);
	ASSERT_VIEWS(2, 1);
	assert_int_equal(fakes[3].nv + fakes[0].nv + fakes[3].n, 0);
	assert_int_equal(ports[0]->counters[0].rx_packets, 3);
	assert_int_equal(ports[0]->counters[0].rx_bytes, 600);
	assert_int_equal(ports[1]->counters[0].tx_packets, 2);
	assert_int_equal(ports[1]->counters[0].tx_bytes, 400);
	/* The source was learned: unicast to it goes back to port 0. */
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[0], 0), 0);
	/* Tx queues other workers share: one destination's lock is kept
	 * until the frames are shown (held, and let go of after); with two
	 * destinations each is published under its lock at once. */
	ports[1]->tx_shared = ports[2]->tx_shared = true;
	shared_run(1, 1, 0);
	shared_run(2, 0, 2);
	ports[1]->tx_shared = ports[2]->tx_shared = false;
}

/* Each frame the path cannot carry ends the run before it; the frame is
 * left for the bridge (rest) and nothing after it is taken. */
static void test_direct_run_ends_where_the_bridge_is_needed(void **state)
{
	(void)state;
	use_direct_ops();
	learn(1, 1);
	learn(0, 3); /* mac 3 lives behind port 0 itself */
	learn(4, 4); /* mac 4 in network B */
	ports[2]->cfg.vlan = 20;
	learn(2, 2);
	const struct rte_ether_addr *stoppers[] = { &bcast, &mcast, &unknown, &mac_of[3],
						    &mac_of[2] };
	for (unsigned int s = 0; s < RTE_DIM(stoppers); s++) {
		nqueued = 0;
		fakes[1].nv = 0;
		queue_view(&mac_of[0], &mac_of[1], 100);
		queue_view(&mac_of[0], stoppers[s], 100);
		queue_view(&mac_of[0], &mac_of[1], 100);
		bool rest = false;
		assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 1);
		assert_true(rest);
		assert_int_equal(peek_done_k, 1);
		assert_int_equal(fakes[1].nv, 1);
	}
	/* A frame over the destination's MTU: the bridge drops and counts it. */
	nqueued = 0;
	queue_view(&mac_of[0], &mac_of[1], 1515);
	bool rest = false;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
	assert_true(rest);
	/* A destination with a capture running: the bridge feeds the capture. */
	nqueued = 0;
	queue_view(&mac_of[0], &mac_of[1], 100);
	ports[1]->capture = (struct vsw_capture *)&ports; /* only compared with NULL */
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
	assert_true(rest);
	ports[1]->capture = NULL;
	/* A stale entry of a port now in another network. */
	ports[1]->net = &net_b;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
	assert_true(rest);
	ports[1]->net = &net_a;
	/* A destination that takes only mbufs (an ethdev, the host port, the
	 * NAT gateway)... */
	ports[1]->ops = &fake_ops;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
	assert_true(rest);
	ports[1]->ops = &direct_ops;
	/* ...and the next 8 polls of that queue go straight to the mbuf path
	 * (looking would read each frame twice); then it looks again. */
	peeks = 0;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
		assert_true(rest);
	}
	assert_int_equal(peeks, 0);
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 1);
	assert_int_equal(peeks, 1);
	/* Other frames than a mbuf-only destination's set no skip. */
	nqueued = 0;
	queue_view(&mac_of[0], &mac_of[1], 1515);
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
	assert_int_equal(peeks, 3);
	/* An ingress port with a VLAN is not even looked at. */
	ports[0]->cfg.trunk[0] = 20;
	ports[0]->cfg.ntrunk = 1;
	peeks = 0;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 0);
	assert_true(rest);
	assert_int_equal(peeks, 0);
	ports[0]->cfg.ntrunk = 0;
	/* A MAC moving to the ingress port within the burst: the bridge
	 * learns it first, so a frame sent to it in that burst is its call. */
	nqueued = 0;
	queue_view(&mac_of[1], &mac_of[3], 100); /* mac 1 now sends from port 0... */
	queue_view(&mac_of[0], &mac_of[1], 100); /* ...so this is not for port 1 */
	ports[3]->ops = &direct_ops;
	learn(3, 3);
	fakes[1].nv = 0;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 1);
	assert_true(rest);
	assert_int_equal(fakes[1].nv, 0);
	assert_int_equal(fakes[3].nv, 1);
	nqueued = 1;
	/* The guest's queue ends at a frame only the mbuf way takes. */
	queue_stopped = true;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 1);
	assert_true(rest);
}

/* A burst of several conversations (runs of one destination and source):
 * each destination gets one batch holding its frames in order; every
 * source is learned; a new source to a known destination is its own
 * conversation. */
static void test_direct_conversations(void **state)
{
	(void)state;
	use_direct_ops();
	learn(1, 1);
	learn(2, 2);
	const int order[][2] = { { 0, 1 }, { 0, 1 }, { 5, 1 }, { 5, 1 }, { 0, 2 },
				 { 0, 2 }, { 0, 1 }, { 0, 1 } };
	for (unsigned int i = 0; i < RTE_DIM(order); i++)
		queue_view(&mac_of[order[i][0]], &mac_of[order[i][1]], 100 + i);
	bool rest = true;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 8);
	assert_false(rest);
	assert_int_equal(peek_done_k, 8);
	ASSERT_VIEWS(1, 0, 1, 2, 3, 6, 7);
	ASSERT_VIEWS(2, 4, 5);
	for (unsigned int i = 0; i < fakes[1].nv; i++) /* each view is its own frame */
		assert_int_equal(fakes[1].views[i].len, 100 + fakes[1].views[i].head);
	assert_int_equal(ports[0]->counters[0].rx_packets, 8);
	assert_int_equal(ports[0]->counters[0].rx_bytes, 8 * 100 + 28);
	assert_int_equal(ports[1]->counters[0].tx_packets, 6);
	assert_int_equal(ports[2]->counters[0].tx_packets, 2);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[0], 0), 0);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[5], 0), 0);
}

/* A frame over the MTU ends the run inside a conversation: the frames
 * before it go, it and the rest are the bridge's, and a source seen only
 * after the run is left for the bridge to learn. */
static void test_direct_conversation_cut_short(void **state)
{
	(void)state;
	use_direct_ops();
	learn(1, 1);
	learn(2, 2);
	queue_view(&mac_of[0], &mac_of[2], 100);
	queue_view(&mac_of[0], &mac_of[1], 100);
	queue_view(&mac_of[0], &mac_of[1], 100);
	queue_view(&mac_of[0], &mac_of[1], 1515);
	queue_view(&mac_of[0], &mac_of[1], 100);
	queue_view(&mac_of[5], &mac_of[1], 100);
	bool rest = false;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 3);
	assert_true(rest);
	assert_int_equal(peek_done_k, 3);
	ASSERT_VIEWS(1, 1, 2);
	ASSERT_VIEWS(2, 0);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[5], 0), VSW_FDB_NONE);
	/* Cut at a conversation's first frame. */
	nqueued = 0;
	fakes[1].nv = fakes[2].nv = 0;
	queue_view(&mac_of[0], &mac_of[2], 100);
	queue_view(&mac_of[5], &mac_of[1], 1515);
	queue_view(&mac_of[5], &mac_of[1], 100);
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 1);
	assert_true(rest);
	assert_int_equal(peek_done_k, 1);
	assert_int_equal(fakes[1].nv, 0);
	ASSERT_VIEWS(2, 0);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[5], 0), VSW_FDB_NONE);
}

/* Access VLANs: frames go between two ports of one VLAN as they came, so
 * they take the path, learned and looked up in that VLAN. A tagged frame on
 * an access port (the bridge drops it), a destination that needs the tag
 * (a trunk) and another VLAN end the run; on an untagged port a tag is
 * payload. */
static void test_direct_access_vlans(void **state)
{
	(void)state;
	use_direct_ops();
	ports[0]->cfg.vlan = 20;
	ports[1]->cfg.vlan = 20;
	ports[2]->cfg.vlan = 30;
	ports[3]->cfg.trunk[0] = 20;
	ports[3]->cfg.ntrunk = 1;
	learn(1, 1);
	learn(2, 2);
	send1(3, frame(&mac_of[3], &bcast, 20, 64));
	reset_rx();
	queue_view(&mac_of[0], &mac_of[1], 100);
	queue_view(&mac_of[0], &mac_of[1], 100);
	bool rest = true;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 2);
	assert_false(rest);
	ASSERT_VIEWS(1, 0, 1);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[0], 20), 0);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[0], 0), VSW_FDB_NONE);
	const struct rte_ether_addr *stoppers[] = { &mac_of[2], &mac_of[3], &mac_of[1] };
	for (unsigned int s = 0; s < RTE_DIM(stoppers); s++) {
		nqueued = 0;
		fakes[1].nv = 0;
		queue_view(&mac_of[0], &mac_of[1], 100);
		queue_view(&mac_of[0], stoppers[s], 100);
		if (s == 2) /* the same conversation, but tagged */
			queued[1].eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		queue_view(&mac_of[0], &mac_of[1], 100);
		assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 1);
		assert_true(rest);
		ASSERT_VIEWS(1, 0);
	}
	assert_int_equal(fakes[2].nv + fakes[3].nv, 0);
	/* Untagged ports: a tag is payload, the frame is carried as it is. */
	ports[0]->cfg.vlan = ports[1]->cfg.vlan = 0;
	learn(1, 1);
	nqueued = 0;
	fakes[1].nv = 0;
	queue_view(&mac_of[0], &mac_of[1], 100);
	queued[0].eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 1);
	ASSERT_VIEWS(1, 0);
}

static void test_direct_destination_full(void **state)
{
	(void)state;
	use_direct_ops();
	learn(1, 1);
	for (int i = 0; i < 5; i++)
		queue_view(&mac_of[0], &mac_of[1], 100);
	fakes[1].room = 3;
	bool rest;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 5);
	assert_int_equal(peek_done_k, 5); /* all leave the sender either way */
	assert_int_equal(ports[1]->counters[0].tx_packets, 3);
	assert_int_equal(ports[1]->counters[0].tx_bytes, 300);
	assert_int_equal(ports[1]->counters[0].drops[VSW_DROP_NO_BUF], 2);
}

static int teardown(void **state)
{
	(void)state;
	reset_rx();
	for (int i = 0; i < NPORTS; i++) {
		rte_free(ports[i]);
		ports[i] = NULL;
	}
	vsw_fdb_free(net_a.fdb);
	vsw_fdb_free(net_b.fdb);
	rte_free(net_a.members);
	rte_free(net_b.members);
	rte_free(ctx);
	return 0;
}

static void test_unknown_unicast_floods_within_network(void **state)
{
	(void)state;
	send1(0, frame(&mac_of[0], &unknown, 0, 64));
	assert_int_equal(receivers(), 0x0e); /* 1, 2, 3: not back to 0, not into B */
	assert_int_equal(ports[0]->counters[0].rx_packets, 1);
	assert_int_equal(ports[1]->counters[0].tx_packets, 1);
	assert_int_equal(ports[1]->counters[0].tx_bytes, 64);
	reset_rx();
	send1(4, frame(&mac_of[4], &bcast, 0, 64));
	assert_int_equal(receivers(), 0x20);
	reset_rx();
	send1(1, frame(&mac_of[1], &mcast, 0, 64));
	assert_int_equal(receivers(), 0x0d);
	/* The flood shares one mbuf: every copy carries the same bytes. */
	assert_ptr_equal(fakes[0].got[0], fakes[2].got[0]);
	assert_int_equal(rte_mbuf_refcnt_read(fakes[0].got[0]), 3);
}

static void test_learned_unicast_goes_to_one_port(void **state)
{
	(void)state;
	send1(2, frame(&mac_of[2], &bcast, 0, 64)); /* learn mac 2 on port 2 */
	reset_rx();
	for (int i = 0; i < 5; i++)
		send1(0, frame(&mac_of[0], &mac_of[2], 0, 100));
	assert_int_equal(receivers(), 0x04);
	assert_int_equal(fakes[2].n, 5);
	assert_int_equal(ports[2]->counters[0].tx_bytes, 500); /* its own broadcast never came back */
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[0], 0), 0);
	/* A MAC known in A is unknown in B: networks are isolated. */
	assert_int_equal(vsw_fdb_lookup(net_b.fdb, &mac_of[2], 0), VSW_FDB_NONE);
	reset_rx();
	send1(4, frame(&mac_of[4], &mac_of[2], 0, 64));
	assert_int_equal(receivers(), 0x20);
}

static void test_not_back_out_of_ingress(void **state)
{
	(void)state;
	send1(1, frame(&mac_of[1], &bcast, 0, 64));
	reset_rx();
	send1(1, frame(&mac_of[3], &mac_of[1], 0, 64));
	assert_int_equal(receivers(), 0);
	assert_int_equal(ports[1]->counters[0].drops[VSW_DROP_NO_DEST], 1);
}

static void test_mac_move(void **state)
{
	(void)state;
	send1(1, frame(&mac_of[5], &bcast, 0, 64));
	send1(3, frame(&mac_of[5], &bcast, 0, 64)); /* the VM moved to port 3 */
	reset_rx();
	send1(0, frame(&mac_of[0], &mac_of[5], 0, 64));
	assert_int_equal(receivers(), 0x08);
	struct vsw_fdb_stats st;
	vsw_fdb_get_stats(net_a.fdb, &st);
	assert_int_equal(st.moves, 1);
}

static void test_aging_with_fake_clock(void **state)
{
	(void)state;
	ctx->now = 100;
	send1(1, frame(&mac_of[1], &bcast, 0, 64));
	assert_int_equal(vsw_fdb_age(net_a.fdb, 399, 300), 0);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[1], 0), 1);
	ctx->now = 350; /* seen again: refreshed */
	send1(1, frame(&mac_of[1], &bcast, 0, 64));
	assert_int_equal(vsw_fdb_age(net_a.fdb, 600, 300), 0);
	assert_int_equal(vsw_fdb_age(net_a.fdb, 650, 300), 1);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[1], 0), VSW_FDB_NONE);
	reset_rx();
	send1(0, frame(&mac_of[0], &mac_of[1], 0, 64));
	assert_int_equal(receivers(), 0x0e); /* unknown again: flooded */
}

static void test_static_entry_does_not_move_or_age(void **state)
{
	(void)state;
	assert_int_equal(vsw_fdb_add_static(net_a.fdb, &mac_of[2], 0, 2), 0);
	send1(3, frame(&mac_of[2], &bcast, 0, 64)); /* spoofed elsewhere */
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[2], 0), 2);
	assert_int_equal(vsw_fdb_age(net_a.fdb, 1u << 30, 300), 0);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[2], 0), 2);
}

static void test_table_limit(void **state)
{
	(void)state;
	/* Network A's table holds 16. */
	for (int i = 0; i < 20; i++) {
		struct rte_ether_addr src = { { 0x52, 0x54, 0, 1, 0, (uint8_t)i } };
		send1(1, frame(&src, &unknown, 0, 64));
	}
	assert_int_equal(vsw_fdb_count(net_a.fdb), 16);
	struct vsw_fdb_stats st;
	vsw_fdb_get_stats(net_a.fdb, &st);
	assert_int_equal(st.overflows, 4);
	assert_int_equal(ports[1]->counters[0].drops[VSW_DROP_TABLE_FULL], 4);
	assert_int_equal(fakes[0].n, 20); /* still forwarded */
	assert_int_equal(vsw_fdb_flush(net_a.fdb, 1, false), 16);
	assert_int_equal(vsw_fdb_count(net_a.fdb), 0);
}

static void vlan_ports(void)
{
	ports[0]->cfg.vlan = 10;
	ports[1]->cfg.vlan = 20;
	ports[2]->cfg.ntrunk = 2;
	ports[2]->cfg.trunk[0] = 10;
	ports[2]->cfg.trunk[1] = 20;
	ports[2]->trunk_bitmap[0] = (1ull << 10) | (1ull << 20);
	/* port 3 stays untagged (VLAN 0) */
}

static void test_vlan_access_and_trunk(void **state)
{
	(void)state;
	vlan_ports();
	send1(0, frame(&mac_of[0], &bcast, 0, 64));
	assert_int_equal(receivers(), 0x04); /* only the trunk carries VLAN 10 */
	assert_int_equal(got_vid(2, 0), 10);
	assert_int_equal(fakes[2].got[0]->pkt_len, 68);
	reset_rx();
	send1(2, frame(&mac_of[2], &bcast, 20, 68));
	assert_int_equal(receivers(), 0x02);
	assert_int_equal(got_vid(1, 0), 0); /* untagged on the access port */
	assert_int_equal(fakes[1].got[0]->pkt_len, 64);
	reset_rx();
	/* Known unicast from the trunk into VLAN 10 reaches port 0 untagged. */
	send1(2, frame(&mac_of[2], &mac_of[0], 10, 68));
	assert_int_equal(receivers(), 0x01);
	assert_int_equal(got_vid(0, 0), 0);
	reset_rx();
	/* The same MAC on another VLAN is another entry. */
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[0], 10), 0);
	assert_int_equal(vsw_fdb_lookup(net_a.fdb, &mac_of[0], 20), VSW_FDB_NONE);
	/* Untagged port 3 and VLAN ports do not see each other. */
	send1(3, frame(&mac_of[3], &bcast, 0, 64));
	assert_int_equal(receivers(), 0x04); /* the trunk's native (untagged) domain */
	assert_int_equal(got_vid(2, 0), 0);
	reset_rx();
	/* A tagged frame on an access port, and a VLAN the trunk lacks: dropped. */
	send1(0, frame(&mac_of[0], &bcast, 10, 68));
	send1(2, frame(&mac_of[2], &bcast, 30, 68));
	assert_int_equal(receivers(), 0);
	assert_int_equal(ports[0]->counters[0].drops[VSW_DROP_BAD_PACKET], 1);
	assert_int_equal(ports[2]->counters[0].drops[VSW_DROP_BAD_PACKET], 1);
}

static void test_flood_to_trunk_copies_before_tagging(void **state)
{
	(void)state;
	vlan_ports();
	ports[3]->cfg.vlan = 10;
	send1(0, frame(&mac_of[0], &bcast, 0, 64));
	assert_int_equal(receivers(), 0x0c);
	assert_int_equal(got_vid(2, 0), 10);
	assert_int_equal(got_vid(3, 0), 0); /* the access port's copy has no tag */
	assert_int_equal(fakes[3].got[0]->pkt_len, 64);
}

static void test_mtu_and_runts(void **state)
{
	(void)state;
	ports[2]->cfg.mtu = 1500;
	ports[3]->cfg.mtu = 9000;
	send1(0, frame(&mac_of[0], &bcast, 0, 1514));
	assert_int_equal(receivers(), 0x0e);
	reset_rx();
	struct rte_mbuf *big = frame(&mac_of[0], &bcast, 0, 1515);
	send1(0, big);
	assert_int_equal(receivers(), 0x08); /* only the jumbo port takes it */
	assert_int_equal(ports[1]->counters[0].drops[VSW_DROP_MTU], 1);
	assert_int_equal(ports[2]->counters[0].drops[VSW_DROP_MTU], 1);
	reset_rx();
	struct rte_mbuf *runt = rte_pktmbuf_alloc(pool);
	rte_pktmbuf_append(runt, 10);
	send1(0, runt);
	assert_int_equal(ports[0]->counters[0].drops[VSW_DROP_BAD_PACKET], 1);
	/* A multicast source address is not a sender: dropped, not learned. */
	send1(0, frame(&mcast, &bcast, 0, 64));
	assert_int_equal(ports[0]->counters[0].drops[VSW_DROP_BAD_PACKET], 2);
	assert_int_equal(receivers(), 0);
}

/* A TSO frame is judged by the segments it will make, not its size; its
 * header offsets follow a tag taken off or put on. */
static struct rte_mbuf *tso_frame(const struct rte_ether_addr *src, const struct rte_ether_addr *dst,
				  uint16_t vid, uint16_t mss)
{
	struct rte_mbuf *m = frame(src, dst, vid, 1900); /* as if 30 KB: only lengths matter */
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
	m->l2_len = vid ? 18 : 14;
	m->l3_len = 20;
	m->l4_len = 20;
	m->tso_segsz = mss;
	return m;
}

static void test_offload_frames(void **state)
{
	(void)state;
	/* 14 + 20 + 20 + 1460 = 1514: every segment fits an MTU of 1500. */
	send1(0, tso_frame(&mac_of[0], &bcast, 0, 1460));
	assert_int_equal(receivers(), 0x0e);
	reset_rx();
	/* One byte more per segment: over the MTU, dropped as such. */
	send1(0, tso_frame(&mac_of[0], &bcast, 0, 1461));
	assert_int_equal(receivers(), 0);
	assert_int_equal(ports[1]->counters[0].drops[VSW_DROP_MTU], 1);
	/* A trunk strips the tag: the headers start 4 bytes earlier. */
	vlan_ports();
	send1(2, tso_frame(&mac_of[2], &bcast, 10, 1000));
	assert_int_equal(receivers(), 0x01);
	assert_int_equal(fakes[0].got[0]->l2_len, 14);
	reset_rx();
	/* Tagged for the trunk: 4 bytes later. */
	send1(0, tso_frame(&mac_of[0], &bcast, 0, 1000));
	assert_int_equal(receivers(), 0x04);
	assert_int_equal(got_vid(2, 0), 10);
	assert_int_equal(fakes[2].got[0]->l2_len, 18);
	reset_rx();
	/* Frames that ask nothing keep their (unused) offsets untouched. */
	struct rte_mbuf *m = frame(&mac_of[2], &bcast, 10, 68);
	m->l2_len = 99;
	send1(2, m);
	assert_int_equal(fakes[0].got[0]->l2_len, 99);
	reset_rx();
}

/* The copy-once path takes a frame whose checksum its sender left undone
 * only to a guest that takes such frames; otherwise the run ends there
 * (the bridge's mbuf path has the port finish the checksum). */
static void test_direct_checksum_requests(void **state)
{
	(void)state;
	use_direct_ops();
	vsw_fdb_learn(net_a.fdb, &mac_of[1], 0, 1, 1000);
	queue_view(&mac_of[0], &mac_of[1], 100);
	queue_view(&mac_of[0], &mac_of[1], 100);
	queued[1].needs = VSW_OFF_CSUM;
	queue_view(&mac_of[0], &mac_of[1], 100);
	bool rest;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 1);
	assert_true(rest);
	assert_views(1, (const uint16_t[]){ 0 }, 1);
	ports[1]->rx_offloads = VSW_OFF_CSUM;
	fakes[1].nv = 0;
	assert_int_equal(vsw_direct_input(ctx, ports[0], 0, &rest), 3);
	assert_views(1, (const uint16_t[]){ 0, 1, 2 }, 3);
}

/* A view of a TSO frame (64 KB) as peek makes it: CSUM + TSO4 or TSO6 (+ ECN
 * with CWR), headers of hdrs_len bytes, segments of mss. */
static void queue_tso_view(int ipv, bool ecn, uint16_t mss)
{
	queue_view(&mac_of[0], &mac_of[1], 65000);
	struct vsw_vq_view *v = &queued[nqueued - 1];
	v->needs = VSW_OFF_CSUM | (ipv == 6 ? VSW_OFF_TSO6 : VSW_OFF_TSO4) | (ecn ? VSW_OFF_ECN : 0);
	v->hdrs_len = ipv == 6 ? 74 : 54;
	v->gso_size = mss;
	v->csum_start = ipv == 6 ? 54 : 34;
	v->csum_offset = 16;
}

/* A TSO frame goes the copy-once way only to a guest that takes it as it is
 * (GUEST_CSUM and GUEST_TSO4 or 6, GUEST_ECN for a frame with CWR), and is
 * judged against the MTU by its segments (headers + MSS), not its 64 KB;
 * otherwise the run ends there and the bridge's port segments it. */
static void test_direct_tso_requests(void **state)
{
	(void)state;
	use_direct_ops();
	vsw_fdb_learn(net_a.fdb, &mac_of[1], 0, 1, 1000);
	bool rest;
	struct {
		const char *what;
		uint8_t can;   /* the receiver's rx_offloads */
		int ipv;
		bool ecn;
		uint16_t mss;
		uint16_t want; /* frames taken of plain, TSO, plain */
	} cases[] = {
		{ "no GUEST_TSO", VSW_OFF_CSUM, 4, false, 1460, 1 },
		{ "TSO4 receiver, v4", VSW_OFF_CSUM | VSW_OFF_TSO4, 4, false, 1460, 3 },
		{ "TSO4 receiver, v6", VSW_OFF_CSUM | VSW_OFF_TSO4, 6, false, 1440, 1 },
		{ "TSO6 receiver, v6", VSW_OFF_CSUM | VSW_OFF_TSO6, 6, false, 1440, 3 },
		{ "TSO but no GUEST_CSUM", VSW_OFF_TSO4 | VSW_OFF_TSO6 | VSW_OFF_ECN, 4, false, 1460, 1 },
		{ "CWR without GUEST_ECN", VSW_OFF_CSUM | VSW_OFF_TSO4, 4, true, 1460, 1 },
		{ "CWR with GUEST_ECN", VSW_OFF_CSUM | VSW_OFF_TSO4 | VSW_OFF_ECN, 4, true, 1460, 3 },
		{ "segments of 1515 bytes", 0x0f, 4, false, 1461, 1 },
		{ "v6 segments of 1515 bytes", 0x0f, 6, false, 1441, 1 },
	};
	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		nqueued = 0;
		fakes[1].nv = 0;
		fakes[1].room = CAP;
		queue_view(&mac_of[0], &mac_of[1], 100);
		queue_tso_view(cases[i].ipv, cases[i].ecn, cases[i].mss);
		queue_view(&mac_of[0], &mac_of[1], 100);
		ports[1]->rx_offloads = cases[i].can;
		uint16_t got = vsw_direct_input(ctx, ports[0], 0, &rest);
		if (got != cases[i].want || fakes[1].nv != cases[i].want || rest != (got < 3))
			fail_msg("%s: %u taken, %u delivered, rest %d; expected %u", cases[i].what, got,
				 fakes[1].nv, rest, cases[i].want);
	}
	/* The receiver's counters count the frame's bytes, not its segments. */
	assert_int_equal(ports[1]->counters[0].tx_bytes, 3 * (100 + 65000 + 100) + 6 * 100);
}

static void test_mbufs_all_returned(void **state)
{
	(void)state;
	unsigned int before = rte_mempool_avail_count(pool);
	vlan_ports();
	for (int i = 0; i < 50; i++) {
		struct rte_mbuf *burst[4] = {
			frame(&mac_of[0], &bcast, 0, 64), frame(&mac_of[2], &bcast, 20, 68),
			frame(&mac_of[3], &unknown, 0, 64), frame(&mac_of[0], &bcast, 99, 68),
		};
		vsw_bridge_input(ctx, ports[i % 2 ? 2 : 0], burst, 4);
		vsw_bridge_flush(ctx);
		reset_rx();
	}
	assert_int_equal(rte_mempool_avail_count(pool), before);
}

int main(void)
{
	char *args[] = { "test_bridge", "--no-huge", "--no-pci", "-m", "128", "--no-shconf",
			 "--no-telemetry", "--log-level=*:error", "--file-prefix=vsw-ut-bridge",
			 "-l", "0" };
	if (rte_eal_init(sizeof(args) / sizeof(args[0]), args) < 0)
		return 1;
	ut_eal_forget_runtime_dir();
	pool = rte_pktmbuf_pool_create("ut", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_unicast_floods_within_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learned_unicast_goes_to_one_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_back_out_of_ingress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aging_with_fake_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_entry_does_not_move_or_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_access_and_trunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_to_trunk_copies_before_tagging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtu_and_runts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offload_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_checksum_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_tso_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbufs_all_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_run_of_known_unicast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_run_ends_where_the_bridge_is_needed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_destination_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_conversations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_access_vlans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_conversation_cut_short, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
