/* vhost-user message validation and replies (QEMU docs/interop/vhost-user.rst):
 * the per-request payload size and fd count rules, header flags, the memory
 * region checks, and writing replies (REPLY_ACK included). Framing (reading
 * a message and its SCM_RIGHTS fds) is conn.c's; device state is device.c's. */
#ifndef VSW_VHOST_MSG_H
#define VSW_VHOST_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost_user/proto.h"
#include "vring/guest_mem.h"

/* The largest payload of any request we handle is a full SET_MEM_TABLE
 * (264 bytes). */
#define VSW_VHOST_MSG_PAYLOAD_MAX 512u

/* One received message, as the handlers see it. */
struct vsw_vhost_msg {
	struct vhost_user_hdr hdr;
	union {
		uint64_t u64;
		struct vhost_user_vring_state state;
		struct vhost_user_vring_addr addr;
		struct vhost_user_memory mem;
		struct vhost_user_single_region reg;
		struct vhost_user_log log;
		uint8_t raw[VSW_VHOST_MSG_PAYLOAD_MAX];
	} payload;
	int nfds;
	int *fds; /* the caller's array; a handler that keeps fds[i] sets it to -1 */
};

/* Checks a message against the rules of its request: header version and
 * flags, payload size, number of fds. Returns 0, or -1 with why filled. */
int vsw_vhost_msg_check(const struct vsw_vhost_msg *m, char *why, size_t len);

/* Checks n new regions for size 0, overflow of gpa/uaddr/mmap_offset + size
 * and overlap (guest-physical or frontend-virtual) among themselves and
 * with the regions already in have (may be NULL), and that no more than max
 * regions result. Returns 0, or -1 with why filled. */
int vsw_vhost_regions_check(const struct vhost_user_region *r, unsigned int n,
			    const struct vsw_guest_mem *have, unsigned int max, char *why,
			    size_t len);

/* Sends the reply to req (version 1, reply bit) with size payload bytes.
 * Returns 0, or -errno; a short write is -EAGAIN: the peer is not reading,
 * and the connection is dropped rather than the control thread blocked. */
int vsw_vhost_msg_reply(int sock, const struct vsw_vhost_msg *req, const void *payload,
			uint32_t size);
/* REPLY_ACK: u64 0 for success, nonzero for failure. */
int vsw_vhost_msg_ack(int sock, const struct vsw_vhost_msg *req, uint64_t status);

static inline bool vsw_vhost_msg_need_reply(const struct vsw_vhost_msg *m)
{
	return (m->hdr.flags & VHOST_USER_NEED_REPLY) != 0;
}

/* "SET_MEM_TABLE", ... or "UNKNOWN(n)" (a static buffer: main lcore only). */
const char *vsw_vhost_req_name(uint32_t req);

#endif
