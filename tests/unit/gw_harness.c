/* See gw_harness.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "gw_harness.h"
#include "net_bytes.h"
#include "nat/gw_priv.h"

const uint8_t GWH_UP_MAC[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
const uint8_t GWH_ROUTER_MAC[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
const uint8_t GWH_STATIC_MAC[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x50 };
const uint8_t GWH_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
const uint8_t GWH_ZERO[6];

/* --- the fake uplink --- */

static uint16_t up_rx(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct gwh *h = p->priv;
	uint16_t k = 0;
	if (q != 0)
		return 0;
	while (k < n && h->up_rx_n > 0) {
		pkts[k++] = h->up_rx[h->up_rx_head];
		h->up_rx_head = (h->up_rx_head + 1) % GWH_UP_RXQ;
		h->up_rx_n--;
	}
	return k;
}

/* Keeps what fits in the log; the rest is refused as a full device would. */
static uint16_t up_tx(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
		      enum vsw_drop_reason *why)
{
	struct gwh *h = p->priv;
	uint16_t k = 0;
	(void)q;
	while (k < n && h->up_tx_n < GWH_UP_TXLOG)
		h->up_tx[h->up_tx_n++] = pkts[k++];
	if (k < n) {
		rte_pktmbuf_free_bulk(pkts + k, n - k);
		*why = VSW_DROP_DEST_FULL;
	}
	return k;
}

static uint16_t up_queues(const struct vsw_port *p)
{
	(void)p;
	return 1;
}

/* The gateway calls it, then rte_free()s the port: only what the port
 * holds goes here; the sent log is the test's and outlives it. */
static void up_destroy(struct vsw_port *p)
{
	struct gwh *h = p->priv;
	while (h->up_rx_n > 0) {
		rte_pktmbuf_free(h->up_rx[h->up_rx_head]);
		h->up_rx_head = (h->up_rx_head + 1) % GWH_UP_RXQ;
		h->up_rx_n--;
	}
	h->up_destroyed = true;
	h->uplink = NULL;
	p->priv = NULL;
}

static const struct vsw_port_ops up_ops = {
	.rx_burst = up_rx,
	.tx_burst = up_tx,
	.nb_rx_queues = up_queues,
	.nb_tx_queues = up_queues,
	.destroy = up_destroy,
};

/* --- open / close --- */

void gwh_default_net(struct gwh *h)
{
	struct vsw_cfg_network *n = &h->net;
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "natgw");
	n->mode = VSW_NET_NAT;
	n->mac_aging_s = 300;
	n->mac_table_size = 1024;
	n->subnet = (struct vsw_ipv4_prefix){ .addr = GWH_GW_IP, .len = 24 };
	n->dhcp_start = GWH_RANGE_START;
	n->dhcp_end = GWH_RANGE_END;
	snprintf(n->uplink, sizeof(n->uplink), "uplink0");
	n->uplink_address = (struct vsw_ipv4_prefix){ .addr = GWH_EXT_IP, .len = 24 };
	n->uplink_gateway = GWH_ROUTER_IP;
	n->ndns = 1;
	n->dns[0] = GWH_DNS_IP;
	n->lease_s = GWH_LEASE_S;
	n->dhcp_mtu = 1500;
	n->nstatic_leases = 1;
	memcpy(n->static_leases[0].mac, GWH_STATIC_MAC, 6);
	n->static_leases[0].ip = GWH_STATIC_IP;
	n->max_sessions = GWH_MAX_SESSIONS;
	n->tcp_est_s = 7440;
	n->tcp_trans_s = 240;
	n->udp_s = 300;
	n->icmp_s = 60;
	n->spoof_check = true;
}

static void no_sync(void *ctx)
{
	(void)ctx;
}

/* The uplink's port configuration, as the daemon has it from the YAML. */
static void uplink_cfg(const struct vsw_cfg_network *n, struct vsw_cfg_port *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", n->uplink);
	c->type = VSW_PORT_ETHDEV;
	snprintf(c->network, sizeof(c->network), "%s", n->name);
	c->mtu = 1500;
	c->core = -1;
	snprintf(c->devargs, sizeof(c->devargs), "net_null_gwh");
	c->rx_queues = 1;
	c->tx_queues = 1;
	c->rx_desc = 1024;
	c->tx_desc = 1024;
}

int gwh_open(struct gwh *h, struct rte_mempool *mp, struct vsw_evloop *loop,
	     const char *lease_dir, char *err, size_t errlen)
{
	h->mp = mp;
	h->loop = loop;
	h->up_rx_head = h->up_rx_n = h->up_tx_n = 0;
	h->up_destroyed = false;
	h->lease_file[0] = '\0';
	if (lease_dir != NULL)
		snprintf(h->lease_file, sizeof(h->lease_file), "%s/%s.leases", lease_dir,
			 h->net.name);
	struct vsw_cfg_port pcfg;
	uplink_cfg(&h->net, &pcfg);

	/* As vsw_switch_port_alloc (the gateway) and open_uplink (src/daemon/nat.c). */
	h->port = rte_zmalloc("vsw_port", sizeof(*h->port), RTE_CACHE_LINE_SIZE);
	h->uplink = rte_zmalloc("vsw_uplink", sizeof(*h->uplink), RTE_CACHE_LINE_SIZE);
	if (h->port == NULL || h->uplink == NULL) {
		snprintf(err, errlen, "no memory for the ports");
		goto fail;
	}
	h->port->cfg = pcfg;
	snprintf(h->port->name, sizeof(h->port->name), "%s", pcfg.name);
	for (unsigned int q = 0; q < VSW_MAX_QUEUE_PAIRS; q++)
		rte_spinlock_init(&h->port->txq_lock[q]);
	h->uplink->cfg = pcfg;
	snprintf(h->uplink->name, sizeof(h->uplink->name), "%s", pcfg.name);
	h->uplink->ops = &up_ops;
	h->uplink->priv = h;
	h->uplink->link_up = true;

	struct vsw_gw_params prm = {
		.net = &h->net, .uplink = h->uplink, .mp = mp, .loop = loop,
		.lease_file = h->lease_file[0] ? h->lease_file : NULL, .sync = no_sync,
	};
	memcpy(prm.uplink_mac.addr_bytes, GWH_UP_MAC, 6);
	memcpy(prm.dns, h->net.dns, sizeof(prm.dns));
	prm.ndns = h->net.ndns;
	if (vsw_gw_open(h->port, &prm, err, errlen) < 0)
		goto fail;
	h->gw = vsw_gw_of(h->port);
	struct rte_ether_addr in, up;
	vsw_gw_macs(h->gw, &in, &up);
	memcpy(h->in_mac, in.addr_bytes, 6);
	return 0;
fail:
	rte_free(h->port);
	rte_free(h->uplink);
	h->port = h->uplink = NULL;
	return -1;
}

void gwh_close(struct gwh *h)
{
	if (h->port != NULL) {
		h->port->ops->destroy(h->port);
		rte_free(h->port);
		h->port = NULL;
	}
	h->gw = NULL;
	gwh_uplink_clear(h);
	if (h->lease_file[0])
		unlink(h->lease_file);
}

/* --- traffic --- */

struct rte_mbuf *gwh_mbuf(struct gwh *h, const uint8_t *bytes, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->mp);
	if (m == NULL)
		return NULL;
	uint8_t *d = len <= UINT16_MAX ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, bytes, len);
	return m;
}

uint16_t gwh_guest_send(struct gwh *h, struct rte_mbuf *m)
{
	enum vsw_drop_reason why;
	return h->port->ops->tx_burst(h->port, 0, &m, 1, &why);
}

bool gwh_uplink_queue(struct gwh *h, struct rte_mbuf *m)
{
	if (h->up_rx_n == GWH_UP_RXQ) {
		rte_pktmbuf_free(m);
		return false;
	}
	h->up_rx[(h->up_rx_head + h->up_rx_n++) % GWH_UP_RXQ] = m;
	return true;
}

uint16_t gwh_poll(struct gwh *h, struct rte_mbuf **pkts, uint16_t n)
{
	return h->port->ops->rx_burst(h->port, 0, pkts, n);
}

void gwh_control(struct gwh *h)
{
	vsw_evloop_run_once(h->loop, 0);
}

void gwh_uplink_clear(struct gwh *h)
{
	rte_pktmbuf_free_bulk(h->up_tx, h->up_tx_n);
	h->up_tx_n = 0;
}

uint64_t gwh_now_ms(const struct gwh *h)
{
	return rte_rdtsc() / h->gw->ms_div;
}

void gwh_freeze_timers(struct gwh *h)
{
	h->gw->next_expire_ms = UINT64_MAX;
}

void gwh_timer(struct gwh *h, uint64_t now_ms)
{
	struct rte_mbuf *out[GW_NH_SLOTS];
	uint16_t nout = 0;
	vsw_nat_expire(h->gw->nat, now_ms, 16);
	gw_nh_timer(h->gw, out, &nout, now_ms);
	if (nout > 0) {
		enum vsw_drop_reason why;
		h->uplink->ops->tx_burst(h->uplink, 0, out, nout, &why);
	}
}

unsigned int gwh_drain(struct gwh *h)
{
	unsigned int total = 0;
	for (int round = 0; round < 64; round++) {
		struct rte_mbuf *b[VSW_BURST];
		gwh_control(h);
		uint16_t k = gwh_poll(h, b, VSW_BURST);
		total += k + h->up_tx_n;
		rte_pktmbuf_free_bulk(b, k);
		bool busy = k > 0 || h->up_tx_n > 0 || h->up_rx_n > 0;
		gwh_uplink_clear(h);
		/* One more turn: the control thread may have answered DHCP. */
		if (!busy && rte_ring_count(h->gw->dhcp_in) == 0 &&
		    rte_ring_count(h->gw->dhcp_out) == 0 && rte_ring_count(h->gw->to_gw) == 0)
			break;
	}
	return total;
}

unsigned int gwh_held(const struct gwh *h)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < GW_NH_SLOTS; i++)
		n += h->gw->nh[i].nheld;
	return n;
}

void gwh_route_at(struct gwh *h, struct rte_mbuf *m, uint32_t dst, uint64_t now_ms)
{
	struct rte_mbuf *out[2];
	uint16_t nout = 0;
	gw_route_out(h->gw, m, dst, out, &nout, now_ms);
	if (nout > 0) {
		enum vsw_drop_reason why;
		h->uplink->ops->tx_burst(h->uplink, 0, out, nout, &why);
	}
}

/* --- frame builders --- */

static size_t eth(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint16_t type)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	wr16(f + 12, type);
	return 14;
}

size_t gwh_arp(uint8_t *f, uint16_t op, const uint8_t dmac[6], const uint8_t smac[6],
	       uint32_t sip, const uint8_t tha[6], uint32_t tip)
{
	memset(f, 0, 60);
	uint8_t *a = f + eth(f, dmac, smac, 0x0806);
	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, smac, 6);
	wr32(a + 14, sip);
	memcpy(a + 18, tha, 6);
	wr32(a + 24, tip);
	return 60; /* padded to the Ethernet minimum */
}

static uint16_t ip_csum(const uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	uint32_t s = sum_bytes(ip, ihl, 0) - rd16(ip + 10);
	return (uint16_t)~fold(s);
}

static uint32_t l4_sum(const uint8_t *ip)
{
	uint16_t tot = rd16(ip + 2);
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	uint32_t l4len = tot - (uint32_t)ihl, s = 0;
	if (ip[9] != 1)
		s = sum_bytes(ip + 12, 8, 0) + ip[9] + l4len;
	return sum_bytes(ip + ihl, l4len, s);
}

static int csum_off(uint8_t proto)
{
	return proto == 17 ? 6 : proto == 6 ? 16 : proto == 1 ? 2 : -1;
}

size_t gwh_ipv4(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint8_t proto,
		uint32_t src, uint32_t dst, const uint8_t *l4, size_t l4len)
{
	uint8_t *ip = f + eth(f, dmac, smac, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + l4len));
	wr16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	wr32(ip + 12, src);
	wr32(ip + 16, dst);
	memcpy(ip + 20, l4, l4len);
	int off = csum_off(proto);
	if (off >= 0 && l4len >= (size_t)off + 2) {
		wr16(ip + 20 + off, 0);
		uint16_t c = (uint16_t)~fold(l4_sum(ip));
		if (proto == 17 && c == 0)
			c = 0xffff;
		wr16(ip + 20 + off, c);
	}
	wr16(ip + 10, ip_csum(ip));
	size_t len = 34 + l4len;
	if (len < 60) {
		memset(f + len, 0, 60 - len); /* Ethernet padding after the IP packet */
		len = 60;
	}
	return len;
}

void gwh_fix_csums(uint8_t *f)
{
	uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	uint16_t tot = rd16(ip + 2);
	int off = csum_off(ip[9]);
	if (ihl >= 20 && tot >= ihl + (size_t)off + 2 && off >= 0) {
		wr16(ip + ihl + off, 0);
		uint16_t c = (uint16_t)~fold(l4_sum(ip));
		wr16(ip + ihl + off, ip[9] == 17 && c == 0 ? 0xffff : c);
	}
	wr16(ip + 10, ip_csum(ip));
}

size_t gwh_udp(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint32_t src,
	       uint16_t sport, uint32_t dst, uint16_t dport, const void *payload, size_t plen)
{
	uint8_t u[GWH_FRAME_MAX];
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint16_t)(8 + plen));
	wr16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	return gwh_ipv4(f, dmac, smac, 17, src, dst, u, 8 + plen);
}

size_t gwh_tcp(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint32_t src,
	       uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags, uint32_t seq)
{
	uint8_t t[20] = { 0 };
	wr16(t, sport);
	wr16(t + 2, dport);
	wr32(t + 4, seq);
	t[12] = 5 << 4;
	t[13] = flags;
	wr16(t + 14, 65535);
	return gwh_ipv4(f, dmac, smac, 6, src, dst, t, sizeof(t));
}

size_t gwh_echo(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint32_t src,
		uint32_t dst, uint16_t id, uint16_t seq)
{
	uint8_t ic[8 + 24];
	memset(ic, 0, sizeof(ic));
	ic[0] = 8;
	wr16(ic + 4, id);
	wr16(ic + 6, seq);
	for (unsigned int i = 8; i < sizeof(ic); i++)
		ic[i] = (uint8_t)(0xa0 + i);
	return gwh_ipv4(f, dmac, smac, 1, src, dst, ic, sizeof(ic));
}

size_t gwh_dhcp(uint8_t *f, const uint8_t mac[6], uint8_t type, uint32_t xid, uint32_t req_ip,
		uint32_t server_id)
{
	uint8_t b[300];
	memset(b, 0, sizeof(b));
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1;
	b[2] = 6;
	wr32(b + 4, xid);
	memcpy(b + 28, mac, 6);
	wr32(b + 236, 0x63825363u);
	uint8_t *o = b + 240;
	*o++ = 53, *o++ = 1, *o++ = type;
	if (type == 7) {
		wr32(b + 12, req_ip); /* RELEASE: the client's address in ciaddr */
	} else if (req_ip != 0) {
		*o++ = 50, *o++ = 4;
		wr32(o, req_ip), o += 4;
	}
	if (server_id != 0) {
		*o++ = 54, *o++ = 4;
		wr32(o, server_id), o += 4;
	}
	*o++ = 55, *o++ = 3, *o++ = 1, *o++ = 3, *o++ = 6;
	*o = 255;
	if (type == 7)
		return gwh_udp(f, GWH_BCAST, mac, req_ip, 68, GWH_GW_IP, 67, b, sizeof(b));
	return gwh_udp(f, GWH_BCAST, mac, 0, 68, 0xffffffffu, 67, b, sizeof(b));
}

/* --- checks --- */

bool gwh_ip_csum_ok(const uint8_t *ip)
{
	return fold(sum_bytes(ip, (size_t)(ip[0] & 0xf) * 4, 0)) == 0xffff;
}

bool gwh_l4_csum_ok(const uint8_t *ip)
{
	if (ip[9] == 17 && rd16(ip + 26) == 0)
		return false; /* no checksum: not what the tests send */
	return fold(l4_sum(ip)) == 0xffff;
}

int gwh_dhcp_opt(const uint8_t *f, size_t len, uint8_t code, const uint8_t **val)
{
	size_t i = 14 + 20 + 8 + 240;
	while (i < len) {
		uint8_t c = f[i++];
		if (c == 0)
			continue;
		if (c == 255 || i >= len || f[i] > len - i - 1)
			return -1;
		uint8_t l = f[i++];
		if (c == code) {
			if (val != NULL)
				*val = f + i;
			return l > 0 ? f[i] : -1;
		}
		i += l;
	}
	return -1;
}
