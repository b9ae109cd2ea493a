/* Owns the YAML configuration loader: libyaml builds the document, this file
 * walks it against vsw's schema, fills struct vsw_config and stops at the
 * first problem with "file:line:column: key: message (allowed: ...)".
 * Cross-references (ports to networks, NAT uplinks, overlapping subnets,
 * pinned cores) are checked after the walk, still pointing at the offending
 * node. Reading typed values (config_yaml.c) and a NAT network's many keys
 * (config_nat.c) live apart, so that this file reads as the schema's outline. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>
#include <yaml.h>

#include "common/log.h"
#include "common/sockhold.h"
#include "control/config.h"
#include "control/config_nat.h"
#include "control/config_yaml.h"

#define MAX_FILE_SIZE (1u << 20)

static const char *const net_mode_names[] = { "bridge", "nat", "host-only", NULL };
static const char *const port_type_names[] = { "vhost-user", "ethdev", NULL };
/* In the order of the VSW_FEAT_* bits (common/cfg_types.h). */
const char *const vsw_feature_names[] = { "mrg_rxbuf",	"indirect_desc", "event_idx", "ring_packed",
					  "mq",		"mtu",		 "in_order",  "csum",
					  "guest_csum", "host_tso4",	 "host_tso6", "host_ecn",
					  "guest_tso4", "guest_tso6",	 "guest_ecn", "log_all",  NULL };

const char *vsw_net_mode_name(enum vsw_net_mode mode)
{
	return mode <= VSW_NET_HOST_ONLY ? net_mode_names[mode] : "unknown";
}

const char *vsw_port_type_name(enum vsw_port_type type)
{
	return type <= VSW_PORT_ETHDEV ? port_type_names[type] : "unknown";
}

static int parse_network(struct pctx *p, yaml_node_t *n, const char *key,
			 struct vsw_cfg_network *net)
{
	static const char *const keys[] = {
		"name",	       "mode",		"mac_aging",	  "mac_table_size", "interface",
		"address",     "subnet",	"dhcp_start",	  "dhcp_end",	    "uplink",
		"uplink_address", "uplink_gateway", "forwards",	  "dns",	    "lease_time",
		"mtu",	       "static_leases", "max_sessions",	  "timeouts",	    "spoof_check",
		NULL
	};
	if (cy_check_keys(p, n, key, keys) < 0)
		return -1;
	if (cy_require(p, n, key, "name", "every network needs a name") < 0 ||
	    cy_require(p, n, key, "mode", "bridge, nat or host-only") < 0)
		return -1;
	int mode = 0;
	net->mac_aging_s = 300;
	net->mac_table_size = 8192;
	if (cy_get_name(p, n, key, "name", net->name) < 0 ||
	    cy_get_enum(p, n, key, "mode", net_mode_names, &mode) < 0 ||
	    cy_get_u32(p, n, key, "mac_aging", 1, 86400, &net->mac_aging_s) < 0 ||
	    cy_get_u32(p, n, key, "mac_table_size", 16, 1u << 20, &net->mac_table_size) < 0)
		return -1;
	net->mode = (enum vsw_net_mode)mode;

	static const char *const host_only_keys[] = { "interface", "address", NULL };
	static const char *const nat_keys[] = {
		"subnet",	"dhcp_start",	 "dhcp_end",	 "uplink",	 "uplink_address",
		"uplink_gateway", "forwards",	 "dns",		 "lease_time",	 "mtu",
		"static_leases", "max_sessions", "timeouts",	 "spoof_check", NULL
	};
	const char *const *foreign = net->mode == VSW_NET_HOST_ONLY ? nat_keys
				   : net->mode == VSW_NET_NAT	    ? host_only_keys
								    : NULL;
	for (int i = 0; foreign && foreign[i]; i++)
		if (cy_get(p, n, foreign[i]) != NULL)
			return cy_fail(p, cy_get(p, n, foreign[i]), key,
				       "key '%s' does not apply to a %s network", foreign[i],
				       net_mode_names[mode]);
	if (net->mode == VSW_NET_BRIDGE) {
		for (int i = 0; host_only_keys[i]; i++)
			if (cy_get(p, n, host_only_keys[i]) != NULL)
				return cy_fail(p, cy_get(p, n, host_only_keys[i]), key,
					       "key '%s' does not apply to a bridge network",
					       host_only_keys[i]);
		for (int i = 0; nat_keys[i]; i++)
			if (cy_get(p, n, nat_keys[i]) != NULL)
				return cy_fail(p, cy_get(p, n, nat_keys[i]), key,
					       "key '%s' does not apply to a bridge network",
					       nat_keys[i]);
	}

	if (net->mode == VSW_NET_HOST_ONLY) {
		char dflt[IF_NAMESIZE] = "";
		snprintf(dflt, sizeof(dflt), "vsw-%.11s", net->name);
		memcpy(net->interface, dflt, sizeof(dflt));
		if (cy_get_str(p, n, key, "interface", net->interface, sizeof(net->interface)) < 0 ||
		    cy_get_prefix(p, n, key, "address", &net->address, &net->has_address) < 0)
			return -1;
		if (!cy_valid_name(net->interface)) {
			char k[128];
			yaml_node_t *in = cy_member(p, n, key, "interface", k, sizeof(k));
			return cy_fail(p, in, k,
				       "'%s' is not a valid interface name (allowed: letters, "
				       "digits, '-', '_', '.'; at most 15)",
				       net->interface);
		}
	}
	if (net->mode == VSW_NET_NAT && cn_parse_nat(p, n, key, net) < 0)
		return -1;
	return 0;
}

static int parse_vlan_list(struct pctx *p, yaml_node_t *port, const char *key,
			   struct vsw_cfg_port *pt)
{
	yaml_node_t *seq;
	char k[128];
	if (cy_get_list(p, port, key, "trunk", k, sizeof(k), &seq) < 0)
		return -1;
	FOR_EACH_ITEM(p, seq, vn) {
		unsigned long v;
		if (pt->ntrunk == VSW_MAX_TRUNK_VLANS)
			return cy_fail(p, vn, k, "too many VLANs (at most %d)",
				       VSW_MAX_TRUNK_VLANS);
		if (cy_get_uint(p, vn, k, 1, 4094, &v) < 0)
			return -1;
		for (unsigned int j = 0; j < pt->ntrunk; j++)
			if (pt->trunk[j] == v)
				return cy_fail(p, vn, k, "VLAN %lu is listed twice", v);
		pt->trunk[pt->ntrunk++] = (uint16_t)v;
	}
	return 0;
}

static int parse_macs(struct pctx *p, yaml_node_t *port, const char *key, struct vsw_cfg_port *pt)
{
	yaml_node_t *seq;
	char k[128];
	if (cy_get_list(p, port, key, "macs", k, sizeof(k), &seq) < 0)
		return -1;
	FOR_EACH_ITEM(p, seq, m) {
		if (pt->nmacs == VSW_MAX_STATIC_MACS)
			return cy_fail(p, m, k, "too many MAC addresses (at most %d)",
				       VSW_MAX_STATIC_MACS);
		const char *s = cy_scalar(m);
		if (s == NULL || cy_parse_mac(s, pt->macs[pt->nmacs]) < 0)
			return cy_fail(p, m, k,
				       "'%s' is not a MAC address (allowed: six hex bytes, e.g. "
				       "52:54:00:12:34:56)",
				       s ? s : cy_node_kind(m));
		if (pt->macs[pt->nmacs][0] & 1)
			return cy_fail(p, m, k, "'%s' is a multicast address; static entries "
					     "must be unicast", s);
		pt->nmacs++;
	}
	return 0;
}

static int parse_features(struct pctx *p, yaml_node_t *port, const char *key,
			  struct vsw_cfg_port *pt)
{
	yaml_node_t *seq;
	char k[128], hint[256] = "";
	if (cy_get_list(p, port, key, "disable_features", k, sizeof(k), &seq) < 0)
		return -1;
	for (int i = 0; vsw_feature_names[i]; i++) {
		strncat(hint, i ? ", " : "", sizeof(hint) - strlen(hint) - 1);
		strncat(hint, vsw_feature_names[i], sizeof(hint) - strlen(hint) - 1);
	}
	FOR_EACH_ITEM(p, seq, f) {
		const char *s = cy_scalar(f);
		int found = -1;
		for (int i = 0; s && vsw_feature_names[i]; i++)
			if (strcmp(s, vsw_feature_names[i]) == 0)
				found = i;
		if (found < 0)
			return cy_fail(p, f, k, "'%s' is not a feature vsw can turn off (allowed: %s)",
				       s ? s : cy_node_kind(f), hint);
		pt->disabled_features |= 1u << found;
	}
	return 0;
}

/* "#1000" names an id that has no name on this machine: all digits after '#'. */
static bool numeric_id(const char *s, unsigned long *id)
{
	if (s[0] != '#' || s[1] < '0' || s[1] > '9')
		return false;
	char *end;
	errno = 0;
	*id = strtoul(s + 1, &end, 10);
	return *end == '\0' && errno == 0 && *id <= UINT32_MAX - 1;
}

/* The socket's owner (user) or group (!user), by name or "#number":
 * 1 and *id when given, 0 when not, -1 on an error (reported). */
static int parse_id(struct pctx *p, yaml_node_t *n, const char *key, bool user, uint32_t *id)
{
	const char *what = user ? "owner" : "group";
	char buf[64] = "", k[128];
	if (cy_get_str(p, n, key, what, buf, sizeof(buf)) < 0)
		return -1;
	if (!buf[0])
		return 0;
	unsigned long num;
	if (numeric_id(buf, &num)) {
		*id = (uint32_t)num;
	} else if (user) {
		struct passwd *pw = getpwnam(buf);
		if (pw != NULL)
			*id = pw->pw_uid;
		else
			goto unknown;
	} else {
		struct group *gr = getgrnam(buf);
		if (gr != NULL)
			*id = gr->gr_gid;
		else
			goto unknown;
	}
	return 1;
unknown:
	return cy_fail(p, cy_member(p, n, key, what, k, sizeof(k)), k, "no %s named '%s' on this machine", user ? "user" : "group",
		       buf);
}

static int parse_owner(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_port *pt)
{
	uint32_t uid, gid;
	int u = parse_id(p, n, key, true, &uid), g = u < 0 ? -1 : parse_id(p, n, key, false, &gid);
	if (g < 0)
		return -1;
	if (u) {
		pt->owner = (uid_t)uid;
		pt->has_owner = true;
	}
	if (g) {
		pt->group = (gid_t)gid;
		pt->has_group = true;
	}
	return 0;
}

/* Socket modes are octal by convention ("0660"); YAML would read 0660 as a
 * plain scalar, so the text is taken as octal whatever its quoting. */
static int get_mode(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		    int *out)
{
	char key[128];
	yaml_node_t *n = cy_member(p, map, parent, name, key, sizeof(key));
	if (n == NULL)
		return 0;
	const char *s = cy_scalar(n);
	char *end = NULL;
	long v = s ? strtol(s, &end, 8) : -1;
	if (s == NULL || s[0] == '\0' || *end != '\0' || v < 0 || v > 0777)
		return cy_fail(p, n, key, "'%s' is not a file mode (allowed: octal 0000-0777, e.g. "
				       "0660)",
			       s ? s : cy_node_kind(n));
	*out = (int)v;
	return 0;
}

static int resolve_path(struct pctx *p, yaml_node_t *n, const char *key, const char *run_dir,
			char *path, size_t size)
{
	if (path[0] == '/')
		return 0;
	char tmp[PATH_MAX];
	int len = snprintf(tmp, sizeof(tmp), "%s/%s", run_dir, path);
	if (len < 0 || (size_t)len >= size)
		return cy_fail(p, n, key,
			       "'%s' under run_dir '%s' is too long for a Unix socket (at most %zu "
			       "characters)",
			       path, run_dir, size - 1);
	memcpy(path, tmp, (size_t)len + 1);
	return 0;
}

static int parse_port(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_port *pt,
		      const char *run_dir)
{
	static const char *const keys[] = {
		"name",	   "type",     "network",   "mtu",	       "vlan",	   "trunk",
		"macs",	   "core",     "path",	    "mode",	       "queues",   "disable_features",
		"owner",   "group",    "socket_mode", "devargs",     "rx_queues", "tx_queues",
		"rx_desc", "tx_desc",  NULL
	};
	static const char *const vhost_only[] = { "path", "mode", "queues", "disable_features",
						  "owner", "group", "socket_mode", NULL };
	static const char *const ethdev_only[] = { "devargs", "rx_queues", "tx_queues",
						   "rx_desc", "tx_desc", NULL };
	static const char *const modes[] = { "server", "client", NULL };
	if (cy_check_keys(p, n, key, keys) < 0)
		return -1;
	if (cy_require(p, n, key, "name", "every port needs a name") < 0 ||
	    cy_require(p, n, key, "type", "vhost-user or ethdev") < 0 ||
	    cy_require(p, n, key, "network", "the network this port joins") < 0)
		return -1;
	int type = 0, mode = 0;
	unsigned long core;
	pt->mtu = 1500;
	pt->core = -1;
	pt->queues = 1;
	pt->socket_mode = -1;
	pt->rx_queues = pt->tx_queues = 1;
	pt->rx_desc = pt->tx_desc = 1024;
	if (cy_get_name(p, n, key, "name", pt->name) < 0 ||
	    cy_get_enum(p, n, key, "type", port_type_names, &type) < 0 ||
	    cy_get_name(p, n, key, "network", pt->network) < 0 ||
	    cy_get_u16(p, n, key, "mtu", 68, 9000, &pt->mtu) < 0 ||
	    cy_get_u16(p, n, key, "vlan", 1, 4094, &pt->vlan) < 0)
		return -1;
	pt->type = (enum vsw_port_type)type;
	if (cy_get(p, n, "trunk") != NULL && parse_vlan_list(p, n, key, pt) < 0)
		return -1;
	if (pt->vlan && pt->ntrunk)
		return cy_fail(p, cy_get(p, n, "trunk"), key,
			       "a port has either an access 'vlan' or a 'trunk' list, not both");
	if (parse_macs(p, n, key, pt) < 0)
		return -1;
	char k[128];
	yaml_node_t *cn = cy_member(p, n, key, "core", k, sizeof(k));
	if (cn != NULL) {
		if (cy_get_uint(p, cn, k, 0, CPU_SETSIZE - 1, &core) < 0)
			return -1;
		pt->core = (int)core;
	}
	const char *const *foreign = pt->type == VSW_PORT_VHOST_USER ? ethdev_only : vhost_only;
	for (int i = 0; foreign[i]; i++)
		if (cy_get(p, n, foreign[i]) != NULL)
			return cy_fail(p, cy_get(p, n, foreign[i]), key,
				       "key '%s' does not apply to a %s port", foreign[i],
				       port_type_names[type]);
	if (pt->type == VSW_PORT_VHOST_USER) {
		if (cy_require(p, n, key, "path", "the vhost-user socket file") < 0)
			return -1;
		yaml_node_t *pn = cy_member(p, n, key, "path", k, sizeof(k));
		if (cy_get_str(p, n, key, "path", pt->path, sizeof(pt->path)) < 0 ||
		    resolve_path(p, pn, k, run_dir, pt->path, sizeof(pt->path)) < 0 ||
		    cy_get_enum(p, n, key, "mode", modes, &mode) < 0 ||
		    cy_get_u16(p, n, key, "queues", 1, VSW_MAX_QUEUE_PAIRS, &pt->queues) < 0 ||
		    parse_features(p, n, key, pt) < 0 || parse_owner(p, n, key, pt) < 0 ||
		    get_mode(p, n, key, "socket_mode", &pt->socket_mode) < 0)
			return -1;
		pt->client = mode == 1;
		if (pt->client && (pt->has_owner || pt->has_group || pt->socket_mode >= 0))
			return cy_fail(p, n, key,
				       "owner, group and socket_mode apply to server mode only (in "
				       "client mode the frontend creates the socket)");
	} else {
		if (cy_require(p, n, key, "devargs",
			       "a PCI address or a vdev such as net_tap0,iface=tap0") < 0 ||
		    cy_get_str(p, n, key, "devargs", pt->devargs, sizeof(pt->devargs)) < 0 ||
		    cy_get_u16(p, n, key, "rx_queues", 1, VSW_MAX_QUEUE_PAIRS, &pt->rx_queues) < 0 ||
		    cy_get_u16(p, n, key, "tx_queues", 1, VSW_MAX_QUEUE_PAIRS, &pt->tx_queues) < 0 ||
		    cy_get_u16(p, n, key, "rx_desc", 64, 4096, &pt->rx_desc) < 0 ||
		    cy_get_u16(p, n, key, "tx_desc", 64, 4096, &pt->tx_desc) < 0)
			return -1;
		const char *const desc_keys[] = { "rx_desc", "tx_desc" };
		const uint16_t descs[] = { pt->rx_desc, pt->tx_desc };
		for (int i = 0; i < 2; i++)
			if (descs[i] & (descs[i] - 1)) {
				yaml_node_t *dn = cy_member(p, n, key, desc_keys[i], k, sizeof(k));
				return cy_fail(p, dn, k,
					       "%u is not a power of two (allowed: 64, 128, ... 4096)",
					       descs[i]);
			}
	}
	return 0;
}

static bool cpu_exists(struct pctx *p, unsigned long cpu)
{
	const cpu_set_t *set = p->env && p->env->cpus ? p->env->cpus : &p->own_cpus;
	return cpu < CPU_SETSIZE && CPU_ISSET(cpu, set);
}

static void cpu_list_text(struct pctx *p, char *buf, size_t size)
{
	buf[0] = '\0';
	for (unsigned long c = 0; c < CPU_SETSIZE; c++) {
		if (!cpu_exists(p, c))
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, size - used, "%s%lu", used ? ", " : "", c);
	}
}

static int parse_cores(struct pctx *p, yaml_node_t *root, struct vsw_config *cfg)
{
	yaml_node_t *seq;
	char k[128];
	if (cy_get_list(p, root, NULL, "cores", k, sizeof(k), &seq) < 0)
		return -1;
	if (seq == NULL)
		return 0;
	if (seq->data.sequence.items.top == seq->data.sequence.items.start)
		return cy_fail(p, seq, k, "needs at least one core for a worker");
	cfg->ncores = 0;
	char avail[256];
	cpu_list_text(p, avail, sizeof(avail));
	FOR_EACH_ITEM(p, seq, c) {
		unsigned long v;
		if (cfg->ncores == VSW_MAX_CORES)
			return cy_fail(p, c, k, "too many cores (at most %d)", VSW_MAX_CORES);
		/* A worker runs on EAL lcore CPU+1 (eal_args.h). */
		if (cy_get_uint(p, c, k, 0, RTE_MAX_LCORE - 2, &v) < 0)
			return -1;
		if (!cpu_exists(p, v))
			return cy_fail(p, c, k,
				       "core %lu does not exist or is not available to vswd "
				       "(allowed: %s)",
				       v, avail);
		for (unsigned int j = 0; j < cfg->ncores; j++)
			if (cfg->cores[j] == v)
				return cy_fail(p, c, k, "core %lu is listed twice", v);
		cfg->cores[cfg->ncores++] = (unsigned int)v;
	}
	return 0;
}

/* The addresses vsw owns or routes on a network, as one prefix: a NAT
 * network's subnet, a host-only network's address; NULL for the others. */
static const struct vsw_ipv4_prefix *owned_prefix(const struct vsw_cfg_network *net,
						  const char **what)
{
	if (net->mode == VSW_NET_NAT) {
		*what = "subnet";
		return &net->subnet;
	}
	if (net->mode == VSW_NET_HOST_ONLY && net->has_address) {
		*what = "address";
		return &net->address;
	}
	return NULL;
}

/* A NAT network's subnet must not overlap another NAT subnet or a
 * host-only network's address: the host and the guests could not tell
 * which network an address is on. Two host-only networks are the host's
 * own routing business and are left alone. */
static int overlap_check(struct pctx *p, const struct vsw_config *cfg, yaml_node_t **net_nodes,
			 unsigned int i, unsigned int j)
{
	const struct vsw_cfg_network *ni = &cfg->networks[i], *nj = &cfg->networks[j];
	const char *wi, *wj;
	const struct vsw_ipv4_prefix *pi = owned_prefix(ni, &wi), *pj = owned_prefix(nj, &wj);
	if (pi == NULL || pj == NULL || (ni->mode != VSW_NET_NAT && nj->mode != VSW_NET_NAT) ||
	    !cn_prefixes_overlap(pi, pj))
		return 0;
	char key[64], a[PREFIX_TEXT_LEN], b[PREFIX_TEXT_LEN];
	snprintf(key, sizeof(key), "networks[%u].%s", i, wi);
	return cy_fail(p, cy_get(p, net_nodes[i], wi) ?: net_nodes[i], key,
		       "%s overlaps %s %s of %s network '%s' (networks[%u])", cn_prefix_text(pi, a), wj,
		       cn_prefix_text(pj, b), net_mode_names[nj->mode], nj->name, j);
}

/* Checks that need the whole file: names unique, references resolve. */
static int cross_check(struct pctx *p, struct vsw_config *cfg, yaml_node_t **net_nodes,
		       yaml_node_t **port_nodes)
{
	for (unsigned int i = 0; i < cfg->nnetworks; i++) {
		char key[64];
		snprintf(key, sizeof(key), "networks[%u].name", i);
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(cfg->networks[i].name, cfg->networks[j].name) == 0)
				return cy_fail(p, cy_get(p, net_nodes[i], "name"), key,
					       "network name '%s' is already used by networks[%u]",
					       cfg->networks[i].name, j);
		const struct vsw_cfg_network *ni = &cfg->networks[i];
		for (unsigned int j = 0; j < i; j++) {
			const struct vsw_cfg_network *nj = &cfg->networks[j];
			if (ni->mode == VSW_NET_HOST_ONLY && nj->mode == VSW_NET_HOST_ONLY &&
			    strcmp(ni->interface, nj->interface) == 0) {
				snprintf(key, sizeof(key), "networks[%u].interface", i);
				return cy_fail(p, cy_get(p, net_nodes[i], "interface") ?: net_nodes[i], key,
					       "interface '%s' is already used by network '%s'",
					       ni->interface, nj->name);
			}
			if (overlap_check(p, cfg, net_nodes, i, j) < 0)
				return -1;
		}
	}
	for (unsigned int i = 0; i < cfg->nports; i++) {
		struct vsw_cfg_port *pt = &cfg->ports[i];
		char key[64];
		snprintf(key, sizeof(key), "ports[%u]", i);
		for (unsigned int j = 0; j < i; j++) {
			if (strcmp(pt->name, cfg->ports[j].name) == 0)
				return cy_fail(p, cy_get(p, port_nodes[i], "name"), key,
					       "port name '%s' is already used by ports[%u]", pt->name,
					       j);
			if (pt->type == VSW_PORT_VHOST_USER &&
			    cfg->ports[j].type == VSW_PORT_VHOST_USER &&
			    strcmp(pt->path, cfg->ports[j].path) == 0)
				return cy_fail(p, cy_get(p, port_nodes[i], "path"), key,
					       "socket path '%s' is already used by port '%s'",
					       pt->path, cfg->ports[j].name);
		}
		if (pt->type == VSW_PORT_VHOST_USER &&
		    strcmp(pt->path, cfg->control_socket) == 0)
			return cy_fail(p, cy_get(p, port_nodes[i], "path"), key,
				       "socket path '%s' is the control socket", pt->path);
		const struct vsw_cfg_network *net = vsw_config_find_network(cfg, pt->network);
		if (net == NULL) {
			char names[512] = "";
			for (unsigned int j = 0; j < cfg->nnetworks; j++) {
				strncat(names, j ? ", " : "", sizeof(names) - strlen(names) - 1);
				strncat(names, cfg->networks[j].name,
					sizeof(names) - strlen(names) - 1);
			}
			return cy_fail(p, cy_get(p, port_nodes[i], "network"), key,
				       "no network named '%s' (networks: %s)", pt->network,
				       names[0] ? names : "none defined");
		}
		if (net->mode == VSW_NET_HOST_ONLY && pt->type == VSW_PORT_ETHDEV)
			return cy_fail(p, cy_get(p, port_nodes[i], "type"), key,
				       "host-only network '%s' takes vhost-user ports only (its host "
				       "side is the '%s' interface)",
				       net->name, net->interface);
		if (pt->core >= 0) {
			bool listed = false;
			for (unsigned int c = 0; c < cfg->ncores; c++)
				listed |= cfg->cores[c] == (unsigned int)pt->core;
			if (!listed)
				return cy_fail(p, cy_get(p, port_nodes[i], "core"), key,
					       "core %d is not one of the worker cores", pt->core);
		}
		if (net->mode == VSW_NET_NAT && pt->type == VSW_PORT_ETHDEV &&
		    strcmp(net->uplink, pt->name) != 0)
			return cy_fail(p, port_nodes[i], key,
				       "ethdev port '%s' is in NAT network '%s' whose uplink is '%s'; "
				       "a NAT network has one uplink",
				       pt->name, net->name, net->uplink);
	}
	for (unsigned int i = 0; i < cfg->nnetworks; i++) {
		const struct vsw_cfg_network *net = &cfg->networks[i];
		if (net->mode != VSW_NET_NAT)
			continue;
		const struct vsw_cfg_port *up = vsw_config_find_port(cfg, net->uplink);
		char key[64];
		snprintf(key, sizeof(key), "networks[%u].uplink", i);
		for (unsigned int j = 0; j < cfg->nnetworks; j++)
			if (j != i && cfg->networks[j].mode == VSW_NET_NAT &&
			    strcmp(cfg->networks[j].uplink, net->uplink) == 0)
				return cy_fail(p, cy_get(p, net_nodes[i], "uplink"), key,
					       "port '%s' is also the uplink of NAT network '%s' "
					       "(networks[%u]); each NAT network needs an uplink of its own",
					       net->uplink, cfg->networks[j].name, j);
		if (up == NULL || up->type != VSW_PORT_ETHDEV || strcmp(up->network, net->name))
			return cy_fail(p, cy_get(p, net_nodes[i], "uplink"), key,
				       "'%s' must name an ethdev port in network '%s'", net->uplink,
				       net->name);
	}
	return 0;
}

static int parse_root(struct pctx *p, yaml_node_t *root, struct vsw_config *cfg)
{
	static const char *const keys[] = { "cores",	    "memory",	"control_socket",
					    "control_socket_mode", "run_dir", "log_level",
					    "socket_hold",  "networks",	"ports",	NULL };
	if (cy_check_keys(p, root, "", keys) < 0)
		return -1;
	if (parse_cores(p, root, cfg) < 0 ||
	    cy_get_u32(p, root, NULL, "memory", 64, 65536, &cfg->memory_mb) < 0 ||
	    cy_get_str(p, root, NULL, "run_dir", cfg->run_dir, sizeof(cfg->run_dir)) < 0 ||
	    get_mode(p, root, NULL, "control_socket_mode", &cfg->control_socket_mode) < 0 ||
	    cy_get_u32(p, root, NULL, "socket_hold", 0, VSW_SOCKHOLD_MAX_S, &cfg->socket_hold_s) < 0)
		return -1;
	if (cfg->run_dir[0] != '/')
		return cy_fail(p, cy_get(p, root, "run_dir"), "run_dir",
			       "'%s' must be an absolute path", cfg->run_dir);
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%.*s/vsw.sock",
		 (int)(sizeof(cfg->control_socket) - 10), cfg->run_dir);
	if (cy_get_str(p, root, NULL, "control_socket", cfg->control_socket,
		       sizeof(cfg->control_socket)) < 0 ||
	    resolve_path(p, cy_get(p, root, "control_socket") ?: root, "control_socket", cfg->run_dir,
			 cfg->control_socket, sizeof(cfg->control_socket)) < 0)
		return -1;
	yaml_node_t *lv = cy_get(p, root, "log_level");
	if (lv != NULL) {
		const char *s = cy_scalar(lv);
		int level = s ? vsw_log_level_from_name(s) : -1;
		if (level < 0)
			return cy_fail(p, lv, "log_level",
				       "'%s' is not a log level (allowed: error, warning, notice, info, "
				       "debug, or 1-8)",
				       s ? s : cy_node_kind(lv));
		cfg->log_level = level;
	}

	yaml_node_t *nets, *ports;
	char nk[16], pk[16];
	if (cy_get_list(p, root, NULL, "networks", nk, sizeof(nk), &nets) < 0 ||
	    cy_get_list(p, root, NULL, "ports", pk, sizeof(pk), &ports) < 0)
		return -1;
	yaml_node_t *net_nodes[VSW_MAX_NETWORKS], *port_nodes[VSW_MAX_PORTS];
	FOR_EACH_ITEM(p, nets, n) {
		if (cfg->nnetworks == VSW_MAX_NETWORKS)
			return cy_fail(p, n, nk, "too many networks (at most %d)",
				       VSW_MAX_NETWORKS);
		char key[64];
		snprintf(key, sizeof(key), "%s[%u]", nk, cfg->nnetworks);
		net_nodes[cfg->nnetworks] = n;
		if (parse_network(p, n, key, &cfg->networks[cfg->nnetworks]) < 0)
			return -1;
		cfg->nnetworks++;
	}
	FOR_EACH_ITEM(p, ports, n) {
		if (cfg->nports == VSW_MAX_PORTS)
			return cy_fail(p, n, pk, "too many ports (at most %d)", VSW_MAX_PORTS);
		char key[64];
		snprintf(key, sizeof(key), "%s[%u]", pk, cfg->nports);
		port_nodes[cfg->nports] = n;
		if (parse_port(p, n, key, &cfg->ports[cfg->nports], cfg->run_dir) < 0)
			return -1;
		cfg->nports++;
	}
	return cross_check(p, cfg, net_nodes, port_nodes);
}

/* The last CPU we may run on becomes the default worker, leaving the first
 * to the control thread and the rest of the system. */
static unsigned int default_core(const struct vsw_config_env *env)
{
	cpu_set_t own;
	const cpu_set_t *set = env && env->cpus ? env->cpus : NULL;
	if (set == NULL) {
		CPU_ZERO(&own);
		if (sched_getaffinity(0, sizeof(own), &own) < 0)
			return 0;
		set = &own;
	}
	unsigned int last = 0;
	for (unsigned int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set))
			last = c;
	return last;
}

static void set_defaults(struct vsw_config *cfg, const struct vsw_config_env *env)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ncores = 1;
	cfg->cores[0] = default_core(env);
	cfg->memory_mb = 256;
	cfg->control_socket_mode = 0660;
	snprintf(cfg->run_dir, sizeof(cfg->run_dir), "/run/vsw");
	cfg->log_level = RTE_LOG_INFO;
}

int vsw_config_parse(struct vsw_config *cfg, const char *text, size_t len, const char *name,
		     const struct vsw_config_env *env, struct vsw_config_error *err)
{
	struct pctx p = { .file = name, .env = env, .msg = err->msg, .msg_size = sizeof(err->msg) };
	yaml_parser_t parser;
	yaml_document_t doc;
	set_defaults(cfg, env);
	snprintf(cfg->source, sizeof(cfg->source), "%s", name);
	CPU_ZERO(&p.own_cpus);
	if (env == NULL || env->cpus == NULL)
		sched_getaffinity(0, sizeof(p.own_cpus), &p.own_cpus);
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_mark_t m = parser.problem_mark;
		snprintf(err->msg, sizeof(err->msg), "%s:%lu:%lu: invalid YAML: %s%s%s", name,
			 (unsigned long)m.line + 1, (unsigned long)m.column + 1,
			 parser.problem ? parser.problem : "syntax error",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	p.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc;
	if (root == NULL) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s:1:1: the file is empty (a configuration is a mapping with keys such "
			 "as cores, networks and ports; see config/default.yaml)",
			 name);
		rc = -1;
	} else {
		rc = parse_root(&p, root, cfg);
	}
	/* A second document in the same file would be silently ignored: refuse it. */
	if (rc == 0) {
		yaml_document_t extra;
		if (yaml_parser_load(&parser, &extra)) {
			yaml_node_t *r2 = yaml_document_get_root_node(&extra);
			if (r2 != NULL) {
				p.doc = &extra;
				rc = cy_fail(&p, r2, NULL,
					     "a second YAML document; vsw reads one configuration "
					     "per file");
			}
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int vsw_config_load_file(struct vsw_config *cfg, const char *path,
			 const struct vsw_config_env *env, struct vsw_config_error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s:0:0: cannot open: %s", path,
			 strerror(errno));
		return -1;
	}
	char *buf = malloc(MAX_FILE_SIZE + 1);
	size_t n = buf ? fread(buf, 1, MAX_FILE_SIZE + 1, f) : 0;
	int rerr = ferror(f);
	fclose(f);
	if (buf == NULL || rerr) {
		snprintf(err->msg, sizeof(err->msg), "%s:0:0: cannot read: %s", path,
			 buf ? strerror(EIO) : "out of memory");
		free(buf);
		return -1;
	}
	if (n > MAX_FILE_SIZE) {
		snprintf(err->msg, sizeof(err->msg), "%s:0:0: file is larger than %u bytes", path,
			 MAX_FILE_SIZE);
		free(buf);
		return -1;
	}
	int rc = vsw_config_parse(cfg, buf, n, path, env, err);
	free(buf);
	return rc;
}

int vsw_config_default_yaml(char *buf, size_t size, const struct vsw_config_env *env)
{
	int n = snprintf(buf, size,
			 "# vsw built-in default: one host-only network, two vhost-user sockets.\n"
			 "cores: [%u]\n"
			 "memory: 256\n"
			 "run_dir: /run/vsw\n"
			 "control_socket: /run/vsw/vsw.sock\n"
			 "log_level: info\n"
			 "networks:\n"
			 "  - name: hostonly\n"
			 "    mode: host-only\n"
			 "    interface: vsw-host0\n"
			 "    address: 192.168.100.1/24\n"
			 "ports:\n"
			 "  - name: vm1\n"
			 "    type: vhost-user\n"
			 "    network: hostonly\n"
			 "    path: /run/vsw/vm1.sock\n"
			 "  - name: vm2\n"
			 "    type: vhost-user\n"
			 "    network: hostonly\n"
			 "    path: /run/vsw/vm2.sock\n",
			 default_core(env));
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int vsw_config_load_default(struct vsw_config *cfg, const struct vsw_config_env *env,
			    struct vsw_config_error *err)
{
	char text[2048];
	if (vsw_config_default_yaml(text, sizeof(text), env) < 0) {
		snprintf(err->msg, sizeof(err->msg), "<built-in default>: internal error");
		return -1;
	}
	return vsw_config_parse(cfg, text, strlen(text), "<built-in default>", env, err);
}

const struct vsw_cfg_network *vsw_config_find_network(const struct vsw_config *cfg,
						      const char *name)
{
	for (unsigned int i = 0; i < cfg->nnetworks; i++)
		if (strcmp(cfg->networks[i].name, name) == 0)
			return &cfg->networks[i];
	return NULL;
}

const struct vsw_cfg_port *vsw_config_find_port(const struct vsw_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->nports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return &cfg->ports[i];
	return NULL;
}
