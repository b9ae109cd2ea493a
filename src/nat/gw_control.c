/* Owns the control thread's side of a gateway: the DHCP server (frames
 * come from the worker by a ring and an eventfd, answers go back by
 * another ring), which address is bound to which MAC for the worker's
 * spoof check, lease expiry, run-time port forwards, and the views the
 * control socket reads. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "common/log.h"
#include "nat/gw_priv.h"

/* Worker side: an eventfd write is the one syscall a worker may make. */
void gw_dhcp_handoff(struct vsw_gw *gw, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(gw->dhcp_in, m) != 0) {
		gw->st.dhcp_ring_full++;
		rte_pktmbuf_free(m);
		return;
	}
	gw->st.dhcp_in++;
	uint64_t one = 1;
	if (write(gw->dhcp_efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, the control thread is woken anyway. */
	}
}

static void answer(struct vsw_gw *gw, struct rte_mbuf *m)
{
	uint8_t in[2048], reply[VSW_DHCP_FRAME_MAX];
	uint32_t len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)sizeof(in));
	const uint8_t *p = rte_pktmbuf_read(m, 0, len, in);
	int r = p == NULL ? 0 : vsw_dhcp_input(gw->dhcp, p, len, time(NULL), reply, sizeof(reply));
	rte_pktmbuf_free(m);
	if (r <= 0)
		return;
	struct rte_mbuf *o = rte_pktmbuf_alloc(gw->mp);
	uint8_t *d = o == NULL ? NULL : (uint8_t *)rte_pktmbuf_append(o, (uint16_t)r);
	if (d == NULL) {
		rte_pktmbuf_free(o);
		gw->st.dhcp_reply_drops++;
		return;
	}
	memcpy(d, reply, (size_t)r);
	if (rte_ring_sp_enqueue(gw->dhcp_out, o) != 0) {
		gw->st.dhcp_reply_drops++;
		rte_pktmbuf_free(o);
		return;
	}
	gw->st.dhcp_out++;
}

static void on_dhcp_event(int fd, uint32_t events, void *arg)
{
	struct vsw_gw *gw = arg;
	RTE_SET_USED(events);
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		VSW_LOG(WARNING, switch, "network %s: DHCP eventfd: %s", gw->net.name,
			strerror(errno));
	void *m;
	while (rte_ring_sc_dequeue(gw->dhcp_in, &m) == 0)
		answer(gw, m);
}

static bool static_for(const struct vsw_gw *gw, uint32_t ip, uint64_t *key)
{
	for (unsigned int i = 0; i < gw->net.nstatic_leases; i++)
		if (gw->net.static_leases[i].ip == ip) {
			struct rte_ether_addr mac;
			memcpy(mac.addr_bytes, gw->net.static_leases[i].mac, sizeof(mac.addr_bytes));
			*key = gw_mac_key(&mac);
			return true;
		}
	return false;
}

static void on_bind(void *ctx, const uint8_t mac[6], uint32_t ip, bool bound)
{
	struct vsw_gw *gw = ctx;
	if (!gw_inside(gw, ip))
		return;
	struct rte_ether_addr a;
	memcpy(a.addr_bytes, mac, sizeof(a.addr_bytes));
	uint64_t k = gw_mac_key(&a);
	if (!bound && !static_for(gw, ip, &k))
		k = 0;
	__atomic_store_n(&gw->bound[ip - gw->base], k, __ATOMIC_RELAXED);
	/* Released: forwards stop going to that guest (a static address's
	 * owner stays). Bound: they go to it. */
	__atomic_store_n(&gw->seen[ip - gw->base], k, __ATOMIC_RELAXED);
	char s[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(s, sizeof(s), &a);
	VSW_LOG(INFO, switch, "network %s: %u.%u.%u.%u %s %s", gw->net.name, ip >> 24,
		(ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff, bound ? "leased to" : "released by", s);
}

static int make_dhcp(struct vsw_gw *gw, const struct vsw_gw_params *prm, char *err, size_t errlen)
{
	const struct vsw_cfg_network *n = &gw->net;
	struct vsw_dhcp_cfg dc = {
		.server_ip = gw->gw_ip, .prefix_len = n->subnet.len,
		.range_start = n->dhcp_start, .range_end = n->dhcp_end,
		.ndns = RTE_MIN(prm->ndns, (unsigned int)VSW_DHCP_MAX_DNS),
		.lease_s = n->lease_s, .mtu = n->dhcp_mtu,
		.nstatics = RTE_MIN(n->nstatic_leases, (unsigned int)VSW_DHCP_MAX_STATIC),
		.on_bind = on_bind, .ctx = gw,
	};
	memcpy(dc.server_mac, gw->in_mac.addr_bytes, sizeof(dc.server_mac));
	memcpy(dc.dns, prm->dns, dc.ndns * sizeof(dc.dns[0]));
	for (unsigned int i = 0; i < dc.nstatics; i++) {
		memcpy(dc.statics[i].mac, n->static_leases[i].mac, 6);
		dc.statics[i].ip = n->static_leases[i].ip;
	}
	char e[256];
	gw->dhcp = vsw_dhcp_create(&dc, prm->lease_file, time(NULL), e, sizeof(e));
	if (gw->dhcp == NULL) {
		snprintf(err, errlen, "network %s: DHCP: %s", n->name, e);
		return -1;
	}
	/* Leases kept from before a restart are bound already. */
	struct vsw_dhcp_lease l[64];
	unsigned int total = vsw_dhcp_leases(gw->dhcp, NULL, 0);
	struct vsw_dhcp_lease *all = total > RTE_DIM(l) ? rte_malloc(NULL, total * sizeof(*all), 0) : l;
	if (all == NULL) {
		snprintf(err, errlen, "network %s: no memory for its leases", n->name);
		return -1;
	}
	total = RTE_MIN(total, vsw_dhcp_leases(gw->dhcp, all, total));
	for (unsigned int i = 0; i < total; i++)
		if (all[i].state == VSW_LEASE_BOUND)
			on_bind(gw, all[i].mac, all[i].ip, true);
	if (all != l)
		rte_free(all);
	return 0;
}

int gw_control_open(struct vsw_gw *gw, const struct vsw_gw_params *prm, char *err, size_t errlen)
{
	gw->loop = prm->loop;
	gw->sync = prm->sync;
	gw->sync_ctx = prm->sync_ctx;
	if (make_dhcp(gw, prm, err, errlen) < 0)
		return -1;
	gw->dhcp_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (gw->dhcp_efd < 0 ||
	    vsw_ev_add(gw->loop, gw->dhcp_efd, EPOLLIN, on_dhcp_event, gw) < 0) {
		snprintf(err, errlen, "network %s: DHCP eventfd: %s", gw->net.name, strerror(errno));
		return -1;
	}
	return 0;
}

void gw_control_close(struct vsw_gw *gw)
{
	if (gw->dhcp_efd >= 0) {
		vsw_ev_del(gw->loop, gw->dhcp_efd);
		close(gw->dhcp_efd);
		gw->dhcp_efd = -1;
	}
	vsw_dhcp_destroy(gw->dhcp);
	gw->dhcp = NULL;
}

void vsw_gw_tick(struct vsw_gw *gw)
{
	vsw_dhcp_expire(gw->dhcp, time(NULL));
}

const struct vsw_dhcp *vsw_gw_dhcp(const struct vsw_gw *gw)
{
	return gw->dhcp;
}

const struct vsw_nat *vsw_gw_nat(const struct vsw_gw *gw)
{
	return gw->nat;
}

struct vsw_port *vsw_gw_uplink(const struct vsw_gw *gw)
{
	return gw->uplink;
}

void vsw_gw_get_stats(const struct vsw_gw *gw, struct vsw_gw_stats *out)
{
	*out = gw->st;
}

void vsw_gw_macs(const struct vsw_gw *gw, struct rte_ether_addr *inside,
		 struct rte_ether_addr *uplink)
{
	*inside = gw->in_mac;
	*uplink = gw->up_mac;
}

const char *vsw_gw_next_hop(const struct vsw_gw *gw, struct rte_ether_addr *mac)
{
	static const char *const names[] = { "none", "resolving", "resolved", "failed" };
	/* The worker changes the entry meanwhile: a glance, as the
	 * counters are. */
	const struct gw_next_hop *e = gw_nh_find(gw, gw->net.uplink_gateway);
	if (gw->net.uplink_gateway == 0 || e == NULL) {
		memset(mac, 0, sizeof(*mac));
		return names[NH_NONE];
	}
	*mac = e->mac;
	return names[__atomic_load_n(&e->state, __ATOMIC_RELAXED)];
}

static int forwards_set(struct vsw_gw *gw, const struct vsw_nat_forward *fw, unsigned int n,
			char *err, size_t errlen)
{
	void *old = NULL;
	if (vsw_nat_forwards_swap(gw->nat, fw, n, &old) < 0) {
		snprintf(err, errlen, "network %s: the forward table was refused", gw->net.name);
		return -1;
	}
	gw->sync(gw->sync_ctx);
	vsw_nat_forwards_free(old);
	return 0;
}

int vsw_gw_forward_add(struct vsw_gw *gw, const struct vsw_nat_forward *f, char *err,
		       size_t errlen)
{
	struct vsw_nat_forward fw[VSW_MAX_FORWARDS + 1];
	unsigned int n = vsw_nat_forwards(gw->nat, fw, VSW_MAX_FORWARDS);
	if (!gw_inside(gw, f->to_addr) || f->to_addr == gw->gw_ip) {
		snprintf(err, errlen, "network %s: 'to' must be a guest's address inside the subnet",
			 gw->net.name);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++)
		if (fw[i].proto == f->proto && fw[i].ext_port == f->ext_port) {
			snprintf(err, errlen, "network %s: %s port %u is forwarded already",
				 gw->net.name, f->proto == IPPROTO_TCP ? "tcp" : "udp", f->ext_port);
			return -1;
		}
	if (n >= VSW_MAX_FORWARDS) {
		snprintf(err, errlen, "network %s: too many forwards (at most %d)", gw->net.name,
			 VSW_MAX_FORWARDS);
		return -1;
	}
	fw[n++] = *f;
	return forwards_set(gw, fw, n, err, errlen);
}

int vsw_gw_forward_del(struct vsw_gw *gw, uint8_t proto, uint16_t ext_port, char *err,
		       size_t errlen)
{
	struct vsw_nat_forward fw[VSW_MAX_FORWARDS];
	unsigned int n = vsw_nat_forwards(gw->nat, fw, VSW_MAX_FORWARDS), k = 0;
	for (unsigned int i = 0; i < n; i++)
		if (fw[i].proto != proto || fw[i].ext_port != ext_port)
			fw[k++] = fw[i];
	if (k == n) {
		snprintf(err, errlen, "network %s: %s port %u is not forwarded", gw->net.name,
			 proto == IPPROTO_TCP ? "tcp" : "udp", ext_port);
		return -1;
	}
	return forwards_set(gw, fw, k, err, errlen);
}
