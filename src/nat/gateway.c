/* Owns the gateway port: its ops table (guests' frames in through a
 * multi-producer ring; the worker's poll does the work and hands the
 * bridge what goes to the guests), the order of that poll, and the
 * gateway's life (open, destroy). See gateway.h. */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "common/log.h"
#include "offload/offload.h"
#include "nat/gw_priv.h"

/* Frames for the uplink gathered before a send: a frame adds at most
 * GW_HOLD + 1 (an ARP answer that releases held frames), the neighbour
 * timer at most GW_NH_SLOTS; sent when the next might not fit. */
#define OUT_MAX (2 * VSW_BURST + GW_NH_SLOTS)
#define OUT_ROOM (GW_HOLD + 2)

static void uplink_send(struct vsw_gw *gw, struct rte_mbuf **out, uint16_t *nout)
{
	if (*nout == 0)
		return;
	enum vsw_drop_reason why;
	uint16_t sent = gw->uplink->ops->tx_burst(gw->uplink, 0, out, *nout, &why);
	gw->st.uplink_tx_drops += *nout - sent;
	*nout = 0;
}

static uint16_t gw_rx_burst(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct vsw_gw *gw = p->priv;
	struct rte_mbuf *b[VSW_BURST], *out[OUT_MAX];
	uint16_t nout = 0;
	if (q != 0)
		return 0;
	uint64_t now_ms = rte_rdtsc() / gw->ms_div;

	/* Guests first: their frames wait in a ring others fill. */
	unsigned int k = rte_ring_sc_dequeue_burst(gw->to_gw, (void **)b, VSW_BURST, NULL);
	for (unsigned int i = 0; i < k; i++) {
		gw_from_inside(gw, b[i], out, &nout, now_ms);
		if (nout > OUT_MAX - OUT_ROOM)
			uplink_send(gw, out, &nout);
	}
	uplink_send(gw, out, &nout);

	/* The uplink, when there is room for what it may bring. */
	if (gw->inq_n <= GW_INQ - VSW_BURST) {
		uint16_t u = gw->uplink->ops->rx_burst(gw->uplink, 0, b, VSW_BURST);
		for (uint16_t i = 0; i < u; i++) {
			gw_from_uplink(gw, b[i], out, &nout, now_ms);
			if (nout > OUT_MAX - OUT_ROOM)
				uplink_send(gw, out, &nout);
		}
		uplink_send(gw, out, &nout);
	}

	/* DHCP answers from the control thread. */
	if (gw->inq_n < GW_INQ) {
		k = rte_ring_sc_dequeue_burst(gw->dhcp_out, (void **)b,
					      RTE_MIN(VSW_BURST, GW_INQ - gw->inq_n), NULL);
		for (unsigned int i = 0; i < k; i++)
			gw_to_inside(gw, b[i]);
	}

	if (now_ms >= gw->next_expire_ms) {
		/* Timers off the per-packet path: a few sessions each ms. */
		gw->next_expire_ms = now_ms + 1;
		vsw_nat_expire(gw->nat, now_ms, 16);
		gw_nh_timer(gw, out, &nout, now_ms);
		uplink_send(gw, out, &nout);
	}

	uint16_t give = RTE_MIN(n, gw->inq_n);
	for (uint16_t i = 0; i < give; i++)
		pkts[i] = gw->inq[(gw->inq_head + i) % GW_INQ];
	gw->inq_head = (uint16_t)((gw->inq_head + give) % GW_INQ);
	gw->inq_n = (uint16_t)(gw->inq_n - give);
	return give;
}

static uint16_t gw_tx_burst(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
			    enum vsw_drop_reason *why)
{
	struct vsw_gw *gw = p->priv;
	RTE_SET_USED(q);
	unsigned int sent = rte_ring_mp_enqueue_burst(gw->to_gw, (void **)pkts, n, NULL);
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		*why = VSW_DROP_DEST_FULL;
	}
	return (uint16_t)sent;
}

static uint16_t gw_nb_rx_queues(const struct vsw_port *p)
{
	RTE_SET_USED(p);
	return 1;
}

static uint16_t gw_nb_tx_queues(const struct vsw_port *p)
{
	/* Every worker may send: the ring takes many producers, no lock. */
	RTE_SET_USED(p);
	return VSW_MAX_WORKERS;
}

static void drain(struct rte_ring *r)
{
	void *m;
	while (r != NULL && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

static void gw_free(struct vsw_gw *gw)
{
	gw_control_close(gw);
	drain(gw->to_gw);
	drain(gw->dhcp_in);
	drain(gw->dhcp_out);
	rte_ring_free(gw->to_gw);
	rte_ring_free(gw->dhcp_in);
	rte_ring_free(gw->dhcp_out);
	for (uint16_t i = 0; i < gw->inq_n; i++)
		rte_pktmbuf_free(gw->inq[(gw->inq_head + i) % GW_INQ]);
	gw_nh_flush(gw);
	vsw_nat_destroy(gw->nat);
	rte_free(gw->bound);
	rte_free(gw->seen);
	rte_free(gw);
}

static void gw_destroy(struct vsw_port *p)
{
	struct vsw_gw *gw = p->priv;
	if (gw == NULL)
		return;
	struct vsw_port *up = gw->uplink;
	gw_free(gw);
	p->priv = NULL;
	up->ops->destroy(up);
	rte_free(up);
}

static const struct vsw_port_ops vsw_gw_ops = {
	.rx_burst = gw_rx_burst,
	.tx_burst = gw_tx_burst,
	.nb_rx_queues = gw_nb_rx_queues,
	.nb_tx_queues = gw_nb_tx_queues,
	.destroy = gw_destroy,
};

struct vsw_gw *vsw_gw_of(const struct vsw_port *port)
{
	return port != NULL && port->ops == &vsw_gw_ops ? port->priv : NULL;
}

/* A locally administered MAC from the network's name: the same across
 * restarts, so guests' ARP caches stay right. */
static void inside_mac(const char *name, struct rte_ether_addr *mac)
{
	uint32_t h = 2166136261u;
	for (const char *c = name; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	uint8_t b[6] = { 0x02, 0x76, (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8),
			 (uint8_t)h };
	memcpy(mac->addr_bytes, b, sizeof(b));
}

static int make_rings(struct vsw_gw *gw, const char *name, int socket, char *err, size_t errlen)
{
	char rn[RTE_RING_NAMESIZE];
	snprintf(rn, sizeof(rn), "gw_in_%.20s", name);
	gw->to_gw = rte_ring_create(rn, GW_RING_SIZE, socket, RING_F_SC_DEQ);
	snprintf(rn, sizeof(rn), "gw_dq_%.20s", name);
	gw->dhcp_in = rte_ring_create(rn, GW_DHCP_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(rn, sizeof(rn), "gw_da_%.20s", name);
	gw->dhcp_out = rte_ring_create(rn, GW_DHCP_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (gw->to_gw == NULL || gw->dhcp_in == NULL || gw->dhcp_out == NULL) {
		snprintf(err, errlen, "network %s: gateway rings: %s", name, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int make_nat(struct vsw_gw *gw, int socket, char *err, size_t errlen)
{
	const struct vsw_cfg_network *n = &gw->net;
	struct vsw_nat_cfg nc = {
		.inside_addr = n->subnet.addr, .inside_len = n->subnet.len,
		.ext_addr = n->uplink_address.addr, .max_sessions = n->max_sessions,
		.port_min = 1024, .port_max = 65535,
		.tcp_est_s = n->tcp_est_s, .tcp_trans_s = n->tcp_trans_s,
		.udp_s = n->udp_s, .icmp_s = n->icmp_s, .socket = socket,
	};
	char e[160];
	gw->nat = vsw_nat_create(&nc, e, sizeof(e));
	if (gw->nat == NULL) {
		snprintf(err, errlen, "network %s: %s", n->name, e);
		return -1;
	}
	struct vsw_nat_forward fw[VSW_MAX_FORWARDS];
	for (unsigned int i = 0; i < n->nforwards; i++)
		fw[i] = (struct vsw_nat_forward){ .proto = n->forwards[i].proto,
						  .ext_port = n->forwards[i].port,
						  .to_addr = n->forwards[i].to_addr,
						  .to_port = n->forwards[i].to_port };
	void *old = NULL;
	if (vsw_nat_forwards_swap(gw->nat, fw, n->nforwards, &old) < 0) {
		snprintf(err, errlen, "network %s: forwards refused", n->name);
		return -1;
	}
	vsw_nat_forwards_free(old);
	return 0;
}

static int gw_init(struct vsw_gw *gw, const struct vsw_gw_params *prm, int socket, char *err,
		   size_t errlen)
{
	const struct vsw_cfg_network *n = &gw->net;
	gw->mask = UINT32_MAX << (32 - n->subnet.len);
	gw->gw_ip = n->subnet.addr;
	gw->base = gw->gw_ip & gw->mask;
	gw->bcast = gw->base | ~gw->mask;
	gw->hosts = ~gw->mask + 1;
	gw->ext_ip = n->uplink_address.addr;
	gw->ext_mask = UINT32_MAX << (32 - n->uplink_address.len);
	gw->ms_div = RTE_MAX(rte_get_tsc_hz() / 1000, (uint64_t)1);
	inside_mac(n->name, &gw->in_mac);
	gw->bound = rte_zmalloc_socket("vsw_gw_bound", gw->hosts * sizeof(uint64_t), 0, socket);
	gw->seen = rte_zmalloc_socket("vsw_gw_seen", gw->hosts * sizeof(uint64_t), 0, socket);
	if (gw->bound == NULL || gw->seen == NULL) {
		snprintf(err, errlen, "network %s: no memory for the gateway's tables", n->name);
		return -1;
	}
	for (unsigned int i = 0; i < n->nstatic_leases; i++) {
		struct rte_ether_addr mac;
		memcpy(mac.addr_bytes, n->static_leases[i].mac, sizeof(mac.addr_bytes));
		gw->bound[n->static_leases[i].ip - gw->base] = gw_mac_key(&mac);
	}
	if (make_rings(gw, n->name, socket, err, errlen) < 0 || make_nat(gw, socket, err, errlen) < 0)
		return -1;
	return gw_control_open(gw, prm, err, errlen);
}

int vsw_gw_open(struct vsw_port *port, const struct vsw_gw_params *prm, char *err, size_t errlen)
{
	int socket = prm->mp->socket_id;
	struct vsw_gw *gw = rte_zmalloc_socket("vsw_gw", sizeof(*gw), RTE_CACHE_LINE_SIZE, socket);
	if (gw == NULL) {
		snprintf(err, errlen, "network %s: no memory for its gateway", prm->net->name);
		return -1;
	}
	gw->port = port;
	gw->uplink = prm->uplink;
	gw->mp = prm->mp;
	gw->net = *prm->net;
	gw->dhcp_efd = -1;
	gw->up_mac = prm->uplink_mac;
	if (gw_init(gw, prm, socket, err, errlen) < 0) {
		gw_free(gw);
		return -1;
	}
	port->priv = gw;
	port->ops = &vsw_gw_ops;
	/* The uplink completes checksums and cuts TSO frames itself (in
	 * software if its device cannot): the bridge hands them over whole. */
	port->rx_offloads = VSW_OFF_CSUM | VSW_OFF_TSO4 | VSW_OFF_TSO6 | VSW_OFF_ECN;
	port->link_up = true;
	char a[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(a, sizeof(a), &gw->in_mac);
	VSW_LOG(INFO, switch, "network %s: gateway %u.%u.%u.%u/%u (MAC %s) on uplink %s",
		gw->net.name, gw->gw_ip >> 24, (gw->gw_ip >> 16) & 0xff, (gw->gw_ip >> 8) & 0xff,
		gw->gw_ip & 0xff, gw->net.subnet.len, a, prm->uplink->name);
	return 0;
}
