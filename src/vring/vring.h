/* The virtqueue engine: moves packets between a guest's virtio rings (split
 * or packed layout, in guest memory mapped by src/vhost_user) and DPDK mbufs,
 * as the device side of a virtio-net queue pair. It knows nothing of sockets
 * or of the switch. The guest is untrusted: every address is bounds-checked,
 * every descriptor read once, and a ring that breaks the rules puts only its
 * own queue into the broken state (with a counter and a log line). */
#ifndef VSW_VRING_H
#define VSW_VRING_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "offload/offload.h"
#include "vring/guest_mem.h"

/* Virtio feature bits the engine understands (virtio 1.2). */
#define VSW_VIRTIO_NET_F_CSUM 0
#define VSW_VIRTIO_NET_F_GUEST_CSUM 1
#define VSW_VIRTIO_NET_F_GUEST_TSO4 7
#define VSW_VIRTIO_NET_F_GUEST_TSO6 8
#define VSW_VIRTIO_NET_F_GUEST_ECN 9
#define VSW_VIRTIO_NET_F_GUEST_UFO 10
#define VSW_VIRTIO_NET_F_HOST_TSO4 11
#define VSW_VIRTIO_NET_F_HOST_TSO6 12
#define VSW_VIRTIO_NET_F_HOST_ECN 13
#define VSW_VIRTIO_NET_F_HOST_UFO 14
#define VSW_VIRTIO_NET_F_HOST_USO 56
#define VSW_VIRTIO_NET_F_MTU 3
#define VSW_VIRTIO_NET_F_MRG_RXBUF 15
#define VSW_VIRTIO_NET_F_STATUS 16
#define VSW_VIRTIO_NET_F_MQ 22
#define VSW_VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VSW_VIRTIO_F_ANY_LAYOUT 27
#define VSW_VIRTIO_RING_F_INDIRECT_DESC 28
#define VSW_VIRTIO_RING_F_EVENT_IDX 29
#define VSW_VHOST_F_LOG_ALL 26 /* vhost's: dirty logging for live migration */
#define VSW_VHOST_USER_F_PROTOCOL_FEATURES 30
#define VSW_VIRTIO_F_VERSION_1 32
#define VSW_VIRTIO_F_RING_PACKED 34
#define VSW_VIRTIO_F_IN_ORDER 35

/* Optional features the engine implements, for the backend to offer.
 * IN_ORDER: both rings consume available buffers strictly in order and
 * mark them used in that same order (one used entry each, which the spec
 * allows), so an in-order driver's cheaper paths work unchanged. */
#define VSW_VQ_FEATURES (1ull << VSW_VIRTIO_F_IN_ORDER)

#define VSW_VQ_MAX_SIZE 32768
/* How long frames may wait in an in-order guest's split TX ring so that
 * the guest frees its sent buffers a burst at a time (split.c, tx_take),
 * in microseconds: a frame waits at most twice this. */
#define VSW_TX_PARK_US 5
#define VSW_VQ_MAX_PKT (64 * 1024)

struct vsw_vq_setup {
	const struct vsw_guest_mem *mem; /* stable while the queue runs */
	uint16_t size;                   /* split: power of two; both: 1-32768 */
	bool packed;
	/* Frontend-virtual addresses (SET_VRING_ADDR). Packed: avail is the
	 * driver event suppression area, used the device's. */
	uint64_t desc_uaddr, avail_uaddr, used_uaddr;
	/* SET_VRING_BASE: split: next avail index; packed: bits 0-14 the avail
	 * index, bit 15 its wrap counter, and optionally bits 16-30 the used
	 * index and bit 31 its wrap counter (else the used side starts at the
	 * avail position). */
	uint32_t base;
	uint64_t features;    /* negotiated */
	int call_fd;          /* eventfd to interrupt the guest, -1: none */
	uint32_t max_pkt_len; /* frames above are dropped (0: VSW_VQ_MAX_PKT) */
	const char *name;     /* for log lines, e.g. "vm1 rxq0" */
	/* Dirty logging for live migration (see dirty_log.h): the bitmap
	 * (NULL: off) and its size in bytes. With log_ring the ring writes are
	 * logged too: split: the used ring at log_used_gpa (SET_VRING_ADDR's
	 * log_guest_addr); packed: the descriptors at log_desc_gpa and the
	 * device event area at log_used_gpa. */
	uint8_t *log;
	uint64_t log_size;
	bool log_ring;
	uint64_t log_used_gpa, log_desc_gpa;
};

/* Why a guest's TX virtio-net header was refused (its frame dropped). */
enum vsw_hdr_err {
	VSW_HDR_OK,
	VSW_HDR_CSUM,     /* checksum request missing (with GSO), not negotiated, or offsets outside the frame */
	VSW_HDR_GSO_SIZE, /* gso_size 0 or larger than the frame */
	VSW_HDR_GSO_TYPE, /* unknown, not negotiated, or not the frame's IP version */
	VSW_HDR_HDR_LEN,  /* hdr_len beyond the frame */
	VSW_HDR_ECN,      /* ECN without TSO, or not negotiated */
	VSW_HDR_NOT_TCP,  /* TSO on a frame that is not plain TCP over IP (or malformed) */
	VSW_HDR__MAX
};
/* Short names for counters: "csum", "gso_size", ... */
const char *vsw_hdr_err_name(int e);

struct vsw_vq_stats {
	uint64_t packets, bytes;
	uint64_t drop_no_buf;  /* enqueue: the guest had no (or too few) buffers */
	uint64_t drop_too_big; /* over max_pkt_len, or over the guest's buffer */
	uint64_t drop_bad_pkt; /* no complete virtio-net header, empty frame */
	uint64_t drop_bad_hdr[VSW_HDR__MAX]; /* refused offload requests, by reason */
	uint64_t drop_no_mbuf; /* dequeue: the mbuf pool ran dry */
	uint64_t broken;       /* times the queue was put in the broken state */
	uint64_t notifications;
};

struct vring_desc;
struct vring_avail;
struct vring_used;
struct vring_packed_desc;
struct vring_packed_event;

struct vsw_vq {
	/* Read on every burst. */
	bool packed, event_idx, mrg_rxbuf, broken;
	/* The guest may ask for checksum or segmentation in its TX headers.
	 * Without any of those features it must send zero flags and GSO_NONE
	 * (virtio 1.2, 5.1.6.2.1), so the header is not even read. */
	bool tx_offloads;
	/* What the guest takes in RX headers (VSW_OFF_CSUM, _TSO4, _TSO6, _ECN). */
	uint8_t rx_offloads;
	uint16_t size, mask, hdr_len;
	uint32_t max_pkt_len; /* the largest TX frame: 64 KB with TSO, else mtu_pkt_len */
	uint32_t mtu_pkt_len; /* the largest frame that is not a TSO frame */
	uint32_t mem_hint;
	const struct vsw_guest_mem *mem;
	int call_fd;
	/* Dirty logging is on: every guest write is marked in log (below).
	 * Read once per burst; set only at set-up. */
	bool log_on;
	/* While logging: the guest-physical addresses of the packet being
	 * received's num_buffers bytes, marked again once they are written
	 * (after the rest of the header was copied and marked: a frontend
	 * may copy the page in between). */
	uint64_t nb_gpa_lo, nb_gpa_hi;
	/* split */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail_idx, last_used_idx;
	/* Used entries from held_idx (packed: with held_wrap) to last_used_idx
	 * are written but not yet shown to the guest (enqueue_views_held):
	 * split, the used index is not stored; packed, the first one's flags
	 * (held_flags, at held_pos) are not. */
	bool held, held_wrap;
	uint16_t held_idx, held_pos, held_flags;
	/* Split TX of an in-order guest (split.c, tx_take): the newest
	 * tx_park frames stay in the ring while the guest is sending, until
	 * newer ones come or tx_park_cycles after the mark (the frames before
	 * avail index tx_mark_idx had come by TSC tx_mark_tsc). tx_avail_seen:
	 * the avail index the last burst read. */
	uint16_t tx_park, tx_mark_idx, tx_avail_seen;
	uint64_t tx_mark_tsc, tx_park_cycles;
	/* packed */
	struct vring_packed_desc *pdesc;
	struct vring_packed_event *driver_event, *device_event;
	bool avail_wrap, used_wrap;
	/* Where the avail event was last put from (split, event idx). */
	uint16_t avail_event_from;
	/* used_idx at the last notification decision (event idx) */
	uint16_t signalled_used;
	bool signalled_valid;
	uint64_t features;
	struct vsw_vq_stats stats;
	char name[48];
	/* Dirty logging (live migration), as set up (vsw_vq_setup) */
	uint8_t *log;
	uint64_t log_size;
	bool log_ring;
	uint64_t log_used_gpa, log_desc_gpa;
} __rte_cache_aligned;

/* Sets the queue up on guest memory. Returns 0, or -EINVAL (bad size,
 * features) / -EFAULT (ring addresses outside guest memory). */
int vsw_vq_init(struct vsw_vq *vq, const struct vsw_vq_setup *s);

/* Guest TX -> mbufs (from mp). Returns how many packets were received. */
uint16_t vsw_vq_dequeue_burst(struct vsw_vq *vq, struct rte_mempool *mp, struct rte_mbuf **pkts,
			      uint16_t n);
/* mbufs -> guest RX. Copies; never frees the mbufs. Returns how many were
 * taken, always a prefix: pkts[ret..n-1] found no guest buffer (counted in
 * drop_no_buf). A taken packet larger than the guest's buffer is dropped
 * and counted in drop_too_big. */
uint16_t vsw_vq_enqueue_burst(struct vsw_vq *vq, struct rte_mbuf *const *pkts, uint16_t n);

/* A guest TX frame looked at where it lies, for a copy straight into
 * another guest's RX buffers (no mbuf). The bytes delivered first come from
 * our one read of them (hdrs: the Ethernet header, or for a TSO frame all
 * its headers), on which decisions are taken; the rest from guest memory.
 * A zeroed view with frame, len and eth set is a plain frame in one piece. */
#define VSW_VIEW_PIECES 20 /* Linux: the header, the linear part, 17 page fragments */
#define VSW_VIEW_HDRS 192  /* a TSO frame's L2-L4 headers, as copied and parsed */
struct vsw_vq_view {
	const uint8_t *frame; /* guest memory: the frame's first piece, after the virtio-net header */
	uint32_t len;         /* frame bytes in all, at least RTE_ETHER_HDR_LEN */
	uint16_t head;        /* split: the chain's head; packed: its buffer id */
	uint16_t ndesc;       /* packed: ring slots the chain takes */
	/* What the sender left to the receiver (VSW_OFF_* bits; 0: nothing):
	 * a partial checksum (CSUM; offsets checked inside the frame, read
	 * once) and TCP segmentation (TSO4 or TSO6, ECN with CWR set). */
	uint8_t needs;
	uint8_t nmore;     /* pieces after the first, in more[] */
	uint16_t hdrs_len; /* 0: hdrs holds the Ethernet header only; else this many bytes */
	uint16_t csum_start, csum_offset;
	uint16_t gso_size;  /* TSO: the MSS (headers: hdrs_len) */
	uint32_t first_len; /* nmore > 0: bytes at frame; else len */
	union {
		struct rte_ether_hdr eth;
		uint8_t hdrs[VSW_VIEW_HDRS];
	};
	const uint8_t *more[VSW_VIEW_PIECES - 1];
	uint32_t more_len[VSW_VIEW_PIECES - 1];
};

/* The frame's bytes delivered from v->hdrs rather than guest memory. */
static inline uint32_t vsw_view_hdrs_len(const struct vsw_vq_view *v)
{
	return v->hdrs_len ? v->hdrs_len : RTE_ETHER_HDR_LEN;
}

/* The largest frame v puts on a wire: a TSO frame's segments, not itself
 * (vsw_wire_len for views). */
static inline uint32_t vsw_view_wire_len(const struct vsw_vq_view *v)
{
	if (v->needs & (VSW_OFF_TSO4 | VSW_OFF_TSO6))
		return (uint32_t)v->hdrs_len + v->gso_size;
	return v->len;
}

static inline uint8_t vsw_vq_rx_offloads(const struct vsw_vq *vq)
{
	return vq->rx_offloads;
}

/* Looks at up to n of the guest's next TX frames in place: chains (direct
 * or indirect, split or packed) of readable descriptors, walked by the
 * rules dequeue applies, whose first holds the whole 12-byte header and
 * whose first data piece the Ethernet header, each piece inside one memory
 * region, at most VSW_VIEW_PIECES of them; a frame of 14 bytes to the MTU,
 * or to 64 KB for TSO; with no offload request, or a checksum request
 * inside the frame, or a TSO request that dequeue would take (its headers
 * parsed from a copy of at most VSW_VIEW_HDRS bytes). It stops at the
 * first other chain, which is for vsw_vq_dequeue_burst to take or to
 * refuse with a reason (peek never breaks the queue for a chain);
 * *stopped says whether there was such a chain. Consumes nothing. */
uint16_t vsw_vq_peek(struct vsw_vq *vq, struct vsw_vq_view *v, uint16_t n, bool *stopped);
/* Gives the first k peeked frames back to the guest as sent (k may be less
 * than peeked: the rest stay in the ring, to be dequeued). Nothing else may
 * touch the queue between the peek and this. */
void vsw_vq_peek_done(struct vsw_vq *vq, const struct vsw_vq_view *v, uint16_t k);
/* vsw_vq_enqueue_burst for frames in another guest's memory. */
uint16_t vsw_vq_enqueue_views(struct vsw_vq *vq, const struct vsw_vq_view *const *v, uint16_t n);
/* The same, but the frames are not shown to the guest until the calling
 * thread's vsw_vq_release_held(): the copy-once path gives the sender its
 * TX buffers back (peek_done) before the receiver sees the frames. A guest
 * that forwards what it receives on a ring as full as its TX ring would
 * otherwise find that TX ring still full of the very frames it received,
 * and drop (testpmd at ring size 256 with 512 frames in flight did). Only
 * for a queue no other thread may publish to until then (a tx queue of the
 * caller's own, or a shared one whose lock it keeps until then). Per
 * thread, at most a few queues: beyond those it publishes at once. */
uint16_t vsw_vq_enqueue_views_held(struct vsw_vq *vq, const struct vsw_vq_view *const *v,
				   uint16_t n);
void vsw_vq_release_held(void);

/* Guest notifications are decided after a full fence (the used index must
 * be visible before the guest's suppression fields are read), and draining
 * the store buffer full of writes into guest buffers is what costs. A
 * worker calls vsw_vq_notify_defer(true) once: from then on the checks of
 * split queues it publishes to are gathered, and vsw_vq_notify_flush(),
 * which it calls once per round before letting go of the queues (its RCU
 * quiescent report), does them all behind one fence. Per thread. */
void vsw_vq_notify_defer(bool on);
void vsw_vq_notify_flush(void);

/* The calling thread's guest notifications (eventfd writes to a call fd the
 * frontend also holds) are watched through slot: while the thread is inside
 * such a write the slot holds an odd number that changes with every write,
 * else 0. A frontend can make its eventfd blocking and full, so a write
 * that never returns shows as the same odd value for long; the watcher then
 * interrupts the thread with a signal that has no SA_RESTART, the write
 * fails with EINTR and that queue is put in the broken state. NULL: stop. */
void vsw_vq_watch_notifications(uint64_t *slot);

/* GET_VRING_BASE: where the device is, in the encoding of setup.base. */
uint32_t vsw_vq_get_base(const struct vsw_vq *vq);

static inline bool vsw_vq_is_broken(const struct vsw_vq *vq)
{
	return vq->broken;
}

/* Header size for these features: 12 with VERSION_1 or MRG_RXBUF, else 10. */
static inline uint16_t vsw_vq_hdr_len(uint64_t features)
{
	return (features & (1ull << VSW_VIRTIO_F_VERSION_1 | 1ull << VSW_VIRTIO_NET_F_MRG_RXBUF)) ? 12
												  : 10;
}

#endif
