/* Owns the module's internal helpers: sums and writes over mbuf chains as
 * if the frame were contiguous, and the parse that also hands back the
 * header bytes (for tso.c, which copies them into every segment). */
#ifndef VSW_OFFLOAD_CHAIN_H
#define VSW_OFFLOAD_CHAIN_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "offload/offload.h"

/* Like vsw_off_parse; *hdrs then points at the frame's first
 * min(pkt_len, VSW_OFF_HDR_MAX) bytes, in m or in copy. */
int vsw_off_parse_hdrs(const struct rte_mbuf *m, struct vsw_l4_hdrs *h,
		       uint8_t copy[VSW_OFF_HDR_MAX], const uint8_t **hdrs);

/* The folded, not complemented, 16-bit ones' complement sum of len bytes
 * at off, in network order as stored. Caller: off + len <= pkt_len. */
uint16_t vsw_off_chain_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len);

/* Copies len bytes to off, across segments: 0, VSW_OFF_ETRUNC or
 * VSW_OFF_ESHARED (nothing written then). */
int vsw_off_chain_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len);

static inline uint32_t vsw_off_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

static inline uint16_t vsw_off_get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline void vsw_off_put16(uint8_t *p, uint16_t host)
{
	uint16_t v = rte_cpu_to_be_16(host);
	memcpy(p, &v, sizeof(v));
}

#endif
