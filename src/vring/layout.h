/* Ring layouts from the virtio 1.2 specification (little-endian, as on the
 * hosts vsw runs on) and what split.c and packed.c share. Private to vring. */
#ifndef VSW_VRING_LAYOUT_H
#define VSW_VRING_LAYOUT_H

#include <stdint.h>

#include "common/log.h"
#include "vring/vring.h"

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_PACKED_DESC_F_AVAIL (1 << 7)
#define VRING_PACKED_DESC_F_USED (1 << 15)
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1
#define RING_EVENT_FLAGS_ENABLE 0
#define RING_EVENT_FLAGS_DISABLE 1
#define RING_EVENT_FLAGS_DESC 2

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_ECN 0x80

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* then avail_event */
};

struct vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct vring_packed_event {
	uint16_t off_wrap;
	uint16_t flags;
};

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers; /* only in the 12-byte header */
};

/* Puts the queue into the broken state: it does nothing more until it is
 * set up again. One log line per transition. */
void vsw_vq_break(struct vsw_vq *vq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Interrupts the guest if it asked for it: used index moved from old to new. */
void vsw_vq_notify_split(struct vsw_vq *vq, uint16_t old, uint16_t new_idx);
void vsw_vq_notify_packed(struct vsw_vq *vq, uint16_t old_idx, bool old_wrap, uint16_t new_idx,
			  bool new_wrap);

/* Applies a guest TX header to the packet in m; returns -1 to drop it. */
int vsw_vq_apply_tx_hdr(const struct virtio_net_hdr *h, struct rte_mbuf *m);

/* Appends len bytes at src to the packet m, chaining segments from mp as
 * needed. Returns -1 when the pool is dry. */
static inline int vsw_mbuf_append(struct rte_mbuf *m, struct rte_mbuf **last, struct rte_mempool *mp,
				  const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *seg = *last;
	while (len > 0) {
		uint16_t room = rte_pktmbuf_tailroom(seg);
		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(mp);
			if (n == NULL)
				return -1;
			seg->next = n;
			m->nb_segs++;
			seg = n;
			*last = n;
			room = rte_pktmbuf_tailroom(seg);
		}
		uint16_t c = len < room ? (uint16_t)len : room;
		rte_memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), src, c);
		seg->data_len += c;
		m->pkt_len += c;
		src += c;
		len -= c;
	}
	return 0;
}

/* Reads packet bytes for the guest: first the virtio-net header, then the
 * mbuf's segments. */
struct vsw_src_cursor {
	const uint8_t *hdr;
	uint32_t hdr_left;
	const struct rte_mbuf *seg;
	uint32_t seg_off;
	uint32_t left; /* total bytes still to copy */
};

static inline void vsw_cursor_init(struct vsw_src_cursor *c, const void *hdr, uint16_t hdr_len,
				   const struct rte_mbuf *m)
{
	c->hdr = hdr;
	c->hdr_left = hdr_len;
	c->seg = m;
	c->seg_off = 0;
	c->left = hdr_len + m->pkt_len;
}

/* Copies up to len bytes to dst; returns how many. */
static inline uint32_t vsw_cursor_copy(struct vsw_src_cursor *c, uint8_t *dst, uint32_t len)
{
	uint32_t done = 0;
	while (done < len && c->left > 0) {
		if (c->hdr_left > 0) {
			uint32_t n = RTE_MIN(c->hdr_left, len - done);
			memcpy(dst + done, c->hdr, n);
			c->hdr += n;
			c->hdr_left -= n;
			done += n;
			c->left -= n;
			continue;
		}
		while (c->seg != NULL && c->seg_off == c->seg->data_len) {
			c->seg = c->seg->next;
			c->seg_off = 0;
		}
		if (c->seg == NULL)
			break;
		uint32_t n = RTE_MIN((uint32_t)c->seg->data_len - c->seg_off, len - done);
		rte_memcpy(dst + done, rte_pktmbuf_mtod_offset(c->seg, const uint8_t *, c->seg_off), n);
		c->seg_off += n;
		done += n;
		c->left -= n;
	}
	return done;
}

#endif
