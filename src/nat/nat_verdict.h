/* What the NAT (nat.h) says of a packet: translated, or why not. Apart
 * from nat.h so the translation (nat_xlate.h) can say it without
 * depending on the session table. */
#ifndef VSW_NAT_VERDICT_H
#define VSW_NAT_VERDICT_H

/* Why vsw_nat_out / vsw_nat_in did not translate a packet. The caller
 * drops the packet on anything but VSW_NAT_OK (and for
 * VSW_NAT_NOT_MINE may do something else with it, e.g. answer a ping to the
 * address itself). */
enum vsw_nat_verdict {
	VSW_NAT_OK = 0,
	VSW_NAT_TRUNCATED,     /* shorter than its headers, or IP total length beyond the data */
	VSW_NAT_BAD_HEADER,    /* version not 4, IHL < 5, IP options, total length < IHL */
	VSW_NAT_BAD_CHECKSUM,  /* the IPv4 header checksum is wrong (L4 checksums are not
				  verified: they are updated, so a bad one stays bad) */
	VSW_NAT_TTL,           /* TTL <= 1 */
	VSW_NAT_FRAGMENT,      /* MF set or fragment offset non-zero */
	VSW_NAT_PROTO,         /* not TCP, UDP or ICMP echo/echo reply/error */
	VSW_NAT_SRC,           /* out: source not a host of the inside subnet (network,
				  broadcast, the gateway itself, or outside it) */
	VSW_NAT_TABLE_FULL,    /* out: no session could be made (table or ports exhausted) */
	VSW_NAT_NO_SESSION,    /* in: no session and no forward matches (filtered) */
	VSW_NAT_NOT_MINE,      /* in: not addressed to ext_addr */
	VSW_NAT__MAX
};

#endif
