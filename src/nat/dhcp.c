/* The DHCP server's state machine (RFC 2131 section 4.3) and its public
 * face: checking the cfg, answering each client message from the lease
 * table, expiring leases and telling the NAT gateway (on_bind) which
 * addresses are bound to which MAC.
 *
 * The server is authoritative: it is the only one on its network, so a
 * client in INIT-REBOOT, RENEWING or REBINDING that it has no record of (a
 * lost lease file, an expired lease) gets its address back if that address
 * is still free (or is its static one), and a NAK otherwise, where RFC 2131
 * would have a server that shares the wire stay silent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat/dhcp_priv.h"

static void notify(const struct vsw_dhcp *d, const struct vsw_dhcp_lease *l, bool bound)
{
	if (d->cfg.on_bind)
		d->cfg.on_bind(d->cfg.ctx, l->mac, l->ip, bound);
}

static void flush(struct vsw_dhcp *d, time_t now)
{
	if (!d->dirty)
		return;
	d->saved_at = now;
	if (vsw_dhcp_file_save(d) == 0)
		d->dirty = false;
	else
		d->st.file_errors++;
}

/* A bound lease changed: written now, or by the next expire() if the file
 * was written this second already. */
static void changed(struct vsw_dhcp *d, time_t now)
{
	if (!d->file)
		return;
	d->dirty = true;
	if (now != d->saved_at)
		flush(d, now);
}

/* --- configuration --- */

static const char *check_addr(const struct vsw_dhcp *d, uint32_t ip)
{
	uint32_t host = ip & ~d->mask;

	if (!vsw_dhcp_in_subnet(d, ip))
		return "outside the subnet";
	if (host == 0 || host == ~d->mask)
		return "the subnet's network or broadcast address";
	return NULL;
}

static const char *check_statics(const struct vsw_dhcp *d)
{
	const struct vsw_dhcp_cfg *c = &d->cfg;
	const uint8_t *mac;
	unsigned int i, j;

	for (i = 0; i < c->nstatics; i++) {
		mac = c->statics[i].mac;
		if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
			return "static lease: MAC not a unicast address";
		if (check_addr(d, c->statics[i].ip) || c->statics[i].ip == c->server_ip)
			return "static lease: address not a host of the subnet or is the gateway";
		for (j = 0; j < i; j++)
			if (!memcmp(mac, c->statics[j].mac, 6) || c->statics[i].ip == c->statics[j].ip)
				return "static lease: MAC or address given twice";
	}
	return NULL;
}

static const char *check_cfg(struct vsw_dhcp *d)
{
	const struct vsw_dhcp_cfg *c = &d->cfg;

	if (c->prefix_len < 8 || c->prefix_len > 30)
		return "prefix length not within 8..30";
	d->mask = ~0u << (32 - c->prefix_len);
	if (check_addr(d, c->server_ip))
		return "server address not a host of its subnet";
	if (c->range_start > c->range_end || check_addr(d, c->range_start) ||
	    check_addr(d, c->range_end))
		return "range not within the subnet's hosts";
	if (c->range_end - c->range_start >= VSW_DHCP_MAX_LEASES)
		return "range larger than 4096 addresses";
	if (c->server_ip >= c->range_start && c->server_ip <= c->range_end)
		return "range holds the server address";
	if (c->ndns > VSW_DHCP_MAX_DNS || c->nstatics > VSW_DHCP_MAX_STATIC)
		return "too many DNS servers or static leases";
	if (c->lease_s < 10 || c->lease_s > 0x7fffffffu)
		return "lease time not within 10 s..2^31-1 s";
	if (c->mtu && c->mtu < 68)
		return "MTU below 68";
	return check_statics(d);
}

static int set_file(struct vsw_dhcp *d, const char *lease_file)
{
	size_t n = strlen(lease_file);

	d->file = strdup(lease_file);
	d->tmpfile = malloc(n + 5);
	if (!d->file || !d->tmpfile)
		return -1;
	memcpy(d->tmpfile, lease_file, n);
	memcpy(d->tmpfile + n, ".tmp", 5);
	return 0;
}

struct vsw_dhcp *vsw_dhcp_create(const struct vsw_dhcp_cfg *cfg, const char *lease_file,
				 time_t now, char *err, size_t errlen)
{
	struct vsw_dhcp *d = calloc(1, sizeof(*d));
	const char *why;
	unsigned int i;

	if (!d) {
		snprintf(err, errlen, "dhcp: out of memory");
		return NULL;
	}
	d->cfg = *cfg;
	why = check_cfg(d);
	if (why) {
		snprintf(err, errlen, "dhcp: %s", why);
		goto fail;
	}
	if (vsw_dhcp_tab_init(d, err, errlen) != 0)
		goto fail;
	if (lease_file && set_file(d, lease_file) != 0) {
		snprintf(err, errlen, "dhcp: out of memory");
		goto fail;
	}
	if (d->file && vsw_dhcp_file_load(d, now, err, errlen) != 0)
		goto fail;
	/* the gateway learns the bindings that outlived the restart */
	for (i = 0; i < d->n; i++)
		notify(d, &d->e[i], true);
	return d;
fail:
	vsw_dhcp_destroy(d);
	return NULL;
}

void vsw_dhcp_destroy(struct vsw_dhcp *d)
{
	if (!d)
		return;
	flush(d, d->saved_at);
	vsw_dhcp_tab_free(d);
	free(d->file);
	free(d->tmpfile);
	free(d);
}

/* --- the state machine --- */

static void take_hostname(struct vsw_dhcp_lease *l, const struct vsw_dhcp_msg *m)
{
	if (m->hostname[0])
		memcpy(l->hostname, m->hostname, sizeof(l->hostname));
}

static bool offer(const struct vsw_dhcp_lease *l, struct vsw_dhcp_reply *r)
{
	r->type = VSW_DHCPOFFER;
	r->yiaddr = l->ip;
	r->lease = r->config = true;
	return true;
}

static bool on_discover(struct vsw_dhcp *d, const struct vsw_dhcp_msg *m, time_t now,
			struct vsw_dhcp_reply *r)
{
	struct vsw_dhcp_lease *l = vsw_dhcp_find_mac(d, m->chaddr);
	uint32_t ip;

	if (!l) {
		if (!vsw_dhcp_alloc(d, m->chaddr, m->has_req_ip ? m->req_ip : 0, &ip) ||
		    !(l = vsw_dhcp_lease_add(d, m->chaddr, ip, VSW_LEASE_OFFERED, now))) {
			d->st.pool_exhausted++;
			return false;
		}
	}
	if (l->state == VSW_LEASE_OFFERED)
		l->expires = now + VSW_DHCP_OFFER_S;
	take_hostname(l, m);
	return offer(l, r);
}

static bool ack(struct vsw_dhcp *d, struct vsw_dhcp_lease *l, const struct vsw_dhcp_msg *m,
		time_t now, struct vsw_dhcp_reply *r)
{
	bool was_bound = l->state == VSW_LEASE_BOUND;

	l->state = VSW_LEASE_BOUND;
	l->expires = now + (time_t)d->cfg.lease_s;
	take_hostname(l, m);
	if (!was_bound)
		notify(d, l, true);
	changed(d, now);
	r->type = VSW_DHCPACK;
	r->yiaddr = l->ip;
	r->lease = r->config = true;
	return true;
}

/* A client that asks for another address than its lease has moved on: the
 * lease stops being bound but stays offered a while, so the DISCOVER that
 * follows the NAK gets the same address. */
static bool nak(struct vsw_dhcp *d, struct vsw_dhcp_lease *l, time_t now,
		struct vsw_dhcp_reply *r)
{
	if (l && l->state == VSW_LEASE_BOUND) {
		l->state = VSW_LEASE_OFFERED;
		l->expires = now + VSW_DHCP_OFFER_S;
		notify(d, l, false);
		changed(d, now);
	}
	r->type = VSW_DHCPNAK;
	return true;
}

/* SELECTING: the client names the server whose offer it takes. */
static bool req_selecting(struct vsw_dhcp *d, const struct vsw_dhcp_msg *m, time_t now,
			  struct vsw_dhcp_reply *r)
{
	struct vsw_dhcp_lease *l = vsw_dhcp_find_mac(d, m->chaddr);
	uint32_t want = m->has_req_ip ? m->req_ip : m->ciaddr;

	if (m->server_id != d->cfg.server_ip) {
		d->st.other_server++;
		if (l && l->state == VSW_LEASE_OFFERED)
			vsw_dhcp_lease_del(d, l);
		return false;
	}
	if (!l || l->ip != want)
		return nak(d, l, now, r);
	return ack(d, l, m, now, r);
}

/* INIT-REBOOT (ip from option 50), RENEWING and REBINDING (ip = ciaddr).
 * An address of another subnet is never the client's lease nor usable, so
 * it gets the NAK of RFC 2131 4.3.2 from the same tests. */
static bool req_confirm(struct vsw_dhcp *d, const struct vsw_dhcp_msg *m, uint32_t ip,
			time_t now, struct vsw_dhcp_reply *r)
{
	struct vsw_dhcp_lease *l = vsw_dhcp_find_mac(d, m->chaddr);

	if (l && l->ip != ip)
		return nak(d, l, now, r);
	if (!l) {
		if (!vsw_dhcp_ip_usable(d, m->chaddr, ip))
			return nak(d, NULL, now, r);
		l = vsw_dhcp_lease_add(d, m->chaddr, ip, VSW_LEASE_OFFERED, now);
		if (!l)
			return nak(d, NULL, now, r);
	}
	return ack(d, l, m, now, r);
}

static bool on_request(struct vsw_dhcp *d, const struct vsw_dhcp_msg *m, time_t now,
		       struct vsw_dhcp_reply *r)
{
	if (m->has_server_id)
		return req_selecting(d, m, now, r);
	if (m->ciaddr)
		return req_confirm(d, m, m->ciaddr, now, r);
	if (m->has_req_ip)
		return req_confirm(d, m, m->req_ip, now, r);
	d->st.malformed++; /* no address named at all */
	return false;
}

static bool for_us(const struct vsw_dhcp *d, const struct vsw_dhcp_msg *m)
{
	return !m->has_server_id || m->server_id == d->cfg.server_ip;
}

/* The lease ends; a non-static address declined stays out of use for a
 * lease time (someone else is using it), kept by a DECLINED entry. */
static void end_lease(struct vsw_dhcp *d, struct vsw_dhcp_lease *l, bool declined,
		      time_t now)
{
	bool was_bound = l->state == VSW_LEASE_BOUND;

	if (was_bound)
		notify(d, l, false);
	if (declined && !l->is_static) {
		l->state = VSW_LEASE_DECLINED;
		l->expires = now + (time_t)d->cfg.lease_s;
	} else {
		vsw_dhcp_lease_del(d, l);
	}
	if (was_bound)
		changed(d, now);
}

static void on_release(struct vsw_dhcp *d, const struct vsw_dhcp_msg *m, time_t now)
{
	struct vsw_dhcp_lease *l = vsw_dhcp_find_mac(d, m->chaddr);

	if (l && l->ip == m->ciaddr && for_us(d, m))
		end_lease(d, l, false, now);
}

static void on_decline(struct vsw_dhcp *d, const struct vsw_dhcp_msg *m, time_t now)
{
	struct vsw_dhcp_lease *l = vsw_dhcp_find_mac(d, m->chaddr);

	if (l && m->has_req_ip && l->ip == m->req_ip && for_us(d, m))
		end_lease(d, l, true, now);
}

/* The client has its address already; it wants the rest of the config. */
static bool on_inform(struct vsw_dhcp_reply *r)
{
	r->type = VSW_DHCPACK;
	r->config = true;
	return true;
}

static bool dispatch(struct vsw_dhcp *d, const struct vsw_dhcp_msg *m, time_t now,
		     struct vsw_dhcp_reply *r)
{
	switch (m->type) {
	case VSW_DHCPDISCOVER:
		d->st.discover++;
		return on_discover(d, m, now, r);
	case VSW_DHCPREQUEST:
		d->st.request++;
		return on_request(d, m, now, r);
	case VSW_DHCPRELEASE:
		d->st.release++;
		on_release(d, m, now);
		return false;
	case VSW_DHCPDECLINE:
		d->st.decline++;
		on_decline(d, m, now);
		return false;
	default: /* INFORM: the parser lets no other type through */
		d->st.inform++;
		return on_inform(r);
	}
}

static void count_reply(struct vsw_dhcp *d, uint8_t type)
{
	if (type == VSW_DHCPOFFER)
		d->st.offer++;
	else if (type == VSW_DHCPACK)
		d->st.ack++;
	else
		d->st.nak++;
}

int vsw_dhcp_input(struct vsw_dhcp *d, const uint8_t *frame, size_t len, time_t now,
		   uint8_t *out, size_t cap)
{
	struct vsw_dhcp_reply r = {0};
	struct vsw_dhcp_msg m;

	if (cap < VSW_DHCP_FRAME_MAX)
		return -1;
	switch (vsw_dhcp_parse(frame, len, &m)) {
	case VSW_DHCP_PARSE_NOT_DHCP:
		d->st.not_dhcp++;
		return 0;
	case VSW_DHCP_PARSE_MALFORMED:
		d->st.malformed++;
		return 0;
	default:
		break;
	}
	if (m.giaddr) {
		d->st.relayed++;
		return 0;
	}
	if (!dispatch(d, &m, now, &r))
		return 0;
	count_reply(d, r.type);
	return (int)vsw_dhcp_build(&d->cfg, &m, &r, out, cap);
}

/* --- time and queries --- */

void vsw_dhcp_expire(struct vsw_dhcp *d, time_t now)
{
	bool ended = false;
	unsigned int i;

	/* downwards: a removal moves an entry already looked at into i */
	for (i = d->n; i-- > 0;) {
		if (d->e[i].expires > now)
			continue;
		if (d->e[i].state == VSW_LEASE_BOUND) {
			notify(d, &d->e[i], false);
			ended = true;
		}
		vsw_dhcp_lease_del(d, &d->e[i]);
	}
	if (ended)
		changed(d, now);
	flush(d, now);
}

unsigned int vsw_dhcp_leases(const struct vsw_dhcp *d, struct vsw_dhcp_lease *out,
			     unsigned int max)
{
	if (out && max)
		memcpy(out, d->e, (d->n < max ? d->n : max) * sizeof(*out));
	return d->n;
}

bool vsw_dhcp_lookup_ip(const struct vsw_dhcp *d, uint32_t ip, uint8_t mac[6])
{
	const struct vsw_dhcp_static *s = vsw_dhcp_static_by_ip(d, ip);
	const struct vsw_dhcp_lease *l;

	if (s) {
		memcpy(mac, s->mac, 6);
		return true;
	}
	l = vsw_dhcp_find_ip(d, ip);
	if (!l || l->state != VSW_LEASE_BOUND)
		return false;
	memcpy(mac, l->mac, 6);
	return true;
}

const struct vsw_dhcp_stats *vsw_dhcp_stats(const struct vsw_dhcp *d)
{
	return &d->st;
}
