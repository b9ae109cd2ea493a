/* Owns the daemon's part of NAT networks: a NAT network's uplink port is
 * opened as an ethdev port that no bridge sees and handed to a gateway
 * port (src/nat/gateway.h) that joins the network in its place; the DNS
 * servers handed out default to the host's; the lease file lives in the
 * run directory; the gateways' timers and link state ride on the daemon's
 * tick. */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_malloc.h>

#include "common/log.h"
#include "control/telemetry.h"
#include "daemon/daemon.h"
#include "nat/gateway.h"
#include "pmd/ethdev_port.h"

const struct vsw_cfg_network *vswd_nat_uplink_of(const struct vswd *d,
						 const struct vsw_cfg_port *cfg)
{
	if (cfg->type != VSW_PORT_ETHDEV)
		return NULL;
	for (unsigned int i = 0; i < d->cfg.nnetworks; i++) {
		const struct vsw_cfg_network *n = &d->cfg.networks[i];
		if (n->mode == VSW_NET_NAT && strcmp(n->name, cfg->network) == 0 &&
		    strcmp(n->uplink, cfg->name) == 0)
			return n;
	}
	return NULL;
}

/* The host's IPv4 nameservers, as /etc/resolv.conf lists them; loopback
 * ones (a local resolver such as systemd-resolved's 127.0.0.53) are of no
 * use to a guest and are left out. */
static unsigned int host_dns(uint32_t *dns, unsigned int max)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	if (f == NULL)
		return 0;
	char line[256], addr[64];
	unsigned int n = 0;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		struct in_addr a;
		if (sscanf(line, " nameserver %63s", addr) == 1 && inet_pton(AF_INET, addr, &a) == 1 &&
		    (ntohl(a.s_addr) >> 24) != 127)
			dns[n++] = ntohl(a.s_addr);
	}
	fclose(f);
	return n;
}

static void switch_sync(void *ctx)
{
	vsw_switch_sync(ctx);
}

/* The uplink as a port of its own, never attached to the switch: one
 * queue pair, polled only by the gateway's worker. */
static struct vsw_port *open_uplink(const struct vsw_cfg_port *cfg, struct rte_mempool *mp,
				    char *err, size_t errlen)
{
	struct vsw_port *up = rte_zmalloc("vsw_uplink", sizeof(*up), RTE_CACHE_LINE_SIZE);
	if (up == NULL) {
		snprintf(err, errlen, "port %s: no memory", cfg->name);
		return NULL;
	}
	snprintf(up->name, sizeof(up->name), "%s", cfg->name);
	up->cfg = *cfg;
	up->cfg.rx_queues = 1;
	up->cfg.tx_queues = 1;
	up->cfg.core = -1;
	if (vsw_ethdev_port_open(up, &up->cfg, 1, mp, err, errlen) < 0) {
		rte_free(up);
		return NULL;
	}
	return up;
}

int vswd_gateway_create(struct vswd *d, const struct vsw_cfg_port *cfg,
			const struct vsw_cfg_network *net, char *err, size_t errlen)
{
	struct rte_mempool *mp = vswd_pool_for(d, cfg, err, errlen);
	if (mp == NULL)
		return -1;
	struct vsw_cfg_port pcfg = *cfg;
	pcfg.rx_queues = 1;
	pcfg.tx_queues = 1;
	struct vsw_port *p = vsw_switch_port_alloc(&d->sw, &pcfg, err, errlen);
	if (p == NULL)
		return -1;
	struct vsw_port *up = open_uplink(cfg, mp, err, errlen);
	if (up == NULL) {
		vsw_switch_port_free(&d->sw, p);
		return -1;
	}
	struct vsw_ethdev_info ei;
	vsw_ethdev_port_info(up, &ei);
	char lease_file[PATH_MAX + 64];
	snprintf(lease_file, sizeof(lease_file), "%s/%s.leases", d->cfg.run_dir, net->name);
	struct vsw_gw_params prm = {
		.net = net, .uplink = up, .uplink_mac = ei.mac, .mp = mp, .loop = d->loop,
		.lease_file = lease_file, .sync = switch_sync, .sync_ctx = &d->sw,
	};
	memcpy(prm.dns, net->dns, sizeof(prm.dns));
	prm.ndns = net->ndns ? net->ndns : host_dns(prm.dns, VSW_MAX_DNS);
	if (vsw_gw_open(p, &prm, err, errlen) < 0) {
		up->ops->destroy(up);
		rte_free(up);
		vsw_switch_port_free(&d->sw, p);
		return -1;
	}
	vsw_switch_port_attach(&d->sw, p);
	return 0;
}

void vswd_nat_tick(struct vswd *d)
{
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++) {
		struct vsw_gw *gw = vsw_gw_of(d->sw.ports[i]);
		if (gw == NULL)
			continue;
		vsw_gw_tick(gw);
		vsw_ethdev_port_poll_link(vsw_gw_uplink(gw));
	}
}

unsigned int vswd_nat_telemetry(const struct vswd *d, struct vsw_tele_nat *out, unsigned int max)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < VSW_MAX_PORTS && n < max; i++) {
		const struct vsw_port *p = d->sw.ports[i];
		const struct vsw_gw *gw = vsw_gw_of(p);
		if (gw == NULL)
			continue;
		struct vsw_nat_stats ns;
		vsw_nat_get_stats(vsw_gw_nat(gw), &ns);
		struct vsw_tele_nat *t = &out[n++];
		memset(t, 0, sizeof(*t));
		snprintf(t->network, sizeof(t->network), "%s", p->net->cfg.name);
		t->translated_out = ns.out_packets;
		t->translated_in = ns.in_packets;
		for (int v = VSW_NAT_OK + 1; v < VSW_NAT__MAX; v++)
			t->drops += ns.drops[v];
		t->sessions = vsw_nat_session_count(vsw_gw_nat(gw));
		t->max_sessions = p->net->cfg.max_sessions;
		t->sessions_created = ns.sessions_created;
		t->sessions_expired = ns.sessions_expired;
		const struct vsw_dhcp *dh = vsw_gw_dhcp(gw);
		t->dhcp_acks = vsw_dhcp_stats(dh)->ack;
		t->leases = vsw_dhcp_leases(dh, NULL, 0);
	}
	return n;
}
