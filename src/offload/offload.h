/* Owns packet offloads done in software, on mbufs, for receivers that cannot
 * take a partial checksum or a TSO frame: finding a frame's headers without
 * trusting it (parse.c), completing partial L4 checksums (csum.c) and TCP
 * segmentation (tso.c), and sending to a receiver that takes only some
 * offloads (send.c). Virtio-agnostic and hot-path safe: no syscalls, no
 * locks, no allocation except mbufs from the pool a caller passes in.
 *
 * Conventions (DPDK's and Linux's): a partial L4 checksum has ol_flags
 * TX_TCP_CKSUM or TX_UDP_CKSUM, TX_IPV4 or TX_IPV6, l2_len/l3_len(/l4_len)
 * set and the pseudo-header checksum in the L4 checksum field. A TSO frame
 * has TX_TCP_SEG and tso_segsz = MSS. */
#ifndef VSW_OFFLOAD_H
#define VSW_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

/* What the functions below return on failure (0 is success). */
enum vsw_off_err {
	VSW_OFF_ETRUNC = -1,	 /* the frame ends before a header or field it needs */
	VSW_OFF_EMALFORMED = -2, /* a header field is impossible, or headers are too long/many */
	VSW_OFF_ENOTTCP = -3,	 /* segmentation asked for a frame that is not TCP over IP */
	VSW_OFF_EUNSUPP = -4,	 /* offload flags this module cannot honour (SCTP, TSO to csum) */
	VSW_OFF_ESHARED = -5,	 /* an mbuf to write into is shared (refcnt, indirect) */
	VSW_OFF_ETOOBIG = -6,	 /* a segment would not fit one mbuf of the pool */
	VSW_OFF_ETOOMANY = -7,	 /* more segments than the caller has room for */
	VSW_OFF_ENOMBUF = -8,	 /* the pool ran dry */
};

/* A short name for rc (a VSW_OFF_E* code or 0), for logs and counters. */
const char *vsw_off_strerror(int rc);

/* Headers are looked for in the frame's first VSW_OFF_HDR_MAX bytes:
 * 2 VLAN tags + IPv6 + 256 bytes of extension headers + TCP with options. */
#define VSW_OFF_HDR_MAX 384u
#define VSW_OFF_VLAN_MAX 2u
#define VSW_OFF_EXT_MAX 8u	    /* IPv6 extension headers walked */
#define VSW_OFF_EXT_BYTES_MAX 256u /* their total length */

/* Where a frame's headers are, as far as offloads care. */
struct vsw_l4_hdrs {
	uint16_t l2_len;   /* Ethernet + VLAN tags (0x8100/0x88a8, up to 2) */
	uint16_t l3_len;   /* IPv4 header with options; IPv6 header + extension headers
			      (hop-by-hop, routing, destination options, fragment) */
	uint16_t l4_len;   /* TCP header with options, UDP 8; 0 for other protocols and fragments */
	uint8_t ipv;	   /* 4 or 6; 0: not IP */
	uint8_t proto;	   /* IP protocol / IPv6 next header after the extension headers */
	bool fragment;	   /* IPv4 MF/offset or an IPv6 fragment header: no L4 header parsed */
	uint32_t l3_total; /* where the IP packet ends (l2_len + its length): the frame's real
			      end, Ethernet padding may follow; pkt_len when not IP */
};

/* Parses m's headers without trusting anything in the frame: returns 0, or
 * VSW_OFF_ETRUNC (headers or IP length beyond the frame, L4 header beyond
 * the IP end) or VSW_OFF_EMALFORMED (IP version wrong, IHL < 5, IP total
 * length below the header, TCP data offset < 5, a third VLAN tag, more than
 * VSW_OFF_EXT_MAX / VSW_OFF_EXT_BYTES_MAX of IPv6 extension headers). Reads
 * only within m's chain (it trusts the chain's pkt_len/data_len). */
int vsw_off_parse(const struct rte_mbuf *m, struct vsw_l4_hdrs *h);
/* The same on a frame of pkt_len bytes whose first len bytes are at p (a
 * copy: the headers are looked for in its first min(len, pkt_len,
 * VSW_OFF_HDR_MAX) bytes; headers beyond them are VSW_OFF_EMALFORMED, as
 * beyond VSW_OFF_HDR_MAX for vsw_off_parse). For frames not in an mbuf
 * (src/vring's look at a guest's frame in place). */
int vsw_off_parse_buf(const uint8_t *p, uint32_t len, uint32_t pkt_len, struct vsw_l4_hdrs *h);

/* Fills m's ol_flags TX_IPV4/TX_IPV6 (other flags untouched), l2_len,
 * l3_len and l4_len from h. */
void vsw_off_set_meta(struct rte_mbuf *m, const struct vsw_l4_hdrs *h);

/* The final L4 checksum of a frame with a partial one (ol_flags TCP/UDP_CKSUM,
 * IPV4/IPV6, lens set, pseudo-header sum in the field), computed from
 * l2_len + l3_len to the IP end (IP's length, not Ethernet padding; never past
 * the frame) with the field's current value included, as hardware does. UDP:
 * 0 becomes 0xffff. Does not modify m. Returns the value to store as is (it is
 * in network order). */
uint16_t vsw_off_l4_csum(const struct rte_mbuf *m);

/* Offset in the frame of the L4 checksum field (l2+l3+16 for TCP, +6 for UDP). */
uint32_t vsw_off_l4_csum_offset(const struct rte_mbuf *m);

/* Completes the partial L4 checksum in place and, with TX_IP_CKSUM and
 * TX_IPV4, the IPv4 header checksum; then clears TX_L4_MASK and TX_IP_CKSUM.
 * 0, or VSW_OFF_ETRUNC (field beyond the IP end), VSW_OFF_ESHARED (the
 * segment holding a field is shared), VSW_OFF_EUNSUPP (SCTP, or TX_TCP_SEG:
 * a TSO frame must be segmented). A frame without checksum flags is left
 * alone (0). */
int vsw_off_csum_complete(struct rte_mbuf *m);

/* Completes a generic virtio partial checksum: the 16-bit ones' complement
 * sum from start to the end of the frame (field included), complemented,
 * stored at start + offset (0 stored as 0xffff, as Linux does). 0, or
 * VSW_OFF_ETRUNC (field not in m), VSW_OFF_ESHARED. ol_flags untouched. */
int vsw_off_csum_generic(struct rte_mbuf *m, uint32_t start, uint32_t offset);

/* Segments a TSO frame (tso_segsz = MSS; TCP over IPv4 or IPv6) into frames
 * of at most MSS payload bytes, each copied into one new single-segment mbuf
 * from mp. The frame is parsed again (m's l2/l3/l4_len are not trusted) and
 * each segment's pseudo-header is computed from its IP header, so the TCP
 * checksum field of m may hold either convention (length 0 as DPDK, full
 * length as Linux guests send; for IPv6 the header's destination is used, a
 * routing header's final destination is not looked for). Each segment: headers copied; IPv4 total
 * length, identification (m's + i, wrapping) and header checksum; IPv6
 * payload length; TCP sequence number advanced; FIN and PSH only on the last,
 * CWR only on the first; the TCP checksum complete (full = true, ol_flags
 * offload bits cleared) or the segment's pseudo-header sum with ol_flags
 * TX_TCP_CKSUM + TX_IPV4/IPV6 (full = false). l2/l3/l4_len are set in both
 * modes. Ethernet padding after the IP end is not payload. A frame whose
 * payload fits one segment (or is empty) gives one segment. Returns the count
 * written to out, or VSW_OFF_ETRUNC/EMALFORMED (parse, tso_segsz 0),
 * VSW_OFF_ENOTTCP (not TCP over IP, or a fragment), VSW_OFF_ETOOMANY (more
 * than max), VSW_OFF_ETOOBIG (headers + a segment's payload beyond the pool's
 * data room), VSW_OFF_ENOMBUF (nothing allocated then). m is neither modified
 * nor freed. */
int vsw_off_tso_segment(const struct rte_mbuf *m, struct rte_mempool *mp, struct rte_mbuf **out,
			uint16_t max, bool full);

/* Offloads a receiver takes as they are (a guest's GUEST_* features). */
#define VSW_OFF_CSUM 1 /* partial checksums */
#define VSW_OFF_TSO4 2 /* TCP/IPv4 frames larger than the MTU, for it to segment */
#define VSW_OFF_TSO6 4
#define VSW_OFF_ECN 8  /* ... with CWR set */

/* The mbuf offload flags vsw uses for frames that carry work for their receiver. */
#define VSW_TX_OFFLOADS (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)

/* What a frame asks of its receiver, as VSW_OFF_* bits (0 for most). */
static inline uint8_t vsw_off_needs(const struct rte_mbuf *m)
{
	uint64_t ol = m->ol_flags;
	if (likely(!(ol & VSW_TX_OFFLOADS)))
		return 0;
	uint8_t need = VSW_OFF_CSUM;
	if (ol & RTE_MBUF_F_TX_TCP_SEG) {
		need |= (ol & RTE_MBUF_F_TX_IPV6) ? VSW_OFF_TSO6 : VSW_OFF_TSO4;
		uint32_t at = (uint32_t)m->l2_len + m->l3_len + 13; /* TCP flags */
		if (m->data_len > at && (*rte_pktmbuf_mtod_offset(m, const uint8_t *, at) & RTE_TCP_CWR_FLAG))
			need |= VSW_OFF_ECN;
	}
	return need;
}

/* The largest frame m puts on a wire: a TSO frame's segments, not itself. */
static inline uint32_t vsw_wire_len(const struct rte_mbuf *m)
{
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		return (uint32_t)m->l2_len + m->l3_len + m->l4_len + m->tso_segsz;
	return m->pkt_len;
}

/* At most this many segments from one TSO frame (64 KB at an MSS of 1,024+). */
#define VSW_OFF_MAX_SEGS 64

/* Sends up to n frames; returns how many it took, a prefix. */
typedef uint16_t (*vsw_off_send_fn)(void *ctx, struct rte_mbuf **pkts, uint16_t n);
/* Sends pkts through send, doing first in software what the receiver does
 * not take as it is (can: VSW_OFF_* bits): a TSO frame is segmented (each
 * segment's checksum finished unless can has VSW_OFF_CSUM), a partial
 * checksum is finished (in a copy when m is shared). Returns how many of
 * pkts went, a prefix; a frame counts once however many segments it made.
 * takes: send takes ownership of what it sends (an ethdev); then the frames
 * counted as sent are no longer the caller's, and the rest still are. Else
 * (a guest's queue, which copies) pkts all stay the caller's. */
uint16_t vsw_off_send(struct rte_mbuf **pkts, uint16_t n, uint8_t can, struct rte_mempool *mp,
		      bool takes, vsw_off_send_fn send, void *ctx);

#endif
