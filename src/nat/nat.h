/* Source NAT with connection tracking for a NAT network (RFC 4787 / 5382
 * behaviour): it owns the session table, the external port/ID allocation,
 * the port forwards (DNAT) and the translation of IPv4 packets in place
 * with checksums updated incrementally (RFC 1624). It sees IPv4 packets as
 * bytes, not frames, ports or mbufs.
 *
 * Behaviour: endpoint-independent mapping (one inside address:port keeps
 * one external port whatever the remote), address-and-port-dependent
 * filtering (a packet from outside gets in only as the reply of a session,
 * or through a forward); TCP, UDP and ICMP echo (the echo id is the
 * "port"); ICMP errors about a tracked session translated back, inner
 * header included. TTL is decremented (a packet arriving with TTL <= 1 is
 * dropped). Fragments and IP options are dropped with a counter.
 *
 * Threads: one worker (the network's gateway) calls vsw_nat_out, vsw_nat_in
 * and vsw_nat_expire; nothing there locks, allocates or makes a syscall.
 * The control thread may read sessions (vsw_nat_sessions: each entry is
 * read under its sequence counter, so a copy is never torn), counters, and
 * publish a new forward table (vsw_nat_forwards_swap; it frees the old one
 * once the worker is past it, see there). */
#ifndef VSW_NAT_NAT_H
#define VSW_NAT_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat/nat_verdict.h"

/* Defaults (seconds): RFC 5382 REQ-5 (>= 2 h 4 min established), REQ-5
 * transitory 4 min, RFC 4787 REQ-5 (UDP >= 2 min, 5 recommended), ICMP
 * (RFC 5508 >= 60 s). */
#define VSW_NAT_TCP_EST_S 7440
#define VSW_NAT_TCP_TRANS_S 240
#define VSW_NAT_UDP_S 300
#define VSW_NAT_ICMP_S 60
#define VSW_NAT_MAX_SESSIONS 65536

struct vsw_nat_cfg {
	uint32_t inside_addr;     /* the gateway's inside address, host byte order */
	uint8_t inside_len;       /* prefix length of the inside subnet */
	uint32_t ext_addr;        /* the uplink address, host byte order */
	uint32_t max_sessions;    /* > 0 */
	uint16_t port_min, port_max; /* external ports/IDs handed out (inclusive), e.g. 1024..65535 */
	uint32_t tcp_est_s, tcp_trans_s, udp_s, icmp_s; /* idle timeouts, > 0 */
	int socket;               /* NUMA socket for the tables (SOCKET_ID_ANY ok) */
};

const char *vsw_nat_verdict_name(enum vsw_nat_verdict v);

struct vsw_nat_stats {
	uint64_t out_packets, in_packets;    /* translated */
	uint64_t sessions_created, sessions_expired;
	uint64_t icmp_errors_in;             /* ICMP errors translated back */
	uint64_t drops[VSW_NAT__MAX];        /* [VSW_NAT_OK] unused */
};

struct vsw_nat_forward {
	uint8_t proto;       /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t ext_port;   /* on ext_addr; outside [port_min, port_max] is best */
	uint32_t to_addr;    /* an inside host, host byte order */
	uint16_t to_port;
};

/* A session as the control socket shows it (addresses host byte order). */
struct vsw_nat_session_info {
	uint8_t proto;
	uint32_t in_addr;  uint16_t in_port;   /* the guest */
	uint32_t ext_addr; uint16_t ext_port;  /* what the outside sees */
	uint32_t rem_addr; uint16_t rem_port;  /* the remote */
	uint8_t in_mac[6];
	bool forwarded;    /* made by a port forward */
	const char *state; /* "syn", "established", "fin", "closed", "udp", "icmp" */
	uint64_t packets_out, packets_in;
	uint32_t idle_ms, expires_in_ms;
};

struct vsw_nat;

/* Returns NULL with err set on a bad cfg or no memory. */
struct vsw_nat *vsw_nat_create(const struct vsw_nat_cfg *cfg, char *err, size_t errlen);
void vsw_nat_destroy(struct vsw_nat *n);

/* A packet from the inside: ip points at its IPv4 header, len is what the
 * frame holds from there (Ethernet padding may follow the IP packet).
 * l4_partial: the L4 checksum field holds a partial (pseudo-header) sum,
 * as with a guest's checksum offload or TSO, and is updated as such.
 * src_mac is the inside host's MAC, kept in the session to send replies to.
 * On VSW_NAT_OK the source address and port (ICMP: id) are now ext_addr's
 * and the TTL is one less. now_ms: a monotonic clock in milliseconds. */
enum vsw_nat_verdict vsw_nat_out(struct vsw_nat *n, uint8_t *ip, uint32_t len, bool l4_partial,
				 const uint8_t src_mac[6], uint64_t now_ms);

/* A packet from the uplink: translated back in place if it belongs to a
 * session or matches a forward (a new session then), ICMP errors about a
 * session included; *dst_mac is then the inside host's MAC (from the
 * session; a forward's first packet has none yet: *mac_known false and
 * the caller resolves to_addr itself). */
enum vsw_nat_verdict vsw_nat_in(struct vsw_nat *n, uint8_t *ip, uint32_t len, bool l4_partial,
				uint8_t dst_mac[6], bool *mac_known, uint64_t now_ms);

/* Ends at most budget idle sessions (looks at no more than 4 * budget
 * entries). The worker calls it between bursts. */
void vsw_nat_expire(struct vsw_nat *n, uint64_t now_ms, unsigned int budget);

/* Publishes a new forward table (copied; at most 64 entries; duplicates of
 * (proto, ext_port) are an error: returns -1). The worker sees it at its
 * next packet. The previous table is returned through *old and must be
 * freed with vsw_nat_forwards_free once no worker can be inside
 * vsw_nat_in any more (after an RCU grace period of the worker). */
int vsw_nat_forwards_swap(struct vsw_nat *n, const struct vsw_nat_forward *fw, unsigned int nfw,
			  void **old);
void vsw_nat_forwards_free(void *old);
/* Copies the current forwards; returns how many there are. Control thread. */
unsigned int vsw_nat_forwards(const struct vsw_nat *n, struct vsw_nat_forward *out,
			      unsigned int max);

/* Copies up to max live sessions into out (now_ms for idle/expiry times);
 * returns how many were copied. Safe while the worker runs. */
unsigned int vsw_nat_sessions(const struct vsw_nat *n, struct vsw_nat_session_info *out,
			      unsigned int max, uint64_t now_ms);
unsigned int vsw_nat_session_count(const struct vsw_nat *n);
/* A copy of the counters (the worker writes them; the copy may be a few
 * packets stale). */
void vsw_nat_get_stats(const struct vsw_nat *n, struct vsw_nat_stats *out);

#endif
