/* Owns port.set, network.set and config.set: changing any setting of a
 * running port, network or the daemon itself (worker cores, log level,
 * control socket). The change is made to the running configuration as a JSON tree
 * and parsed whole, so it obeys the file's rules and messages. What the
 * bridge reads (network, VLANs, static MACs, core) and socket permissions
 * change in place; settings the guest or device negotiated at start (path,
 * mode, queues, features, MTU, devargs, descriptors) re-create that one port,
 * so its guest reconnects. Other ports never notice. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_log.h>

#include "common/log.h"
#include "control/config_json.h"
#include "daemon/rpc_params.h"
#include "daemon/rpc_set.h"
#include "vhost_user/vhost_port.h"

/* Applies params (the item's own keys; null removes a key) to the named
 * item of the running configuration and parses the result into next. */
static bool merged_config(struct vswd *d, const char *section, const char *name, json_t *params,
			  struct vsw_config *next, size_t *index, struct vsw_rpc_error *e)
{
	json_t *root = vsw_config_to_json(&d->cfg);
	json_t *item = root ? vsw_config_json_item(root, section, name, index) : NULL;
	if (item == NULL) {
		json_decref(root);
		rpc_fail(e, VSW_RPC_INTERNAL_ERROR, "%s: not in the running configuration", name);
		return false;
	}
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v) {
		if (json_is_null(v))
			json_object_del(item, key);
		else
			json_object_set(item, key, v);
	}
	return rpc_config_parse_tree(d, root, section, next, e);
}

static bool wants_change(json_t *params, struct vsw_rpc_error *e)
{
	if (json_object_size(params) >= 2)
		return true;
	rpc_fail(e, VSW_RPC_INVALID_PARAMS,
		 "nothing to change: give the name and the keys to set, as in the configuration "
		 "file (null removes a key)");
	return false;
}

/* Settings fixed when the device starts: changing one re-creates the port. */
static bool device_same(const struct vsw_cfg_port *a, const struct vsw_cfg_port *b)
{
	return a->type == b->type && a->mtu == b->mtu && strcmp(a->path, b->path) == 0 &&
	       a->client == b->client && a->queues == b->queues &&
	       a->disabled_features == b->disabled_features &&
	       strcmp(a->devargs, b->devargs) == 0 && a->rx_queues == b->rx_queues &&
	       a->tx_queues == b->tx_queues && a->rx_desc == b->rx_desc && a->tx_desc == b->tx_desc;
}

static bool access_same(const struct vsw_cfg_port *a, const struct vsw_cfg_port *b)
{
	return a->has_owner == b->has_owner && a->owner == b->owner &&
	       a->has_group == b->has_group && a->group == b->group &&
	       a->socket_mode == b->socket_mode;
}

static int recreate_port(struct vswd *d, struct vsw_port *p, const struct vsw_cfg_port *old,
			 const struct vsw_cfg_port *next, char *err, size_t errlen)
{
	vswd_capture_forget(d, p->id);
	memset(&d->stats_base[p->id], 0, sizeof(d->stats_base[0]));
	vsw_switch_port_remove(&d->sw, p);
	if (vswd_port_create(d, next, err, errlen) == 0)
		return 0;
	/* Put back what was there, so a bad path does not lose the port. */
	char again[256];
	if (vswd_port_create(d, old, again, sizeof(again)) == 0)
		return -1;
	VSW_LOG(ERR, control, "port %s: lost: %s", old->name, again);
	return -2;
}

/* What the switch applied before a failure is what runs: record it. */
static void record_applied(struct vsw_cfg_port *c, const struct vsw_port *p)
{
	snprintf(c->network, sizeof(c->network), "%s", p->cfg.network);
	c->vlan = p->cfg.vlan;
	c->ntrunk = p->cfg.ntrunk;
	memcpy(c->trunk, p->cfg.trunk, sizeof(c->trunk));
	c->nmacs = p->cfg.nmacs;
	memcpy(c->macs, p->cfg.macs, sizeof(c->macs));
	c->core = p->cfg.core;
}

json_t *vswd_m_port_set(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_port *p = rpc_port_param(d, params, e);
	if (p == NULL || !wants_change(params, e))
		return NULL;
	static struct vsw_config next;
	size_t idx;
	if (!merged_config(d, "ports", p->name, params, &next, &idx, e))
		return NULL;
	const struct vsw_cfg_port *np = &next.ports[idx];
	struct vsw_cfg_port old = d->cfg.ports[idx];
	char err[512];
	const char *how = "in place";
	if (!device_same(&old, np)) {
		int rc = recreate_port(d, p, &old, np, err, sizeof(err));
		if (rc == -2) { /* neither the new nor the old one could be made */
			memmove(&d->cfg.ports[idx], &d->cfg.ports[idx + 1],
				(d->cfg.nports - idx - 1) * sizeof(d->cfg.ports[0]));
			d->cfg.nports--;
		}
		if (rc < 0) {
			VSW_LOG(ERR, control, "port.set: %s", err);
			return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
		}
		how = "re-created";
	} else {
		if (!access_same(&old, np) && np->type == VSW_PORT_VHOST_USER &&
		    vsw_vhost_port_set_access(p, np, err, sizeof(err)) < 0)
			return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
		p->cfg.has_owner = d->cfg.ports[idx].has_owner = np->has_owner;
		p->cfg.owner = d->cfg.ports[idx].owner = np->owner;
		p->cfg.has_group = d->cfg.ports[idx].has_group = np->has_group;
		p->cfg.group = d->cfg.ports[idx].group = np->group;
		p->cfg.socket_mode = d->cfg.ports[idx].socket_mode = np->socket_mode;
		if (vsw_switch_port_update(&d->sw, p, np, err, sizeof(err)) < 0) {
			record_applied(&d->cfg.ports[idx], p);
			return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
		}
	}
	d->cfg.ports[idx] = *np;
	VSW_LOG(INFO, control, "port %s: settings changed (%s)", np->name, how);
	return json_pack("{s:s,s:s}", "port", np->name, "applied", how);
}

/* The host interface is made from the network's settings: re-make it. */
static int recreate_host_if(struct vswd *d, const struct vsw_cfg_network *old,
			    const struct vsw_cfg_network *next, char *err, size_t errlen)
{
	struct vsw_port *hp = vsw_switch_find_port(&d->sw, old->interface);
	if (hp != NULL)
		vsw_switch_port_remove(&d->sw, hp);
	if (vswd_host_if_create(d, next, err, errlen) == 0)
		return 0;
	char again[256];
	if (vswd_host_if_create(d, old, again, sizeof(again)) < 0)
		VSW_LOG(ERR, control, "network %s: host interface lost: %s", old->name, again);
	return -1;
}

/* Whether a NAT network's change touches its gateway (anything but the MAC
 * table's size and aging, which the bridge's own code changes in place). */
static bool gateway_changed(const struct vsw_cfg_network *old, const struct vsw_cfg_network *next)
{
	if (next->mode != VSW_NET_NAT)
		return false;
	struct vsw_cfg_network a = *old;
	a.mac_aging_s = next->mac_aging_s;
	a.mac_table_size = next->mac_table_size;
	return memcmp(&a, next, sizeof(a)) != 0;
}

/* The gateway is made from the network's settings: re-make it (its
 * sessions go; leases stay in the lease file). d->cfg holds the network's
 * new settings; old the previous ones, put back if the new fail. */
static int recreate_gateway(struct vswd *d, struct vsw_network *n, size_t idx,
			    const struct vsw_cfg_network *old, char *err, size_t errlen)
{
	const struct vsw_cfg_port *up = vsw_config_find_port(&d->cfg, old->uplink);
	struct vsw_port *gp = up == NULL ? NULL : vsw_switch_find_port(&d->sw, up->name);
	if (gp == NULL)
		return 0; /* no uplink port now: the gateway comes with it */
	vsw_switch_port_remove(&d->sw, gp);
	n->cfg = d->cfg.networks[idx];
	if (vswd_gateway_create(d, up, &d->cfg.networks[idx], err, errlen) == 0)
		return 0;
	d->cfg.networks[idx] = *old;
	n->cfg = *old;
	char again[256];
	if (vswd_gateway_create(d, up, &d->cfg.networks[idx], again, sizeof(again)) < 0)
		VSW_LOG(ERR, control, "network %s: gateway lost: %s", old->name, again);
	return -1;
}

json_t *vswd_m_network_set(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_network *n = rpc_network_param(d, params, "name", e);
	if (n == NULL || !wants_change(params, e))
		return NULL;
	static struct vsw_config next;
	size_t idx;
	if (!merged_config(d, "networks", n->cfg.name, params, &next, &idx, e))
		return NULL;
	const struct vsw_cfg_network *nn = &next.networks[idx];
	struct vsw_cfg_network old = d->cfg.networks[idx];
	if (nn->mode != old.mode)
		return rpc_fail(e, VSW_RPC_FAILED,
				"network %s: the mode cannot change while it exists; delete its ports "
				"and the network, then add it again",
				old.name);
	char err[512];
	bool host_if = nn->mode == VSW_NET_HOST_ONLY &&
		       (strcmp(nn->interface, old.interface) != 0 ||
			nn->has_address != old.has_address ||
			memcmp(&nn->address, &old.address, sizeof(old.address)) != 0);
	if (host_if && vsw_switch_find_port(&d->sw, nn->interface) != NULL &&
	    strcmp(nn->interface, old.interface) != 0)
		return rpc_fail(e, VSW_RPC_FAILED, "network %s: interface %s clashes with a port",
				old.name, nn->interface);
	if (nn->mac_table_size != old.mac_table_size &&
	    vsw_switch_network_resize(&d->sw, n, nn->mac_table_size, err, sizeof(err)) < 0)
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	/* Aging is read by the control thread's tick only. */
	n->cfg.mac_aging_s = d->cfg.networks[idx].mac_aging_s = nn->mac_aging_s;
	d->cfg.networks[idx].mac_table_size = nn->mac_table_size;
	if (host_if) {
		n->cfg = *nn;
		if (recreate_host_if(d, &old, nn, err, sizeof(err)) < 0) {
			n->cfg = d->cfg.networks[idx];
			VSW_LOG(ERR, control, "network.set: %s", err);
			return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
		}
	}
	bool gateway = gateway_changed(&old, nn);
	n->cfg = *nn;
	d->cfg.networks[idx] = *nn;
	if (gateway && recreate_gateway(d, n, idx, &old, err, sizeof(err)) < 0) {
		VSW_LOG(ERR, control, "network.set: %s", err);
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	}
	const char *how = host_if ? "host interface re-created" : gateway ? "gateway re-created" : "in place";
	VSW_LOG(INFO, control, "network %s: settings changed (%s)", nn->name, how);
	return json_pack("{s:s,s:s}", "network", nn->name, "applied", how);
}

/* The control thread sleeps in epoll: give it the CPUs no worker has, or
 * the first worker's when there is none to spare. */
static void pin_control_thread(struct vswd *d)
{
	cpu_set_t set = d->cpus;
	for (unsigned int i = 0; i < d->sw.nworkers; i++)
		CPU_CLR(d->sw.workers[i]->cpu, &set);
	if (CPU_COUNT(&set) == 0)
		CPU_SET(d->sw.workers[0]->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static bool in_cores(const struct vsw_config *c, unsigned int cpu)
{
	for (unsigned int i = 0; i < c->ncores; i++)
		if (c->cores[i] == cpu)
			return true;
	return false;
}

/* Workers on the new cores start before those on removed cores stop, so
 * there is always one to take the queues. */
static int apply_cores(struct vswd *d, const struct vsw_config *next, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < next->ncores; i++)
		if (!in_cores(&d->cfg, next->cores[i]) &&
		    vsw_switch_worker_add(&d->sw, next->cores[i], err, errlen) < 0)
			return -1;
	for (unsigned int i = 0; i < d->cfg.ncores; i++)
		if (!in_cores(next, d->cfg.cores[i]) &&
		    vsw_switch_worker_del(&d->sw, d->cfg.cores[i], err, errlen) < 0)
			return -1;
	pin_control_thread(d);
	return 0;
}

static void stop_old_server(void *arg)
{
	vsw_rpc_server_stop(arg);
}

static int apply_control_socket(struct vswd *d, const struct vsw_config *next, char *err,
				size_t errlen)
{
	if (strcmp(next->control_socket, d->cfg.control_socket) == 0) {
		if (next->control_socket_mode != d->cfg.control_socket_mode &&
		    vsw_rpc_server_set_mode(d->rpc, next->control_socket_mode) < 0) {
			snprintf(err, errlen, "cannot set the mode of %s: %s", d->cfg.control_socket,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	/* vsw_rpc_server_start refuses a live socket and any file that is not
	 * a socket; it replaces only a dead daemon's socket. */
	struct vsw_rpc_server *srv = vsw_rpc_server_start(d->loop, next->control_socket,
							  next->control_socket_mode,
							  vsw_rpc_methods, d, err, errlen);
	if (srv == NULL)
		return -1;
	/* This request came in on the old socket: answer it there, then close. */
	vsw_ev_timer_add(d->loop, 0, stop_old_server, d->rpc);
	d->rpc = srv;
	VSW_LOG(INFO, control, "control socket moved to %s", next->control_socket);
	return 0;
}

json_t *vswd_m_config_set(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	if (!rpc_check_params(params,
			      (const char *const[]){ "cores", "log_level", "control_socket",
						     "control_socket_mode", "socket_hold", "memory",
						     "run_dir", NULL },
			      e))
		return NULL;
	if (json_object_size(params) == 0)
		return rpc_fail(e, VSW_RPC_INVALID_PARAMS,
				"nothing to change: give cores, log_level, control_socket, "
				"control_socket_mode or socket_hold");
	json_t *root = vsw_config_to_json(&d->cfg);
	if (root == NULL)
		return rpc_fail(e, VSW_RPC_INTERNAL_ERROR, "out of memory");
	json_object_update(root, params);
	static struct vsw_config next;
	if (!rpc_config_parse_tree(d, root, "", &next, e))
		return NULL;
	if (strcmp(next.run_dir, d->cfg.run_dir) != 0)
		return rpc_fail(e, VSW_RPC_FAILED,
				"run_dir is fixed while vswd runs (its lock and sockets live there); "
				"restart vswd with the new one");
	if (next.memory_mb != d->cfg.memory_mb)
		return rpc_fail(e, VSW_RPC_FAILED,
				"memory is what the EAL reserves at start (it takes more on demand "
				"while running); restart vswd to reserve a different amount");
	char err[512];
	if (apply_cores(d, &next, err, sizeof(err)) < 0 ||
	    apply_control_socket(d, &next, err, sizeof(err)) < 0) {
		/* What was applied stays applied: keep the record true. */
		d->cfg.ncores = 0;
		for (unsigned int i = 0; i < d->sw.nworkers; i++)
			d->cfg.cores[d->cfg.ncores++] = d->sw.workers[i]->cpu;
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	}
	if (next.log_level != d->cfg.log_level)
		rte_log_set_level_pattern("vsw.*", (uint32_t)next.log_level);
	d->cfg.ncores = next.ncores;
	memcpy(d->cfg.cores, next.cores, sizeof(d->cfg.cores));
	d->cfg.log_level = next.log_level;
	snprintf(d->cfg.control_socket, sizeof(d->cfg.control_socket), "%s", next.control_socket);
	d->cfg.control_socket_mode = next.control_socket_mode;
	d->cfg.socket_hold_s = next.socket_hold_s;
	VSW_LOG(INFO, control, "daemon settings changed");
	return json_true();
}
