/* What nat.c and nat_xlate.c share: the parsed view of an IPv4 packet (the
 * flow it belongs to, found without trusting a byte of it) and the in-place
 * rewrite of one side of it. Not part of the module's interface. */
#ifndef VSW_NAT_NAT_XLATE_H
#define VSW_NAT_NAT_XLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "nat/nat_verdict.h"

#define NAT_P_ICMP 1
#define NAT_P_TCP 6
#define NAT_P_UDP 17

#define NAT_ICMP_ECHO_REPLY 0
#define NAT_ICMP_ECHO 8

#define NAT_TCP_FIN 0x01
#define NAT_TCP_SYN 0x02
#define NAT_TCP_RST 0x04
#define NAT_TCP_ACK 0x10

enum nat_kind {
	NK_FLOW,  /* TCP, UDP or ICMP echo: the flow is the packet's own */
	NK_ERROR, /* ICMP error: the flow is the quoted (inner) packet's */
};

struct nat_pkt {
	uint8_t *ip, *l4;     /* outer IPv4 header (IHL 5) and what follows */
	uint32_t l4_len;      /* up to the IP total length */
	uint8_t *iip, *il4;   /* NK_ERROR: the quoted header and its L4 bytes */
	uint32_t il4_len;     /* >= 8, bounded by the outer packet */
	uint32_t osrc, odst;  /* outer addresses, host order */
	uint32_t src, dst;    /* the flow's addresses (inner ones for NK_ERROR) */
	uint16_t sport, dport; /* the flow's ports; ICMP echo: the id in both */
	uint8_t proto;        /* the flow's protocol */
	uint8_t kind;
	uint8_t icmp_type;    /* outer ICMP type (when the outer protocol is ICMP) */
	uint8_t tcp_flags;    /* NK_FLOW TCP only */
	uint8_t ttl;
};

/* Rewrites the flow's source side (src_side: outer source address and the
 * source port/id) or destination side to addr/port, decrements the TTL and
 * updates every checksum that covers what changed. For NK_ERROR the outer
 * address on that side and the inner packet's opposite side are rewritten
 * (the quoted packet went the other way). partial: the TCP/UDP checksum
 * field holds a pseudo-header partial sum (checksum offload). */
void nat_xlate(const struct nat_pkt *p, bool src_side, uint32_t addr, uint16_t port,
	       bool partial);

static inline uint16_t nat_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static inline uint16_t nat_rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t nat_rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline void nat_wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void nat_wr32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

#endif
