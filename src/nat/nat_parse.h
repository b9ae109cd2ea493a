/* Owns the parsing side of the NAT's packets: an IPv4 packet (and, for an
 * ICMP error, the header it quotes) read from untrusted bytes into a
 * struct nat_pkt. Inline, for nat.c alone: called out of line, the
 * struct's fields written here and read back there stalled store
 * forwarding on every packet. */
#ifndef VSW_NAT_NAT_PARSE_H
#define VSW_NAT_NAT_PARSE_H

#include "nat/nat_xlate.h"

#define NAT_IP_HLEN 20u
#define NAT_ICMP_HLEN 8u
#define NAT_QUOTE_L4 8u /* what an ICMP error quotes at least past the IP header */

static inline uint32_t nat_sum_hdr(const uint8_t *b)
{
	uint32_t s = 0;
	for (unsigned int i = 0; i < NAT_IP_HLEN; i += 2)
		s += nat_rd16(b + i);
	return s;
}

static inline void nat_flow_ports(const uint8_t *l4, uint8_t proto, struct nat_pkt *p)
{
	if (proto == NAT_P_ICMP) {
		p->sport = p->dport = nat_rd16(l4 + 4);
	} else {
		p->sport = nat_rd16(l4);
		p->dport = nat_rd16(l4 + 2);
	}
}

static inline bool nat_icmp_is_echo(uint8_t type)
{
	return type == NAT_ICMP_ECHO || type == NAT_ICMP_ECHO_REPLY;
}

static inline bool nat_icmp_is_error(uint8_t type)
{
	return type == 3 || type == 11 || type == 12;
}

/* The quoted packet of an ICMP error: a plain 20-byte header (we never send
 * options) and at least 8 bytes of a TCP/UDP/echo header. */
static inline enum vsw_nat_verdict nat_parse_quote(struct nat_pkt *p)
{
	uint32_t avail = p->l4_len - NAT_ICMP_HLEN;
	uint8_t *iip = p->l4 + NAT_ICMP_HLEN;
	if (avail < NAT_IP_HLEN)
		return VSW_NAT_TRUNCATED;
	if (iip[0] != 0x45)
		return VSW_NAT_BAD_HEADER;
	if (avail < NAT_IP_HLEN + NAT_QUOTE_L4)
		return VSW_NAT_TRUNCATED;
	if (nat_rd16(iip + 6) & 0x1fff)
		return VSW_NAT_FRAGMENT; /* no ports to find the flow by */
	uint8_t proto = iip[9];
	uint8_t *il4 = iip + NAT_IP_HLEN;
	if (proto != NAT_P_TCP && proto != NAT_P_UDP &&
	    !(proto == NAT_P_ICMP && nat_icmp_is_echo(il4[0])))
		return VSW_NAT_PROTO;
	p->kind = NK_ERROR;
	p->iip = iip;
	p->il4 = il4;
	p->il4_len = avail - NAT_IP_HLEN;
	p->proto = proto;
	p->src = nat_rd32(iip + 12);
	p->dst = nat_rd32(iip + 16);
	nat_flow_ports(il4, proto, p);
	return VSW_NAT_OK;
}

static inline enum vsw_nat_verdict nat_parse_icmp(struct nat_pkt *p)
{
	if (p->l4_len < NAT_ICMP_HLEN)
		return VSW_NAT_TRUNCATED;
	p->icmp_type = p->l4[0];
	if (nat_icmp_is_error(p->icmp_type))
		return nat_parse_quote(p);
	if (!nat_icmp_is_echo(p->icmp_type))
		return VSW_NAT_PROTO;
	nat_flow_ports(p->l4, NAT_P_ICMP, p);
	return VSW_NAT_OK;
}

static inline enum vsw_nat_verdict nat_parse_l4(struct nat_pkt *p)
{
	p->kind = NK_FLOW;
	p->src = p->osrc;
	p->dst = p->odst;
	switch (p->proto) {
	case NAT_P_TCP:
		if (p->l4_len < 20)
			return VSW_NAT_TRUNCATED;
		p->tcp_flags = p->l4[13];
		nat_flow_ports(p->l4, NAT_P_TCP, p);
		return VSW_NAT_OK;
	case NAT_P_UDP:
		if (p->l4_len < 8)
			return VSW_NAT_TRUNCATED;
		nat_flow_ports(p->l4, NAT_P_UDP, p);
		return VSW_NAT_OK;
	case NAT_P_ICMP:
		return nat_parse_icmp(p);
	default:
		return VSW_NAT_PROTO;
	}
}

/* Checks the header (everything VSW_NAT_TRUNCATED .. VSW_NAT_PROTO in
 * nat.h says, except TTL, left to the caller so that a packet for the
 * gateway itself is not dropped for it) and fills p. */
static inline enum vsw_nat_verdict nat_parse(uint8_t *ip, uint32_t len, struct nat_pkt *p)
{
	if (len < NAT_IP_HLEN)
		return VSW_NAT_TRUNCATED;
	uint8_t vi = ip[0];
	if ((vi >> 4) != 4 || (vi & 15) != 5) /* IHL < 5, or options */
		return VSW_NAT_BAD_HEADER;
	uint16_t tot = nat_rd16(ip + 2);
	if (tot < NAT_IP_HLEN)
		return VSW_NAT_BAD_HEADER;
	if (tot > len)
		return VSW_NAT_TRUNCATED;
	if (nat_fold(nat_sum_hdr(ip)) != 0xffff)
		return VSW_NAT_BAD_CHECKSUM;
	if (nat_rd16(ip + 6) & 0x3fff) /* MF or an offset */
		return VSW_NAT_FRAGMENT;
	p->ip = ip;
	p->l4 = ip + NAT_IP_HLEN;
	p->l4_len = tot - NAT_IP_HLEN;
	p->ttl = ip[8];
	p->proto = ip[9];
	p->osrc = nat_rd32(ip + 12);
	p->odst = nat_rd32(ip + 16);
	return nat_parse_l4(p);
}

#endif
