/* Owns the YAML configuration loader: libyaml builds the document, this file
 * walks it against vsw's schema, fills struct vsw_config and stops at the
 * first problem with "file:line:column: key: message (allowed: ...)".
 * Cross-references (ports to networks, NAT uplinks, overlapping subnets,
 * pinned cores) are checked after the walk, still pointing at the offending
 * node. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>
#include <yaml.h>

#include "common/log.h"
#include "common/sockhold.h"
#include "control/config.h"

#define MAX_FILE_SIZE (1u << 20)

struct pctx {
	yaml_document_t *doc;
	const char *file;
	const struct vsw_config_env *env;
	cpu_set_t own_cpus;
	struct vsw_config_error *err;
};

static int fail(struct pctx *p, const yaml_node_t *node, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct pctx *p, const yaml_node_t *node, const char *key, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	unsigned long line = node ? node->start_mark.line + 1 : 1;
	unsigned long col = node ? node->start_mark.column + 1 : 1;
	if (key != NULL && key[0] != '\0')
		snprintf(p->err->msg, sizeof(p->err->msg), "%s:%lu:%lu: %s: %s", p->file, line, col,
			 key, what);
	else
		snprintf(p->err->msg, sizeof(p->err->msg), "%s:%lu:%lu: %s", p->file, line, col,
			 what);
	return -1;
}

static yaml_node_t *node_at(struct pctx *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

/* Checks that a mapping has only allowed keys, each once. allowed is a
 * NULL-terminated list; its text also forms the "allowed:" hint. */
static int check_keys(struct pctx *p, yaml_node_t *map, const char *key, const char *const *allowed)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, key, "must be a mapping of keys to values, not %s",
			    node_kind(map));
	char hint[512] = "";
	for (int i = 0; allowed[i] != NULL; i++) {
		strncat(hint, i ? ", " : "", sizeof(hint) - strlen(hint) - 1);
		strncat(hint, allowed[i], sizeof(hint) - strlen(hint) - 1);
	}
	for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
	     a++) {
		yaml_node_t *k = node_at(p, a->key);
		const char *name = scalar(k);
		if (name == NULL)
			return fail(p, k, key, "keys must be plain words (allowed: %s)", hint);
		bool known = false;
		for (int i = 0; allowed[i] != NULL; i++)
			known |= strcmp(allowed[i], name) == 0;
		if (!known)
			return fail(p, k, key, "unknown key '%s' (allowed: %s)", name, hint);
		for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < a; b++)
			if (strcmp(scalar(node_at(p, b->key)) ?: "", name) == 0)
				return fail(p, k, key, "key '%s' appears twice", name);
	}
	return 0;
}

static yaml_node_t *get(struct pctx *p, yaml_node_t *map, const char *name)
{
	for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
	     a++) {
		const char *k = scalar(node_at(p, a->key));
		if (k != NULL && strcmp(k, name) == 0)
			return node_at(p, a->value);
	}
	return NULL;
}

static void sub_key(char *out, size_t size, const char *parent, const char *child)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, size, "%s", child);
	else
		snprintf(out, size, "%s.%s", parent, child);
}

static int get_uint(struct pctx *p, yaml_node_t *n, const char *key, unsigned long min,
		    unsigned long max, unsigned long *out)
{
	const char *s = scalar(n);
	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !isdigit((unsigned char)s[0]))
		return fail(p, n, key, "must be a whole number (allowed: %lu-%lu)", min, max);
	errno = 0;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end != '\0')
		return fail(p, n, key, "'%s' is not a whole number (allowed: %lu-%lu)", s, min,
			    max);
	if (errno == ERANGE || v < min || v > max)
		return fail(p, n, key, "%s is out of range (allowed: %lu-%lu)", s, min, max);
	*out = v;
	return 0;
}

static int get_u32(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		   unsigned long min, unsigned long max, uint32_t *out)
{
	yaml_node_t *n = get(p, map, name);
	if (n == NULL)
		return 0;
	char key[128];
	unsigned long v;
	sub_key(key, sizeof(key), parent, name);
	if (get_uint(p, n, key, min, max, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int get_u16(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		   unsigned long min, unsigned long max, uint16_t *out)
{
	uint32_t v = *out;
	if (get_u32(p, map, parent, name, min, max, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Plain true or false only: YAML 1.1's yes/no/on/off would make "no"
 * (a name, a country code) silently mean false. */
static int get_bool(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		    bool *out)
{
	yaml_node_t *n = get(p, map, name);
	if (n == NULL)
		return 0;
	char key[128];
	sub_key(key, sizeof(key), parent, name);
	const char *s = scalar(n);
	if (s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
		*out = s[0] == 't';
		return 0;
	}
	return fail(p, n, key, "'%s' is not allowed (allowed: true, false)", s ? s : node_kind(n));
}

/* A non-empty string scalar that fits in size bytes with its NUL. */
static int get_str(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		   char *out, size_t size)
{
	yaml_node_t *n = get(p, map, name);
	if (n == NULL)
		return 0;
	char key[128];
	sub_key(key, sizeof(key), parent, name);
	const char *s = scalar(n);
	if (s == NULL)
		return fail(p, n, key, "must be a text value, not %s", node_kind(n));
	if (s[0] == '\0')
		return fail(p, n, key, "must not be empty");
	if (strlen(s) >= size)
		return fail(p, n, key, "'%s' is too long (at most %zu characters)", s, size - 1);
	/* Zero-filled, so configurations compare whole (memcmp) and dumps
	 * never carry a default's leftover bytes. */
	memset(out, 0, size);
	memcpy(out, s, strlen(s));
	return 0;
}

static int valid_name(const char *s)
{
	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

static int get_name(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		    char *out)
{
	if (get_str(p, map, parent, name, out, VSW_NAME_MAX) < 0)
		return -1;
	if (out[0] != '\0' && !valid_name(out)) {
		char key[128];
		sub_key(key, sizeof(key), parent, name);
		return fail(p, get(p, map, name), key,
			    "'%s' is not a valid name (allowed: letters, digits, '-', '_', '.'; "
			    "starting with a letter or digit)",
			    out);
	}
	return 0;
}

static int require(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		   const char *why)
{
	if (get(p, map, name) != NULL)
		return 0;
	return fail(p, map, parent, "missing required key '%s' (%s)", name, why);
}

static int parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int get_ipv4(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		    uint32_t *out)
{
	char buf[64] = "";
	if (get_str(p, map, parent, name, buf, sizeof(buf)) < 0)
		return -1;
	if (buf[0] == '\0')
		return 0;
	if (parse_ipv4(buf, out) < 0) {
		char key[128];
		sub_key(key, sizeof(key), parent, name);
		return fail(p, get(p, map, name), key,
			    "'%s' is not an IPv4 address (allowed: dotted quad, e.g. 192.0.2.1)",
			    buf);
	}
	return 0;
}

/* "192.0.2.1/24": an address with its prefix length (1-30, so that a
 * network has room for a host besides the one named). */
static int get_prefix(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		      struct vsw_ipv4_prefix *out, bool *present)
{
	char buf[64] = "";
	if (get_str(p, map, parent, name, buf, sizeof(buf)) < 0)
		return -1;
	if (buf[0] == '\0')
		return 0;
	char key[128];
	sub_key(key, sizeof(key), parent, name);
	char *slash = strchr(buf, '/');
	char *end = NULL;
	unsigned long len = 0;
	if (slash != NULL) {
		*slash = '\0';
		len = strtoul(slash + 1, &end, 10);
	}
	if (slash == NULL || end == slash + 1 || *end != '\0' || len < 1 || len > 30 ||
	    parse_ipv4(buf, &out->addr) < 0) {
		if (slash)
			*slash = '/';
		return fail(p, get(p, map, name), key,
			    "'%s' is not an IPv4 address with prefix length "
			    "(allowed: A.B.C.D/1-30, e.g. 192.168.100.1/24)",
			    buf);
	}
	uint32_t host = out->addr & ~(UINT32_MAX << (32 - len));
	if (host == 0 || host == ~(UINT32_MAX << (32 - len))) {
		*slash = '/';
		return fail(p, get(p, map, name), key,
			    "'%s' is the network or broadcast address; give a host address "
			    "(e.g. the .1 of the network)",
			    buf);
	}
	out->len = (uint8_t)len;
	if (present)
		*present = true;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -1;
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int get_enum(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		    const char *const *names, int *out)
{
	yaml_node_t *n = get(p, map, name);
	if (n == NULL)
		return 0;
	char key[128], hint[256] = "";
	sub_key(key, sizeof(key), parent, name);
	for (int i = 0; names[i] != NULL; i++) {
		strncat(hint, i ? ", " : "", sizeof(hint) - strlen(hint) - 1);
		strncat(hint, names[i], sizeof(hint) - strlen(hint) - 1);
	}
	const char *s = scalar(n);
	if (s == NULL)
		return fail(p, n, key, "must be one of: %s", hint);
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return fail(p, n, key, "'%s' is not allowed (allowed: %s)", s, hint);
}

static int get_list(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		    yaml_node_t **out)
{
	yaml_node_t *n = get(p, map, name);
	*out = NULL;
	if (n == NULL)
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		char key[128];
		sub_key(key, sizeof(key), parent, name);
		return fail(p, n, key, "must be a list, not %s", node_kind(n));
	}
	*out = n;
	return 0;
}

#define FOR_EACH_ITEM(p, seq, it)                                                      \
	for (yaml_node_item_t *it = (seq)->data.sequence.items.start;                   \
	     it < (seq)->data.sequence.items.top; it++)

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

static int parse_forward(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_forward *f)
{
	static const char *const keys[] = { "proto", "port", "to", "to_port", NULL };
	static const char *const protos[] = { "tcp", "udp", NULL };
	if (check_keys(p, n, key, keys) < 0)
		return -1;
	int proto = 0;
	if (require(p, n, key, "proto", "tcp or udp") < 0 ||
	    require(p, n, key, "port", "the port on the uplink address") < 0 ||
	    require(p, n, key, "to", "the guest's address") < 0)
		return -1;
	if (get_enum(p, n, key, "proto", protos, &proto) < 0 ||
	    get_u16(p, n, key, "port", 1, 65535, &f->port) < 0 ||
	    get_ipv4(p, n, key, "to", &f->to_addr) < 0)
		return -1;
	f->proto = proto == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	f->to_port = f->port;
	return get_u16(p, n, key, "to_port", 1, 65535, &f->to_port);
}

static uint32_t prefix_mask(uint8_t len)
{
	return len ? UINT32_MAX << (32 - len) : 0;
}

static bool in_prefix(const struct vsw_ipv4_prefix *pfx, uint32_t addr)
{
	uint32_t mask = prefix_mask(pfx->len);
	return (addr & mask) == (pfx->addr & mask);
}

/* Two prefixes overlap when the shorter one holds the other's network. */
static bool prefixes_overlap(const struct vsw_ipv4_prefix *a, const struct vsw_ipv4_prefix *b)
{
	return in_prefix(a->len < b->len ? a : b, a->len < b->len ? b->addr : a->addr);
}

static const char *ip_text(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(a) };
	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/* Room for "255.255.255.255/32". */
#define PREFIX_TEXT_LEN (INET_ADDRSTRLEN + 3)

static const char *prefix_text(const struct vsw_ipv4_prefix *pfx, char buf[PREFIX_TEXT_LEN])
{
	char a[INET_ADDRSTRLEN];
	snprintf(buf, PREFIX_TEXT_LEN, "%s/%u", ip_text(pfx->addr, a), pfx->len);
	return buf;
}

/* What an address is to a prefix when it is not a usable host there:
 * "the network address", "the broadcast address", or NULL (a host). */
static const char *non_host(const struct vsw_ipv4_prefix *pfx, uint32_t addr)
{
	uint32_t mask = prefix_mask(pfx->len);
	if ((addr & ~mask) == 0)
		return "the network address";
	if ((addr & ~mask) == ~mask)
		return "the broadcast address";
	return NULL;
}

/* A NAT subnet's gateway keeps tables indexed by inside address (leases,
 * which MAC owns which address for the spoof check, ARP): /16 bounds them.
 * Must stay in step with VSW_DHCP_MAX_LEASES (nat/dhcp.h), the largest pool
 * the DHCP server takes. */
#define NAT_MIN_PREFIX 16
#define DHCP_RANGE_MAX 4096u

/* dhcp_start and dhcp_end: either may be left out. The default range is the
 * larger side of the subnet next to the gateway (libvirt's .2-.254 for a
 * gateway at .1), cut to DHCP_RANGE_MAX addresses, never over the gateway. */
static int parse_dhcp_range(struct pctx *p, yaml_node_t *n, const char *key,
			    struct vsw_cfg_network *net)
{
	uint32_t mask = prefix_mask(net->subnet.len);
	uint32_t base = net->subnet.addr & mask, bcast = base | ~mask, gw = net->subnet.addr;
	uint32_t low = base + 1, high = bcast - 1;
	yaml_node_t *sn = get(p, n, "dhcp_start"), *en = get(p, n, "dhcp_end");
	char k[128], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN],
		s[PREFIX_TEXT_LEN];
	if (get_ipv4(p, n, key, "dhcp_start", &net->dhcp_start) < 0 ||
	    get_ipv4(p, n, key, "dhcp_end", &net->dhcp_end) < 0)
		return -1;
	if (sn != NULL && (!in_prefix(&net->subnet, net->dhcp_start) ||
			   non_host(&net->subnet, net->dhcp_start) != NULL)) {
		sub_key(k, sizeof(k), key, "dhcp_start");
		return fail(p, sn, k, "must be a host address inside subnet");
	}
	if (en != NULL && (!in_prefix(&net->subnet, net->dhcp_end) ||
			   non_host(&net->subnet, net->dhcp_end) != NULL)) {
		sub_key(k, sizeof(k), key, "dhcp_end");
		return fail(p, en, k, "must be a host address inside subnet, not below dhcp_start");
	}
	if (sn == NULL && en == NULL) {
		if (gw - low > high - gw) {
			net->dhcp_start = low;
			net->dhcp_end = gw - 1;
		} else {
			net->dhcp_start = gw + 1;
			net->dhcp_end = high;
		}
		if (net->dhcp_end - net->dhcp_start >= DHCP_RANGE_MAX)
			net->dhcp_end = net->dhcp_start + DHCP_RANGE_MAX - 1;
	} else if (en == NULL) {
		net->dhcp_end = high - net->dhcp_start >= DHCP_RANGE_MAX
					? net->dhcp_start + DHCP_RANGE_MAX - 1
					: high;
		if (gw > net->dhcp_start && gw <= net->dhcp_end)
			net->dhcp_end = gw - 1;
	} else if (sn == NULL) {
		net->dhcp_start = net->dhcp_end - low >= DHCP_RANGE_MAX
					  ? net->dhcp_end - (DHCP_RANGE_MAX - 1)
					  : low;
		if (gw >= net->dhcp_start && gw < net->dhcp_end)
			net->dhcp_start = gw + 1;
	}
	if (net->dhcp_end < net->dhcp_start) {
		sub_key(k, sizeof(k), key, "dhcp_end");
		return fail(p, en ?: n, k, "must be a host address inside subnet, not below dhcp_start");
	}
	if (net->dhcp_end - net->dhcp_start >= DHCP_RANGE_MAX) {
		sub_key(k, sizeof(k), key, "dhcp_end");
		return fail(p, en ?: n, k,
			    "the range %s-%s holds %lu addresses (at most %u, the largest pool "
			    "the DHCP server keeps)",
			    ip_text(net->dhcp_start, a), ip_text(net->dhcp_end, b),
			    (unsigned long)(net->dhcp_end - net->dhcp_start) + 1, DHCP_RANGE_MAX);
	}
	if (gw >= net->dhcp_start && gw <= net->dhcp_end) {
		sub_key(k, sizeof(k), key, sn ? "dhcp_start" : "dhcp_end");
		return fail(p, sn ?: en ?: n, k,
			    "the range %s-%s includes the gateway address %s (subnet %s); "
			    "start it after or end it before the gateway",
			    ip_text(net->dhcp_start, a), ip_text(net->dhcp_end, b), ip_text(gw, c),
			    prefix_text(&net->subnet, s));
	}
	return 0;
}

/* Why addr cannot be a guest's address in the subnet, or NULL when it can. */
static const char *not_guest_addr(const struct vsw_cfg_network *net, uint32_t addr)
{
	if (!in_prefix(&net->subnet, addr))
		return "outside subnet";
	if (addr == net->subnet.addr)
		return "the gateway address";
	return non_host(&net->subnet, addr);
}

static int parse_forwards(struct pctx *p, yaml_node_t *n, const char *key,
			  struct vsw_cfg_network *net)
{
	yaml_node_t *fw;
	if (get_list(p, n, key, "forwards", &fw) < 0)
		return -1;
	if (fw == NULL)
		return 0;
	FOR_EACH_ITEM(p, fw, it) {
		if (net->nforwards == VSW_MAX_FORWARDS)
			return fail(p, node_at(p, *it), key, "too many forwards (at most %d)",
				    VSW_MAX_FORWARDS);
		char fk[128], a[INET_ADDRSTRLEN], s[PREFIX_TEXT_LEN];
		snprintf(fk, sizeof(fk), "%s.forwards[%u]", key, net->nforwards);
		struct vsw_cfg_forward *f = &net->forwards[net->nforwards];
		if (parse_forward(p, node_at(p, *it), fk, f) < 0)
			return -1;
		if (!in_prefix(&net->subnet, f->to_addr))
			return fail(p, get(p, node_at(p, *it), "to"), fk,
				    "'to' must be an address inside subnet");
		const char *why = not_guest_addr(net, f->to_addr);
		if (why != NULL)
			return fail(p, get(p, node_at(p, *it), "to"), fk,
				    "'to' %s is %s of subnet %s; forwards lead to a guest",
				    ip_text(f->to_addr, a), why, prefix_text(&net->subnet, s));
		for (unsigned int j = 0; j < net->nforwards; j++)
			if (net->forwards[j].proto == f->proto && net->forwards[j].port == f->port)
				return fail(p, node_at(p, *it), fk, "port %u is forwarded twice",
					    f->port);
		net->nforwards++;
	}
	return 0;
}

/* A list item that must be a dotted quad. */
static int ipv4_node(struct pctx *p, yaml_node_t *n, const char *key, uint32_t *out)
{
	const char *s = scalar(n);
	if (s == NULL || parse_ipv4(s, out) < 0)
		return fail(p, n, key,
			    "'%s' is not an IPv4 address (allowed: dotted quad, e.g. 192.0.2.1)",
			    s ? s : node_kind(n));
	return 0;
}

static int parse_dns(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_network *net)
{
	yaml_node_t *seq;
	if (get_list(p, n, key, "dns", &seq) < 0)
		return -1;
	if (seq == NULL)
		return 0;
	char k[128];
	sub_key(k, sizeof(k), key, "dns");
	/* An empty list would read as "the host's nameservers", which is
	 * what leaving dns out means; say so rather than guess. */
	if (seq->data.sequence.items.top == seq->data.sequence.items.start)
		return fail(p, seq, k,
			    "needs at least one address (leave dns out to hand out the host's "
			    "nameservers from /etc/resolv.conf)");
	FOR_EACH_ITEM(p, seq, it) {
		yaml_node_t *d = node_at(p, *it);
		uint32_t addr = 0;
		if (net->ndns == VSW_MAX_DNS)
			return fail(p, d, k, "too many DNS servers (at most %d)", VSW_MAX_DNS);
		if (ipv4_node(p, d, k, &addr) < 0)
			return -1;
		if (addr == 0 || addr == UINT32_MAX || (addr >> 28) == 0xe)
			return fail(p, d, k, "'%s' is not a unicast address", scalar(d));
		for (unsigned int j = 0; j < net->ndns; j++)
			if (net->dns[j] == addr)
				return fail(p, d, k, "'%s' is listed twice", scalar(d));
		net->dns[net->ndns++] = addr;
	}
	return 0;
}

static int parse_static_leases(struct pctx *p, yaml_node_t *n, const char *key,
			       struct vsw_cfg_network *net)
{
	static const char *const keys[] = { "mac", "ip", NULL };
	yaml_node_t *seq;
	if (get_list(p, n, key, "static_leases", &seq) < 0)
		return -1;
	if (seq == NULL)
		return 0;
	FOR_EACH_ITEM(p, seq, it) {
		yaml_node_t *m = node_at(p, *it);
		char k[128], mk[160], macbuf[32] = "", a[INET_ADDRSTRLEN], s[PREFIX_TEXT_LEN];
		if (net->nstatic_leases == VSW_MAX_STATIC_LEASES) {
			sub_key(k, sizeof(k), key, "static_leases");
			return fail(p, m, k, "too many static leases (at most %d)",
				    VSW_MAX_STATIC_LEASES);
		}
		snprintf(k, sizeof(k), "%s.static_leases[%u]", key, net->nstatic_leases);
		struct vsw_cfg_static_lease *l = &net->static_leases[net->nstatic_leases];
		if (check_keys(p, m, k, keys) < 0 ||
		    require(p, m, k, "mac", "the guest's MAC address") < 0 ||
		    require(p, m, k, "ip", "the address it always gets") < 0 ||
		    get_str(p, m, k, "mac", macbuf, sizeof(macbuf)) < 0 ||
		    get_ipv4(p, m, k, "ip", &l->ip) < 0)
			return -1;
		sub_key(mk, sizeof(mk), k, "mac");
		if (parse_mac(macbuf, l->mac) < 0)
			return fail(p, get(p, m, "mac"), mk,
				    "'%s' is not a MAC address (allowed: six hex bytes, e.g. "
				    "52:54:00:12:34:56)",
				    macbuf);
		if (l->mac[0] & 1)
			return fail(p, get(p, m, "mac"), mk,
				    "'%s' is a multicast address; a guest's MAC is unicast", macbuf);
		const char *why = not_guest_addr(net, l->ip);
		if (why != NULL) {
			sub_key(mk, sizeof(mk), k, "ip");
			return fail(p, get(p, m, "ip"), mk, "%s is %s%s %s", ip_text(l->ip, a),
				    why, strcmp(why, "outside subnet") ? " of subnet" : "",
				    prefix_text(&net->subnet, s));
		}
		for (unsigned int j = 0; j < net->nstatic_leases; j++) {
			const struct vsw_cfg_static_lease *o = &net->static_leases[j];
			if (memcmp(o->mac, l->mac, 6) == 0) {
				sub_key(mk, sizeof(mk), k, "mac");
				return fail(p, get(p, m, "mac"), mk,
					    "'%s' already has a static lease (static_leases[%u])",
					    macbuf, j);
			}
			if (o->ip == l->ip) {
				sub_key(mk, sizeof(mk), k, "ip");
				return fail(p, get(p, m, "ip"), mk,
					    "%s is already given to static_leases[%u]",
					    ip_text(l->ip, a), j);
			}
		}
		net->nstatic_leases++;
	}
	return 0;
}

static int parse_timeouts(struct pctx *p, yaml_node_t *n, const char *key,
			  struct vsw_cfg_network *net)
{
	static const char *const keys[] = { "tcp_established", "tcp_transitory", "udp", "icmp",
					    NULL };
	yaml_node_t *t = get(p, n, "timeouts");
	if (t == NULL)
		return 0;
	char k[128];
	sub_key(k, sizeof(k), key, "timeouts");
	if (check_keys(p, t, k, keys) < 0 ||
	    get_u32(p, t, k, "tcp_established", 1, 604800, &net->tcp_est_s) < 0 ||
	    get_u32(p, t, k, "tcp_transitory", 1, 604800, &net->tcp_trans_s) < 0 ||
	    get_u32(p, t, k, "udp", 1, 604800, &net->udp_s) < 0 ||
	    get_u32(p, t, k, "icmp", 1, 604800, &net->icmp_s) < 0)
		return -1;
	return 0;
}

/* The MTU handed out by DHCP: 0 means the option is not sent. */
static int parse_dhcp_mtu(struct pctx *p, yaml_node_t *n, const char *key,
			  struct vsw_cfg_network *net)
{
	yaml_node_t *m = get(p, n, "mtu");
	if (m == NULL)
		return 0;
	char k[128];
	sub_key(k, sizeof(k), key, "mtu");
	const char *s = scalar(m);
	char *end = NULL;
	unsigned long v = 0;
	errno = 0;
	if (s != NULL && m->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    isdigit((unsigned char)s[0]))
		v = strtoul(s, &end, 10);
	if (end == NULL || *end != '\0' || errno == ERANGE || (v != 0 && (v < 576 || v > 9000)))
		return fail(p, m, k,
			    "'%s' is not an MTU to hand out (allowed: 576-9000, or 0: send no "
			    "MTU option)",
			    s ? s : node_kind(m));
	net->dhcp_mtu = (uint16_t)v;
	return 0;
}

static int parse_nat(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_network *net)
{
	char k[128], s[PREFIX_TEXT_LEN], u[PREFIX_TEXT_LEN], a[INET_ADDRSTRLEN];
	if (require(p, n, key, "subnet", "the gateway address and prefix, e.g. "
					  "192.168.122.1/24") < 0 ||
	    require(p, n, key, "uplink", "the ethdev port that leads outside") < 0 ||
	    require(p, n, key, "uplink_address",
		    "the address vsw uses on the uplink, e.g. 198.51.100.2/24") < 0)
		return -1;
	net->lease_s = 3600;
	net->dhcp_mtu = 1500;
	net->max_sessions = 65536;
	net->tcp_est_s = 7440; /* RFC 5382 REQ-5: at least 2 h 4 min */
	net->tcp_trans_s = 240; /* RFC 5382: 4 min, 2 MSL */
	net->udp_s = 300;	/* RFC 4787 REQ-5: 5 min recommended */
	net->icmp_s = 60;	/* RFC 5508 REQ-1 */
	net->spoof_check = true;
	if (get_prefix(p, n, key, "subnet", &net->subnet, NULL) < 0)
		return -1;
	if (net->subnet.len < NAT_MIN_PREFIX) {
		sub_key(k, sizeof(k), key, "subnet");
		return fail(p, get(p, n, "subnet"), k,
			    "'%s' is too large a NAT subnet (allowed: prefix length %d-30; the "
			    "gateway keeps per-address tables for the whole subnet)",
			    prefix_text(&net->subnet, s), NAT_MIN_PREFIX);
	}
	if (get_name(p, n, key, "uplink", net->uplink) < 0 ||
	    get_prefix(p, n, key, "uplink_address", &net->uplink_address, NULL) < 0 ||
	    get_ipv4(p, n, key, "uplink_gateway", &net->uplink_gateway) < 0)
		return -1;
	if (prefixes_overlap(&net->subnet, &net->uplink_address)) {
		sub_key(k, sizeof(k), key, "uplink_address");
		return fail(p, get(p, n, "uplink_address"), k,
			    "%s overlaps subnet %s; the uplink's network and the inside "
			    "network must not overlap",
			    prefix_text(&net->uplink_address, u), prefix_text(&net->subnet, s));
	}
	if (net->uplink_gateway != 0) {
		sub_key(k, sizeof(k), key, "uplink_gateway");
		yaml_node_t *g = get(p, n, "uplink_gateway");
		if (!in_prefix(&net->uplink_address, net->uplink_gateway))
			return fail(p, g, k, "must be inside the uplink_address network");
		if (net->uplink_gateway == net->uplink_address.addr)
			return fail(p, g, k,
				    "%s is vsw's own uplink_address; give the next hop's address",
				    ip_text(net->uplink_gateway, a));
		const char *why = non_host(&net->uplink_address, net->uplink_gateway);
		if (why != NULL)
			return fail(p, g, k, "%s is %s of the uplink_address network %s",
				    ip_text(net->uplink_gateway, a), why,
				    prefix_text(&net->uplink_address, u));
	}
	if (parse_dhcp_range(p, n, key, net) < 0 || parse_forwards(p, n, key, net) < 0 ||
	    parse_dns(p, n, key, net) < 0 ||
	    get_u32(p, n, key, "lease_time", 60, 31536000, &net->lease_s) < 0 ||
	    parse_dhcp_mtu(p, n, key, net) < 0 || parse_static_leases(p, n, key, net) < 0 ||
	    get_u32(p, n, key, "max_sessions", 16, 1u << 22, &net->max_sessions) < 0 ||
	    parse_timeouts(p, n, key, net) < 0 ||
	    get_bool(p, n, key, "spoof_check", &net->spoof_check) < 0)
		return -1;
	return 0;
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
	if (check_keys(p, n, key, keys) < 0)
		return -1;
	if (require(p, n, key, "name", "every network needs a name") < 0 ||
	    require(p, n, key, "mode", "bridge, nat or host-only") < 0)
		return -1;
	int mode = 0;
	net->mac_aging_s = 300;
	net->mac_table_size = 8192;
	if (get_name(p, n, key, "name", net->name) < 0 ||
	    get_enum(p, n, key, "mode", net_mode_names, &mode) < 0 ||
	    get_u32(p, n, key, "mac_aging", 1, 86400, &net->mac_aging_s) < 0 ||
	    get_u32(p, n, key, "mac_table_size", 16, 1u << 20, &net->mac_table_size) < 0)
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
		if (get(p, n, foreign[i]) != NULL)
			return fail(p, get(p, n, foreign[i]), key,
				    "key '%s' does not apply to a %s network", foreign[i],
				    net_mode_names[mode]);
	if (net->mode == VSW_NET_BRIDGE) {
		for (int i = 0; host_only_keys[i]; i++)
			if (get(p, n, host_only_keys[i]) != NULL)
				return fail(p, get(p, n, host_only_keys[i]), key,
					    "key '%s' does not apply to a bridge network",
					    host_only_keys[i]);
		for (int i = 0; nat_keys[i]; i++)
			if (get(p, n, nat_keys[i]) != NULL)
				return fail(p, get(p, n, nat_keys[i]), key,
					    "key '%s' does not apply to a bridge network",
					    nat_keys[i]);
	}

	if (net->mode == VSW_NET_HOST_ONLY) {
		char dflt[IF_NAMESIZE] = "";
		snprintf(dflt, sizeof(dflt), "vsw-%.11s", net->name);
		memcpy(net->interface, dflt, sizeof(dflt));
		if (get_str(p, n, key, "interface", net->interface, sizeof(net->interface)) < 0 ||
		    get_prefix(p, n, key, "address", &net->address, &net->has_address) < 0)
			return -1;
		if (!valid_name(net->interface)) {
			char k[128];
			sub_key(k, sizeof(k), key, "interface");
			return fail(p, get(p, n, "interface"), k,
				    "'%s' is not a valid interface name (allowed: letters, "
				    "digits, '-', '_', '.'; at most 15)",
				    net->interface);
		}
	}
	if (net->mode == VSW_NET_NAT && parse_nat(p, n, key, net) < 0)
		return -1;
	return 0;
}

static int parse_vlan_list(struct pctx *p, yaml_node_t *port, const char *key,
			   struct vsw_cfg_port *pt)
{
	yaml_node_t *seq;
	if (get_list(p, port, key, "trunk", &seq) < 0)
		return -1;
	if (seq == NULL)
		return 0;
	char k[128];
	sub_key(k, sizeof(k), key, "trunk");
	FOR_EACH_ITEM(p, seq, it) {
		unsigned long v;
		if (pt->ntrunk == VSW_MAX_TRUNK_VLANS)
			return fail(p, node_at(p, *it), k, "too many VLANs (at most %d)",
				    VSW_MAX_TRUNK_VLANS);
		if (get_uint(p, node_at(p, *it), k, 1, 4094, &v) < 0)
			return -1;
		for (unsigned int j = 0; j < pt->ntrunk; j++)
			if (pt->trunk[j] == v)
				return fail(p, node_at(p, *it), k, "VLAN %lu is listed twice", v);
		pt->trunk[pt->ntrunk++] = (uint16_t)v;
	}
	return 0;
}

static int parse_macs(struct pctx *p, yaml_node_t *port, const char *key, struct vsw_cfg_port *pt)
{
	yaml_node_t *seq;
	if (get_list(p, port, key, "macs", &seq) < 0)
		return -1;
	if (seq == NULL)
		return 0;
	char k[128];
	sub_key(k, sizeof(k), key, "macs");
	FOR_EACH_ITEM(p, seq, it) {
		yaml_node_t *m = node_at(p, *it);
		if (pt->nmacs == VSW_MAX_STATIC_MACS)
			return fail(p, m, k, "too many MAC addresses (at most %d)",
				    VSW_MAX_STATIC_MACS);
		const char *s = scalar(m);
		if (s == NULL || parse_mac(s, pt->macs[pt->nmacs]) < 0)
			return fail(p, m, k,
				    "'%s' is not a MAC address (allowed: six hex bytes, e.g. "
				    "52:54:00:12:34:56)",
				    s ? s : node_kind(m));
		if (pt->macs[pt->nmacs][0] & 1)
			return fail(p, m, k, "'%s' is a multicast address; static entries "
					     "must be unicast", s);
		pt->nmacs++;
	}
	return 0;
}

static int parse_features(struct pctx *p, yaml_node_t *port, const char *key,
			  struct vsw_cfg_port *pt)
{
	yaml_node_t *seq;
	if (get_list(p, port, key, "disable_features", &seq) < 0)
		return -1;
	if (seq == NULL)
		return 0;
	char k[128], hint[256] = "";
	sub_key(k, sizeof(k), key, "disable_features");
	for (int i = 0; vsw_feature_names[i]; i++) {
		strncat(hint, i ? ", " : "", sizeof(hint) - strlen(hint) - 1);
		strncat(hint, vsw_feature_names[i], sizeof(hint) - strlen(hint) - 1);
	}
	FOR_EACH_ITEM(p, seq, it) {
		yaml_node_t *f = node_at(p, *it);
		const char *s = scalar(f);
		int found = -1;
		for (int i = 0; s && vsw_feature_names[i]; i++)
			if (strcmp(s, vsw_feature_names[i]) == 0)
				found = i;
		if (found < 0)
			return fail(p, f, k, "'%s' is not a feature vsw can turn off (allowed: %s)",
				    s ? s : node_kind(f), hint);
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
	if (get_str(p, n, key, what, buf, sizeof(buf)) < 0)
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
	sub_key(k, sizeof(k), key, what);
	return fail(p, get(p, n, what), k, "no %s named '%s' on this machine", user ? "user" : "group",
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
	yaml_node_t *n = get(p, map, name);
	if (n == NULL)
		return 0;
	char key[128];
	sub_key(key, sizeof(key), parent, name);
	const char *s = scalar(n);
	char *end = NULL;
	long v = s ? strtol(s, &end, 8) : -1;
	if (s == NULL || s[0] == '\0' || *end != '\0' || v < 0 || v > 0777)
		return fail(p, n, key, "'%s' is not a file mode (allowed: octal 0000-0777, e.g. "
				       "0660)",
			    s ? s : node_kind(n));
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
		return fail(p, n, key,
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
	if (check_keys(p, n, key, keys) < 0)
		return -1;
	if (require(p, n, key, "name", "every port needs a name") < 0 ||
	    require(p, n, key, "type", "vhost-user or ethdev") < 0 ||
	    require(p, n, key, "network", "the network this port joins") < 0)
		return -1;
	int type = 0, mode = 0;
	unsigned long core;
	pt->mtu = 1500;
	pt->core = -1;
	pt->queues = 1;
	pt->socket_mode = -1;
	pt->rx_queues = pt->tx_queues = 1;
	pt->rx_desc = pt->tx_desc = 1024;
	if (get_name(p, n, key, "name", pt->name) < 0 ||
	    get_enum(p, n, key, "type", port_type_names, &type) < 0 ||
	    get_name(p, n, key, "network", pt->network) < 0 ||
	    get_u16(p, n, key, "mtu", 68, 9000, &pt->mtu) < 0 ||
	    get_u16(p, n, key, "vlan", 1, 4094, &pt->vlan) < 0)
		return -1;
	pt->type = (enum vsw_port_type)type;
	if (get(p, n, "trunk") != NULL && parse_vlan_list(p, n, key, pt) < 0)
		return -1;
	if (pt->vlan && pt->ntrunk)
		return fail(p, get(p, n, "trunk"), key,
			    "a port has either an access 'vlan' or a 'trunk' list, not both");
	if (parse_macs(p, n, key, pt) < 0)
		return -1;
	if (get(p, n, "core") != NULL) {
		char k[128];
		sub_key(k, sizeof(k), key, "core");
		if (get_uint(p, get(p, n, "core"), k, 0, CPU_SETSIZE - 1, &core) < 0)
			return -1;
		pt->core = (int)core;
	}
	const char *const *foreign = pt->type == VSW_PORT_VHOST_USER ? ethdev_only : vhost_only;
	for (int i = 0; foreign[i]; i++)
		if (get(p, n, foreign[i]) != NULL)
			return fail(p, get(p, n, foreign[i]), key,
				    "key '%s' does not apply to a %s port", foreign[i],
				    port_type_names[type]);
	if (pt->type == VSW_PORT_VHOST_USER) {
		if (require(p, n, key, "path", "the vhost-user socket file") < 0)
			return -1;
		char k[128];
		sub_key(k, sizeof(k), key, "path");
		if (get_str(p, n, key, "path", pt->path, sizeof(pt->path)) < 0 ||
		    resolve_path(p, get(p, n, "path"), k, run_dir, pt->path, sizeof(pt->path)) < 0 ||
		    get_enum(p, n, key, "mode", modes, &mode) < 0 ||
		    get_u16(p, n, key, "queues", 1, VSW_MAX_QUEUE_PAIRS, &pt->queues) < 0 ||
		    parse_features(p, n, key, pt) < 0 || parse_owner(p, n, key, pt) < 0 ||
		    get_mode(p, n, key, "socket_mode", &pt->socket_mode) < 0)
			return -1;
		pt->client = mode == 1;
		if (pt->client && (pt->has_owner || pt->has_group || pt->socket_mode >= 0))
			return fail(p, n, key,
				    "owner, group and socket_mode apply to server mode only (in "
				    "client mode the frontend creates the socket)");
	} else {
		if (require(p, n, key, "devargs",
			    "a PCI address or a vdev such as net_tap0,iface=tap0") < 0 ||
		    get_str(p, n, key, "devargs", pt->devargs, sizeof(pt->devargs)) < 0 ||
		    get_u16(p, n, key, "rx_queues", 1, VSW_MAX_QUEUE_PAIRS, &pt->rx_queues) < 0 ||
		    get_u16(p, n, key, "tx_queues", 1, VSW_MAX_QUEUE_PAIRS, &pt->tx_queues) < 0 ||
		    get_u16(p, n, key, "rx_desc", 64, 4096, &pt->rx_desc) < 0 ||
		    get_u16(p, n, key, "tx_desc", 64, 4096, &pt->tx_desc) < 0)
			return -1;
		const char *const desc_keys[] = { "rx_desc", "tx_desc" };
		const uint16_t descs[] = { pt->rx_desc, pt->tx_desc };
		for (int i = 0; i < 2; i++)
			if (descs[i] & (descs[i] - 1)) {
				char k[128];
				sub_key(k, sizeof(k), key, desc_keys[i]);
				return fail(p, get(p, n, desc_keys[i]), k,
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
	if (get_list(p, root, NULL, "cores", &seq) < 0)
		return -1;
	if (seq == NULL)
		return 0;
	if (seq->data.sequence.items.top == seq->data.sequence.items.start)
		return fail(p, seq, "cores", "needs at least one core for a worker");
	cfg->ncores = 0;
	char avail[256];
	cpu_list_text(p, avail, sizeof(avail));
	FOR_EACH_ITEM(p, seq, it) {
		yaml_node_t *c = node_at(p, *it);
		unsigned long v;
		if (cfg->ncores == VSW_MAX_CORES)
			return fail(p, c, "cores", "too many cores (at most %d)", VSW_MAX_CORES);
		/* A worker runs on EAL lcore CPU+1 (eal_args.h). */
		if (get_uint(p, c, "cores", 0, RTE_MAX_LCORE - 2, &v) < 0)
			return -1;
		if (!cpu_exists(p, v))
			return fail(p, c, "cores",
				    "core %lu does not exist or is not available to vswd "
				    "(allowed: %s)",
				    v, avail);
		for (unsigned int j = 0; j < cfg->ncores; j++)
			if (cfg->cores[j] == v)
				return fail(p, c, "cores", "core %lu is listed twice", v);
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
	    !prefixes_overlap(pi, pj))
		return 0;
	char key[64], a[PREFIX_TEXT_LEN], b[PREFIX_TEXT_LEN];
	snprintf(key, sizeof(key), "networks[%u].%s", i, wi);
	return fail(p, get(p, net_nodes[i], wi) ?: net_nodes[i], key,
		    "%s overlaps %s %s of %s network '%s' (networks[%u])", prefix_text(pi, a), wj,
		    prefix_text(pj, b), net_mode_names[nj->mode], nj->name, j);
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
				return fail(p, get(p, net_nodes[i], "name"), key,
					    "network name '%s' is already used by networks[%u]",
					    cfg->networks[i].name, j);
		const struct vsw_cfg_network *ni = &cfg->networks[i];
		for (unsigned int j = 0; j < i; j++) {
			const struct vsw_cfg_network *nj = &cfg->networks[j];
			if (ni->mode == VSW_NET_HOST_ONLY && nj->mode == VSW_NET_HOST_ONLY &&
			    strcmp(ni->interface, nj->interface) == 0) {
				snprintf(key, sizeof(key), "networks[%u].interface", i);
				return fail(p, get(p, net_nodes[i], "interface") ?: net_nodes[i], key,
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
				return fail(p, get(p, port_nodes[i], "name"), key,
					    "port name '%s' is already used by ports[%u]", pt->name,
					    j);
			if (pt->type == VSW_PORT_VHOST_USER &&
			    cfg->ports[j].type == VSW_PORT_VHOST_USER &&
			    strcmp(pt->path, cfg->ports[j].path) == 0)
				return fail(p, get(p, port_nodes[i], "path"), key,
					    "socket path '%s' is already used by port '%s'",
					    pt->path, cfg->ports[j].name);
		}
		if (pt->type == VSW_PORT_VHOST_USER &&
		    strcmp(pt->path, cfg->control_socket) == 0)
			return fail(p, get(p, port_nodes[i], "path"), key,
				    "socket path '%s' is the control socket", pt->path);
		const struct vsw_cfg_network *net = vsw_config_find_network(cfg, pt->network);
		if (net == NULL) {
			char names[512] = "";
			for (unsigned int j = 0; j < cfg->nnetworks; j++) {
				strncat(names, j ? ", " : "", sizeof(names) - strlen(names) - 1);
				strncat(names, cfg->networks[j].name,
					sizeof(names) - strlen(names) - 1);
			}
			return fail(p, get(p, port_nodes[i], "network"), key,
				    "no network named '%s' (networks: %s)", pt->network,
				    names[0] ? names : "none defined");
		}
		if (net->mode == VSW_NET_HOST_ONLY && pt->type == VSW_PORT_ETHDEV)
			return fail(p, get(p, port_nodes[i], "type"), key,
				    "host-only network '%s' takes vhost-user ports only (its host "
				    "side is the '%s' interface)",
				    net->name, net->interface);
		if (pt->core >= 0) {
			bool listed = false;
			for (unsigned int c = 0; c < cfg->ncores; c++)
				listed |= cfg->cores[c] == (unsigned int)pt->core;
			if (!listed)
				return fail(p, get(p, port_nodes[i], "core"), key,
					    "core %d is not one of the worker cores", pt->core);
		}
		if (net->mode == VSW_NET_NAT && pt->type == VSW_PORT_ETHDEV &&
		    strcmp(net->uplink, pt->name) != 0)
			return fail(p, port_nodes[i], key,
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
				return fail(p, get(p, net_nodes[i], "uplink"), key,
					    "port '%s' is also the uplink of NAT network '%s' "
					    "(networks[%u]); each NAT network needs an uplink of its own",
					    net->uplink, cfg->networks[j].name, j);
		if (up == NULL || up->type != VSW_PORT_ETHDEV || strcmp(up->network, net->name))
			return fail(p, get(p, net_nodes[i], "uplink"), key,
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
	if (check_keys(p, root, "", keys) < 0)
		return -1;
	if (parse_cores(p, root, cfg) < 0 ||
	    get_u32(p, root, NULL, "memory", 64, 65536, &cfg->memory_mb) < 0 ||
	    get_str(p, root, NULL, "run_dir", cfg->run_dir, sizeof(cfg->run_dir)) < 0 ||
	    get_mode(p, root, NULL, "control_socket_mode", &cfg->control_socket_mode) < 0 ||
	    get_u32(p, root, NULL, "socket_hold", 0, VSW_SOCKHOLD_MAX_S, &cfg->socket_hold_s) < 0)
		return -1;
	if (cfg->run_dir[0] != '/')
		return fail(p, get(p, root, "run_dir"), "run_dir",
			    "'%s' must be an absolute path", cfg->run_dir);
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%.*s/vsw.sock",
		 (int)(sizeof(cfg->control_socket) - 10), cfg->run_dir);
	if (get_str(p, root, NULL, "control_socket", cfg->control_socket,
		    sizeof(cfg->control_socket)) < 0 ||
	    resolve_path(p, get(p, root, "control_socket") ?: root, "control_socket", cfg->run_dir,
			 cfg->control_socket, sizeof(cfg->control_socket)) < 0)
		return -1;
	yaml_node_t *lv = get(p, root, "log_level");
	if (lv != NULL) {
		const char *s = scalar(lv);
		int level = s ? vsw_log_level_from_name(s) : -1;
		if (level < 0)
			return fail(p, lv, "log_level",
				    "'%s' is not a log level (allowed: error, warning, notice, info, "
				    "debug, or 1-8)",
				    s ? s : node_kind(lv));
		cfg->log_level = level;
	}

	yaml_node_t *nets, *ports;
	if (get_list(p, root, NULL, "networks", &nets) < 0 ||
	    get_list(p, root, NULL, "ports", &ports) < 0)
		return -1;
	yaml_node_t *net_nodes[VSW_MAX_NETWORKS], *port_nodes[VSW_MAX_PORTS];
	if (nets != NULL) {
		FOR_EACH_ITEM(p, nets, it) {
			if (cfg->nnetworks == VSW_MAX_NETWORKS)
				return fail(p, node_at(p, *it), "networks",
					    "too many networks (at most %d)", VSW_MAX_NETWORKS);
			char key[64];
			snprintf(key, sizeof(key), "networks[%u]", cfg->nnetworks);
			net_nodes[cfg->nnetworks] = node_at(p, *it);
			if (parse_network(p, node_at(p, *it), key, &cfg->networks[cfg->nnetworks]) < 0)
				return -1;
			cfg->nnetworks++;
		}
	}
	if (ports != NULL) {
		FOR_EACH_ITEM(p, ports, it) {
			if (cfg->nports == VSW_MAX_PORTS)
				return fail(p, node_at(p, *it), "ports", "too many ports (at most %d)",
					    VSW_MAX_PORTS);
			char key[64];
			snprintf(key, sizeof(key), "ports[%u]", cfg->nports);
			port_nodes[cfg->nports] = node_at(p, *it);
			if (parse_port(p, node_at(p, *it), key, &cfg->ports[cfg->nports],
				       cfg->run_dir) < 0)
				return -1;
			cfg->nports++;
		}
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
	struct pctx p = { .file = name, .env = env, .err = err };
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
				rc = fail(&p, r2, NULL,
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
