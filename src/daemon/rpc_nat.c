/* Owns the control socket's view of NAT networks: the gateway's state and
 * counters, DHCP leases, NAT sessions (with a filter), and port forwards
 * listed, added and removed at run time (kept in the running
 * configuration, so config.dump writes them). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "daemon/daemon.h"
#include "daemon/rpc_nat.h"
#include "daemon/rpc_params.h"
#include "nat/gateway.h"

#define SESSIONS_DEFAULT 1000
#define SESSIONS_MAX 100000

static const char *ip_str(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

static const char *mac_str(const uint8_t *m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : p == IPPROTO_ICMP ? "icmp" : "?";
}

/* The gateway port of the NAT network the params name ("network", or
 * "name": vswctl's bare word, `vswctl nat show default`), after checking
 * the params against allowed; NULL with e set. */
static struct vsw_port *gw_port(struct vswd *d, json_t *params, const char *const *allowed,
				struct vsw_rpc_error *e)
{
	if (!rpc_check_params(params, allowed, e))
		return NULL;
	const char *key = json_object_get(params, "network") ? "network" : "name";
	struct vsw_network *n = rpc_network_param(d, params, key, e);
	if (n == NULL)
		return NULL;
	if (n->cfg.mode != VSW_NET_NAT) {
		rpc_fail(e, VSW_RPC_FAILED, "network %s is not a NAT network (mode %s)", n->cfg.name,
			 n->cfg.mode == VSW_NET_BRIDGE ? "bridge" : "host-only");
		return NULL;
	}
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++)
		if (vsw_gw_of(d->sw.ports[i]) != NULL && d->sw.ports[i]->net == n)
			return d->sw.ports[i];
	rpc_fail(e, VSW_RPC_FAILED, "network %s has no gateway: its uplink port %s is not there",
		 n->cfg.name, n->cfg.uplink);
	return NULL;
}

#define NET_ONLY ((const char *const[]){ "network", "name", NULL })

static json_t *gw_stats_json(const struct vsw_gw *gw)
{
	struct vsw_gw_stats s;
	struct vsw_nat_stats ns;
	vsw_gw_get_stats(gw, &s);
	vsw_nat_get_stats(vsw_gw_nat(gw), &ns);
	json_t *drops = json_object();
	for (int v = VSW_NAT_OK + 1; v < VSW_NAT__MAX; v++)
		json_object_set_new(drops, vsw_nat_verdict_name(v), json_integer((json_int_t)ns.drops[v]));
#define G(f) json_object_set_new(drops, #f, json_integer((json_int_t)s.f))
	G(spoofed); G(ipv6); G(not_ip); G(inside_routed); G(to_gateway_other); G(no_route);
	G(unresolved); G(inside_unknown); G(ring_full); G(uplink_tx_drops); G(not_for_us);
	G(bad_frame); G(no_mbuf); G(dhcp_ring_full); G(dhcp_reply_drops);
#undef G
	const struct vsw_dhcp_stats *ds = vsw_dhcp_stats(vsw_gw_dhcp(gw));
	json_t *dhcp = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"discover", (json_int_t)ds->discover, "request", (json_int_t)ds->request,
		"release", (json_int_t)ds->release, "decline", (json_int_t)ds->decline,
		"inform", (json_int_t)ds->inform, "offer", (json_int_t)ds->offer,
		"ack", (json_int_t)ds->ack, "nak", (json_int_t)ds->nak,
		"malformed", (json_int_t)ds->malformed, "relayed", (json_int_t)ds->relayed,
		"pool_exhausted", (json_int_t)ds->pool_exhausted,
		"other_server", (json_int_t)ds->other_server, "file_errors", (json_int_t)ds->file_errors,
		"not_dhcp", (json_int_t)ds->not_dhcp);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}",
		"translated_out", (json_int_t)ns.out_packets, "translated_in", (json_int_t)ns.in_packets,
		"sessions_created", (json_int_t)ns.sessions_created,
		"sessions_expired", (json_int_t)ns.sessions_expired,
		"icmp_errors_in", (json_int_t)ns.icmp_errors_in,
		"arp_replied", (json_int_t)(s.arp_replied_inside + s.arp_replied_uplink),
		"ping_replied", (json_int_t)s.ping_replied, "arp_requests", (json_int_t)s.arp_requests,
		"dhcp_frames", (json_int_t)s.dhcp_in, "drops_by_reason", drops, "dhcp", dhcp);
}

json_t *vswd_nat_port_json(const struct vsw_port *p)
{
	const struct vsw_gw *gw = vsw_gw_of(p);
	if (gw == NULL)
		return NULL;
	struct rte_ether_addr in, up, nh;
	vsw_gw_macs(gw, &in, &up);
	char a[18], b[18], c[18];
	const char *st = vsw_gw_next_hop(gw, &nh);
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "gateway_mac", mac_str(in.addr_bytes, a),
			      "uplink_mac", mac_str(up.addr_bytes, b), "next_hop", st,
			      "next_hop_mac", mac_str(nh.addr_bytes, c));
	json_object_set_new(o, "uplink_link_up", json_boolean(vsw_gw_uplink(gw)->link_up));
	return o;
}

static json_t *forwards_json(const struct vsw_gw *gw)
{
	struct vsw_nat_forward fw[VSW_MAX_FORWARDS];
	unsigned int n = vsw_nat_forwards(vsw_gw_nat(gw), fw, VSW_MAX_FORWARDS);
	json_t *a = json_array();
	char s[16];
	for (unsigned int i = 0; i < n && i < VSW_MAX_FORWARDS; i++)
		json_array_append_new(a, json_pack("{s:s,s:i,s:s,s:i}", "proto", proto_name(fw[i].proto),
						   "port", fw[i].ext_port, "to", ip_str(fw[i].to_addr, s),
						   "to_port", fw[i].to_port));
	return a;
}

json_t *vswd_m_nat_show(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	const struct vsw_port *p = gw_port(ctx, params, NET_ONLY, e);
	if (p == NULL)
		return NULL;
	const struct vsw_gw *gw = vsw_gw_of(p);
	const struct vsw_cfg_network *n = &p->net->cfg;
	char s1[16], s2[16], s3[16], s4[16], s5[16];
	json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:i,s:s}", "network", n->name,
			      "gateway", ip_str(n->subnet.addr, s1), "prefix", n->subnet.len,
			      "dhcp_start", ip_str(n->dhcp_start, s2), "dhcp_end", ip_str(n->dhcp_end, s3),
			      "uplink_address", ip_str(n->uplink_address.addr, s4),
			      "uplink_prefix", n->uplink_address.len,
			      "uplink_gateway", n->uplink_gateway ? ip_str(n->uplink_gateway, s5) : "none");
	json_object_set_new(o, "uplink", json_string(n->uplink));
	json_t *gj = vswd_nat_port_json(p);
	json_object_update(o, gj);
	json_decref(gj);
	json_object_set_new(o, "sessions", json_integer(vsw_nat_session_count(vsw_gw_nat(gw))));
	json_object_set_new(o, "max_sessions", json_integer(n->max_sessions));
	json_object_set_new(o, "spoof_check", json_boolean(n->spoof_check));
	json_object_set_new(o, "forwards", forwards_json(gw));
	json_object_set_new(o, "counters", gw_stats_json(gw));
	return o;
}

json_t *vswd_m_nat_leases(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	const struct vsw_port *p = gw_port(ctx, params, NET_ONLY, e);
	if (p == NULL)
		return NULL;
	const struct vsw_dhcp *dh = vsw_gw_dhcp(vsw_gw_of(p));
	unsigned int n = vsw_dhcp_leases(dh, NULL, 0);
	struct vsw_dhcp_lease *l = rte_malloc(NULL, (n + 1) * sizeof(*l), 0);
	if (l == NULL)
		return rpc_fail(e, VSW_RPC_FAILED, "no memory");
	n = RTE_MIN(n, vsw_dhcp_leases(dh, l, n));
	static const char *const states[] = { "offered", "bound", "declined" };
	time_t now = time(NULL);
	json_t *a = json_array();
	char s[16], m[18];
	for (unsigned int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:b,s:I,s:s}", "ip", ip_str(l[i].ip, s),
			"mac", mac_str(l[i].mac, m), "state", states[l[i].state], "static", l[i].is_static,
			"expires_in", (json_int_t)(l[i].expires > now ? l[i].expires - now : 0),
			"hostname", l[i].hostname));
	rte_free(l);
	return a;
}

/* A session's filter: any of proto, addr (inside, remote or external) and
 * port (any of the three). */
struct filter {
	int proto;
	uint32_t addr;
	bool has_addr;
	int port;
};

static bool get_filter(json_t *params, struct filter *f, struct vsw_rpc_error *e)
{
	*f = (struct filter){ .proto = -1, .port = -1 };
	const char *p = json_string_value(json_object_get(params, "proto"));
	if (json_object_get(params, "proto") != NULL) {
		if (p == NULL || (strcmp(p, "tcp") && strcmp(p, "udp") && strcmp(p, "icmp")))
			return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "proto must be tcp, udp or icmp"),
			       false;
		f->proto = !strcmp(p, "tcp") ? IPPROTO_TCP : !strcmp(p, "udp") ? IPPROTO_UDP : IPPROTO_ICMP;
	}
	json_t *a = json_object_get(params, "addr");
	if (a != NULL) {
		struct in_addr in;
		if (!json_is_string(a) || inet_pton(AF_INET, json_string_value(a), &in) != 1)
			return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "addr must be an IPv4 address"), false;
		f->addr = ntohl(in.s_addr);
		f->has_addr = true;
	}
	json_t *pt = json_object_get(params, "port");
	if (pt != NULL) {
		if (!json_is_integer(pt) || json_integer_value(pt) < 0 || json_integer_value(pt) > 65535)
			return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "port must be 0..65535"), false;
		f->port = (int)json_integer_value(pt);
	}
	return true;
}

static bool matches(const struct filter *f, const struct vsw_nat_session_info *s)
{
	if (f->proto >= 0 && s->proto != f->proto)
		return false;
	if (f->has_addr && s->in_addr != f->addr && s->rem_addr != f->addr && s->ext_addr != f->addr)
		return false;
	return f->port < 0 || s->in_port == f->port || s->rem_port == f->port || s->ext_port == f->port;
}

static json_t *session_json(const struct vsw_nat_session_info *s)
{
	char a[16], b[16], c[16], m[18];
	return json_pack("{s:s,s:s,s:i,s:s,s:i,s:s,s:i,s:s,s:s,s:b,s:I,s:I,s:i,s:i}", "proto",
			 proto_name(s->proto), "inside", ip_str(s->in_addr, a), "inside_port", s->in_port,
			 "external", ip_str(s->ext_addr, b), "external_port", s->ext_port, "remote",
			 ip_str(s->rem_addr, c), "remote_port", s->rem_port, "mac", mac_str(s->in_mac, m),
			 "state", s->state, "forwarded", s->forwarded, "packets_out",
			 (json_int_t)s->packets_out, "packets_in", (json_int_t)s->packets_in, "idle_ms",
			 (int)s->idle_ms, "expires_in_ms", (int)s->expires_in_ms);
}

json_t *vswd_m_nat_sessions(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	const struct vsw_port *p = gw_port(
		ctx, params,
		(const char *const[]){ "network", "name", "proto", "addr", "port", "limit", NULL }, e);
	struct filter f;
	if (p == NULL || !get_filter(params, &f, e))
		return NULL;
	const struct vsw_gw *gw = vsw_gw_of(p);
	json_int_t limit = SESSIONS_DEFAULT;
	json_t *l = json_object_get(params, "limit");
	if (l != NULL) {
		if (!json_is_integer(l) || json_integer_value(l) < 1 || json_integer_value(l) > SESSIONS_MAX)
			return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "limit must be 1..%d", SESSIONS_MAX);
		limit = json_integer_value(l);
	}
	const struct vsw_nat *nat = vsw_gw_nat(gw);
	unsigned int cap = vsw_nat_session_count(nat) + 64;
	struct vsw_nat_session_info *s = rte_malloc(NULL, cap * sizeof(*s), 0);
	if (s == NULL)
		return rpc_fail(e, VSW_RPC_FAILED, "no memory");
	unsigned int n = vsw_nat_sessions(nat, s, cap, rte_rdtsc() / (rte_get_tsc_hz() / 1000));
	json_t *a = json_array();
	unsigned int total = 0;
	for (unsigned int i = 0; i < n; i++)
		if (matches(&f, &s[i]) && total++ < limit)
			json_array_append_new(a, session_json(&s[i]));
	rte_free(s);
	return json_pack("{s:I,s:o}", "matching", (json_int_t)total, "sessions", a);
}

json_t *vswd_m_nat_forwards(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	const struct vsw_port *p = gw_port(ctx, params, NET_ONLY, e);
	return p == NULL ? NULL : forwards_json(vsw_gw_of(p));
}

static bool fwd_key(json_t *params, uint8_t *proto, uint16_t *port, struct vsw_rpc_error *e)
{
	const char *p = rpc_str_param(params, "proto", true, e);
	if (p == NULL)
		return false;
	if (strcmp(p, "tcp") && strcmp(p, "udp"))
		return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "proto must be tcp or udp"), false;
	*proto = !strcmp(p, "tcp") ? IPPROTO_TCP : IPPROTO_UDP;
	json_t *pt = json_object_get(params, "port");
	if (!json_is_integer(pt) || json_integer_value(pt) < 1 || json_integer_value(pt) > 65535)
		return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "port must be 1..65535"), false;
	*port = (uint16_t)json_integer_value(pt);
	return true;
}

/* Keeps the running configuration's forwards equal to the gateway's. */
static void cfg_forwards(struct vswd *d, struct vsw_gw *gw, const char *net)
{
	for (unsigned int i = 0; i < d->cfg.nnetworks; i++) {
		struct vsw_cfg_network *n = &d->cfg.networks[i];
		if (strcmp(n->name, net) != 0)
			continue;
		struct vsw_nat_forward fw[VSW_MAX_FORWARDS];
		unsigned int k = vsw_nat_forwards(vsw_gw_nat(gw), fw, VSW_MAX_FORWARDS);
		n->nforwards = RTE_MIN(k, (unsigned int)VSW_MAX_FORWARDS);
		for (unsigned int j = 0; j < n->nforwards; j++)
			n->forwards[j] = (struct vsw_cfg_forward){ .proto = fw[j].proto,
				.port = fw[j].ext_port, .to_addr = fw[j].to_addr, .to_port = fw[j].to_port };
	}
}

json_t *vswd_m_nat_forward_add(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_port *p = gw_port(
		d, params, (const char *const[]){ "network", "name", "proto", "port", "to", "to_port", NULL },
		e);
	struct vsw_nat_forward f = { 0 };
	if (p == NULL || !fwd_key(params, &f.proto, &f.ext_port, e))
		return NULL;
	struct vsw_gw *gw = vsw_gw_of(p);
	const char *to = rpc_str_param(params, "to", true, e);
	struct in_addr in;
	if (to == NULL)
		return NULL;
	if (inet_pton(AF_INET, to, &in) != 1)
		return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "to must be an IPv4 address");
	f.to_addr = ntohl(in.s_addr);
	f.to_port = f.ext_port;
	json_t *tp = json_object_get(params, "to_port");
	if (tp != NULL) {
		if (!json_is_integer(tp) || json_integer_value(tp) < 1 || json_integer_value(tp) > 65535)
			return rpc_fail(e, VSW_RPC_INVALID_PARAMS, "to_port must be 1..65535");
		f.to_port = (uint16_t)json_integer_value(tp);
	}
	char err[256];
	if (vsw_gw_forward_add(gw, &f, err, sizeof(err)) < 0)
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	cfg_forwards(d, gw, p->net->cfg.name);
	return json_true();
}

json_t *vswd_m_nat_forward_del(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	struct vsw_port *p = gw_port(d, params, (const char *const[]){ "network", "name", "proto", "port", NULL }, e);
	uint8_t proto;
	uint16_t port;
	if (p == NULL || !fwd_key(params, &proto, &port, e))
		return NULL;
	struct vsw_gw *gw = vsw_gw_of(p);
	char err[256];
	if (vsw_gw_forward_del(gw, proto, port, err, sizeof(err)) < 0)
		return rpc_fail(e, VSW_RPC_FAILED, "%s", err);
	cfg_forwards(d, gw, p->net->cfg.name);
	return json_true();
}
