/* What the DHCP server's three files share and nothing outside them sees:
 * the server's state (struct vsw_dhcp), a parsed client message, the
 * description of a reply, and the lease table's operations. */
#ifndef VSW_NAT_DHCP_PRIV_H
#define VSW_NAT_DHCP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "nat/dhcp.h"

#define VSW_DHCP_SERVER_PORT 67
#define VSW_DHCP_CLIENT_PORT 68
#define VSW_DHCP_COOKIE 0x63825363u
#define VSW_DHCP_FIXED_LEN 236u /* BOOTP message up to the options */
#define VSW_DHCP_OPT_OFF 240u	/* fixed part + magic cookie */
#define VSW_DHCP_MIN_LEN 300u	/* BOOTP minimum; older clients drop less */
#define VSW_DHCP_OFFER_S 60	/* an offer is held this long */
#define VSW_DHCP_FLAG_BROADCAST 0x8000u

enum vsw_dhcp_type {
	VSW_DHCPDISCOVER = 1,
	VSW_DHCPOFFER = 2,
	VSW_DHCPREQUEST = 3,
	VSW_DHCPDECLINE = 4,
	VSW_DHCPACK = 5,
	VSW_DHCPNAK = 6,
	VSW_DHCPRELEASE = 7,
	VSW_DHCPINFORM = 8,
};

/* A client message as parsed; addresses in host byte order. */
struct vsw_dhcp_msg {
	uint8_t type;
	uint32_t xid;
	uint16_t flags;
	uint32_t ciaddr, giaddr;
	uint8_t chaddr[6];
	bool has_req_ip, has_server_id;
	uint32_t req_ip, server_id;
	char hostname[64];
};

enum vsw_dhcp_parse_res {
	VSW_DHCP_PARSE_OK,
	VSW_DHCP_PARSE_NOT_DHCP,
	VSW_DHCP_PARSE_MALFORMED,
};

enum vsw_dhcp_parse_res vsw_dhcp_parse(const uint8_t *frame, size_t len,
				       struct vsw_dhcp_msg *m);

/* What to answer; the rest comes from the cfg and the request. */
struct vsw_dhcp_reply {
	uint8_t type;	 /* OFFER, ACK or NAK */
	uint32_t yiaddr; /* 0 for NAK and the ACK of an INFORM */
	bool lease;	 /* options 51, 58, 59 */
	bool config;	 /* options 1, 3, 6, 26 */
};

/* Writes the reply frame; returns its length, 0 if cap is too small. */
size_t vsw_dhcp_build(const struct vsw_dhcp_cfg *cfg, const struct vsw_dhcp_msg *m,
		      const struct vsw_dhcp_reply *r, uint8_t *out, size_t cap);

struct vsw_dhcp {
	struct vsw_dhcp_cfg cfg;
	uint32_t mask;
	struct vsw_dhcp_stats st;
	/* Leases, dense; removal moves the last one into the hole. */
	struct vsw_dhcp_lease *e;
	unsigned int n, cap;
	/* Per address of the range: index into e or -1, and whether a static
	 * entry keeps it from the dynamic pool. */
	int32_t *by_addr;
	uint8_t *reserved;
	uint32_t nrange;
	char *file, *tmpfile; /* NULL: no lease file */
	/* A guest's REQUEST flood must not become an fsync flood: the file is
	 * written at most once a second, a later change waits for expire(). */
	bool dirty;
	time_t saved_at;
};

static inline bool vsw_dhcp_in_subnet(const struct vsw_dhcp *d, uint32_t ip)
{
	return (ip & d->mask) == (d->cfg.server_ip & d->mask);
}

/* dhcp_leases.c: the table (all of it O(1) but find_mac, alloc and the
 * scan of statics, which are linear in the table or the range). */
int vsw_dhcp_tab_init(struct vsw_dhcp *d, char *err, size_t errlen);
void vsw_dhcp_tab_free(struct vsw_dhcp *d);
const struct vsw_dhcp_static *vsw_dhcp_static_by_mac(const struct vsw_dhcp *d,
						     const uint8_t mac[6]);
const struct vsw_dhcp_static *vsw_dhcp_static_by_ip(const struct vsw_dhcp *d, uint32_t ip);
struct vsw_dhcp_lease *vsw_dhcp_find_mac(struct vsw_dhcp *d, const uint8_t mac[6]);
struct vsw_dhcp_lease *vsw_dhcp_find_ip(const struct vsw_dhcp *d, uint32_t ip);
bool vsw_dhcp_ip_usable(const struct vsw_dhcp *d, const uint8_t mac[6], uint32_t ip);
bool vsw_dhcp_alloc(const struct vsw_dhcp *d, const uint8_t mac[6], uint32_t hint,
		    uint32_t *ip);
struct vsw_dhcp_lease *vsw_dhcp_lease_add(struct vsw_dhcp *d, const uint8_t mac[6],
					  uint32_t ip, enum vsw_dhcp_lease_state state,
					  time_t expires);
void vsw_dhcp_lease_del(struct vsw_dhcp *d, struct vsw_dhcp_lease *l);
int vsw_dhcp_file_load(struct vsw_dhcp *d, time_t now, char *err, size_t errlen);
int vsw_dhcp_file_save(struct vsw_dhcp *d);

#endif
