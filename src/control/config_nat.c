/* Owns a NAT network's keys: the subnet and its gateway, the uplink, the
 * DHCP pool, forwards, DNS, static leases and session limits. They are
 * checked against each other here, while the node is at hand, so that a
 * forward or lease outside the subnet points at its own line; config.c
 * only calls cn_parse_nat and borrows the prefix helpers for its
 * cross-network checks. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/config_nat.h"

static int parse_forward(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_forward *f)
{
	static const char *const keys[] = { "proto", "port", "to", "to_port", NULL };
	static const char *const protos[] = { "tcp", "udp", NULL };
	if (cy_check_keys(p, n, key, keys) < 0)
		return -1;
	int proto = 0;
	if (cy_require(p, n, key, "proto", "tcp or udp") < 0 ||
	    cy_require(p, n, key, "port", "the port on the uplink address") < 0 ||
	    cy_require(p, n, key, "to", "the guest's address") < 0)
		return -1;
	if (cy_get_enum(p, n, key, "proto", protos, &proto) < 0 ||
	    cy_get_u16(p, n, key, "port", 1, 65535, &f->port) < 0 ||
	    cy_get_ipv4(p, n, key, "to", &f->to_addr) < 0)
		return -1;
	f->proto = proto == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	f->to_port = f->port;
	return cy_get_u16(p, n, key, "to_port", 1, 65535, &f->to_port);
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
bool cn_prefixes_overlap(const struct vsw_ipv4_prefix *a, const struct vsw_ipv4_prefix *b)
{
	return in_prefix(a->len < b->len ? a : b, a->len < b->len ? b->addr : a->addr);
}

static const char *ip_text(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(a) };
	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

const char *cn_prefix_text(const struct vsw_ipv4_prefix *pfx, char buf[PREFIX_TEXT_LEN])
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
	yaml_node_t *sn = cy_get(p, n, "dhcp_start"), *en = cy_get(p, n, "dhcp_end");
	char k[128], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN],
		s[PREFIX_TEXT_LEN];
	if (cy_get_ipv4(p, n, key, "dhcp_start", &net->dhcp_start) < 0 ||
	    cy_get_ipv4(p, n, key, "dhcp_end", &net->dhcp_end) < 0)
		return -1;
	if (sn != NULL && (!in_prefix(&net->subnet, net->dhcp_start) ||
			   non_host(&net->subnet, net->dhcp_start) != NULL)) {
		cy_sub_key(k, sizeof(k), key, "dhcp_start");
		return cy_fail(p, sn, k, "must be a host address inside subnet");
	}
	if (en != NULL && (!in_prefix(&net->subnet, net->dhcp_end) ||
			   non_host(&net->subnet, net->dhcp_end) != NULL)) {
		cy_sub_key(k, sizeof(k), key, "dhcp_end");
		return cy_fail(p, en, k, "must be a host address inside subnet, not below dhcp_start");
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
		cy_sub_key(k, sizeof(k), key, "dhcp_end");
		return cy_fail(p, en ?: n, k, "must be a host address inside subnet, not below dhcp_start");
	}
	if (net->dhcp_end - net->dhcp_start >= DHCP_RANGE_MAX) {
		cy_sub_key(k, sizeof(k), key, "dhcp_end");
		return cy_fail(p, en ?: n, k,
			       "the range %s-%s holds %lu addresses (at most %u, the largest pool "
			       "the DHCP server keeps)",
			       ip_text(net->dhcp_start, a), ip_text(net->dhcp_end, b),
			       (unsigned long)(net->dhcp_end - net->dhcp_start) + 1, DHCP_RANGE_MAX);
	}
	if (gw >= net->dhcp_start && gw <= net->dhcp_end) {
		cy_sub_key(k, sizeof(k), key, sn ? "dhcp_start" : "dhcp_end");
		return cy_fail(p, sn ?: en ?: n, k,
			       "the range %s-%s includes the gateway address %s (subnet %s); "
			       "start it after or end it before the gateway",
			       ip_text(net->dhcp_start, a), ip_text(net->dhcp_end, b), ip_text(gw, c),
			       cn_prefix_text(&net->subnet, s));
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
	char k[128];
	if (cy_get_list(p, n, key, "forwards", k, sizeof(k), &fw) < 0)
		return -1;
	FOR_EACH_ITEM(p, fw, item) {
		if (net->nforwards == VSW_MAX_FORWARDS)
			return cy_fail(p, item, key, "too many forwards (at most %d)",
				       VSW_MAX_FORWARDS);
		char fk[160], a[INET_ADDRSTRLEN], s[PREFIX_TEXT_LEN];
		snprintf(fk, sizeof(fk), "%s[%u]", k, net->nforwards);
		struct vsw_cfg_forward *f = &net->forwards[net->nforwards];
		if (parse_forward(p, item, fk, f) < 0)
			return -1;
		if (!in_prefix(&net->subnet, f->to_addr))
			return cy_fail(p, cy_get(p, item, "to"), fk,
				       "'to' must be an address inside subnet");
		const char *why = not_guest_addr(net, f->to_addr);
		if (why != NULL)
			return cy_fail(p, cy_get(p, item, "to"), fk,
				       "'to' %s is %s of subnet %s; forwards lead to a guest",
				       ip_text(f->to_addr, a), why, cn_prefix_text(&net->subnet, s));
		for (unsigned int j = 0; j < net->nforwards; j++)
			if (net->forwards[j].proto == f->proto && net->forwards[j].port == f->port)
				return cy_fail(p, item, fk, "port %u is forwarded twice", f->port);
		net->nforwards++;
	}
	return 0;
}

/* A list item that must be a dotted quad. */
static int ipv4_node(struct pctx *p, yaml_node_t *n, const char *key, uint32_t *out)
{
	const char *s = cy_scalar(n);
	if (s == NULL || cy_parse_ipv4(s, out) < 0)
		return cy_fail(p, n, key,
			       "'%s' is not an IPv4 address (allowed: dotted quad, e.g. 192.0.2.1)",
			       s ? s : cy_node_kind(n));
	return 0;
}

static int parse_dns(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_network *net)
{
	yaml_node_t *seq;
	char k[128];
	if (cy_get_list(p, n, key, "dns", k, sizeof(k), &seq) < 0)
		return -1;
	/* An empty list would read as "the host's nameservers", which is
	 * what leaving dns out means; say so rather than guess. */
	if (seq != NULL && seq->data.sequence.items.top == seq->data.sequence.items.start)
		return cy_fail(p, seq, k,
			       "needs at least one address (leave dns out to hand out the host's "
			       "nameservers from /etc/resolv.conf)");
	FOR_EACH_ITEM(p, seq, d) {
		uint32_t addr = 0;
		if (net->ndns == VSW_MAX_DNS)
			return cy_fail(p, d, k, "too many DNS servers (at most %d)", VSW_MAX_DNS);
		if (ipv4_node(p, d, k, &addr) < 0)
			return -1;
		if (addr == 0 || addr == UINT32_MAX || (addr >> 28) == 0xe)
			return cy_fail(p, d, k, "'%s' is not a unicast address", cy_scalar(d));
		for (unsigned int j = 0; j < net->ndns; j++)
			if (net->dns[j] == addr)
				return cy_fail(p, d, k, "'%s' is listed twice", cy_scalar(d));
		net->dns[net->ndns++] = addr;
	}
	return 0;
}

static int parse_static_leases(struct pctx *p, yaml_node_t *n, const char *key,
			       struct vsw_cfg_network *net)
{
	static const char *const keys[] = { "mac", "ip", NULL };
	yaml_node_t *seq;
	char lk[128];
	if (cy_get_list(p, n, key, "static_leases", lk, sizeof(lk), &seq) < 0)
		return -1;
	FOR_EACH_ITEM(p, seq, m) {
		char k[160], mk[192], ik[192], macbuf[32] = "";
		char a[INET_ADDRSTRLEN], s[PREFIX_TEXT_LEN];
		if (net->nstatic_leases == VSW_MAX_STATIC_LEASES)
			return cy_fail(p, m, lk, "too many static leases (at most %d)",
				       VSW_MAX_STATIC_LEASES);
		snprintf(k, sizeof(k), "%s[%u]", lk, net->nstatic_leases);
		struct vsw_cfg_static_lease *l = &net->static_leases[net->nstatic_leases];
		if (cy_check_keys(p, m, k, keys) < 0 ||
		    cy_require(p, m, k, "mac", "the guest's MAC address") < 0 ||
		    cy_require(p, m, k, "ip", "the address it always gets") < 0 ||
		    cy_get_str(p, m, k, "mac", macbuf, sizeof(macbuf)) < 0 ||
		    cy_get_ipv4(p, m, k, "ip", &l->ip) < 0)
			return -1;
		yaml_node_t *mn = cy_member(p, m, k, "mac", mk, sizeof(mk));
		yaml_node_t *in = cy_member(p, m, k, "ip", ik, sizeof(ik));
		if (cy_parse_mac(macbuf, l->mac) < 0)
			return cy_fail(p, mn, mk,
				       "'%s' is not a MAC address (allowed: six hex bytes, e.g. "
				       "52:54:00:12:34:56)",
				       macbuf);
		if (l->mac[0] & 1)
			return cy_fail(p, mn, mk,
				       "'%s' is a multicast address; a guest's MAC is unicast", macbuf);
		const char *why = not_guest_addr(net, l->ip);
		if (why != NULL)
			return cy_fail(p, in, ik, "%s is %s%s %s", ip_text(l->ip, a), why,
				       strcmp(why, "outside subnet") ? " of subnet" : "",
				       cn_prefix_text(&net->subnet, s));
		for (unsigned int j = 0; j < net->nstatic_leases; j++) {
			const struct vsw_cfg_static_lease *o = &net->static_leases[j];
			if (memcmp(o->mac, l->mac, 6) == 0)
				return cy_fail(p, mn, mk,
					       "'%s' already has a static lease (static_leases[%u])",
					       macbuf, j);
			if (o->ip == l->ip)
				return cy_fail(p, in, ik, "%s is already given to static_leases[%u]",
					       ip_text(l->ip, a), j);
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
	char k[128];
	yaml_node_t *t = cy_member(p, n, key, "timeouts", k, sizeof(k));
	if (t == NULL)
		return 0;
	if (cy_check_keys(p, t, k, keys) < 0 ||
	    cy_get_u32(p, t, k, "tcp_established", 1, 604800, &net->tcp_est_s) < 0 ||
	    cy_get_u32(p, t, k, "tcp_transitory", 1, 604800, &net->tcp_trans_s) < 0 ||
	    cy_get_u32(p, t, k, "udp", 1, 604800, &net->udp_s) < 0 ||
	    cy_get_u32(p, t, k, "icmp", 1, 604800, &net->icmp_s) < 0)
		return -1;
	return 0;
}

/* The MTU handed out by DHCP: 0 means the option is not sent. */
static int parse_dhcp_mtu(struct pctx *p, yaml_node_t *n, const char *key,
			  struct vsw_cfg_network *net)
{
	char k[128];
	yaml_node_t *m = cy_member(p, n, key, "mtu", k, sizeof(k));
	if (m == NULL)
		return 0;
	const char *s = cy_scalar(m);
	char *end = NULL;
	unsigned long v = 0;
	errno = 0;
	if (s != NULL && m->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    isdigit((unsigned char)s[0]))
		v = strtoul(s, &end, 10);
	if (end == NULL || *end != '\0' || errno == ERANGE || (v != 0 && (v < 576 || v > 9000)))
		return cy_fail(p, m, k,
			       "'%s' is not an MTU to hand out (allowed: 576-9000, or 0: send no "
			       "MTU option)",
			       s ? s : cy_node_kind(m));
	net->dhcp_mtu = (uint16_t)v;
	return 0;
}

int cn_parse_nat(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_network *net)
{
	char k[128], s[PREFIX_TEXT_LEN], u[PREFIX_TEXT_LEN], a[INET_ADDRSTRLEN];
	if (cy_require(p, n, key, "subnet", "the gateway address and prefix, e.g. "
					  "192.168.122.1/24") < 0 ||
	    cy_require(p, n, key, "uplink", "the ethdev port that leads outside") < 0 ||
	    cy_require(p, n, key, "uplink_address",
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
	if (cy_get_prefix(p, n, key, "subnet", &net->subnet, NULL) < 0)
		return -1;
	if (net->subnet.len < NAT_MIN_PREFIX) {
		yaml_node_t *sn = cy_member(p, n, key, "subnet", k, sizeof(k));
		return cy_fail(p, sn, k,
			       "'%s' is too large a NAT subnet (allowed: prefix length %d-30; the "
			       "gateway keeps per-address tables for the whole subnet)",
			       cn_prefix_text(&net->subnet, s), NAT_MIN_PREFIX);
	}
	if (cy_get_name(p, n, key, "uplink", net->uplink) < 0 ||
	    cy_get_prefix(p, n, key, "uplink_address", &net->uplink_address, NULL) < 0 ||
	    cy_get_ipv4(p, n, key, "uplink_gateway", &net->uplink_gateway) < 0)
		return -1;
	if (cn_prefixes_overlap(&net->subnet, &net->uplink_address)) {
		yaml_node_t *un = cy_member(p, n, key, "uplink_address", k, sizeof(k));
		return cy_fail(p, un, k,
			       "%s overlaps subnet %s; the uplink's network and the inside "
			       "network must not overlap",
			       cn_prefix_text(&net->uplink_address, u), cn_prefix_text(&net->subnet, s));
	}
	if (net->uplink_gateway != 0) {
		yaml_node_t *g = cy_member(p, n, key, "uplink_gateway", k, sizeof(k));
		if (!in_prefix(&net->uplink_address, net->uplink_gateway))
			return cy_fail(p, g, k, "must be inside the uplink_address network");
		if (net->uplink_gateway == net->uplink_address.addr)
			return cy_fail(p, g, k,
				       "%s is vsw's own uplink_address; give the next hop's address",
				       ip_text(net->uplink_gateway, a));
		const char *why = non_host(&net->uplink_address, net->uplink_gateway);
		if (why != NULL)
			return cy_fail(p, g, k, "%s is %s of the uplink_address network %s",
				       ip_text(net->uplink_gateway, a), why,
				       cn_prefix_text(&net->uplink_address, u));
	}
	if (parse_dhcp_range(p, n, key, net) < 0 || parse_forwards(p, n, key, net) < 0 ||
	    parse_dns(p, n, key, net) < 0 ||
	    cy_get_u32(p, n, key, "lease_time", 60, 31536000, &net->lease_s) < 0 ||
	    parse_dhcp_mtu(p, n, key, net) < 0 || parse_static_leases(p, n, key, net) < 0 ||
	    cy_get_u32(p, n, key, "max_sessions", 16, 1u << 22, &net->max_sessions) < 0 ||
	    parse_timeouts(p, n, key, net) < 0 ||
	    cy_get_bool(p, n, key, "spoof_check", &net->spoof_check) < 0)
		return -1;
	return 0;
}
