/* A test-side virtio driver: plays the guest on malloc'ed "guest memory" so
 * the vring engine can be tested (and fuzzed and benchmarked) without QEMU.
 * It lays out one queue (split or packed), posts TX packets and RX buffers,
 * and reads back what the device used. Hostile tests poke its rings. */
#ifndef VSW_VRING_DRIVER_H
#define VSW_VRING_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "vring/layout.h"
#include "vring/vring.h"

#define DRV_GPA_BASE 0x40000000ull
#define DRV_UVA_BASE 0x7f0000000000ull
#define DRV_MEM_SIZE (8u << 20)

struct drv {
	struct vsw_guest_mem mem;
	uint8_t *host; /* DRV_MEM_SIZE bytes, guest-physical DRV_GPA_BASE */
	uint16_t size;
	bool packed;
	uint64_t features;
	/* split */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx, used_seen;
	/* packed */
	struct vring_packed_desc *pdesc;
	struct vring_packed_event *drv_event, *dev_event;
	uint16_t next_avail, next_used;
	bool avail_wrap, used_wrap;
	uint16_t chain_len[32768]; /* descriptors per buffer id (packed) */
	/* bookkeeping */
	uint16_t next_desc;  /* split: next free descriptor (ring of size) */
	uint64_t buf_next;   /* bump allocator for buffers and indirect tables */
	struct vsw_vq_setup setup;
	int call_fd;
};

/* Sets up memory and an empty queue; base = SET_VRING_BASE value. */
void drv_init(struct drv *d, uint16_t size, bool packed, uint64_t features, uint32_t base);
void drv_fini(struct drv *d);
/* Makes d->setup and runs vsw_vq_init; returns its result. */
int drv_start(struct drv *d, struct vsw_vq *vq);
/* The same, frames above max_pkt_len refused (0: the engine's limit). */
int drv_start_with(struct drv *d, struct vsw_vq *vq, uint32_t max_pkt_len);

/* Guest memory helpers. */
uint64_t drv_alloc(struct drv *d, uint32_t len); /* returns a gpa */
void *drv_ptr(struct drv *d, uint64_t gpa);

/* Posts a TX packet (a zeroed virtio-net header, then data) split over
 * nsegs descriptors (the header alone in the first when nsegs > 1), or in an
 * indirect table. Returns the head/buffer id. */
uint16_t drv_tx(struct drv *d, const void *data, uint32_t len, int nsegs, bool indirect);
/* The same with a header of the caller's. */
uint16_t drv_tx_hdr(struct drv *d, const struct virtio_net_hdr *h, const void *data, uint32_t len);
/* Posts one RX buffer of buflen bytes (in nsegs descriptors). Returns id. */
uint16_t drv_rx(struct drv *d, uint32_t buflen, int nsegs);
/* Posts a chain of n descriptors at addr[i] of len[i] bytes with flags[i]
 * (NEXT and the ring bits are added), or an indirect table of them. Low
 * level, for chains drv_tx does not make. Returns the head/buffer id. */
uint16_t drv_post(struct drv *d, const uint64_t *addr, const uint32_t *len,
		  const uint16_t *flags, int n, bool indirect);
/* Makes head available (split), for descriptors the test wrote itself. */
void drv_publish_head(struct drv *d, uint16_t head);

/* Pops a used element; false if none. For RX, *gpa is the buffer's address. */
bool drv_used(struct drv *d, uint16_t *id, uint32_t *len);

/* A guest that rewrites its ring while the device reads it, for the tests
 * of "a descriptor is read once, and what was checked is what is used".
 * One pass rewrites every slot of the ring (split: each descriptor's addr,
 * len, flags and next, and each avail entry; packed: addr, len and id, the
 * flags staying the driver's, which hand slots over): each field to its
 * good value ([0]) three times in four, else to one of the bad ones [1..3].
 * Split avail entries: slot j good is head j, bad ones are outside the ring,
 * and so is next always. */
struct drv_rewrite {
	uint64_t addr[4];
	uint32_t len[4];
	uint16_t flags[4];
	uint16_t id[4];
	uint32_t seed;
};
void drv_rewrite_pass(struct drv *d, struct drv_rewrite *w);
/* Passes in a tight loop on a thread of its own, until stopped. */
int drv_rewriter_start(struct drv *d, struct drv_rewrite *w);
void drv_rewriter_stop(void);
/* Or one pass between every two accesses the device makes to the ring:
 * while armed its pages are protected; each access faults, a pass runs,
 * the access is replayed alone (single step) and the pages are protected
 * again. x86-64 Linux only: drv_rewrite_traps() says whether it works.
 * Disarm before the driver touches the ring; disarming twice is fine. */
bool drv_rewrite_traps(void);
void drv_rewrite_arm(struct drv *d, struct drv_rewrite *w);
void drv_rewrite_disarm(void);

#endif
