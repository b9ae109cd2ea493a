/* Owns the packet side of the NAT: parsing an IPv4 packet (and, for an ICMP
 * error, the header it quotes) from untrusted bytes, and rewriting one side
 * of it in place with every checksum updated incrementally (RFC 1624
 * eqn. 3: HC' = ~(~HC + ~m + m')). Multi-byte fields are read big-endian
 * byte by byte: the packet may sit at any alignment. */
#include <stddef.h>

#include "nat/nat_xlate.h"

#define IP_HLEN 20u
#define ICMP_HLEN 8u
#define QUOTE_L4 8u /* what an ICMP error quotes at least past the IP header */

/* --- ones'-complement arithmetic --- */

static inline uint16_t fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* ~m + m' of one 16-bit word */
static inline uint32_t d16(uint16_t o, uint16_t n)
{
	return (uint32_t)(uint16_t)~o + n;
}

static inline uint32_t d32(uint32_t o, uint32_t n)
{
	return d16((uint16_t)(o >> 16), (uint16_t)(n >> 16)) + d16((uint16_t)o, (uint16_t)n);
}

static uint32_t sum_hdr(const uint8_t *b)
{
	uint32_t s = 0;
	for (unsigned int i = 0; i < IP_HLEN; i += 2)
		s += nat_rd16(b + i);
	return s;
}

/* Writes v and returns the change as a ones'-complement difference, which is
 * what every checksum covering the field must absorb. */
static inline uint32_t set16(uint8_t *f, uint16_t v)
{
	uint16_t o = nat_rd16(f);
	nat_wr16(f, v);
	return d16(o, v);
}

static inline uint32_t set32(uint8_t *f, uint32_t v)
{
	uint32_t o = nat_rd32(f);
	nat_wr32(f, v);
	return d32(o, v);
}

/* A complemented checksum field absorbs delta; returns its own change (for
 * a checksum that covers this field in turn: ICMP over a quoted packet). */
static inline uint32_t csum_upd(uint8_t *f, uint32_t delta)
{
	uint16_t o = nat_rd16(f);
	uint16_t n = (uint16_t)~fold((uint32_t)(uint16_t)~o + fold(delta));
	nat_wr16(f, n);
	return d16(o, n);
}

/* TCP/UDP checksum field. A UDP zero means "no checksum" and stays; a UDP
 * result of zero is sent as 0xffff (RFC 768). A partial (pseudo-header)
 * sum is not complemented and covers only the addresses: the ports enter
 * the sum the device or the guest's stack completes later. */
static uint32_t l4_csum(uint8_t *f, uint32_t addr_d, uint32_t port_d, bool partial, bool udp)
{
	uint16_t o = nat_rd16(f);
	uint16_t n;
	if (partial) {
		n = fold((uint32_t)o + fold(addr_d));
	} else {
		if (udp && o == 0)
			return 0;
		n = (uint16_t)~fold((uint32_t)(uint16_t)~o + fold(addr_d + port_d));
		if (udp && n == 0)
			n = 0xffff;
	}
	nat_wr16(f, n);
	return d16(o, n);
}

/* --- parsing --- */

static void flow_ports(const uint8_t *l4, uint8_t proto, struct nat_pkt *p)
{
	if (proto == NAT_P_ICMP) {
		p->sport = p->dport = nat_rd16(l4 + 4);
	} else {
		p->sport = nat_rd16(l4);
		p->dport = nat_rd16(l4 + 2);
	}
}

static bool icmp_is_echo(uint8_t type)
{
	return type == NAT_ICMP_ECHO || type == NAT_ICMP_ECHO_REPLY;
}

static bool icmp_is_error(uint8_t type)
{
	return type == 3 || type == 11 || type == 12;
}

/* The quoted packet of an ICMP error: a plain 20-byte header (we never send
 * options) and at least 8 bytes of a TCP/UDP/echo header. */
static enum vsw_nat_verdict parse_quote(struct nat_pkt *p)
{
	uint32_t avail = p->l4_len - ICMP_HLEN;
	uint8_t *iip = p->l4 + ICMP_HLEN;
	if (avail < IP_HLEN)
		return VSW_NAT_TRUNCATED;
	if (iip[0] != 0x45)
		return VSW_NAT_BAD_HEADER;
	if (avail < IP_HLEN + QUOTE_L4)
		return VSW_NAT_TRUNCATED;
	if (nat_rd16(iip + 6) & 0x1fff)
		return VSW_NAT_FRAGMENT; /* no ports to find the flow by */
	uint8_t proto = iip[9];
	uint8_t *il4 = iip + IP_HLEN;
	if (proto != NAT_P_TCP && proto != NAT_P_UDP &&
	    !(proto == NAT_P_ICMP && icmp_is_echo(il4[0])))
		return VSW_NAT_PROTO;
	p->kind = NK_ERROR;
	p->iip = iip;
	p->il4 = il4;
	p->il4_len = avail - IP_HLEN;
	p->proto = proto;
	p->src = nat_rd32(iip + 12);
	p->dst = nat_rd32(iip + 16);
	flow_ports(il4, proto, p);
	return VSW_NAT_OK;
}

static enum vsw_nat_verdict parse_icmp(struct nat_pkt *p)
{
	if (p->l4_len < ICMP_HLEN)
		return VSW_NAT_TRUNCATED;
	p->icmp_type = p->l4[0];
	if (icmp_is_error(p->icmp_type))
		return parse_quote(p);
	if (!icmp_is_echo(p->icmp_type))
		return VSW_NAT_PROTO;
	flow_ports(p->l4, NAT_P_ICMP, p);
	return VSW_NAT_OK;
}

static enum vsw_nat_verdict parse_l4(struct nat_pkt *p)
{
	p->kind = NK_FLOW;
	p->src = p->osrc;
	p->dst = p->odst;
	switch (p->proto) {
	case NAT_P_TCP:
		if (p->l4_len < 20)
			return VSW_NAT_TRUNCATED;
		p->tcp_flags = p->l4[13];
		flow_ports(p->l4, NAT_P_TCP, p);
		return VSW_NAT_OK;
	case NAT_P_UDP:
		if (p->l4_len < 8)
			return VSW_NAT_TRUNCATED;
		flow_ports(p->l4, NAT_P_UDP, p);
		return VSW_NAT_OK;
	case NAT_P_ICMP:
		return parse_icmp(p);
	default:
		return VSW_NAT_PROTO;
	}
}

enum vsw_nat_verdict nat_parse(uint8_t *ip, uint32_t len, struct nat_pkt *p)
{
	if (len < IP_HLEN)
		return VSW_NAT_TRUNCATED;
	uint8_t vi = ip[0];
	if ((vi >> 4) != 4 || (vi & 15) != 5) /* IHL < 5, or options */
		return VSW_NAT_BAD_HEADER;
	uint16_t tot = nat_rd16(ip + 2);
	if (tot < IP_HLEN)
		return VSW_NAT_BAD_HEADER;
	if (tot > len)
		return VSW_NAT_TRUNCATED;
	if (fold(sum_hdr(ip)) != 0xffff)
		return VSW_NAT_BAD_CHECKSUM;
	if (nat_rd16(ip + 6) & 0x3fff) /* MF or an offset */
		return VSW_NAT_FRAGMENT;
	p->ip = ip;
	p->l4 = ip + IP_HLEN;
	p->l4_len = tot - IP_HLEN;
	p->ttl = ip[8];
	p->proto = ip[9];
	p->osrc = nat_rd32(ip + 12);
	p->odst = nat_rd32(ip + 16);
	return parse_l4(p);
}

/* --- rewriting --- */

/* The port (echo id) on one side of a TCP/UDP/ICMP header and its checksum;
 * returns the ones'-complement change of all the header's words (for the
 * checksum of an ICMP error quoting it). avail: bytes present. */
static uint32_t xlate_l4(uint8_t *l4, uint32_t avail, uint8_t proto, bool src_side,
			 uint32_t addr_d, uint16_t port, bool partial)
{
	uint32_t pd;
	switch (proto) {
	case NAT_P_TCP:
		pd = set16(l4 + (src_side ? 0 : 2), port);
		if (avail < 18)
			return pd; /* a quote cut before the checksum */
		return pd + l4_csum(l4 + 16, addr_d, pd, partial, false);
	case NAT_P_UDP:
		pd = set16(l4 + (src_side ? 0 : 2), port);
		return pd + l4_csum(l4 + 6, addr_d, pd, partial, true);
	default: /* ICMP echo: no pseudo-header; the id is both sides' "port" */
		pd = set16(l4 + 4, port);
		return pd + csum_upd(l4 + 2, pd);
	}
}

/* The quoted packet's side (its IP header, its checksum, its L4 header) and
 * the error's own ICMP checksum, which covers all of them. */
static void xlate_quote(const struct nat_pkt *p, bool src_side, uint32_t addr, uint16_t port)
{
	uint32_t ad = set32(p->iip + (src_side ? 12 : 16), addr);
	uint32_t icmp_d = ad + csum_upd(p->iip + 10, ad);
	icmp_d += xlate_l4(p->il4, p->il4_len, p->proto, src_side, ad, port, false);
	csum_upd(p->l4 + 2, icmp_d);
}

void nat_xlate(const struct nat_pkt *p, bool src_side, uint32_t addr, uint16_t port,
	       bool partial)
{
	uint8_t *ip = p->ip;
	uint32_t ad = set32(ip + (src_side ? 12 : 16), addr);
	uint16_t ttl_proto = nat_rd16(ip + 8);
	ip[8] = (uint8_t)(ip[8] - 1);
	csum_upd(ip + 10, ad + d16(ttl_proto, nat_rd16(ip + 8)));
	if (p->kind == NK_ERROR)
		xlate_quote(p, !src_side, addr, port);
	else
		xlate_l4(p->l4, p->l4_len, p->proto, src_side, ad, port, partial);
}
