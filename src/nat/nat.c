/* Owns the NAT's state: the session table (a fixed array with a free list,
 * found through two rte_hash tables: by the inside 5-tuple for outbound
 * packets, by the outside view for inbound ones), the endpoint-independent
 * mappings (inside address:port -> external port, counted by sessions),
 * the external port bitmaps, the published forward table, the per-protocol
 * timeouts and TCP state, expiry, and the control thread's views.
 * vsw_nat_out, vsw_nat_in and vsw_nat_expire run on the one worker and
 * never lock, allocate or make a syscall; the rest is the control thread's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_random.h>

#include "nat/nat.h"
#include "nat/nat_parse.h"
#include "nat/nat_xlate.h"

#define NAT_NONE UINT32_MAX
#define NAT_MAX_CAP (1u << 24)
#define NAT_MAX_FWD 64
#define NAT_RST_MS 10000u
#define NAT_PORT_WORDS (65536 / 64)

enum nat_state { NS_FREE, NS_SYN, NS_EST, NS_FIN, NS_CLOSED, NS_UDP, NS_ICMP, NS__MAX };

static const char *const state_names[NS__MAX] = {
	"free", "syn", "established", "fin", "closed", "udp", "icmp",
};

enum nat_flag {
	NF_FWD = 1,      /* made by a port forward */
	NF_MAC = 2,      /* mac holds the inside host's address */
	NF_SEEN_OUT = 4,
	NF_SEEN_IN = 8,
	NF_FIN_OUT = 16,
	NF_FIN_IN = 32,
};

/* One session: 64 bytes, one cache line. seq is odd while the worker
 * writes the entry (the control thread's copies retry then). */
struct nat_sess {
	uint32_t seq;
	uint8_t proto, state, flags, pad;
	uint8_t mac[6];
	uint16_t in_port;
	uint16_t ext_port, rem_port;
	uint32_t in_addr, rem_addr;
	uint32_t link;   /* live: the mapping's position (NAT_NONE if forwarded); free: next free */
	uint64_t last_ms;
	uint64_t pkts_out, pkts_in;
} __rte_cache_aligned;

/* Every hash key is 16 bytes (rte_hash compares those with vector code).
 * Keys are made as two words in registers: written field by field and
 * read back whole, they stalled store forwarding on every packet. */
union nat_key {
	struct {
		uint32_t a, b;
		uint16_t pa, pb;
		uint8_t proto, pad[3];
	};
	uint64_t w[2];
};

#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "nat_key's words are laid out for a little-endian CPU"
#endif

static inline union nat_key key_make(uint32_t a, uint32_t b, uint16_t pa, uint16_t pb,
				     uint8_t proto)
{
	return (union nat_key){ .w = { a | (uint64_t)b << 32,
				       pa | (uint64_t)pb << 16 | (uint64_t)proto << 32 } };
}

struct nat_map {
	uint16_t ext_port;
	uint32_t refs;
};

/* Immutable once published. */
struct nat_fwd_tab {
	unsigned int n;
	struct vsw_nat_forward fw[NAT_MAX_FWD];
	uint64_t ports[2][NAT_PORT_WORDS]; /* [0] TCP, [1] UDP: ext ports taken */
};

struct vsw_nat {
	struct vsw_nat_cfg cfg;
	uint32_t mask, net, bcast;
	uint32_t secret;
	uint32_t cap;
	uint32_t free_head;
	uint32_t nsess;
	uint32_t cursor;
	uint64_t tmo[NS__MAX]; /* ms */
	struct rte_hash *h_out, *h_in, *h_map;
	struct nat_sess *sess;
	struct nat_map *maps;
	struct nat_fwd_tab *fwd;
	struct vsw_nat_stats st;
	/* The session each direction found last, and its key: a run of one
	 * flow's packets (a burst of a bulk transfer) skips the hash. Cleared
	 * when that session is freed. */
	union nat_key last_key[2];
	uint32_t last_idx[2];
	uint32_t nfree[3];
	uint64_t ports[3][NAT_PORT_WORDS]; /* [0] TCP, [1] UDP, [2] ICMP */
};

static const char *const verdict_names[VSW_NAT__MAX] = {
	[VSW_NAT_OK] = "ok",
	[VSW_NAT_TRUNCATED] = "truncated",
	[VSW_NAT_BAD_HEADER] = "bad_header",
	[VSW_NAT_BAD_CHECKSUM] = "bad_checksum",
	[VSW_NAT_TTL] = "ttl",
	[VSW_NAT_FRAGMENT] = "fragment",
	[VSW_NAT_PROTO] = "proto",
	[VSW_NAT_SRC] = "src",
	[VSW_NAT_TABLE_FULL] = "table_full",
	[VSW_NAT_NO_SESSION] = "no_session",
	[VSW_NAT_NOT_MINE] = "not_mine",
};

const char *vsw_nat_verdict_name(enum vsw_nat_verdict v)
{
	return (unsigned int)v < VSW_NAT__MAX ? verdict_names[v] : "?";
}

/* --- keys --- */

static inline union nat_key key_out(uint8_t proto, uint32_t in_addr, uint16_t in_port,
				    uint32_t rem_addr, uint16_t rem_port)
{
	return key_make(in_addr, rem_addr, in_port, rem_port, proto);
}

static inline union nat_key key_in(uint8_t proto, uint16_t ext_port, uint32_t rem_addr,
				   uint16_t rem_port)
{
	return key_make(0, rem_addr, ext_port, rem_port, proto);
}

static inline bool key_eq(const union nat_key *x, const union nat_key *y)
{
	return ((x->w[0] ^ y->w[0]) | (x->w[1] ^ y->w[1])) == 0;
}

static inline union nat_key key_map(uint8_t proto, uint32_t in_addr, uint16_t in_port)
{
	return key_make(in_addr, 0, in_port, 0, proto);
}

/* An ICMP echo flow has no remote port: the id is the only "port". */
static inline uint16_t rem_port_of(uint8_t proto, uint16_t port)
{
	return proto == NAT_P_ICMP ? 0 : port;
}

static inline unsigned int proto_idx(uint8_t proto)
{
	return proto == NAT_P_TCP ? 0 : proto == NAT_P_UDP ? 1 : 2;
}

/* --- sequence counter (writer: the worker) --- */

static inline void w_begin(struct nat_sess *s)
{
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	rte_smp_wmb();
}

static inline void w_end(struct nat_sess *s)
{
	rte_smp_wmb();
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
}

/* --- forwards --- */

static inline const struct nat_fwd_tab *fwd_cur(const struct vsw_nat *n)
{
	return __atomic_load_n(&n->fwd, __ATOMIC_ACQUIRE);
}

static inline bool bit_get(const uint64_t *bm, uint16_t p)
{
	return (bm[p >> 6] >> (p & 63)) & 1;
}

static const struct vsw_nat_forward *fwd_find(const struct vsw_nat *n, uint8_t proto,
					       uint16_t ext_port)
{
	const struct nat_fwd_tab *t = fwd_cur(n);
	if (t == NULL || proto == NAT_P_ICMP || !bit_get(t->ports[proto_idx(proto)], ext_port))
		return NULL;
	for (unsigned int i = 0; i < t->n; i++)
		if (t->fw[i].proto == proto && t->fw[i].ext_port == ext_port)
			return &t->fw[i];
	return NULL;
}

/* --- external ports --- */

/* First port in [from, to] free in used and not in fw (may be NULL). */
static int bm_find(const uint64_t *used, const uint64_t *fw, uint32_t from, uint32_t to)
{
	for (uint32_t p = from; p <= to;) {
		uint32_t w = p >> 6;
		uint64_t busy = used[w] | (fw != NULL ? fw[w] : 0);
		busy |= (1ull << (p & 63)) - 1;
		if (~busy != 0) {
			uint32_t q = (w << 6) + (uint32_t)__builtin_ctzll(~busy);
			return q <= to ? (int)q : -1;
		}
		p = (w + 1) << 6;
	}
	return -1;
}

static bool port_free(const uint64_t *used, const uint64_t *fw, uint16_t p)
{
	return !bit_get(used, p) && (fw == NULL || !bit_get(fw, p));
}

/* Keeps the inside port when it is free (port preservation, RFC 4787
 * section 4.2.1: some protocols care), else probes from a keyed hash of the
 * mapping, a word of the bitmap at a time. Returns the port or -1. */
static int port_alloc(struct vsw_nat *n, uint8_t proto, uint16_t want, hash_sig_t h)
{
	unsigned int pi = proto_idx(proto);
	if (n->nfree[pi] == 0)
		return -1;
	const struct nat_fwd_tab *t = fwd_cur(n);
	const uint64_t *fw = t != NULL && pi < 2 ? t->ports[pi] : NULL;
	uint32_t lo = n->cfg.port_min, hi = n->cfg.port_max;
	int p;
	if (want >= lo && want <= hi && port_free(n->ports[pi], fw, want)) {
		p = want;
	} else {
		uint32_t start = lo + ((h ^ n->secret) * 0x9e3779b1u) % (hi - lo + 1);
		p = bm_find(n->ports[pi], fw, start, hi);
		if (p < 0 && start > lo)
			p = bm_find(n->ports[pi], fw, lo, start - 1);
		if (p < 0)
			return -1;
	}
	n->ports[pi][p >> 6] |= 1ull << (p & 63);
	n->nfree[pi]--;
	return p;
}

static void port_release(struct vsw_nat *n, uint8_t proto, uint16_t p)
{
	unsigned int pi = proto_idx(proto);
	n->ports[pi][p >> 6] &= ~(1ull << (p & 63));
	n->nfree[pi]++;
}

/* --- sessions --- */

static inline uint64_t sess_tmo(const struct vsw_nat *n, const struct nat_sess *s)
{
	return n->tmo[s->state];
}

/* Leaves the entry open for writing (seq odd): the caller accounts the
 * first packet and closes it, so no copy sees a session without it. */
static void sess_fill(struct vsw_nat *n, struct nat_sess *s, const union nat_key *ko,
		      uint16_t ext_port, uint32_t link, uint8_t flags, uint64_t now)
{
	w_begin(s);
	s->proto = ko->proto;
	s->state = ko->proto == NAT_P_TCP ? NS_SYN : ko->proto == NAT_P_UDP ? NS_UDP : NS_ICMP;
	s->flags = flags;
	memset(s->mac, 0, sizeof(s->mac));
	s->in_addr = ko->a;
	s->in_port = ko->pa;
	s->rem_addr = ko->b;
	s->rem_port = ko->pb;
	s->ext_port = ext_port;
	s->link = link;
	s->last_ms = now;
	s->pkts_out = s->pkts_in = 0;
	__atomic_store_n(&n->nsess, n->nsess + 1, __ATOMIC_RELAXED);
	n->st.sessions_created++;
}

/* Both keys of a new session point at entry idx; the in key must be new
 * (a forwarded session may still hold an outside view a mapping now gets). */
static bool sess_keys_add(struct vsw_nat *n, const union nat_key *ko, hash_sig_t ho,
			  const union nat_key *ki, uint32_t idx)
{
	hash_sig_t hi = rte_hash_hash(n->h_in, ki);
	if (rte_hash_lookup_with_hash(n->h_in, ki, hi) >= 0)
		return false;
	void *d = (void *)(uintptr_t)idx;
	if (rte_hash_add_key_with_hash_data(n->h_out, ko, ho, d) < 0)
		return false;
	if (rte_hash_add_key_with_hash_data(n->h_in, ki, hi, d) < 0) {
		rte_hash_del_key_with_hash(n->h_out, ko, ho);
		return false;
	}
	return true;
}

/* The mapping of (proto, inside addr:port): its position, a new one with a
 * fresh port if none, or -1 (ports or table exhausted). */
static int32_t map_get(struct vsw_nat *n, const union nat_key *ko)
{
	union nat_key km = key_map(ko->proto, ko->a, ko->pa);
	hash_sig_t hm = rte_hash_hash(n->h_map, &km);
	int32_t pos = rte_hash_lookup_with_hash(n->h_map, &km, hm);
	if (pos >= 0)
		return pos;
	int port = port_alloc(n, ko->proto, ko->pa, hm);
	if (port < 0)
		return -1;
	pos = rte_hash_add_key_with_hash(n->h_map, &km, hm);
	if (pos < 0) {
		port_release(n, ko->proto, (uint16_t)port);
		return -1;
	}
	n->maps[pos] = (struct nat_map){ .ext_port = (uint16_t)port, .refs = 0 };
	return pos;
}

static void map_put(struct vsw_nat *n, uint8_t proto, uint32_t in_addr, uint16_t in_port,
		    uint32_t pos)
{
	struct nat_map *m = &n->maps[pos];
	if (--m->refs != 0)
		return;
	union nat_key km = key_map(proto, in_addr, in_port);
	rte_hash_del_key(n->h_map, &km);
	port_release(n, proto, m->ext_port);
}

static struct nat_sess *sess_new_out(struct vsw_nat *n, const union nat_key *ko, hash_sig_t ho,
				     uint64_t now)
{
	if (n->free_head == NAT_NONE)
		return NULL;
	int32_t pos = map_get(n, ko);
	if (pos < 0)
		return NULL;
	struct nat_map *m = &n->maps[pos];
	uint32_t idx = n->free_head;
	struct nat_sess *s = &n->sess[idx];
	union nat_key ki = key_in(ko->proto, m->ext_port, ko->b, ko->pb);
	m->refs++;
	if (!sess_keys_add(n, ko, ho, &ki, idx)) {
		map_put(n, ko->proto, ko->a, ko->pa, (uint32_t)pos);
		return NULL;
	}
	n->free_head = s->link;
	sess_fill(n, s, ko, m->ext_port, (uint32_t)pos, 0, now);
	return s;
}

/* A session from a forward's first inbound packet: the guest's view is the
 * forward's target, the outside view the forward's port. */
static enum vsw_nat_verdict sess_new_fwd(struct vsw_nat *n, const struct nat_pkt *p,
					 uint64_t now, struct nat_sess **out)
{
	const struct vsw_nat_forward *f = fwd_find(n, p->proto, p->dport);
	if (f == NULL)
		return VSW_NAT_NO_SESSION;
	if (n->free_head == NAT_NONE)
		return VSW_NAT_TABLE_FULL;
	uint16_t rport = rem_port_of(p->proto, p->sport);
	union nat_key ko = key_out(p->proto, f->to_addr, f->to_port, p->src, rport);
	union nat_key ki = key_in(p->proto, f->ext_port, p->src, rport);
	hash_sig_t ho = rte_hash_hash(n->h_out, &ko);
	uint32_t idx = n->free_head;
	/* the guest already talks to that remote from that port: not ours to take */
	if (rte_hash_lookup_with_hash(n->h_out, &ko, ho) >= 0 ||
	    !sess_keys_add(n, &ko, ho, &ki, idx))
		return VSW_NAT_NO_SESSION;
	*out = &n->sess[idx];
	n->free_head = (*out)->link;
	sess_fill(n, *out, &ko, f->ext_port, NAT_NONE, NF_FWD, now);
	return VSW_NAT_OK;
}

static void sess_free(struct vsw_nat *n, struct nat_sess *s)
{
	union nat_key ko = key_out(s->proto, s->in_addr, s->in_port, s->rem_addr, s->rem_port);
	union nat_key ki = key_in(s->proto, s->ext_port, s->rem_addr, s->rem_port);
	rte_hash_del_key(n->h_out, &ko);
	rte_hash_del_key(n->h_in, &ki);
	for (unsigned int d = 0; d < 2; d++)
		if (n->last_idx[d] == (uint32_t)(s - n->sess))
			n->last_idx[d] = NAT_NONE;
	if (s->link != NAT_NONE)
		map_put(n, s->proto, s->in_addr, s->in_port, s->link);
	w_begin(s);
	s->state = NS_FREE;
	s->link = n->free_head;
	w_end(s);
	n->free_head = (uint32_t)(s - n->sess);
	__atomic_store_n(&n->nsess, n->nsess - 1, __ATOMIC_RELAXED);
	n->st.sessions_expired++;
}

/* RFC 5382: SYN seen -> transitory; packets both ways with an ACK ->
 * established; FIN both ways -> transitory; RST -> short. A fresh SYN on a
 * closing session starts it again (port re-use by the guest). */
static void tcp_track(struct nat_sess *s, uint8_t fl, bool out)
{
	if (fl & NAT_TCP_RST) {
		s->state = NS_CLOSED;
		return;
	}
	if ((fl & (NAT_TCP_SYN | NAT_TCP_ACK)) == NAT_TCP_SYN && s->state >= NS_FIN) {
		s->state = NS_SYN;
		s->flags &= (uint8_t)(NF_FWD | NF_MAC);
	}
	s->flags |= (uint8_t)((out ? NF_SEEN_OUT : NF_SEEN_IN) |
			      (fl & NAT_TCP_FIN ? (out ? NF_FIN_OUT : NF_FIN_IN) : 0));
	if (s->state == NS_SYN && (fl & NAT_TCP_ACK) &&
	    (s->flags & (NF_SEEN_OUT | NF_SEEN_IN)) == (NF_SEEN_OUT | NF_SEEN_IN))
		s->state = NS_EST;
	if ((s->flags & (NF_FIN_OUT | NF_FIN_IN)) == (NF_FIN_OUT | NF_FIN_IN) &&
	    s->state < NS_FIN)
		s->state = NS_FIN;
}

/* Accounts a packet; the caller has the entry open for writing. */
static inline void sess_seen(struct nat_sess *s, const struct nat_pkt *p, bool out,
			     const uint8_t *mac, uint64_t now)
{
	s->last_ms = now;
	if (out) {
		s->pkts_out++;
		memcpy(s->mac, mac, sizeof(s->mac));
		s->flags |= NF_MAC;
	} else {
		s->pkts_in++;
	}
	if (s->proto == NAT_P_TCP)
		tcp_track(s, p->tcp_flags, out);
}

/* --- the worker's entry points --- */

static inline bool inside_host(const struct vsw_nat *n, uint32_t a)
{
	return (a & n->mask) == n->net && a != n->net && a != n->bcast &&
	       a != n->cfg.inside_addr;
}

static inline struct nat_sess *lookup(const struct vsw_nat *n, const struct rte_hash *h,
				      const union nat_key *k, hash_sig_t sig)
{
	void *d;
	if (rte_hash_lookup_with_hash_data(h, k, sig, &d) < 0)
		return NULL;
	return &n->sess[(uintptr_t)d];
}

enum { LAST_OUT, LAST_IN };

static inline struct nat_sess *last_find(const struct vsw_nat *n, unsigned int dir,
					 const union nat_key *k)
{
	uint32_t i = n->last_idx[dir];
	return i != NAT_NONE && key_eq(k, &n->last_key[dir]) ? &n->sess[i] : NULL;
}

static inline void last_set(struct vsw_nat *n, unsigned int dir, const union nat_key *k,
			    const struct nat_sess *s)
{
	n->last_key[dir] = *k;
	n->last_idx[dir] = (uint32_t)(s - n->sess);
}

static enum vsw_nat_verdict out_flow(struct vsw_nat *n, const struct nat_pkt *p, bool partial,
				     const uint8_t *mac, uint64_t now)
{
	union nat_key k = key_out(p->proto, p->src, p->sport, p->dst,
				   rem_port_of(p->proto, p->dport));
	struct nat_sess *s = last_find(n, LAST_OUT, &k);
	if (likely(s != NULL)) {
		w_begin(s);
	} else {
		hash_sig_t h = rte_hash_hash(n->h_out, &k);
		if ((s = lookup(n, n->h_out, &k, h)) != NULL)
			w_begin(s);
		else if ((s = sess_new_out(n, &k, h, now)) == NULL) /* opened for writing */
			return VSW_NAT_TABLE_FULL;
		last_set(n, LAST_OUT, &k, s);
	}
	sess_seen(s, p, true, mac, now);
	w_end(s);
	nat_xlate(p, true, n->cfg.ext_addr, s->ext_port, partial);
	return VSW_NAT_OK;
}

/* An ICMP error from a guest about a packet that came in through a session:
 * the quoted packet went remote -> guest. Errors do not refresh a session
 * (RFC 5508): a remote could otherwise keep one alive by itself. */
static enum vsw_nat_verdict out_error(struct vsw_nat *n, const struct nat_pkt *p)
{
	union nat_key k = key_out(p->proto, p->dst, p->dport, p->src,
				   rem_port_of(p->proto, p->sport));
	struct nat_sess *s = lookup(n, n->h_out, &k, rte_hash_hash(n->h_out, &k));
	if (s == NULL)
		return VSW_NAT_NO_SESSION;
	nat_xlate(p, true, n->cfg.ext_addr, s->ext_port, false);
	return VSW_NAT_OK;
}

enum vsw_nat_verdict vsw_nat_out(struct vsw_nat *n, uint8_t *ip, uint32_t len, bool l4_partial,
				 const uint8_t src_mac[6], uint64_t now_ms)
{
	struct nat_pkt p;
	enum vsw_nat_verdict v = nat_parse(ip, len, &p);
	if (likely(v == VSW_NAT_OK)) {
		if (unlikely(!inside_host(n, p.osrc)))
			v = VSW_NAT_SRC;
		else if (unlikely(p.ttl <= 1))
			v = VSW_NAT_TTL;
		else if (likely(p.kind == NK_FLOW))
			v = p.proto == NAT_P_ICMP && p.icmp_type != NAT_ICMP_ECHO ?
				    VSW_NAT_PROTO :
				    out_flow(n, &p, l4_partial, src_mac, now_ms);
		else
			v = out_error(n, &p);
	}
	if (likely(v == VSW_NAT_OK))
		n->st.out_packets++;
	else
		n->st.drops[v]++;
	return v;
}

static enum vsw_nat_verdict in_flow(struct vsw_nat *n, const struct nat_pkt *p, bool partial,
				    uint8_t *mac, bool *mac_known, uint64_t now)
{
	union nat_key k = key_in(p->proto, p->dport, p->src, rem_port_of(p->proto, p->sport));
	struct nat_sess *s = last_find(n, LAST_IN, &k);
	if (likely(s != NULL)) {
		w_begin(s);
	} else {
		if ((s = lookup(n, n->h_in, &k, rte_hash_hash(n->h_in, &k))) != NULL) {
			w_begin(s);
		} else {
			enum vsw_nat_verdict v = sess_new_fwd(n, p, now, &s); /* opened */
			if (v != VSW_NAT_OK)
				return v;
		}
		last_set(n, LAST_IN, &k, s);
	}
	sess_seen(s, p, false, NULL, now);
	w_end(s);
	nat_xlate(p, false, s->in_addr, s->in_port, partial);
	memcpy(mac, s->mac, 6);
	*mac_known = (s->flags & NF_MAC) != 0;
	return VSW_NAT_OK;
}

/* An ICMP error about a packet that left through a session: the quoted
 * packet went ext_addr:ext_port -> remote. */
static enum vsw_nat_verdict in_error(struct vsw_nat *n, const struct nat_pkt *p, uint8_t *mac,
				     bool *mac_known)
{
	if (p->src != n->cfg.ext_addr)
		return VSW_NAT_NO_SESSION;
	union nat_key k = key_in(p->proto, p->sport, p->dst, rem_port_of(p->proto, p->dport));
	struct nat_sess *s = lookup(n, n->h_in, &k, rte_hash_hash(n->h_in, &k));
	if (s == NULL)
		return VSW_NAT_NO_SESSION;
	nat_xlate(p, false, s->in_addr, s->in_port, false);
	memcpy(mac, s->mac, 6);
	*mac_known = (s->flags & NF_MAC) != 0;
	n->st.icmp_errors_in++;
	return VSW_NAT_OK;
}

enum vsw_nat_verdict vsw_nat_in(struct vsw_nat *n, uint8_t *ip, uint32_t len, bool l4_partial,
				uint8_t dst_mac[6], bool *mac_known, uint64_t now_ms)
{
	struct nat_pkt p;
	enum vsw_nat_verdict v = nat_parse(ip, len, &p);
	*mac_known = false;
	if (likely(v == VSW_NAT_OK)) {
		if (unlikely(p.odst != n->cfg.ext_addr ||
			     (p.kind == NK_FLOW && p.proto == NAT_P_ICMP &&
			      p.icmp_type == NAT_ICMP_ECHO)))
			v = VSW_NAT_NOT_MINE; /* a ping of ext_addr is the caller's */
		else if (unlikely(p.ttl <= 1))
			v = VSW_NAT_TTL;
		else if (likely(p.kind == NK_FLOW))
			v = in_flow(n, &p, l4_partial, dst_mac, mac_known, now_ms);
		else
			v = in_error(n, &p, dst_mac, mac_known);
	}
	if (likely(v == VSW_NAT_OK))
		n->st.in_packets++;
	else
		n->st.drops[v]++;
	return v;
}

void vsw_nat_expire(struct vsw_nat *n, uint64_t now_ms, unsigned int budget)
{
	uint64_t looks = (uint64_t)budget * 4;
	if (looks > n->cap)
		looks = n->cap;
	unsigned int freed = 0;
	for (uint64_t i = 0; i < looks && freed < budget; i++) {
		struct nat_sess *s = &n->sess[n->cursor];
		n->cursor = n->cursor + 1 == n->cap ? 0 : n->cursor + 1;
		if (s->state != NS_FREE && now_ms >= s->last_ms + sess_tmo(n, s)) {
			sess_free(n, s);
			freed++;
		}
	}
}

/* --- set-up --- */

static const char *cfg_check(const struct vsw_nat_cfg *c)
{
	if (c->inside_len < 1 || c->inside_len > 30)
		return "inside prefix length must be 1..30";
	uint32_t mask = ~0u << (32 - c->inside_len);
	uint32_t host = c->inside_addr & ~mask;
	if (host == 0 || host == ~mask)
		return "inside address is the subnet's network or broadcast address";
	if (c->ext_addr == 0)
		return "no external address";
	if (c->max_sessions == 0 || c->max_sessions > NAT_MAX_CAP)
		return "max_sessions must be 1..16777216";
	if (c->port_min == 0 || c->port_min > c->port_max)
		return "bad external port range";
	if (c->tcp_est_s == 0 || c->tcp_trans_s == 0 || c->udp_s == 0 || c->icmp_s == 0)
		return "timeouts must be > 0";
	return NULL;
}

static struct rte_hash *hash_make(const struct vsw_nat_cfg *c, uint32_t id, char tag,
				  uint32_t entries)
{
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "vnat%u%c", id, tag);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries,
		.key_len = sizeof(union nat_key),
		.hash_func = rte_hash_crc,
		.socket_id = c->socket,
		/* room for all entries whatever the collisions */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	return rte_hash_create(&hp);
}

static void timeouts_set(struct vsw_nat *n)
{
	const struct vsw_nat_cfg *c = &n->cfg;
	uint64_t trans = (uint64_t)c->tcp_trans_s * 1000;
	n->tmo[NS_FREE] = UINT64_MAX / 2;
	n->tmo[NS_SYN] = trans;
	n->tmo[NS_EST] = (uint64_t)c->tcp_est_s * 1000;
	n->tmo[NS_FIN] = trans;
	n->tmo[NS_CLOSED] = RTE_MIN((uint64_t)NAT_RST_MS, trans);
	n->tmo[NS_UDP] = (uint64_t)c->udp_s * 1000;
	n->tmo[NS_ICMP] = (uint64_t)c->icmp_s * 1000;
}

static bool tables_make(struct vsw_nat *n)
{
	static uint32_t ids;
	uint32_t id = __atomic_fetch_add(&ids, 1, __ATOMIC_RELAXED);
	/* rte_hash wants 8 entries at least; positions stay below entries */
	uint32_t entries = RTE_MAX(n->cap, 8u);
	n->h_out = hash_make(&n->cfg, id, 'o', entries);
	n->h_in = hash_make(&n->cfg, id, 'i', entries);
	n->h_map = hash_make(&n->cfg, id, 'm', entries);
	n->sess = rte_zmalloc_socket("vsw_nat_sess", (size_t)n->cap * sizeof(*n->sess),
				     RTE_CACHE_LINE_SIZE, n->cfg.socket);
	n->maps = rte_zmalloc_socket("vsw_nat_map", (size_t)entries * sizeof(*n->maps), 0,
				     n->cfg.socket);
	return n->h_out != NULL && n->h_in != NULL && n->h_map != NULL && n->sess != NULL &&
	       n->maps != NULL;
}

struct vsw_nat *vsw_nat_create(const struct vsw_nat_cfg *cfg, char *err, size_t errlen)
{
	const char *why = cfg_check(cfg);
	if (why != NULL) {
		snprintf(err, errlen, "nat: %s", why);
		return NULL;
	}
	struct vsw_nat *n = rte_zmalloc_socket("vsw_nat", sizeof(*n), RTE_CACHE_LINE_SIZE,
					       cfg->socket);
	if (n == NULL) {
		snprintf(err, errlen, "nat: out of memory");
		return NULL;
	}
	n->cfg = *cfg;
	n->cap = cfg->max_sessions;
	n->mask = ~0u << (32 - cfg->inside_len);
	n->net = cfg->inside_addr & n->mask;
	n->bcast = n->net | ~n->mask;
	n->secret = (uint32_t)rte_rand();
	n->last_idx[LAST_OUT] = n->last_idx[LAST_IN] = NAT_NONE;
	timeouts_set(n);
	if (!tables_make(n)) {
		snprintf(err, errlen, "nat: cannot allocate tables for %u sessions: %s",
			 cfg->max_sessions, rte_strerror(rte_errno));
		vsw_nat_destroy(n);
		return NULL;
	}
	for (uint32_t i = 0; i < n->cap; i++)
		n->sess[i].link = i + 1 < n->cap ? i + 1 : NAT_NONE;
	for (unsigned int i = 0; i < 3; i++)
		n->nfree[i] = (uint32_t)cfg->port_max - cfg->port_min + 1;
	return n;
}

void vsw_nat_destroy(struct vsw_nat *n)
{
	if (n == NULL)
		return;
	rte_hash_free(n->h_out);
	rte_hash_free(n->h_in);
	rte_hash_free(n->h_map);
	rte_free(n->sess);
	rte_free(n->maps);
	free(n->fwd);
	rte_free(n);
}

/* --- control thread --- */

static bool fwd_valid(const struct vsw_nat *n, const struct vsw_nat_forward *f)
{
	return (f->proto == NAT_P_TCP || f->proto == NAT_P_UDP) && f->ext_port != 0 &&
	       f->to_port != 0 && inside_host(n, f->to_addr);
}

int vsw_nat_forwards_swap(struct vsw_nat *n, const struct vsw_nat_forward *fw, unsigned int nfw,
			  void **old)
{
	if (nfw > NAT_MAX_FWD)
		return -1;
	struct nat_fwd_tab *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -1;
	for (unsigned int i = 0; i < nfw; i++) {
		uint64_t *bm = t->ports[proto_idx(fw[i].proto)];
		if (!fwd_valid(n, &fw[i]) || bit_get(bm, fw[i].ext_port)) {
			free(t);
			return -1; /* invalid or a duplicate */
		}
		bm[fw[i].ext_port >> 6] |= 1ull << (fw[i].ext_port & 63);
		t->fw[i] = fw[i];
	}
	t->n = nfw;
	*old = __atomic_exchange_n(&n->fwd, t, __ATOMIC_ACQ_REL);
	return 0;
}

void vsw_nat_forwards_free(void *old)
{
	free(old);
}

unsigned int vsw_nat_forwards(const struct vsw_nat *n, struct vsw_nat_forward *out,
			      unsigned int max)
{
	const struct nat_fwd_tab *t = fwd_cur(n);
	unsigned int c = 0;
	for (; t != NULL && c < t->n && c < max; c++)
		out[c] = t->fw[c];
	return c;
}

/* A consistent copy of entry s, retried while the worker writes it; false
 * (the entry left out of this listing) if the worker stays inside the
 * write, e.g. preempted there, or interrupted by this very reader. */
static bool sess_read(const struct nat_sess *s, struct nat_sess *copy)
{
	for (unsigned int tries = 0; tries < 4096; tries++) {
		uint32_t a = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (a & 1) {
			rte_pause();
			continue;
		}
		memcpy(copy, (const void *)s, sizeof(*copy));
		rte_smp_rmb();
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == a)
			return true;
	}
	return false;
}

static void info_fill(const struct vsw_nat *n, const struct nat_sess *s,
		      struct vsw_nat_session_info *o, uint64_t now)
{
	uint64_t idle = now > s->last_ms ? now - s->last_ms : 0;
	uint64_t tmo = sess_tmo(n, s);
	*o = (struct vsw_nat_session_info){
		.proto = s->proto,
		.in_addr = s->in_addr, .in_port = s->in_port,
		.ext_addr = n->cfg.ext_addr, .ext_port = s->ext_port,
		.rem_addr = s->rem_addr, .rem_port = s->rem_port,
		.forwarded = (s->flags & NF_FWD) != 0,
		.state = state_names[s->state],
		.packets_out = s->pkts_out, .packets_in = s->pkts_in,
		.idle_ms = (uint32_t)RTE_MIN(idle, (uint64_t)UINT32_MAX),
		.expires_in_ms = (uint32_t)RTE_MIN(idle < tmo ? tmo - idle : 0,
						   (uint64_t)UINT32_MAX),
	};
	memcpy(o->in_mac, s->mac, sizeof(o->in_mac));
}

unsigned int vsw_nat_sessions(const struct vsw_nat *n, struct vsw_nat_session_info *out,
			      unsigned int max, uint64_t now_ms)
{
	unsigned int c = 0;
	for (uint32_t i = 0; i < n->cap && c < max; i++) {
		struct nat_sess s;
		if (sess_read(&n->sess[i], &s) && s.state != NS_FREE && s.state < NS__MAX)
			info_fill(n, &s, &out[c++], now_ms);
	}
	return c;
}

unsigned int vsw_nat_session_count(const struct vsw_nat *n)
{
	return __atomic_load_n(&n->nsess, __ATOMIC_RELAXED);
}

void vsw_nat_get_stats(const struct vsw_nat *n, struct vsw_nat_stats *out)
{
	memcpy(out, (const void *)&n->st, sizeof(*out));
}
