/* Owns the rewriting side of the NAT's packets: one side of a parsed packet
 * (nat_parse.h) rewritten in place with every checksum updated
 * incrementally (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')). Multi-byte
 * fields are read big-endian byte by byte: the packet may sit at any
 * alignment. */
#include <stddef.h>

#include "nat/nat_xlate.h"


/* --- ones'-complement arithmetic --- */

/* ~m + m' of one 16-bit word */
static inline uint32_t d16(uint16_t o, uint16_t n)
{
	return (uint32_t)(uint16_t)~o + n;
}

static inline uint32_t d32(uint32_t o, uint32_t n)
{
	return d16((uint16_t)(o >> 16), (uint16_t)(n >> 16)) + d16((uint16_t)o, (uint16_t)n);
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
	uint16_t n = (uint16_t)~nat_fold((uint32_t)(uint16_t)~o + nat_fold(delta));
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
		n = nat_fold((uint32_t)o + nat_fold(addr_d));
	} else {
		if (udp && o == 0)
			return 0;
		n = (uint16_t)~nat_fold((uint32_t)(uint16_t)~o + nat_fold(addr_d + port_d));
		if (udp && n == 0)
			n = 0xffff;
	}
	nat_wr16(f, n);
	return d16(o, n);
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
