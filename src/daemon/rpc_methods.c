/* Owns the control socket's method table: what operators and vswctl can ask
 * the running daemon. Each method checks its params itself; changes go
 * through the same validation as the configuration file, by loading the
 * running configuration with the change applied. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_version.h>

#include "common/log.h"
#include "common/sockhold.h"
#include "daemon/daemon.h"
#include "daemon/rpc_nat.h"
#include "daemon/rpc_params.h"
#include "daemon/rpc_set.h"

static const char *const drop_names[VSW_DROP__MAX] = {
	[VSW_DROP_NO_BUF] = "no_buffers",   [VSW_DROP_DEST_FULL] = "destination_full",
	[VSW_DROP_MTU] = "mtu_exceeded",    [VSW_DROP_TABLE_FULL] = "mac_table_full",
	[VSW_DROP_BAD_PACKET] = "bad_packet", [VSW_DROP_NO_DEST] = "no_destination",
};

/* Counters as the operator sees them: since the last clear-stats. */
static void port_counters(const struct vswd *d, const struct vsw_port *p,
			  struct vsw_port_counters *c)
{
	vsw_port_counters_sum(p, c);
	const struct vsw_port_counters *base = &d->stats_base[p->id];
	c->rx_packets -= base->rx_packets;
	c->rx_bytes -= base->rx_bytes;
	c->tx_packets -= base->tx_packets;
	c->tx_bytes -= base->tx_bytes;
	for (int r = 0; r < VSW_DROP__MAX; r++)
		c->drops[r] -= base->drops[r];
}

static json_t *counters_json(const struct vsw_port_counters *c)
{
	json_t *drops = json_object();
	uint64_t total = 0;
	for (int r = 0; r < VSW_DROP__MAX; r++) {
		json_object_set_new(drops, drop_names[r], json_integer((json_int_t)c->drops[r]));
		total += c->drops[r];
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "rx_packets", (json_int_t)c->rx_packets,
			 "rx_bytes", (json_int_t)c->rx_bytes, "tx_packets",
			 (json_int_t)c->tx_packets, "tx_bytes", (json_int_t)c->tx_bytes, "drops",
			 (json_int_t)total, "drops_by_reason", drops);
}

static json_t *m_version(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	(void)ctx;
	if (!rpc_check_params(params, (const char *const[]){ NULL }, e))
		return NULL;
	return json_pack("{s:s, s:s}", "vsw", VSW_VERSION, "dpdk", rte_version());
}

static json_t *m_shutdown(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ "hold", NULL }, e))
		return NULL;
	json_t *hold = json_object_get(params, "hold");
	if (hold != NULL && (!json_is_integer(hold) || json_integer_value(hold) < 0 ||
			     json_integer_value(hold) > VSW_SOCKHOLD_MAX_S))
		return rpc_fail(e, VSW_RPC_INVALID_PARAMS,
				"hold: seconds a socket keeper holds the listening sockets, 0-%d",
				VSW_SOCKHOLD_MAX_S);
	VSW_LOG(NOTICE, control, "shutdown requested on the control socket");
	if (hold != NULL)
		d->shutdown_hold = (int)json_integer_value(hold);
	d->stop = true;
	return json_true();
}

static json_t *m_help(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	(void)ctx;
	(void)params;
	(void)e;
	json_t *r = json_object();
	for (const struct vsw_rpc_method *m = vsw_rpc_methods; m->name != NULL; m++)
		json_object_set_new(r, m->name, json_string(m->help));
	return r;
}

static json_t *m_config_dump(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ NULL }, e))
		return NULL;
	char *text = vsw_config_dump_yaml(&d->cfg);
	if (text == NULL)
		return rpc_fail(e, VSW_RPC_INTERNAL_ERROR, "out of memory");
	json_t *r = json_pack("{s:s}", "yaml", text);
	free(text);
	return r;
}

static json_t *m_network_list(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ NULL }, e))
		return NULL;
	json_t *r = json_array();
	for (unsigned int i = 0; i < d->cfg.nnetworks; i++) {
		struct vsw_network *n = vsw_switch_find_network(&d->sw, d->cfg.networks[i].name);
		if (n == NULL)
			continue;
		json_array_append_new(r, json_pack("{s:s, s:s, s:i, s:I}", "name", n->cfg.name,
						   "mode", vsw_net_mode_name(n->cfg.mode), "ports",
						   n->members->n, "macs",
						   (json_int_t)vsw_fdb_count(n->fdb)));
	}
	return r;
}

static json_t *m_network_show(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_network *n = rpc_named_network(d, params, e);
	if (n == NULL)
		return NULL;
	json_t *ports = json_array();
	for (uint16_t i = 0; i < n->members->n; i++) {
		struct vsw_port *p = d->sw.ports[n->members->ports[i]];
		if (p != NULL)
			json_array_append_new(ports, json_string(p->name));
	}
	struct vsw_fdb_stats st;
	vsw_fdb_get_stats(n->fdb, &st);
	json_t *r = json_pack("{s:s, s:s, s:i, s:i, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "name",
			      n->cfg.name, "mode", vsw_net_mode_name(n->cfg.mode), "mac_aging",
			      (int)n->cfg.mac_aging_s, "mac_table_size", (int)n->cfg.mac_table_size,
			      "ports", ports, "mac_table", "entries",
			      (json_int_t)vsw_fdb_count(n->fdb), "learned", (json_int_t)st.learned,
			      "moves", (json_int_t)st.moves, "overflows", (json_int_t)st.overflows,
			      "aged", (json_int_t)st.aged);
	if (n->cfg.mode == VSW_NET_HOST_ONLY)
		json_object_set_new(r, "interface", json_string(n->cfg.interface));
	return r;
}

static json_t *m_network_add(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	static struct vsw_config next;
	if (!rpc_config_with(d, "networks", params, &next, e))
		return NULL;
	const struct vsw_cfg_network *nc = &next.networks[next.nnetworks - 1];
	char err[512];
	if (nc->mode == VSW_NET_NAT)
		return rpc_fail(e, VSW_RPC_FAILED, "mode nat is not implemented in this version");
	struct vsw_network *net = vsw_switch_network_add(&d->sw, nc, err, sizeof(err));
	if (net == NULL)
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	if (nc->mode == VSW_NET_HOST_ONLY && vswd_host_if_create(d, nc, err, sizeof(err)) < 0) {
		vsw_switch_network_del(&d->sw, net);
		VSW_LOG(ERR, control, "network.add: %s", err);
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	}
	d->cfg.networks[d->cfg.nnetworks++] = *nc;
	VSW_LOG(INFO, control, "network %s: added (%s)", nc->name, vsw_net_mode_name(nc->mode));
	return json_true();
}

static json_t *m_network_del(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_network *n = rpc_named_network(d, params, e);
	if (n == NULL)
		return NULL;
	/* The host interface belongs to the network: it goes with it. */
	if (n->cfg.mode == VSW_NET_HOST_ONLY) {
		struct vsw_port *hp = vsw_switch_find_port(&d->sw, n->cfg.interface);
		if (hp != NULL && n->members->n == 1 && hp->net == n)
			vsw_switch_port_remove(&d->sw, hp);
	}
	if (n->members->n != 0) {
		char names[1024] = "";
		for (uint16_t i = 0; i < n->members->n; i++) {
			strncat(names, i ? ", " : "", sizeof(names) - strlen(names) - 1);
			strncat(names, d->sw.ports[n->members->ports[i]]->name,
				sizeof(names) - strlen(names) - 1);
		}
		return rpc_fail(e, VSW_RPC_FAILED, "network %s still has ports: %s; delete them first",
			    n->cfg.name, names);
	}
	char name[VSW_NAME_MAX];
	snprintf(name, sizeof(name), "%s", n->cfg.name);
	if (vsw_switch_network_del(&d->sw, n) < 0)
		return rpc_fail(e, VSW_RPC_FAILED, "network %s is still in use by a port", name);
	for (unsigned int i = 0; i < d->cfg.nnetworks; i++) {
		if (strcmp(d->cfg.networks[i].name, name) != 0)
			continue;
		memmove(&d->cfg.networks[i], &d->cfg.networks[i + 1],
			(d->cfg.nnetworks - i - 1) * sizeof(d->cfg.networks[0]));
		d->cfg.nnetworks--;
		break;
	}
	VSW_LOG(INFO, control, "network %s: deleted", name);
	return json_true();
}

static json_t *port_summary(const struct vswd *d, const struct vsw_port *p)
{
	struct vsw_port_counters c;
	port_counters(d, p, &c);
	uint64_t drops = 0;
	for (int r = 0; r < VSW_DROP__MAX; r++)
		drops += c.drops[r];
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "name", p->name, "type",
			 vsw_port_type_name(p->cfg.type), "network", p->net->cfg.name, "link",
			 p->link_up ? "up" : "down", "rx_packets", (json_int_t)c.rx_packets,
			 "tx_packets", (json_int_t)c.tx_packets, "drops", (json_int_t)drops);
}

static json_t *m_port_list(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ NULL }, e))
		return NULL;
	json_t *r = json_array();
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++)
		if (d->sw.ports[i] != NULL)
			json_array_append_new(r, port_summary(d, d->sw.ports[i]));
	return r;
}

static json_t *m_port_show(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_port *p = rpc_named_port(d, params, e);
	if (p == NULL)
		return NULL;
	json_t *r = port_summary(d, p);
	json_object_set_new(r, "mtu", json_integer(p->cfg.mtu));
	if (p->cfg.vlan)
		json_object_set_new(r, "vlan", json_integer(p->cfg.vlan));
	if (p->cfg.type == VSW_PORT_VHOST_USER) {
		json_object_set_new(r, "path", json_string(p->cfg.path));
		json_object_set_new(r, "mode", json_string(p->cfg.client ? "client" : "server"));
		json_object_set_new(r, "queues", json_integer(p->cfg.queues));
	} else {
		json_object_set_new(r, "devargs", json_string(p->cfg.devargs));
	}
	vswd_port_info(p, r);
	json_t *cap = vswd_capture_json(d, p->id);
	if (cap != NULL)
		json_object_set_new(r, "capture", cap);
	return r;
}

static json_t *m_port_stats(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_port *p = rpc_named_port(d, params, e);
	if (p == NULL)
		return NULL;
	struct vsw_port_counters c;
	port_counters(d, p, &c);
	json_t *r = counters_json(&c);
	json_object_set_new(r, "name", json_string(p->name));
	return r;
}

static json_t *m_port_clear_stats(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_port *p = rpc_named_port(d, params, e);
	if (p == NULL)
		return NULL;
	/* Workers own the counters; a baseline avoids writing under them. */
	vsw_port_counters_sum(p, &d->stats_base[p->id]);
	return json_true();
}

static json_t *m_port_add(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	static struct vsw_config next;
	if (!rpc_config_with(d, "ports", params, &next, e))
		return NULL;
	const struct vsw_cfg_port *pc = &next.ports[next.nports - 1];
	char err[512];
	d->cfg.ports[d->cfg.nports++] = *pc;
	if (vswd_port_create(d, &d->cfg.ports[d->cfg.nports - 1], err, sizeof(err)) < 0) {
		d->cfg.nports--;
		VSW_LOG(ERR, control, "port.add: %s", err);
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	}
	VSW_LOG(INFO, control, "port %s: added (%s, network %s)", pc->name,
		vsw_port_type_name(pc->type), pc->network);
	return json_true();
}

static json_t *m_port_del(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_port *p = rpc_named_port(d, params, e);
	if (p == NULL)
		return NULL;
	char name[VSW_NAME_MAX];
	snprintf(name, sizeof(name), "%s", p->name);
	vswd_capture_forget(d, p->id);
	memset(&d->stats_base[p->id], 0, sizeof(d->stats_base[0]));
	vsw_switch_port_remove(&d->sw, p);
	for (unsigned int i = 0; i < d->cfg.nports; i++) {
		if (strcmp(d->cfg.ports[i].name, name) != 0)
			continue;
		memmove(&d->cfg.ports[i], &d->cfg.ports[i + 1],
			(d->cfg.nports - i - 1) * sizeof(d->cfg.ports[0]));
		d->cfg.nports--;
		break;
	}
	VSW_LOG(INFO, control, "port %s: deleted", name);
	return json_true();
}

struct fdb_walk {
	struct vswd *d;
	json_t *arr;
	uint64_t now;
};

static void fdb_row(const struct rte_ether_addr *mac, uint16_t vlan,
		    const struct vsw_fdb_entry *en, void *arg)
{
	struct fdb_walk *w = arg;
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(buf, sizeof(buf), mac);
	struct vsw_port *p = en->port < VSW_MAX_PORTS ? w->d->sw.ports[en->port] : NULL;
	json_array_append_new(w->arr,
			      json_pack("{s:s, s:i, s:s, s:s, s:I}", "mac", buf, "vlan", vlan,
					"port", p ? p->name : "?", "type",
					en->is_static ? "static" : "learned", "age",
					(json_int_t)(en->is_static ? 0 : w->now - en->seen)));
}

static json_t *m_fdb_show(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ "name", "network", NULL }, e))
		return NULL;
	struct vsw_network *n = rpc_network_param(d, params,
					      json_object_get(params, "network") ? "network" : "name", e);
	if (n == NULL)
		return NULL;
	struct fdb_walk w = { .d = d, .arr = json_array(), .now = vsw_switch_now() };
	vsw_fdb_walk(n->fdb, fdb_row, &w);
	return w.arr;
}

static bool mac_param(json_t *params, struct rte_ether_addr *mac, struct vsw_rpc_error *e)
{
	const char *s = rpc_str_param(params, "mac", true, e);
	if (s == NULL)
		return false;
	if (rte_ether_unformat_addr(s, mac) != 0 || rte_is_multicast_ether_addr(mac)) {
		rpc_fail(e, VSW_RPC_INVALID_PARAMS,
		     "'%s' is not a unicast MAC address (e.g. 52:54:00:12:34:56)", s);
		return false;
	}
	return true;
}

static bool vlan_param(json_t *params, uint16_t *vlan, struct vsw_rpc_error *e)
{
	json_t *v = json_object_get(params, "vlan");
	*vlan = 0;
	if (v == NULL)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4094) {
		rpc_fail(e, VSW_RPC_INVALID_PARAMS, "'vlan' must be 0-4094");
		return false;
	}
	*vlan = (uint16_t)json_integer_value(v);
	return true;
}

static json_t *m_fdb_flush(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ "network", "port", NULL }, e))
		return NULL;
	struct vsw_network *n = rpc_network_param(d, params, "network", e);
	if (n == NULL)
		return NULL;
	uint16_t port = VSW_FDB_NONE;
	if (json_object_get(params, "port") != NULL) {
		json_t *sub = json_pack("{s:O}", "name", json_object_get(params, "port"));
		struct vsw_port *p = rpc_port_param(d, sub, e);
		json_decref(sub);
		if (p == NULL)
			return NULL;
		port = p->id;
	}
	return json_pack("{s:i}", "flushed", (int)vsw_fdb_flush(n->fdb, port, false));
}

static json_t *m_fdb_add(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ "network", "mac", "port", "vlan", NULL }, e))
		return NULL;
	struct rte_ether_addr mac;
	uint16_t vlan;
	struct vsw_network *n = rpc_network_param(d, params, "network", e);
	if (n == NULL || !mac_param(params, &mac, e) || !vlan_param(params, &vlan, e))
		return NULL;
	const char *pname = rpc_str_param(params, "port", true, e);
	if (pname == NULL)
		return NULL;
	struct vsw_port *p = vsw_switch_find_port(&d->sw, pname);
	if (p == NULL || p->net != n)
		return rpc_fail(e, VSW_RPC_FAILED, "no port named %s in network %s", pname, n->cfg.name);
	if (vsw_fdb_add_static(n->fdb, &mac, vlan, p->id) < 0)
		return rpc_fail(e, VSW_RPC_FAILED, "the MAC table of network %s is full", n->cfg.name);
	return json_true();
}

static json_t *m_fdb_del(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ "network", "mac", "vlan", NULL }, e))
		return NULL;
	struct rte_ether_addr mac;
	uint16_t vlan;
	struct vsw_network *n = rpc_network_param(d, params, "network", e);
	if (n == NULL || !mac_param(params, &mac, e) || !vlan_param(params, &vlan, e))
		return NULL;
	if (vsw_fdb_del(n->fdb, &mac, vlan) < 0)
		return rpc_fail(e, VSW_RPC_FAILED, "no entry for %s on VLAN %u in network %s",
			    json_string_value(json_object_get(params, "mac")), vlan, n->cfg.name);
	return json_true();
}

static json_t *m_core_list(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ NULL }, e))
		return NULL;
	json_t *r = json_array();
	for (unsigned int i = 0; i < d->sw.nworkers; i++) {
		const struct vsw_worker *w = d->sw.workers[i];
		json_t *queues = json_array(), *pinned = json_array();
		const struct vsw_poll_list *pl = w->polls;
		for (uint16_t j = 0; j < pl->n; j++) {
			const struct vsw_port *p = d->sw.ports[pl->polls[j].port];
			char q[64];
			snprintf(q, sizeof(q), "%s:%u", p ? p->name : "?", pl->polls[j].queue);
			json_array_append_new(queues, json_string(q));
			if (pl->polls[j].pinned)
				json_array_append_new(pinned, json_string(q));
		}
		uint64_t busy = w->stats.busy_cycles, idle = w->stats.idle_cycles;
		uint64_t pk = w->stats.packets;
		json_array_append_new(
			r, json_pack("{s:i, s:o, s:o, s:f, s:I, s:f, s:I, s:I, s:I, s:I, s:I}", "core", (int)w->cpu,
				     "queues", queues, "pinned", pinned, "busy_pct",
				     busy + idle ? 100.0 * (double)busy / (double)(busy + idle) : 0.0,
				     "packets", (json_int_t)pk, "cycles_per_packet",
				     pk ? (double)busy / (double)pk : 0.0, "busy_cycles",
				     (json_int_t)busy, "idle_cycles", (json_int_t)idle, "busy_rounds",
				     (json_int_t)w->stats.busy_rounds, "rounds",
				     (json_int_t)w->stats.iterations, "direct_packets",
				     (json_int_t)w->stats.direct_packets));
	}
	return r;
}

static json_t *m_pool_list(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	if (!rpc_check_params(params, (const char *const[]){ NULL }, e))
		return NULL;
	return vswd_pools_json(ctx);
}

static json_t *m_queue_pin(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ "name", "queue", "core", NULL }, e))
		return NULL;
	struct vsw_port *p = rpc_port_param(d, params, e);
	if (p == NULL)
		return NULL;
	json_t *q = json_object_get(params, "queue"), *c = json_object_get(params, "core");
	if (!json_is_integer(q) || json_integer_value(q) < 0 || json_integer_value(q) > 65535 ||
	    !json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) >= CPU_SETSIZE)
		return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "'queue' and 'core' must be numbers");
	char err[256];
	if (vsw_switch_queue_pin(&d->sw, p, (uint16_t)json_integer_value(q),
				 (unsigned int)json_integer_value(c), err, sizeof(err)) < 0)
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	return json_true();
}

static bool u64_param(json_t *params, const char *key, uint64_t min, uint64_t max, uint64_t *out,
		      struct vsw_rpc_error *e)
{
	json_t *v = json_object_get(params, key);
	if (v == NULL)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
	    (uint64_t)json_integer_value(v) > max) {
		rpc_fail(e, VSW_RPC_INVALID_PARAMS, "'%s' must be a number from %" PRIu64 " to %" PRIu64,
		     key, min, max);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static json_t *m_capture_start(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params, (const char *const[]){ "name", "file", "direction", "packets",
							 "bytes", "snaplen", NULL }, e))
		return NULL;
	struct vsw_port *p = rpc_port_param(d, params, e);
	if (p == NULL)
		return NULL;
	const char *file = rpc_str_param(params, "file", true, e);
	if (file == NULL)
		return NULL;
	const char *dir = json_object_get(params, "direction") ? rpc_str_param(params, "direction", true, e)
							      : "both";
	if (dir == NULL)
		return NULL;
	bool rx = strcmp(dir, "rx") == 0 || strcmp(dir, "both") == 0;
	bool tx = strcmp(dir, "tx") == 0 || strcmp(dir, "both") == 0;
	if (!rx && !tx)
		return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "'direction' must be rx, tx or both, not '%s'",
			    dir);
	uint64_t packets = 1000, bytes = 100u << 20, snaplen = 9216;
	if (!u64_param(params, "packets", 1, 100000000, &packets, e) ||
	    !u64_param(params, "bytes", 64, 1ull << 34, &bytes, e) ||
	    !u64_param(params, "snaplen", 64, 65535, &snaplen, e))
		return NULL;
	char err[512];
	struct vsw_capture *cap = vsw_capture_start(&d->sw, p, file, rx, tx, packets, bytes,
						    (uint32_t)snaplen, err, sizeof(err));
	if (cap == NULL)
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	vswd_capture_forget(d, p->id); /* the last one's end */
	d->captures[p->id] = cap;
	vswd_capture_timer(d);
	return json_true();
}

static json_t *m_capture_stop(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_port *p = rpc_named_port(d, params, e);
	if (p == NULL)
		return NULL;
	const struct vsw_capture_stats *ended = vswd_capture_ended(d, p->id);
	if (ended != NULL && ended->error[0] != '\0')
		return rpc_fail(e, VSW_RPC_FAILED, "port %s: the capture had stopped by itself: %s",
				p->name, ended->error);
	if (d->captures[p->id] == NULL)
		return rpc_fail(e, VSW_RPC_FAILED,
			    "port %s is not being captured (a capture that reached its limit has "
			    "finished and closed its file)", p->name);
	struct vsw_capture_stats st;
	vswd_capture_stop(d, p->id, &st);
	return json_pack("{s:I, s:I, s:I}", "packets", (json_int_t)st.packets, "bytes",
			 (json_int_t)st.bytes, "dropped", (json_int_t)st.dropped);
}

static json_t *m_log_set_level(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	(void)ctx;
	if (!rpc_check_params(params, (const char *const[]){ "level", "type", NULL }, e))
		return NULL;
	const char *level = rpc_str_param(params, "level", true, e);
	const char *type = rpc_str_param(params, "type", false, e);
	if (level == NULL || (type == NULL && json_object_get(params, "type")))
		return NULL;
	int l = vsw_log_level_from_name(level);
	if (l < 0)
		return rpc_fail(e, VSW_RPC_INVALID_PARAMS,
			    "'%s' is not a log level (allowed: error, warning, notice, info, debug)",
			    level);
	if (rte_log_set_level_pattern(type ? type : "vsw.*", (uint32_t)l) < 0)
		return rpc_fail(e, VSW_RPC_FAILED, "cannot set the level of '%s'", type);
	return json_true();
}

const struct vsw_rpc_method vsw_rpc_methods[] = {
	{ "version", m_version, "vsw and DPDK versions" },
	{ "shutdown", m_shutdown,
	  "stop the daemon cleanly; hold=S: a keeper holds the listening sockets S seconds for "
	  "the next vswd (default: socket_hold)" },
	{ "help", m_help, "list the methods" },
	{ "config.dump", m_config_dump, "the running configuration as YAML (vswd -c loads it)" },
	{ "config.set", vswd_m_config_set,
	  "change daemon settings: cores, log_level, control_socket, control_socket_mode" },
	{ "network.list", m_network_list, "networks with their port and MAC counts" },
	{ "network.show", m_network_show, "one network: name" },
	{ "network.add", m_network_add, "add a network: the keys of a networks: entry" },
	{ "network.set", vswd_m_network_set,
	  "change a network: name and the keys of a networks: entry (not mode)" },
	{ "network.del", m_network_del, "delete a network without ports: name" },
	{ "port.list", m_port_list, "ports with link state and packet counts" },
	{ "port.show", m_port_show, "one port: name" },
	{ "port.add", m_port_add, "add a port: the keys of a ports: entry" },
	{ "port.set", vswd_m_port_set,
	  "change a port: name and keys of a ports: entry (null removes one); device settings "
	  "re-create it" },
	{ "port.del", m_port_del, "delete a port: name" },
	{ "port.stats", m_port_stats, "a port's counters, drops by reason: name" },
	{ "port.clear-stats", m_port_clear_stats, "zero a port's counters: name" },
	{ "fdb.show", m_fdb_show, "a network's MAC table: network" },
	{ "fdb.flush", m_fdb_flush, "forget learned MACs: network [port]" },
	{ "fdb.add", m_fdb_add, "a static MAC entry: network mac port [vlan]" },
	{ "fdb.del", m_fdb_del, "remove a MAC entry: network mac [vlan]" },
	{ "core.list", m_core_list, "workers: their queues, busy %, packets, cycles per packet" },
	{ "pool.list", m_pool_list, "packet pools: size, mbufs in use and available" },
	{ "queue.pin", m_queue_pin, "poll a port's rx queue on a given worker core: name queue core" },
	{ "capture.start", m_capture_start,
	  "capture a port to pcapng: name file [direction rx|tx|both] [packets] [bytes] [snaplen]" },
	{ "capture.stop", m_capture_stop, "stop a capture and close its file: name" },
	{ "log.set-level", m_log_set_level, "level [type, e.g. vsw.vhost]" },
	{ "nat.show", vswd_m_nat_show, "a NAT network's gateway, next hop, counters: network" },
	{ "nat.leases", vswd_m_nat_leases, "a NAT network's DHCP leases: network" },
	{ "nat.sessions", vswd_m_nat_sessions,
	  "NAT sessions: network [proto tcp|udp|icmp] [addr] [port] [limit, default 1000]" },
	{ "nat.forwards", vswd_m_nat_forwards, "a NAT network's port forwards: network" },
	{ "nat.forward-add", vswd_m_nat_forward_add,
	  "forward a port of the uplink address to a guest: network proto port to [to_port]" },
	{ "nat.forward-del", vswd_m_nat_forward_del, "remove a port forward: network proto port" },
	{ NULL, NULL, NULL },
};
