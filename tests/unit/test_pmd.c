/* Unit tests of src/pmd: ethdev ports on net_ring (loopback: what is sent on
 * tx queue q comes back on rx queue q), error messages and unwinding on bad
 * devargs and bad queue or MTU settings, and, when running as root with
 * /dev/net/tun, the host-only host interface as a real kernel TAP.
 * EAL gets --no-shconf, not --in-memory: DPDK 22.11 refuses --in-memory
 * with --no-huge (which implies legacy memory). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "pmd/ethdev_port.h"
#include "pmd/host_if.h"
#include "ut_eal.h"

static struct rte_mempool *pool;
static struct rte_mempool *jumbo_pool;
/* Open ports, so teardown closes whatever a failed test left open. */
static struct vsw_port *open_ports[4];

static struct vsw_port *new_port(const char *name)
{
	struct vsw_port *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (unsigned int i = 0; i < RTE_DIM(open_ports); i++)
		if (open_ports[i] == NULL) {
			open_ports[i] = p;
			return p;
		}
	fail_msg("too many ports");
	return NULL;
}

static void close_port(struct vsw_port *p)
{
	for (unsigned int i = 0; i < RTE_DIM(open_ports); i++)
		if (open_ports[i] == p)
			open_ports[i] = NULL;
	if (p->ops != NULL && p->ops->destroy != NULL)
		p->ops->destroy(p);
	free(p);
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(open_ports); i++)
		if (open_ports[i] != NULL)
			close_port(open_ports[i]);
	return 0;
}

static struct vsw_cfg_port ring_cfg(const char *name, const char *devargs)
{
	struct vsw_cfg_port c;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.type = VSW_PORT_ETHDEV;
	snprintf(c.network, sizeof(c.network), "net0");
	snprintf(c.devargs, sizeof(c.devargs), "%s", devargs);
	c.mtu = 1500;
	c.core = -1;
	c.rx_queues = c.tx_queues = 1;
	c.rx_desc = c.tx_desc = 1024;
	return c;
}

static struct rte_mbuf *make_pkt(uint16_t len, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(d);
	for (uint16_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + i);
	return m;
}

static uint16_t rx_wait(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t want,
			unsigned int ms)
{
	uint16_t got = 0;
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
	while (got < want && rte_get_timer_cycles() < end)
		got += p->ops->rx_burst(p, q, pkts + got, want - got);
	return got;
}

static void test_ring_loopback(void **state)
{
	(void)state;
	uint16_t before = rte_eth_dev_count_avail();
	struct vsw_cfg_port c = ring_cfg("ring0", "net_ring0");
	struct vsw_port *p = new_port(c.name);
	char err[512] = "";
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), 0);
	assert_true(vsw_port_is_ethdev(p));
	assert_int_equal(rte_eth_dev_count_avail(), before + 1);
	assert_int_equal(p->ops->nb_rx_queues(p), 1);
	assert_int_equal(p->ops->nb_tx_queues(p), 1);
	assert_false(p->tx_shared);
	assert_true(p->link_up);

	struct rte_mbuf *tx[8], *rx[8];
	for (uint8_t i = 0; i < 8; i++)
		tx[i] = make_pkt((uint16_t)(60 + i), (uint8_t)(i * 16));
	enum vsw_drop_reason why = VSW_DROP__MAX;
	assert_int_equal(p->ops->tx_burst(p, 0, tx, 8, &why), 8);
	assert_int_equal(rx_wait(p, 0, rx, 8, 1000), 8);
	for (uint8_t i = 0; i < 8; i++) {
		assert_int_equal(rte_pktmbuf_pkt_len(rx[i]), 60 + i);
		const uint8_t *d = rte_pktmbuf_mtod(rx[i], const uint8_t *);
		for (uint16_t j = 0; j < 60 + i; j++)
			assert_int_equal(d[j], (uint8_t)(i * 16 + j));
	}
	rte_pktmbuf_free_bulk(rx, 8);

	struct vsw_ethdev_info info;
	assert_int_equal(vsw_ethdev_port_info(p, &info), 0);
	assert_string_equal(info.driver, "net_ring");
	assert_string_equal(info.devargs, "net_ring0");
	assert_int_equal(info.nb_rx_queues, 1);
	assert_int_equal(info.mtu, 1500);
	assert_true(info.link_up);

	close_port(p);
	assert_int_equal(rte_eth_dev_count_avail(), before);
	uint16_t pid;
	assert_int_not_equal(rte_eth_dev_get_port_by_name("net_ring0", &pid), 0);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* Workers each get a tx queue when the device has enough; beyond that
 * they share, and the port says so. */
static void test_tx_queue_per_worker(void **state)
{
	(void)state;
	struct vsw_cfg_port c = ring_cfg("ring1", "net_ring1");
	struct vsw_port *p = new_port(c.name);
	char err[512] = "";
	assert_int_equal(vsw_ethdev_port_open(p, &c, 4, pool, err, sizeof(err)), 0);
	assert_int_equal(p->ops->nb_tx_queues(p), 4);
	assert_int_equal(p->ops->nb_rx_queues(p), 1);
	assert_false(p->tx_shared);
	close_port(p);

	/* net_ring has 16 queues; 40 workers must share them. (A new device
	 * name each time: net_ring keeps the rings of unused queues.) */
	c = ring_cfg("ring1", "net_ring5");
	p = new_port(c.name);
	assert_int_equal(vsw_ethdev_port_open(p, &c, 40, pool, err, sizeof(err)), 0);
	assert_int_equal(p->ops->nb_tx_queues(p), 16);
	assert_true(p->tx_shared);
	close_port(p);

	c = ring_cfg("ring1", "net_ring6");
	c.tx_queues = 3;
	p = new_port(c.name);
	assert_int_equal(vsw_ethdev_port_open(p, &c, 2, pool, err, sizeof(err)), 0);
	assert_int_equal(p->ops->nb_tx_queues(p), 3);
	assert_false(p->tx_shared);
	close_port(p);
}

/* A full device ring drops instead of waiting, frees what it did not send
 * and reports the reason. */
static void test_tx_full_drops_and_frees(void **state)
{
	(void)state;
	struct vsw_cfg_port c = ring_cfg("ring2", "net_ring2");
	struct vsw_port *p = new_port(c.name);
	char err[512] = "";
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), 0);
	unsigned int sent_total = 0, short_bursts = 0;
	enum vsw_drop_reason why = VSW_DROP__MAX;
	for (int round = 0; round < 200 && short_bursts == 0; round++) {
		struct rte_mbuf *tx[VSW_BURST];
		for (unsigned int i = 0; i < VSW_BURST; i++)
			tx[i] = make_pkt(64, (uint8_t)i);
		uint16_t sent = p->ops->tx_burst(p, 0, tx, VSW_BURST, &why);
		sent_total += sent;
		if (sent < VSW_BURST)
			short_bursts++;
	}
	assert_int_equal(short_bursts, 1);
	assert_int_equal(why, VSW_DROP_DEST_FULL);
	/* Only what sits in the ring is still allocated. */
	assert_int_equal(rte_mempool_in_use_count(pool), sent_total);
	struct rte_mbuf *rx[VSW_BURST];
	uint16_t n;
	unsigned int got = 0;
	while ((n = p->ops->rx_burst(p, 0, rx, VSW_BURST)) > 0) {
		got += n;
		rte_pktmbuf_free_bulk(rx, n);
	}
	assert_int_equal(got, sent_total);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	close_port(p);
}

static void test_bad_devargs(void **state)
{
	(void)state;
	uint16_t before = rte_eth_dev_count_avail();
	char err[512] = "";

	struct vsw_cfg_port c = ring_cfg("bad0", "net_nosuchdriver0");
	struct vsw_port *p = new_port(c.name);
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port bad0 (devargs 'net_nosuchdriver0'): "));
	assert_non_null(strstr(err, "not a device DPDK knows"));
	assert_null(p->ops);
	assert_null(p->priv);

	c = ring_cfg("bad1", "");
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port bad1"));
	assert_non_null(strstr(err, "no devargs"));

	/* The driver exists but refuses its arguments. */
	c = ring_cfg("bad2", "net_ring_bad,nodeaction=r:0:BOGUS");
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port bad2 (devargs 'net_ring_bad,nodeaction=r:0:BOGUS'): "));
	assert_non_null(strstr(err, "the driver refused these devargs"));
	assert_null(p->ops);
	assert_int_equal(rte_eth_dev_count_avail(), before);
	close_port(p);
}

/* Failures after the probe unplug the device again: the same devargs can
 * be opened right afterwards and no ethdev port is left. */
static void test_setup_failure_unwinds(void **state)
{
	(void)state;
	uint16_t before = rte_eth_dev_count_avail();
	char err[512] = "";
	struct vsw_cfg_port c = ring_cfg("ring3", "net_ring3");
	c.rx_queues = 17;
	struct vsw_port *p = new_port(c.name);
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port ring3 (devargs 'net_ring3'): "));
	assert_non_null(strstr(err, "17 rx queues configured"));
	assert_non_null(strstr(err, "at most 16"));
	assert_null(p->ops);
	assert_int_equal(rte_eth_dev_count_avail(), before);
	uint16_t pid;
	assert_int_not_equal(rte_eth_dev_get_port_by_name("net_ring3", &pid), 0);

	/* net_ring can chain buffers (scatter), so jumbo frames need no big
	 * buffers there. */
	c.rx_queues = 1;
	c.mtu = 9000;
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), 0);
	struct vsw_ethdev_info info;
	assert_int_equal(vsw_ethdev_port_info(p, &info), 0);
	assert_int_equal(info.mtu, 9000);
	assert_int_equal(p->ops->nb_rx_queues(p), 1);

	/* The device belongs to ring3 now; a second port cannot take it. */
	struct vsw_cfg_port c2 = ring_cfg("ring3b", "net_ring3");
	struct vsw_port *p2 = new_port(c2.name);
	assert_int_equal(vsw_ethdev_port_open(p2, &c2, 1, pool, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already used by port ring3"));
	assert_null(p2->ops);
	close_port(p2);
	/* ... and the failed attempt did not unplug it under ring3. */
	struct rte_mbuf *m = make_pkt(100, 7), *r;
	enum vsw_drop_reason why;
	assert_int_equal(p->ops->tx_burst(p, 0, &m, 1, &why), 1);
	assert_int_equal(rx_wait(p, 0, &r, 1, 1000), 1);
	rte_pktmbuf_free(r);
	close_port(p);
	assert_int_equal(rte_eth_dev_count_avail(), before);
}

/* A device that cannot chain buffers needs buffers a whole jumbo frame
 * fits in: net_null cannot scatter. */
static void test_jumbo_needs_scatter_or_big_buffers(void **state)
{
	(void)state;
	uint16_t before = rte_eth_dev_count_avail();
	char err[512] = "";
	struct vsw_cfg_port c = ring_cfg("null0", "net_null0");
	c.mtu = 9000;
	struct vsw_port *p = new_port(c.name);
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port null0 (devargs 'net_null0'): MTU 9000"));
	assert_non_null(strstr(err, "scatter"));
	assert_null(p->ops);
	assert_int_equal(rte_eth_dev_count_avail(), before);

	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, jumbo_pool, err, sizeof(err)), 0);
	struct vsw_ethdev_info info;
	assert_int_equal(vsw_ethdev_port_info(p, &info), 0);
	assert_string_equal(info.driver, "net_null");
	assert_int_equal(info.mtu, 9000);
	/* net_null makes up packets on rx and swallows them on tx. */
	struct rte_mbuf *rx[4];
	assert_int_equal(rx_wait(p, 0, rx, 4, 1000), 4);
	enum vsw_drop_reason why;
	assert_int_equal(p->ops->tx_burst(p, 0, rx, 4, &why), 4);
	close_port(p);
	assert_int_equal(rte_eth_dev_count_avail(), before);
	assert_int_equal(rte_mempool_in_use_count(jumbo_pool), 0);
}

static void test_link_poll(void **state)
{
	(void)state;
	struct vsw_port other;
	memset(&other, 0, sizeof(other));
	vsw_ethdev_port_poll_link(&other); /* not an ethdev port: nothing happens */
	assert_false(other.link_up);
	assert_int_equal(vsw_ethdev_port_socket(&other), SOCKET_ID_ANY);

	struct vsw_cfg_port c = ring_cfg("ring4", "net_ring4");
	struct vsw_port *p = new_port(c.name);
	char err[512] = "";
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), 0);
	assert_true(p->link_up);
	p->link_up = false;
	vsw_ethdev_port_poll_link(p);
	assert_true(p->link_up);
	close_port(p);
}

static void test_mbufs_needed(void **state)
{
	(void)state;
	struct vsw_cfg_port c = ring_cfg("x", "net_ring9");
	c.rx_queues = 2;
	c.rx_desc = 512;
	c.tx_desc = 256;
	/* 2 x 512 rx + 4 tx queues (one per worker) x 256 + (4 + 1) x 2 bursts */
	assert_int_equal(vsw_ethdev_mbufs_needed(&c, 4), 2 * 512 + 4 * 256 + 5 * 2 * VSW_BURST);
	/* More configured tx queues than workers count as configured. */
	c.tx_queues = 8;
	assert_int_equal(vsw_ethdev_mbufs_needed(&c, 1), 2 * 512 + 8 * 256 + 2 * 2 * VSW_BURST);
	/* Never more tx queues than a port can have. */
	c.tx_queues = 1;
	assert_int_equal(vsw_ethdev_mbufs_needed(&c, 64),
			 2 * 512 + VSW_MAX_QUEUE_PAIRS * 256 + 65 * 2 * VSW_BURST);
	assert_int_equal(vsw_ethdev_devargs_socket("net_ring0"), SOCKET_ID_ANY);
}

/* ---- host interface (net_tap) ---- */

static bool can_tap(void)
{
	if (geteuid() != 0) {
		printf("skipped: net_tap needs root\n");
		return false;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("skipped: no usable /dev/net/tun (%s)\n", strerror(errno));
		return false;
	}
	return true;
}

static struct vsw_cfg_network host_net(const char *ifname)
{
	struct vsw_cfg_network n;
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "utnet");
	n.mode = VSW_NET_HOST_ONLY;
	snprintf(n.interface, sizeof(n.interface), "%s", ifname);
	n.has_address = true;
	n.address.addr = 0x0afb4d01; /* 10.251.77.1 */
	n.address.len = 24;
	return n;
}

static bool if_flag(const char *ifname, short flag)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	close(fd);
	return ifr.ifr_flags & flag;
}

static void if_set_up(const char *ifname, bool up)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

static bool wait_link(struct vsw_port *p, bool up, unsigned int ms)
{
	for (unsigned int i = 0; i < ms / 10; i++) {
		if (__atomic_load_n(&p->link_up, __ATOMIC_RELAXED) == up)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_host_if_tap(void **state)
{
	(void)state;
	if (!can_tap()) {
		skip();
		return;
	}
	char ifname[IF_NAMESIZE];
	snprintf(ifname, sizeof(ifname), "vswut%d", (int)(getpid() % 100000));
	assert_int_equal(if_nametoindex(ifname), 0);
	struct vsw_cfg_network n = host_net(ifname);
	struct vsw_cfg_port pc;
	vsw_host_if_port_cfg(&n, &pc);
	assert_string_equal(pc.name, ifname);
	assert_int_equal(pc.type, VSW_PORT_ETHDEV);
	assert_string_equal(pc.network, "utnet");
	char want_devargs[64];
	snprintf(want_devargs, sizeof(want_devargs), "net_tap_vsw_utnet,iface=%s", ifname);
	assert_string_equal(pc.devargs, want_devargs);

	struct vsw_port *p = new_port(pc.name);
	p->cfg = pc;
	char err[512] = "";
	int rc = vsw_host_if_open(p, &n, 1, pool, err, sizeof(err));
	if (rc != 0)
		fail_msg("vsw_host_if_open: %s", err);
	assert_true(vsw_port_is_ethdev(p));
	assert_int_not_equal(if_nametoindex(ifname), 0);
	assert_true(if_flag(ifname, IFF_UP));

	/* The address as the kernel reports it. */
	char cmd[128], line[512], all[4096] = "";
	snprintf(cmd, sizeof(cmd), "ip -4 addr show dev %s 2>&1", ifname);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		strncat(all, line, sizeof(all) - strlen(all) - 1);
	pclose(f);
	if (strstr(all, "inet 10.251.77.1/24") == NULL)
		fail_msg("address missing in: %s", all);

	/* The kernel's packets reach the port: a datagram to a neighbour on
	 * the subnet makes the kernel ARP for it through the tap. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	to.sin_addr.s_addr = htonl(0x0afb4d02); /* 10.251.77.2 */
	bool seen_arp = false;
	for (int tries = 0; tries < 20 && !seen_arp; tries++) {
		sendto(s, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
		struct rte_mbuf *rx[VSW_BURST];
		uint16_t got = rx_wait(p, 0, rx, VSW_BURST, 100);
		for (uint16_t i = 0; i < got; i++) {
			const uint8_t *d = rte_pktmbuf_mtod(rx[i], const uint8_t *);
			/* ethertype ARP, target protocol address 10.251.77.2 */
			if (rte_pktmbuf_data_len(rx[i]) >= 42 && d[12] == 0x08 && d[13] == 0x06 &&
			    memcmp(d + 38, "\x0a\xfb\x4d\x02", 4) == 0)
				seen_arp = true;
		}
		rte_pktmbuf_free_bulk(rx, got);
	}
	close(s);
	assert_true(seen_arp);

	/* Link state follows the kernel side. */
	assert_true(p->link_up);
	if_set_up(ifname, false);
	vsw_ethdev_port_poll_link(p);
	assert_true(wait_link(p, false, 2000));
	if_set_up(ifname, true);
	vsw_ethdev_port_poll_link(p);
	assert_true(wait_link(p, true, 2000));

	close_port(p);
	assert_int_equal(if_nametoindex(ifname), 0);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* MTU reaches the kernel interface; one the device cannot do is refused
 * with the limit named. */
static void test_tap_mtu(void **state)
{
	(void)state;
	if (!can_tap()) {
		skip();
		return;
	}
	char ifname[IF_NAMESIZE], devargs[64];
	snprintf(ifname, sizeof(ifname), "vswum%d", (int)(getpid() % 100000));
	snprintf(devargs, sizeof(devargs), "net_tap_ut_mtu,iface=%s", ifname);
	struct vsw_cfg_port c = ring_cfg("tapmtu", devargs);
	c.mtu = 1400;
	struct vsw_port *p = new_port(c.name);
	char err[512] = "";
	if (vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	assert_int_equal(ioctl(fd, SIOCGIFMTU, &ifr), 0);
	close(fd);
	assert_int_equal(ifr.ifr_mtu, 1400);
	close_port(p);
	assert_int_equal(if_nametoindex(ifname), 0);

	/* DPDK 22.11's net_tap receives frames of at most 1522 bytes. */
	c.mtu = 9000;
	p = new_port(c.name);
	assert_int_equal(vsw_ethdev_port_open(p, &c, 1, pool, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "MTU 9000 needs 9018-byte frames"));
	assert_non_null(strstr(err, "(net_tap) receives at most 1522 (largest MTU: 1504)"));
	assert_null(p->ops);
	close_port(p);
	assert_int_equal(if_nametoindex(ifname), 0);
}

static void test_host_if_name_taken(void **state)
{
	(void)state;
	struct vsw_cfg_network n = host_net("lo");
	struct vsw_cfg_port pc;
	vsw_host_if_port_cfg(&n, &pc);
	struct vsw_port *p = new_port(pc.name);
	p->cfg = pc;
	char err[512] = "";
	assert_int_equal(vsw_host_if_open(p, &n, 1, pool, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "network utnet: host interface lo: "));
	assert_non_null(strstr(err, "exists already"));
	assert_null(p->ops);
	assert_true(if_flag("lo", IFF_UP)); /* untouched */
	close_port(p);
}

int main(void)
{
	char *args[] = { "test", "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
			 "--no-telemetry", "--log-level=*:error", "--file-prefix=vsw-ut-pmd" };
	if (rte_eal_init((int)RTE_DIM(args), args) < 0)
		return 1;
	ut_eal_forget_runtime_dir();
	pool = rte_pktmbuf_pool_create("ut_pmd", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	jumbo_pool = rte_pktmbuf_pool_create("ut_pmd_jumbo", 1023, 0, 0,
					     9216 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	if (pool == NULL || jumbo_pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ring_loopback, teardown),
		cmocka_unit_test_teardown(test_tx_queue_per_worker, teardown),
		cmocka_unit_test_teardown(test_tx_full_drops_and_frees, teardown),
		cmocka_unit_test_teardown(test_bad_devargs, teardown),
		cmocka_unit_test_teardown(test_setup_failure_unwinds, teardown),
		cmocka_unit_test_teardown(test_jumbo_needs_scatter_or_big_buffers, teardown),
		cmocka_unit_test_teardown(test_link_poll, teardown),
		cmocka_unit_test(test_mbufs_needed),
		cmocka_unit_test_teardown(test_host_if_tap, teardown),
		cmocka_unit_test_teardown(test_tap_mtu, teardown),
		cmocka_unit_test_teardown(test_host_if_name_taken, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(jumbo_pool);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
