/* Owns nat_bench's traffic: one DPDK process, two ports, a closed loop
 * through a NAT. Port 0 is the guest on the NAT's inside: it sends 64-byte
 * (or -z) UDP frames to the gateway's MAC, one flow after the other out of
 * -f flows, and sends a new frame (the next flow) for each one that comes
 * back, so -k frames stay in flight. Port 1 is the host outside, behind the
 * uplink: it reflects what arrives (MACs, addresses and UDP ports swapped,
 * which leaves both checksums valid) and answers ARP for the next hop's
 * address, as a router would. Port 0 answers ARP for the guest's address.
 *
 * Flow i: guest port 1024 + i % 50000, outside port 5000 + i / 50000, so
 * that no more than 50000 inside address:port pairs need an external port
 * (endpoint-independent mapping on one external address).
 *
 * Start: one frame every 100 ms until one comes back (the switch has
 * resolved its next hop and set up its state), then -k frames. If nothing
 * comes back for 50 ms, what was in flight is counted lost and -k frames
 * are sent again (a refill). SIGUSR1 prints a MARK line with the counters
 * and the TSC; SIGTERM stops sending, waits 500 ms for what is in flight,
 * prints an END line and exits. Busy cycles are those of loop rounds that
 * received something, as testpmd's --record-core-cycles counts them.
 *
 * Usage: nat_gen EAL... -- -g GW_MAC [-f FLOWS] [-k IN_FLIGHT] [-z FRAME]
 *        [-a GUEST_IP] [-d OUTSIDE_IP] [-n NEXT_HOP_IP] [-q RING] */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define BURST 32
#define PORTS_PER_DST 50000u
#define SPORT_BASE 1024u
#define DPORT_BASE 5000u

static volatile sig_atomic_t want_mark, want_stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_mark = 1;
	else
		want_stop = 1;
}

struct gen {
	uint32_t flows, inflight, frame, ring;
	struct rte_ether_addr gw_mac, mac[2];
	uint32_t guest_ip, out_ip, nh_ip; /* network byte order */
	uint8_t tmpl[RTE_ETHER_MAX_LEN];
	uint32_t csum_base;               /* UDP sum without the ports */
	uint32_t sport_i, dport_i;        /* the next flow */
	uint64_t tx[2], rx[2], txdrop[2], other[2], arp[2], refills, lost_refill;
	uint64_t busy;
};

static void die(const char *what)
{
	fprintf(stderr, "nat_gen: %s\n", what);
	exit(2);
}

static uint32_t ip_arg(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		die("bad IPv4 address");
	return a.s_addr;
}

static uint32_t num_arg(const char *s, uint32_t lo, uint32_t hi)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		die("number out of range");
	return (uint32_t)v;
}

static uint32_t sum16(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	return s;
}

static void build_template(struct gen *g)
{
	uint16_t l3 = (uint16_t)(g->frame - RTE_ETHER_CRC_LEN - sizeof(struct rte_ether_hdr));
	uint16_t l4 = (uint16_t)(l3 - sizeof(struct rte_ipv4_hdr));
	memset(g->tmpl, 0, sizeof(g->tmpl));
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)g->tmpl;
	e->dst_addr = g->gw_mac;
	e->src_addr = g->mac[0];
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(l3);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = g->guest_ip;
	ip->dst_addr = g->out_ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	u->dgram_len = rte_cpu_to_be_16(l4);
	/* Pseudo-header, length field and payload (zeros); ports added per frame. */
	g->csum_base = sum16(&ip->src_addr, 8) + IPPROTO_UDP + 2u * l4;
}

static inline void write_flow(struct gen *g, struct rte_mbuf *m)
{
	uint32_t len = g->frame - RTE_ETHER_CRC_LEN;
	rte_pktmbuf_reset(m);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	memcpy(p, g->tmpl, len);
	uint16_t sp = (uint16_t)(SPORT_BASE + g->sport_i), dp = (uint16_t)(DPORT_BASE + g->dport_i);
	if (++g->sport_i == PORTS_PER_DST || g->sport_i + g->dport_i * PORTS_PER_DST == g->flows) {
		g->sport_i = 0;
		if (++g->dport_i * PORTS_PER_DST >= g->flows)
			g->dport_i = 0;
	}
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + sizeof(struct rte_ether_hdr) +
						       sizeof(struct rte_ipv4_hdr));
	u->src_port = rte_cpu_to_be_16(sp);
	u->dst_port = rte_cpu_to_be_16(dp);
	uint32_t s = g->csum_base + sp + dp;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	uint16_t c = (uint16_t)~s;
	u->dgram_cksum = rte_cpu_to_be_16(c ? c : 0xffff);
}

/* An ARP request for ip turned into the answer from mac, in place. */
static bool arp_answer(struct rte_mbuf *m, const struct rte_ether_addr *mac, uint32_t ip)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
		return false;
	struct rte_ether_hdr *e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(e + 1);
	if (a->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) || a->arp_data.arp_tip != ip)
		return false;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_tha = a->arp_data.arp_sha;
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	a->arp_data.arp_sha = *mac;
	a->arp_data.arp_sip = ip;
	e->dst_addr = e->src_addr;
	e->src_addr = *mac;
	return true;
}

static bool is_udp4(struct rte_mbuf *m, struct rte_ipv4_hdr **ipp)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
					      sizeof(struct rte_udp_hdr))
		return false;
	struct rte_ether_hdr *e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);
	if (e->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_UDP)
		return false;
	*ipp = ip;
	return true;
}

static inline bool is_arp(struct rte_mbuf *m)
{
	return rte_pktmbuf_data_len(m) >= sizeof(struct rte_ether_hdr) &&
	       rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type ==
		       rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
}

/* Sends n frames; returns how many left (the rest are freed, counted). */
static uint16_t tx_bulk(struct gen *g, uint16_t port, struct rte_mbuf **b, uint16_t n)
{
	if (n == 0)
		return 0;
	uint16_t s = rte_eth_tx_burst(port, 0, b, n);
	if (s < n) {
		g->txdrop[port] += n - s;
		rte_pktmbuf_free_bulk(b + s, n - s);
	}
	return s;
}

/* The outside host: reflect UDP, answer ARP for the next hop. */
static uint16_t outside(struct gen *g)
{
	struct rte_mbuf *b[BURST], *out[BURST], *arp[BURST];
	uint16_t n = rte_eth_rx_burst(1, 0, b, BURST), k = 0, na = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = b[i];
		struct rte_ipv4_hdr *ip;
		if (is_udp4(m, &ip)) {
			struct rte_ether_hdr *e = (struct rte_ether_hdr *)ip - 1;
			struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
			e->dst_addr = e->src_addr;
			e->src_addr = g->mac[1];
			uint32_t a = ip->src_addr;
			ip->src_addr = ip->dst_addr;
			ip->dst_addr = a;
			uint16_t p = u->src_port;
			u->src_port = u->dst_port;
			u->dst_port = p;
			out[k++] = m;
		} else if (is_arp(m) && arp_answer(m, &g->mac[1], g->nh_ip)) {
			g->arp[1]++;
			arp[na++] = m;
		} else {
			g->other[1]++;
			rte_pktmbuf_free(m);
		}
	}
	g->rx[1] += k;
	g->tx[1] += tx_bulk(g, 1, out, k);
	tx_bulk(g, 1, arp, na);
	return n;
}

/* The guest: each frame back is replaced by the next flow's. Returns the
 * frames received; *back, those that came back through the NAT. */
static uint16_t guest(struct gen *g, bool resend, uint16_t *back)
{
	struct rte_mbuf *b[BURST], *out[BURST], *arp[BURST];
	uint16_t n = rte_eth_rx_burst(0, 0, b, BURST), k = 0, na = 0, ok = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = b[i];
		struct rte_ipv4_hdr *ip;
		if (is_udp4(m, &ip) && ip->dst_addr == g->guest_ip) {
			ok++;
			if (resend) {
				write_flow(g, m);
				out[k++] = m;
			} else {
				rte_pktmbuf_free(m);
			}
		} else if (is_arp(m) && arp_answer(m, &g->mac[0], g->guest_ip)) {
			g->arp[0]++;
			arp[na++] = m;
		} else {
			g->other[0]++;
			rte_pktmbuf_free(m);
		}
	}
	g->rx[0] += ok;
	g->tx[0] += tx_bulk(g, 0, out, k);
	tx_bulk(g, 0, arp, na);
	*back = ok;
	return n;
}

static int inject(struct gen *g, struct rte_mempool *mp, uint32_t n)
{
	struct rte_mbuf *b[BURST];
	while (n > 0) {
		uint16_t k = (uint16_t)RTE_MIN(n, (uint32_t)BURST);
		if (rte_pktmbuf_alloc_bulk(mp, b, k) != 0)
			return -1;
		for (uint16_t i = 0; i < k; i++)
			write_flow(g, b[i]);
		g->tx[0] += tx_bulk(g, 0, b, k);
		n -= k;
		uint16_t back;
		outside(g);
		guest(g, true, &back);
	}
	return 0;
}

static void port_init(struct gen *g, uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, (uint16_t)g->ring, rte_socket_id(), NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, (uint16_t)g->ring, rte_socket_id(), NULL) != 0 ||
	    rte_eth_dev_start(port) != 0 || rte_eth_macaddr_get(port, &g->mac[port]) != 0)
		die("port set-up failed");
}

static void print_counters(const struct gen *g, const char *tag)
{
	printf("%s tsc=%" PRIu64 " hz=%" PRIu64 " tx0=%" PRIu64 " rx0=%" PRIu64 " tx1=%" PRIu64
	       " rx1=%" PRIu64 " busy=%" PRIu64 " txdrop0=%" PRIu64 " txdrop1=%" PRIu64
	       " other0=%" PRIu64 " other1=%" PRIu64 " arp0=%" PRIu64 " arp1=%" PRIu64
	       " refills=%" PRIu64 " lost_refill=%" PRIu64 "\n",
	       tag, rte_rdtsc(), rte_get_tsc_hz(), g->tx[0], g->rx[0], g->tx[1], g->rx[1], g->busy,
	       g->txdrop[0], g->txdrop[1], g->other[0], g->other[1], g->arp[0], g->arp[1],
	       g->refills, g->lost_refill);
	fflush(stdout);
}

static void parse(struct gen *g, int argc, char **argv)
{
	bool have_gw = false;
	int o;
	while ((o = getopt(argc, argv, "g:f:k:z:a:d:n:q:")) != -1) {
		switch (o) {
		case 'g':
			if (rte_ether_unformat_addr(optarg, &g->gw_mac) != 0)
				die("bad -g MAC");
			have_gw = true;
			break;
		case 'f': g->flows = num_arg(optarg, 1, 1000000); break;
		case 'k': g->inflight = num_arg(optarg, 1, 16384); break;
		case 'z': g->frame = num_arg(optarg, 64, 1518); break;
		case 'a': g->guest_ip = ip_arg(optarg); break;
		case 'd': g->out_ip = ip_arg(optarg); break;
		case 'n': g->nh_ip = ip_arg(optarg); break;
		case 'q': g->ring = num_arg(optarg, 64, 4096); break;
		default: die("usage: nat_gen EAL... -- -g GW_MAC [-f FLOWS] [-k IN_FLIGHT] [-z FRAME] "
			     "[-a GUEST_IP] [-d OUTSIDE_IP] [-n NEXT_HOP_IP] [-q RING]");
		}
	}
	if (!have_gw)
		die("-g GW_MAC is required");
	if (g->flows > PORTS_PER_DST * (65535u - DPORT_BASE))
		die("too many flows");
}

static bool links_up(void)
{
	for (uint16_t p = 0; p < 2; p++) {
		struct rte_eth_link l;
		if (rte_eth_link_get_nowait(p, &l) != 0 || l.link_status != RTE_ETH_LINK_UP)
			return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	int used = rte_eal_init(argc, argv);
	if (used < 0)
		die("EAL init failed");
	static struct gen g = {
		.flows = 1, .inflight = 1024, .frame = 64, .ring = 1024,
	};
	g.guest_ip = ip_arg("192.168.122.100");
	g.out_ip = ip_arg("203.0.113.7");
	g.nh_ip = ip_arg("198.51.100.1");
	parse(&g, argc - used, argv + used);
	if (rte_eth_dev_count_avail() != 2)
		die("want exactly two ports (guest, outside)");
	struct rte_mempool *mp = rte_pktmbuf_pool_create(
		"nat_gen", 4 * g.ring + 2 * g.inflight + 4096, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		(int)rte_socket_id());
	if (mp == NULL)
		die("no mbuf pool");
	port_init(&g, 0, mp);
	port_init(&g, 1, mp);
	build_template(&g);
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	uint64_t hz = rte_get_tsc_hz(), ms = hz / 1000, t = rte_rdtsc();
	while (!links_up() && !want_stop && rte_rdtsc() - t < 10 * hz)
		rte_delay_ms(10);
	printf("LINKS %s\n", links_up() ? "up" : "down");
	fflush(stdout);

	/* Probe until the switch carries a frame both ways. */
	uint64_t last_probe = 0, t0 = rte_rdtsc();
	while (g.rx[0] == 0 && !want_stop && rte_rdtsc() - t0 < 20 * hz) {
		if (rte_rdtsc() - last_probe > 100 * ms) {
			if (inject(&g, mp, 1) < 0)
				die("no mbufs");
			last_probe = rte_rdtsc();
		}
		uint16_t back;
		outside(&g);
		guest(&g, false, &back);
	}
	if (g.rx[0] == 0) {
		print_counters(&g, "NOLOOP");
		want_stop = 1;
	} else {
		/* What is still out there from the probes is let go: settle. */
		t = rte_rdtsc();
		while (rte_rdtsc() - t < 200 * ms) {
			uint16_t back;
			outside(&g);
			guest(&g, false, &back);
		}
		g.lost_refill = g.tx[0] - g.rx[0];
		print_counters(&g, "READY");
		if (inject(&g, mp, g.inflight) < 0)
			die("no mbufs");
	}

	uint64_t last_back = rte_rdtsc();
	while (!want_stop) {
		uint64_t a = rte_rdtsc();
		uint16_t back, n = outside(&g);
		n += guest(&g, true, &back);
		uint64_t b = rte_rdtsc();
		if (n)
			g.busy += b - a;
		if (back) {
			last_back = b;
		} else if (b - last_back > 50 * ms) {
			/* Nothing has come back for far longer than a round trip:
			 * what is in flight is gone. */
			g.lost_refill = g.tx[0] - g.rx[0];
			g.refills++;
			if (inject(&g, mp, g.inflight) < 0)
				die("no mbufs");
			last_back = rte_rdtsc();
		}
		if (want_mark) {
			want_mark = 0;
			print_counters(&g, "MARK");
		}
	}

	/* Drain: what comes back within 500 ms was in flight. */
	uint64_t rx_stop = g.rx[0];
	t = rte_rdtsc();
	while (rte_rdtsc() - t < 500 * ms) {
		uint16_t back;
		outside(&g);
		guest(&g, false, &back);
	}
	print_counters(&g, "END");
	printf("INFLIGHT back=%" PRIu64 "\n", g.rx[0] - rx_stop);
	fflush(stdout);
	for (uint16_t p = 0; p < 2; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return 0;
}
