/* Owns vhost-user framing: reading one message and its SCM_RIGHTS fds from a
 * non-blocking stream socket, the per-request size and fd rules, region
 * table checks, and replies. Everything here treats the frontend as
 * untrusted: a rule broken here closes the connection (device.c decides). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_user/msg.h"

static const char *const req_names[VSW_VHOST_REQ_MAX] = {
	[VSW_VHOST_GET_FEATURES] = "GET_FEATURES",
	[VSW_VHOST_SET_FEATURES] = "SET_FEATURES",
	[VSW_VHOST_SET_OWNER] = "SET_OWNER",
	[VSW_VHOST_RESET_OWNER] = "RESET_OWNER",
	[VSW_VHOST_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VSW_VHOST_SET_LOG_BASE] = "SET_LOG_BASE",
	[VSW_VHOST_SET_LOG_FD] = "SET_LOG_FD",
	[VSW_VHOST_SET_VRING_NUM] = "SET_VRING_NUM",
	[VSW_VHOST_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VSW_VHOST_SET_VRING_BASE] = "SET_VRING_BASE",
	[VSW_VHOST_GET_VRING_BASE] = "GET_VRING_BASE",
	[VSW_VHOST_SET_VRING_KICK] = "SET_VRING_KICK",
	[VSW_VHOST_SET_VRING_CALL] = "SET_VRING_CALL",
	[VSW_VHOST_SET_VRING_ERR] = "SET_VRING_ERR",
	[VSW_VHOST_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VSW_VHOST_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VSW_VHOST_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VSW_VHOST_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VSW_VHOST_SEND_RARP] = "SEND_RARP",
	[VSW_VHOST_NET_SET_MTU] = "NET_SET_MTU",
	[21] = "SET_BACKEND_REQ_FD",
	[22] = "IOTLB_MSG",
	[23] = "SET_VRING_ENDIAN",
	[24] = "GET_CONFIG",
	[25] = "SET_CONFIG",
	[31] = "GET_INFLIGHT_FD",
	[32] = "SET_INFLIGHT_FD",
	[34] = "RESET_DEVICE",
	[35] = "VRING_KICK",
	[VSW_VHOST_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
	[VSW_VHOST_ADD_MEM_REG] = "ADD_MEM_REG",
	[VSW_VHOST_REM_MEM_REG] = "REM_MEM_REG",
	[VSW_VHOST_SET_STATUS] = "SET_STATUS",
	[VSW_VHOST_GET_STATUS] = "GET_STATUS",
};

const char *vsw_vhost_req_name(uint32_t req)
{
	static char buf[32];
	if (req < VSW_VHOST_REQ_MAX && req_names[req] != NULL)
		return req_names[req];
	snprintf(buf, sizeof(buf), "UNKNOWN(%u)", req);
	return buf;
}

void vsw_vhost_rx_init(struct vsw_vhost_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void vsw_vhost_msg_close_fds(struct vsw_vhost_msg *m)
{
	for (unsigned int i = 0; i < m->nfds && i < VSW_VHOST_MAX_FDS; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
		m->fds[i] = -1;
	}
	m->nfds = 0;
}

void vsw_vhost_rx_reset(struct vsw_vhost_rx *rx)
{
	vsw_vhost_msg_close_fds(&rx->msg);
	rx->have = 0;
	memset(&rx->msg.hdr, 0, sizeof(rx->msg.hdr));
}

/* Takes the fds out of the control messages. Fds beyond our limit are
 * closed at once: nothing may leak, whatever the frontend sends. */
static bool take_fds(struct msghdr *mh, struct vsw_vhost_msg *m)
{
	bool ok = !(mh->msg_flags & MSG_CTRUNC);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *p = CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, p + i * sizeof(int), sizeof(int));
			if (m->nfds < VSW_VHOST_MAX_FDS) {
				m->fds[m->nfds++] = fd;
			} else {
				close(fd);
				ok = false;
			}
		}
	}
	return ok;
}

int vsw_vhost_msg_recv(int sock, struct vsw_vhost_rx *rx, struct vsw_vhost_msg *out,
		       const char **why)
{
	struct vsw_vhost_msg *m = &rx->msg;
	*why = NULL;
	for (;;) {
		uint32_t total = VSW_VHOST_HDR_SIZE + (rx->have >= VSW_VHOST_HDR_SIZE ? m->hdr.size : 0);
		if (rx->have == total && rx->have >= VSW_VHOST_HDR_SIZE) {
			*out = *m;
			/* The fds now belong to *out. */
			m->nfds = 0;
			rx->have = 0;
			return VSW_VHOST_RX_MSG;
		}
		void *dst = rx->have < VSW_VHOST_HDR_SIZE
				    ? (uint8_t *)&m->hdr + rx->have
				    : m->payload.raw + (rx->have - VSW_VHOST_HDR_SIZE);
		size_t want = total - rx->have;
		union {
			char buf[CMSG_SPACE(sizeof(int) * VSW_VHOST_MAX_FDS)];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = dst, .iov_len = want };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		ssize_t r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return VSW_VHOST_RX_AGAIN;
			*why = strerror(errno);
			out->hdr = m->hdr;
			vsw_vhost_rx_reset(rx);
			return VSW_VHOST_RX_EOF;
		}
		bool fds_ok = take_fds(&mh, m);
		if (r == 0) {
			*why = rx->have ? "connection closed in the middle of a message" : NULL;
			out->hdr = m->hdr;
			vsw_vhost_rx_reset(rx);
			return VSW_VHOST_RX_EOF;
		}
		rx->have += (uint32_t)r;
		if (!fds_ok) {
			*why = "more file descriptors than any request carries";
			goto err;
		}
		if (rx->have == VSW_VHOST_HDR_SIZE && m->hdr.size > VSW_VHOST_MAX_PAYLOAD) {
			*why = "payload size over the limit";
			goto err;
		}
	}
err:
	out->hdr = rx->have >= VSW_VHOST_HDR_SIZE ? m->hdr : (struct vsw_vhost_hdr){ 0 };
	vsw_vhost_rx_reset(rx);
	return VSW_VHOST_RX_ERR;
}

enum fd_rule {
	FDS_NONE,     /* no fd */
	FDS_VRING,    /* one, unless the payload has VSW_VHOST_VRING_NOFD */
	FDS_REGIONS,  /* one per region of the table */
	FDS_ONE,      /* exactly one */
	FDS_OPTIONAL, /* zero or one (REM_MEM_REG: the spec lets frontends send one) */
};

struct rule {
	bool known;
	uint32_t size; /* exact payload size; SET_MEM_TABLE is checked apart */
	enum fd_rule fds;
};

static const struct rule rules[VSW_VHOST_REQ_MAX] = {
	[VSW_VHOST_GET_FEATURES] = { true, 0, FDS_NONE },
	[VSW_VHOST_SET_FEATURES] = { true, 8, FDS_NONE },
	[VSW_VHOST_SET_OWNER] = { true, 0, FDS_NONE },
	[VSW_VHOST_RESET_OWNER] = { true, 0, FDS_NONE },
	[VSW_VHOST_SET_MEM_TABLE] = { true, 0, FDS_REGIONS },
	[VSW_VHOST_SET_VRING_NUM] = { true, 8, FDS_NONE },
	[VSW_VHOST_SET_VRING_ADDR] = { true, sizeof(struct vsw_vhost_vring_addr), FDS_NONE },
	[VSW_VHOST_SET_VRING_BASE] = { true, 8, FDS_NONE },
	[VSW_VHOST_GET_VRING_BASE] = { true, 8, FDS_NONE },
	[VSW_VHOST_SET_VRING_KICK] = { true, 8, FDS_VRING },
	[VSW_VHOST_SET_VRING_CALL] = { true, 8, FDS_VRING },
	[VSW_VHOST_SET_VRING_ERR] = { true, 8, FDS_VRING },
	[VSW_VHOST_GET_PROTOCOL_FEATURES] = { true, 0, FDS_NONE },
	[VSW_VHOST_SET_PROTOCOL_FEATURES] = { true, 8, FDS_NONE },
	[VSW_VHOST_GET_QUEUE_NUM] = { true, 0, FDS_NONE },
	[VSW_VHOST_SET_VRING_ENABLE] = { true, 8, FDS_NONE },
	[VSW_VHOST_SEND_RARP] = { true, 8, FDS_NONE },
	[VSW_VHOST_NET_SET_MTU] = { true, 8, FDS_NONE },
	[VSW_VHOST_GET_MAX_MEM_SLOTS] = { true, 0, FDS_NONE },
	[VSW_VHOST_ADD_MEM_REG] = { true, sizeof(struct vsw_vhost_mem_single), FDS_ONE },
	[VSW_VHOST_REM_MEM_REG] = { true, sizeof(struct vsw_vhost_mem_single), FDS_OPTIONAL },
	[VSW_VHOST_SET_STATUS] = { true, 8, FDS_NONE },
	[VSW_VHOST_GET_STATUS] = { true, 0, FDS_NONE },
};

int vsw_vhost_msg_check(const struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vsw_vhost_hdr *h = &m->hdr;
	if ((h->flags & VSW_VHOST_VERSION_MASK) != VSW_VHOST_VERSION) {
		snprintf(why, len, "protocol version %u (only 1 is known)",
			 h->flags & VSW_VHOST_VERSION_MASK);
		return -1;
	}
	if (h->flags & VSW_VHOST_FLAG_REPLY) {
		snprintf(why, len, "a request with the reply flag set");
		return -1;
	}
	if (h->request >= VSW_VHOST_REQ_MAX || !rules[h->request].known) {
		snprintf(why, len, "unsupported request");
		return -1;
	}
	const struct rule *r = &rules[h->request];
	unsigned int want_fds = 0;
	if (h->request == VSW_VHOST_SET_MEM_TABLE) {
		const uint32_t head = offsetof(struct vsw_vhost_mem_table, regions);
		if (h->size < head) {
			snprintf(why, len, "payload of %u bytes, too short for a region table", h->size);
			return -1;
		}
		uint32_t n = m->payload.mem.nregions;
		if (n == 0 || n > VSW_VHOST_MEM_TABLE_MAX) {
			snprintf(why, len, "%u regions (allowed: 1-%u)", n, VSW_VHOST_MEM_TABLE_MAX);
			return -1;
		}
		/* Frontends send exactly the regions in use; some send the
		 * whole fixed-size table. Both are fine, nothing else is. */
		uint32_t exact = head + n * (uint32_t)sizeof(struct vsw_vhost_region);
		if (h->size != exact && h->size != sizeof(struct vsw_vhost_mem_table)) {
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
			if (m->payload.u64 & ~(VSW_VHOST_VRING_IDX_MASK | VSW_VHOST_VRING_NOFD)) {
				snprintf(why, len, "unknown bits in 0x%llx",
					 (unsigned long long)m->payload.u64);
				return -1;
			}
			want_fds = (m->payload.u64 & VSW_VHOST_VRING_NOFD) ? 0 : 1;
			break;
		case FDS_REGIONS:
		case FDS_ONE:
			want_fds = 1;
			break;
		case FDS_OPTIONAL:
			if (m->nfds <= 1)
				return 0;
			want_fds = 1;
			break;
		}
	}
	if (m->nfds != want_fds) {
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

static int region_ok(const struct vsw_vhost_region *r, unsigned int i, char *why, size_t len)
{
	if (r->size == 0) {
		snprintf(why, len, "region %u has size 0", i);
		return -1;
	}
	if (r->guest_phys_addr + r->size < r->guest_phys_addr ||
	    r->user_addr + r->size < r->user_addr || r->mmap_offset + r->size < r->mmap_offset) {
		/* An end of exactly 2^64 wraps to 0 too: not a real region. */
		snprintf(why, len,
			 "region %u overflows (gpa 0x%llx, uaddr 0x%llx, offset 0x%llx, size 0x%llx)", i,
			 (unsigned long long)r->guest_phys_addr, (unsigned long long)r->user_addr,
			 (unsigned long long)r->mmap_offset, (unsigned long long)r->size);
		return -1;
	}
	return 0;
}

int vsw_vhost_regions_check(const struct vsw_vhost_region *r, unsigned int n,
			    const struct vsw_guest_mem *have, char *why, size_t len)
{
	unsigned int nhave = have ? have->nregions : 0;
	if (nhave + n > VSW_MEM_MAX_REGIONS) {
		snprintf(why, len, "%u regions in all (at most %u)", nhave + n, VSW_MEM_MAX_REGIONS);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (region_ok(&r[i], i, why, len) < 0)
			return -1;
		for (unsigned int j = 0; j < i; j++) {
			if (overlap(r[i].guest_phys_addr, r[i].size, r[j].guest_phys_addr, r[j].size) ||
			    overlap(r[i].user_addr, r[i].size, r[j].user_addr, r[j].size)) {
				snprintf(why, len, "regions %u and %u overlap", j, i);
				return -1;
			}
		}
		for (unsigned int j = 0; j < nhave; j++) {
			const struct vsw_mem_region *o = &have->regions[j];
			if (overlap(r[i].guest_phys_addr, r[i].size, o->guest_phys_addr, o->size) ||
			    overlap(r[i].user_addr, r[i].size, o->user_addr, o->size)) {
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
	if (size > VSW_VHOST_MAX_PAYLOAD)
		return -EINVAL;
	uint8_t buf[VSW_VHOST_HDR_SIZE + VSW_VHOST_MAX_PAYLOAD];
	struct vsw_vhost_hdr h = { .request = req->hdr.request,
				   .flags = VSW_VHOST_VERSION | VSW_VHOST_FLAG_REPLY,
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
