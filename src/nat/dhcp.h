/* The DHCP server of a NAT network (RFC 2131, options of RFC 2132): it owns
 * the address pool between range_start and range_end, the leases (offered,
 * bound, declined), static leases by MAC, and the lease file that keeps them
 * across a vswd restart. It reads whole Ethernet frames a guest sent (as
 * untrusted input: every length and option checked) and writes whole reply
 * frames; it knows nothing of ports, mbufs or rings. It runs on the control
 * thread (it writes the lease file), never on a worker. */
#ifndef VSW_NAT_DHCP_H
#define VSW_NAT_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define VSW_DHCP_MAX_DNS 3
#define VSW_DHCP_MAX_STATIC 64
#define VSW_DHCP_MAX_LEASES 4096 /* addresses a pool may hold */
#define VSW_DHCP_FRAME_MAX 1514  /* the longest reply frame written */

struct vsw_dhcp_static {
	uint8_t mac[6];
	uint32_t ip; /* host byte order; inside the subnet, may be outside the range */
};

/* All addresses in host byte order. */
struct vsw_dhcp_cfg {
	uint32_t server_ip;   /* the gateway: server identifier and router option */
	uint8_t prefix_len;   /* of the subnet; 8..30 */
	uint32_t range_start, range_end; /* inclusive; at most VSW_DHCP_MAX_LEASES */
	uint32_t dns[VSW_DHCP_MAX_DNS];
	unsigned int ndns;    /* 0: no DNS option */
	uint32_t lease_s;     /* lease time handed out; renewal T1 = 1/2, T2 = 7/8 of it */
	uint16_t mtu;         /* interface MTU option (26); 0: not sent */
	uint8_t server_mac[6]; /* source MAC of replies */
	struct vsw_dhcp_static statics[VSW_DHCP_MAX_STATIC];
	unsigned int nstatics;
	/* Called when an address becomes bound to a MAC (bound true: ACK) or
	 * stops being bound (false: release, decline, expiry, NAK of a lease
	 * that moved); may be NULL. The NAT gateway uses it to know which
	 * source addresses each MAC may use. */
	void (*on_bind)(void *ctx, const uint8_t mac[6], uint32_t ip, bool bound);
	void *ctx;
};

enum vsw_dhcp_lease_state { VSW_LEASE_OFFERED, VSW_LEASE_BOUND, VSW_LEASE_DECLINED };

struct vsw_dhcp_lease {
	uint8_t mac[6];
	uint32_t ip;
	enum vsw_dhcp_lease_state state;
	bool is_static;
	time_t expires;     /* wall clock (CLOCK_REALTIME seconds) */
	char hostname[64];  /* option 12 as the client sent it, printable ASCII only; may be "" */
};

/* What happened to the messages given to vsw_dhcp_input; the control
 * socket shows them. */
struct vsw_dhcp_stats {
	uint64_t discover, request, release, decline, inform;
	uint64_t offer, ack, nak;
	uint64_t not_dhcp;       /* a frame that is not a BOOTREQUEST to port 67 (ignored) */
	uint64_t malformed;      /* truncated, bad lengths, hlen/htype wrong, option overflow,
				    no end option, bad IP header: dropped */
	uint64_t relayed;        /* giaddr set: relays are not served, dropped */
	uint64_t pool_exhausted; /* a DISCOVER found no free address */
	uint64_t other_server;   /* REQUEST naming another server: lease offer withdrawn */
	uint64_t file_errors;    /* the lease file could not be written */
};

struct vsw_dhcp;

/* Makes the server; loads lease_file if it exists (leases outside the range
 * and not static, or expired, are left out; a malformed file is an error,
 * so a bad file never silently loses every lease) and writes it back after
 * every change of a bound lease. lease_file may be NULL: nothing kept.
 * Returns NULL with a message in err on a bad cfg or lease file. */
struct vsw_dhcp *vsw_dhcp_create(const struct vsw_dhcp_cfg *cfg, const char *lease_file,
				 time_t now, char *err, size_t errlen);
void vsw_dhcp_destroy(struct vsw_dhcp *d);

/* One Ethernet frame from the inside, untrusted. If it is a DHCP client
 * message (IPv4, UDP to port 67, BOOTREQUEST, htype 1 hlen 6), it is
 * handled and the reply frame (Ethernet + IPv4 + UDP + DHCP; to broadcast
 * or unicast as RFC 2131 4.1 says) is written to out. Returns the reply's
 * length, 0 when there is no reply (not DHCP, dropped, RELEASE, DECLINE,
 * or a REQUEST for another server), or -1 if cap is below
 * VSW_DHCP_FRAME_MAX. */
int vsw_dhcp_input(struct vsw_dhcp *d, const uint8_t *frame, size_t len, time_t now,
		   uint8_t *out, size_t cap);

/* Ends leases whose time is over (offers after 60 s). Call about once a second. */
void vsw_dhcp_expire(struct vsw_dhcp *d, time_t now);

/* Copies up to max leases (all states, statics included once a client took
 * them) into out; returns how many there are in all. */
unsigned int vsw_dhcp_leases(const struct vsw_dhcp *d, struct vsw_dhcp_lease *out,
			     unsigned int max);

/* The MAC an address is bound to (a bound lease or a static entry); returns
 * false if none. */
bool vsw_dhcp_lookup_ip(const struct vsw_dhcp *d, uint32_t ip, uint8_t mac[6]);

const struct vsw_dhcp_stats *vsw_dhcp_stats(const struct vsw_dhcp *d);

#endif
