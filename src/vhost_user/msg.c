/* Owns the vhost-user message rules: per-request payload sizes and fd
 * counts, header flags, region table checks, and replies. The frontend is
 * untrusted: a rule broken here closes the connection (device.c decides). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_user/msg.h"

static const char *const req_names[VHOST_USER_MAX_REQUEST] = {
	[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
	[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
	[VHOST_USER_SET_OWNER] = "SET_OWNER",
	[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
	[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
	[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHOST_USER_SEND_RARP] = "SEND_RARP",
	[VHOST_USER_NET_SET_MTU] = "NET_SET_MTU",
	[21] = "SET_BACKEND_REQ_FD",
	[22] = "IOTLB_MSG",
	[23] = "SET_VRING_ENDIAN",
	[24] = "GET_CONFIG",
	[25] = "SET_CONFIG",
	[31] = "GET_INFLIGHT_FD",
	[32] = "SET_INFLIGHT_FD",
	[34] = "RESET_DEVICE",
	[35] = "VRING_KICK",
	[VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
	[VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
	[VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
	[VHOST_USER_SET_STATUS] = "SET_STATUS",
	[VHOST_USER_GET_STATUS] = "GET_STATUS",
};

const char *vsw_vhost_req_name(uint32_t req)
{
	static char buf[32];
	if (req < VHOST_USER_MAX_REQUEST && req_names[req] != NULL)
		return req_names[req];
	snprintf(buf, sizeof(buf), "UNKNOWN(%u)", req);
	return buf;
}

enum fd_rule {
	FDS_NONE,     /* no fd */
	FDS_VRING,    /* one, unless the payload has VHOST_USER_VRING_NOFD */
	FDS_REGIONS,  /* one per region of the table */
	FDS_ONE,      /* exactly one */
	FDS_OPTIONAL, /* zero or one (REM_MEM_REG: the spec lets frontends send one) */
};

struct rule {
	bool known;
	uint32_t size; /* exact payload size; SET_MEM_TABLE is checked apart */
	enum fd_rule fds;
};

static const struct rule rules[VHOST_USER_MAX_REQUEST] = {
	[VHOST_USER_GET_FEATURES] = { true, 0, FDS_NONE },
	[VHOST_USER_SET_FEATURES] = { true, 8, FDS_NONE },
	[VHOST_USER_SET_OWNER] = { true, 0, FDS_NONE },
	[VHOST_USER_RESET_OWNER] = { true, 0, FDS_NONE },
	[VHOST_USER_SET_MEM_TABLE] = { true, 0, FDS_REGIONS },
	[VHOST_USER_SET_LOG_BASE] = { true, sizeof(struct vhost_user_log), FDS_ONE },
	[VHOST_USER_SET_LOG_FD] = { true, 0, FDS_ONE },
	[VHOST_USER_SET_VRING_NUM] = { true, 8, FDS_NONE },
	[VHOST_USER_SET_VRING_ADDR] = { true, sizeof(struct vhost_user_vring_addr), FDS_NONE },
	[VHOST_USER_SET_VRING_BASE] = { true, 8, FDS_NONE },
	[VHOST_USER_GET_VRING_BASE] = { true, 8, FDS_NONE },
	[VHOST_USER_SET_VRING_KICK] = { true, 8, FDS_VRING },
	[VHOST_USER_SET_VRING_CALL] = { true, 8, FDS_VRING },
	[VHOST_USER_SET_VRING_ERR] = { true, 8, FDS_VRING },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = { true, 0, FDS_NONE },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = { true, 8, FDS_NONE },
	[VHOST_USER_GET_QUEUE_NUM] = { true, 0, FDS_NONE },
	[VHOST_USER_SET_VRING_ENABLE] = { true, 8, FDS_NONE },
	[VHOST_USER_SEND_RARP] = { true, 8, FDS_NONE },
	[VHOST_USER_NET_SET_MTU] = { true, 8, FDS_NONE },
	[VHOST_USER_GET_MAX_MEM_SLOTS] = { true, 0, FDS_NONE },
	[VHOST_USER_ADD_MEM_REG] = { true, sizeof(struct vhost_user_single_region), FDS_ONE },
	[VHOST_USER_REM_MEM_REG] = { true, sizeof(struct vhost_user_single_region), FDS_OPTIONAL },
	[VHOST_USER_SET_STATUS] = { true, 8, FDS_NONE },
	[VHOST_USER_GET_STATUS] = { true, 0, FDS_NONE },
};

int vsw_vhost_msg_check(const struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vhost_user_hdr *h = &m->hdr;
	if ((h->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
		snprintf(why, len, "protocol version %u (only 1 is known)",
			 h->flags & VHOST_USER_VERSION_MASK);
		return -1;
	}
	if (h->flags & VHOST_USER_REPLY) {
		snprintf(why, len, "a request with the reply flag set");
		return -1;
	}
	if (h->request >= VHOST_USER_MAX_REQUEST || !rules[h->request].known) {
		snprintf(why, len, "unsupported request");
		return -1;
	}
	const struct rule *r = &rules[h->request];
	unsigned int want_fds = 0;
	if (h->request == VHOST_USER_SET_MEM_TABLE) {
		const uint32_t head = offsetof(struct vhost_user_memory, regions);
		if (h->size < head) {
			snprintf(why, len, "payload of %u bytes, too short for a region table", h->size);
			return -1;
		}
		uint32_t n = m->payload.mem.nregions;
		if (n == 0 || n > VHOST_MEMORY_BASELINE_NREGIONS) {
			snprintf(why, len, "%u regions (allowed: 1-%u)", n, VHOST_MEMORY_BASELINE_NREGIONS);
			return -1;
		}
		/* Frontends send exactly the regions in use; some send the
		 * whole fixed-size table. Both are fine, nothing else is. */
		uint32_t exact = head + n * (uint32_t)sizeof(struct vhost_user_region);
		if (h->size != exact && h->size != sizeof(struct vhost_user_memory)) {
			snprintf(why, len, "payload of %u bytes for %u regions (expected %u)", h->size, n,
				 exact);
			return -1;
		}
		want_fds = n;
	} else {
		if (h->size != r->size) {
			snprintf(why, len, "payload of %u bytes (expected %u)", h->size, r->size);
			return -1;
		}
		switch (r->fds) {
		case FDS_NONE:
			break;
		case FDS_VRING:
			if (m->payload.u64 & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD)) {
				snprintf(why, len, "unknown bits in 0x%llx",
					 (unsigned long long)m->payload.u64);
				return -1;
			}
			want_fds = (m->payload.u64 & VHOST_USER_VRING_NOFD) ? 0 : 1;
			break;
		case FDS_REGIONS:
		case FDS_ONE:
			want_fds = 1;
			break;
		case FDS_OPTIONAL:
			if (m->nfds >= 0 && m->nfds <= 1)
				return 0;
			want_fds = 1;
			break;
		}
	}
	if ((unsigned int)m->nfds != want_fds) {
		snprintf(why, len, "%u file descriptor%s (expected %u)", m->nfds,
			 m->nfds == 1 ? "" : "s", want_fds);
		return -1;
	}
	return 0;
}

/* [a, a + sa) and [b, b + sb) intersect; both ends known not to overflow. */
static bool overlap(uint64_t a, uint64_t sa, uint64_t b, uint64_t sb)
{
	return a < b + sb && b < a + sa;
}

static int region_ok(const struct vhost_user_region *r, unsigned int i, char *why, size_t len)
{
	if (r->memory_size == 0) {
		snprintf(why, len, "region %u has size 0", i);
		return -1;
	}
	if (r->guest_phys_addr + r->memory_size < r->guest_phys_addr ||
	    r->userspace_addr + r->memory_size < r->userspace_addr || r->mmap_offset + r->memory_size < r->mmap_offset) {
		/* An end of exactly 2^64 wraps to 0 too: not a real region. */
		snprintf(why, len,
			 "region %u overflows (gpa 0x%llx, uaddr 0x%llx, offset 0x%llx, size 0x%llx)", i,
			 (unsigned long long)r->guest_phys_addr, (unsigned long long)r->userspace_addr,
			 (unsigned long long)r->mmap_offset, (unsigned long long)r->memory_size);
		return -1;
	}
	return 0;
}

int vsw_vhost_regions_check(const struct vhost_user_region *r, unsigned int n,
			    const struct vsw_guest_mem *have, unsigned int max, char *why,
			    size_t len)
{
	unsigned int nhave = have ? have->nregions : 0;
	if (max > VSW_MEM_MAX_REGIONS)
		max = VSW_MEM_MAX_REGIONS;
	if (nhave + n > max) {
		snprintf(why, len, "%u regions in all (at most %u)", nhave + n, max);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (region_ok(&r[i], i, why, len) < 0)
			return -1;
		for (unsigned int j = 0; j < i; j++) {
			if (overlap(r[i].guest_phys_addr, r[i].memory_size, r[j].guest_phys_addr, r[j].memory_size) ||
			    overlap(r[i].userspace_addr, r[i].memory_size, r[j].userspace_addr, r[j].memory_size)) {
				snprintf(why, len, "regions %u and %u overlap", j, i);
				return -1;
			}
		}
		for (unsigned int j = 0; j < nhave; j++) {
			const struct vsw_mem_region *o = &have->regions[j];
			if (overlap(r[i].guest_phys_addr, r[i].memory_size, o->guest_phys_addr, o->size) ||
			    overlap(r[i].userspace_addr, r[i].memory_size, o->user_addr, o->size)) {
				snprintf(why, len, "region overlaps mapped region %u", j);
				return -1;
			}
		}
	}
	return 0;
}

int vsw_vhost_msg_reply(int sock, const struct vsw_vhost_msg *req, const void *payload,
			uint32_t size)
{
	if (size > VSW_VHOST_MSG_PAYLOAD_MAX)
		return -EINVAL;
	uint8_t buf[sizeof(struct vhost_user_hdr) + VSW_VHOST_MSG_PAYLOAD_MAX];
	struct vhost_user_hdr h = { .request = req->hdr.request,
				   .flags = VHOST_USER_VERSION | VHOST_USER_REPLY,
				   .size = size };
	memcpy(buf, &h, sizeof(h));
	if (size)
		memcpy(buf + sizeof(h), payload, size);
	size_t len = sizeof(h) + size;
	ssize_t w;
	do
		w = send(sock, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EAGAIN;
}

int vsw_vhost_msg_ack(int sock, const struct vsw_vhost_msg *req, uint64_t status)
{
	return vsw_vhost_msg_reply(sock, req, &status, sizeof(status));
}
