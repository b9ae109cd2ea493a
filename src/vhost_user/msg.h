/* vhost-user message framing and validation (QEMU docs/interop/vhost-user.rst):
 * the wire layout, reading one message at a time from a non-blocking stream
 * socket together with the fds that ride along in SCM_RIGHTS, the per-request
 * payload size and fd count rules, the region table checks, and replies
 * (REPLY_ACK included). It knows nothing of device state. */
#ifndef VSW_VHOST_MSG_H
#define VSW_VHOST_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vring/guest_mem.h"

/* Request ids (front-end to back-end). */
enum vsw_vhost_req {
	VSW_VHOST_GET_FEATURES = 1,
	VSW_VHOST_SET_FEATURES = 2,
	VSW_VHOST_SET_OWNER = 3,
	VSW_VHOST_RESET_OWNER = 4,
	VSW_VHOST_SET_MEM_TABLE = 5,
	VSW_VHOST_SET_LOG_BASE = 6,
	VSW_VHOST_SET_LOG_FD = 7,
	VSW_VHOST_SET_VRING_NUM = 8,
	VSW_VHOST_SET_VRING_ADDR = 9,
	VSW_VHOST_SET_VRING_BASE = 10,
	VSW_VHOST_GET_VRING_BASE = 11,
	VSW_VHOST_SET_VRING_KICK = 12,
	VSW_VHOST_SET_VRING_CALL = 13,
	VSW_VHOST_SET_VRING_ERR = 14,
	VSW_VHOST_GET_PROTOCOL_FEATURES = 15,
	VSW_VHOST_SET_PROTOCOL_FEATURES = 16,
	VSW_VHOST_GET_QUEUE_NUM = 17,
	VSW_VHOST_SET_VRING_ENABLE = 18,
	VSW_VHOST_SEND_RARP = 19,
	VSW_VHOST_NET_SET_MTU = 20,
	VSW_VHOST_GET_MAX_MEM_SLOTS = 36,
	VSW_VHOST_ADD_MEM_REG = 37,
	VSW_VHOST_REM_MEM_REG = 38,
	VSW_VHOST_SET_STATUS = 39,
	VSW_VHOST_GET_STATUS = 40,
	VSW_VHOST_REQ_MAX = 41, /* ids at or above are unknown to us */
};

/* Protocol feature bits. */
#define VSW_VHOST_PROTO_F_MQ 0
#define VSW_VHOST_PROTO_F_LOG_SHMFD 1
#define VSW_VHOST_PROTO_F_RARP 2
#define VSW_VHOST_PROTO_F_REPLY_ACK 3
#define VSW_VHOST_PROTO_F_MTU 4
#define VSW_VHOST_PROTO_F_CONFIGURE_MEM_SLOTS 15
#define VSW_VHOST_PROTO_F_STATUS 16

/* Header flags. */
#define VSW_VHOST_VERSION 0x1u
#define VSW_VHOST_VERSION_MASK 0x3u
#define VSW_VHOST_FLAG_REPLY (1u << 2)
#define VSW_VHOST_FLAG_NEED_REPLY (1u << 3)

/* SET_VRING_KICK/CALL/ERR payload: bits 0-7 the vring, bit 8 "no fd". */
#define VSW_VHOST_VRING_IDX_MASK 0xffull
#define VSW_VHOST_VRING_NOFD (1ull << 8)

#define VSW_VHOST_HDR_SIZE 12u
/* SET_MEM_TABLE carries at most this many regions (and fds); more memory
 * comes with ADD_MEM_REG, up to VSW_MEM_MAX_REGIONS. */
#define VSW_VHOST_MEM_TABLE_MAX 8u
#define VSW_VHOST_MAX_FDS VSW_VHOST_MEM_TABLE_MAX
/* The largest payload of any request we know is a full SET_MEM_TABLE (264
 * bytes); anything longer is refused before it is read. */
#define VSW_VHOST_MAX_PAYLOAD 512u

struct vsw_vhost_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

struct vsw_vhost_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vsw_vhost_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_uaddr;
	uint64_t used_uaddr;
	uint64_t avail_uaddr;
	uint64_t log_gaddr;
};

struct vsw_vhost_region {
	uint64_t guest_phys_addr;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};

struct vsw_vhost_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vsw_vhost_region regions[VSW_VHOST_MEM_TABLE_MAX];
};

struct vsw_vhost_mem_single {
	uint64_t padding;
	struct vsw_vhost_region region;
};

struct vsw_vhost_msg {
	struct vsw_vhost_hdr hdr;
	union {
		uint64_t u64;
		struct vsw_vhost_vring_state state;
		struct vsw_vhost_vring_addr addr;
		struct vsw_vhost_mem_table mem;
		struct vsw_vhost_mem_single reg;
		uint8_t raw[VSW_VHOST_MAX_PAYLOAD];
	} payload;
	unsigned int nfds;
	int fds[VSW_VHOST_MAX_FDS]; /* -1 once a handler has taken one */
};

/* A partly received message: survives EAGAIN between readable events. */
struct vsw_vhost_rx {
	struct vsw_vhost_msg msg;
	uint32_t have; /* bytes of header + payload received so far */
};

enum {
	VSW_VHOST_RX_MSG = 1,   /* *out holds a whole message; caller owns its fds */
	VSW_VHOST_RX_AGAIN = 0, /* need more bytes; call again when readable */
	VSW_VHOST_RX_EOF = -1,  /* the peer closed (or reset) the connection */
	VSW_VHOST_RX_ERR = -2,  /* malformed framing; *why says what */
};

void vsw_vhost_rx_init(struct vsw_vhost_rx *rx);
/* Closes the fds of a partial message and forgets it. */
void vsw_vhost_rx_reset(struct vsw_vhost_rx *rx);

/* Reads at most one message from sock (non-blocking). Never reads past the
 * end of the current message, so the fds received belong to it. On ERR the
 * partial message's fds are closed and *out's hdr holds what was read of
 * the header (request id for the log line when complete, else 0). */
int vsw_vhost_msg_recv(int sock, struct vsw_vhost_rx *rx, struct vsw_vhost_msg *out,
		       const char **why);

/* Checks a whole message against the rules of its request: payload size,
 * number of fds, header flags. Returns 0, or -1 with why filled. */
int vsw_vhost_msg_check(const struct vsw_vhost_msg *m, char *why, size_t len);

/* Checks n new regions for size 0, overflow of gpa/uaddr/mmap_offset + size
 * and overlap (guest-physical or frontend-virtual) among themselves and
 * with the regions already in have (may be NULL). Returns 0 or -1 + why. */
int vsw_vhost_regions_check(const struct vsw_vhost_region *r, unsigned int n,
			    const struct vsw_guest_mem *have, char *why, size_t len);

/* Closes every fd still held by m (those no handler took). */
void vsw_vhost_msg_close_fds(struct vsw_vhost_msg *m);

/* Sends the reply to req: version 1 and the reply bit, payload of size
 * bytes. Returns 0, or -errno (a short write is -EAGAIN: the peer is not
 * reading, and the connection is dropped rather than blocking on it). */
int vsw_vhost_msg_reply(int sock, const struct vsw_vhost_msg *req, const void *payload,
			uint32_t size);
/* REPLY_ACK: u64 0 for success, nonzero for failure. */
int vsw_vhost_msg_ack(int sock, const struct vsw_vhost_msg *req, uint64_t status);

static inline bool vsw_vhost_msg_need_reply(const struct vsw_vhost_msg *m)
{
	return (m->hdr.flags & VSW_VHOST_FLAG_NEED_REPLY) != 0;
}

/* "SET_MEM_TABLE", ... or "UNKNOWN(n)" (into a static buffer; main lcore only). */
const char *vsw_vhost_req_name(uint32_t req);

#endif
