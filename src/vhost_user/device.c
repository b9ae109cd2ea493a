/* Owns the state machine of one vhost-user virtio-net device: feature and
 * protocol feature negotiation, the guest memory mappings (SET_MEM_TABLE,
 * ADD/REM_MEM_REG), per-queue configuration and lifecycle, and the calls
 * into the switch (struct vsw_vhost_ops) when queues start and stop.
 * Any rule the frontend breaks ends its connection: one log line, an error
 * reply if it asked for one, everything of the connection freed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/log.h"
#include "control/config.h"
#include "vhost_user/device.h"
#include "vhost_user/msg.h"

/* The engine may announce optional features it implements (IN_ORDER). */
#ifdef VSW_VQ_FEATURES
#define ENGINE_OPTIONAL (VSW_VQ_FEATURES & (1ull << VSW_VIRTIO_F_IN_ORDER))
#else
#define ENGINE_OPTIONAL 0ull
#endif

#define OFFERED_PROTOCOL                                                             \
	((1ull << VSW_VHOST_PROTO_F_MQ) | (1ull << VSW_VHOST_PROTO_F_RARP) |         \
	 (1ull << VSW_VHOST_PROTO_F_REPLY_ACK) | (1ull << VSW_VHOST_PROTO_F_MTU) |   \
	 (1ull << VSW_VHOST_PROTO_F_CONFIGURE_MEM_SLOTS) |                           \
	 (1ull << VSW_VHOST_PROTO_F_STATUS))

#define F_PROTOCOL (1ull << VSW_VHOST_USER_F_PROTOCOL_FEATURES)

struct vq_state {
	struct vsw_vq vq; /* what the workers poll */
	struct vsw_vq_stats stats; /* carried over when the queue is set up again */
	struct vsw_vhost_vring_addr addr;
	uint32_t num;
	uint32_t base; /* SET_VRING_BASE, or where the queue was when it stopped */
	int kick_fd, call_fd, err_fd;
	bool num_set, addr_set, kick_set, call_set;
	bool enabled; /* SET_VRING_ENABLE (only counts with protocol features) */
	bool started; /* between queue_start and queue_stop */
	char name[48];
} __rte_cache_aligned;

struct vsw_vhost_dev {
	struct vq_state *q; /* 2 * nqp, cache aligned */
	struct vsw_vhost_ops ops;
	void *ctx;
	char name[VSW_NAME_MAX + 16];
	uint16_t nqp;
	uint32_t max_pkt_len;
	uint64_t offered;
	int fd;
	/* Negotiated on the current connection. */
	uint64_t features, proto;
	bool owner, owner_reset;
	uint8_t status;
	uint16_t mtu;
	unsigned int running;
	struct vsw_vhost_rx rx;
	struct vsw_guest_mem mem;
};

/* ---- memory ---- */

static void unmap_region(struct vsw_mem_region *r)
{
	if (r->mmap_addr != NULL)
		munmap(r->mmap_addr, r->mmap_size);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static void unmap_all(struct vsw_guest_mem *m)
{
	for (uint32_t i = 0; i < m->nregions; i++)
		unmap_region(&m->regions[i]);
	m->nregions = 0;
}

/* Maps one region of fd. The fd stays the caller's: the mapping keeps
 * the file alive, so no fd is held per region. */
static int map_region(const struct vsw_vhost_region *r, int fd, struct vsw_mem_region *out,
		      char *why, size_t len)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(why, len, "fstat: %s", strerror(errno));
		return -1;
	}
	/* memfd, hugetlbfs and shm files are regular files. Their size tells
	 * us whether the region lies inside: touching a mapping past the end
	 * of a file kills the whole daemon with SIGBUS. */
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "region fd is not a regular file (memfd, hugetlbfs or shm)");
		return -1;
	}
	if ((uint64_t)st.st_size < r->mmap_offset + r->size) {
		snprintf(why, len,
			 "region (offset 0x%llx, size 0x%llx) extends past the end of its file (0x%llx)",
			 (unsigned long long)r->mmap_offset, (unsigned long long)r->size,
			 (unsigned long long)st.st_size);
		return -1;
	}
	/* hugetlbfs wants offset and length in whole huge pages. */
	uint64_t align = (uint64_t)sysconf(_SC_PAGESIZE);
	struct statfs sfs;
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC && sfs.f_bsize > 0)
		align = (uint64_t)sfs.f_bsize;
	uint64_t off = r->mmap_offset & ~(align - 1);
	uint64_t span = r->mmap_offset - off + r->size;
	uint64_t maplen = (span + align - 1) & ~(align - 1);
	if (maplen < span || maplen > SIZE_MAX) {
		snprintf(why, len, "region too large to map");
		return -1;
	}
	void *p = mmap(NULL, (size_t)maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap of 0x%llx bytes at offset 0x%llx: %s",
			 (unsigned long long)maplen, (unsigned long long)off, strerror(errno));
		return -1;
	}
	/* Guest RAM has no place in our core dumps. */
	madvise(p, (size_t)maplen, MADV_DONTDUMP);
	*out = (struct vsw_mem_region){
		.guest_phys_addr = r->guest_phys_addr,
		.size = r->size,
		.user_addr = r->user_addr,
		.host_addr = (uint8_t *)p + (r->mmap_offset - off),
		.mmap_addr = p,
		.mmap_size = (size_t)maplen,
		.mmap_offset = r->mmap_offset,
		.fd = -1,
	};
	return 0;
}

/* ---- queues ---- */

static bool has_proto(const struct vsw_vhost_dev *d, int bit)
{
	return (d->proto & (1ull << bit)) != 0;
}

static bool q_enabled(const struct vsw_vhost_dev *d, const struct vq_state *q)
{
	/* Without protocol features rings are enabled from the start. */
	return !(d->features & F_PROTOCOL) || q->enabled;
}

static bool q_ready(const struct vsw_vhost_dev *d, const struct vq_state *q)
{
	return d->mem.nregions > 0 && q->num_set && q->addr_set && q->kick_set && q->call_set &&
	       q_enabled(d, q);
}

static void q_stop(struct vsw_vhost_dev *d, uint16_t qid)
{
	struct vq_state *q = &d->q[qid];
	if (!q->started)
		return;
	d->ops.queue_stop(d->ctx, qid);
	q->started = false;
	q->base = vsw_vq_get_base(&q->vq);
	q->stats = q->vq.stats;
	if (--d->running == 0 && d->ops.link != NULL)
		d->ops.link(d->ctx, false);
}

/* Starts qid if it is ready and not running. -1 (why filled) when the
 * engine refuses the setup. */
static int q_start(struct vsw_vhost_dev *d, uint16_t qid, char *why, size_t len)
{
	struct vq_state *q = &d->q[qid];
	if (q->started || !q_ready(d, q))
		return 0;
	struct vsw_vq_setup s = {
		.mem = &d->mem,
		.size = (uint16_t)q->num, /* 32768 fits; 65536 was refused */
		.packed = (d->features & (1ull << VSW_VIRTIO_F_RING_PACKED)) != 0,
		.desc_uaddr = q->addr.desc_uaddr,
		.avail_uaddr = q->addr.avail_uaddr,
		.used_uaddr = q->addr.used_uaddr,
		.base = q->base,
		.features = d->features,
		.call_fd = q->call_fd,
		.max_pkt_len = d->max_pkt_len,
		.name = q->name,
	};
	int rc = vsw_vq_init(&q->vq, &s);
	if (rc < 0) {
		snprintf(why, len, "vring %u: %s", qid,
			 rc == -EFAULT ? "ring addresses outside guest memory"
				       : "ring size or base refused by the virtqueue engine");
		return -1;
	}
	q->vq.stats = q->stats;
	q->started = true;
	if (d->running++ == 0 && d->ops.link != NULL)
		d->ops.link(d->ctx, true);
	d->ops.queue_start(d->ctx, qid);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void q_reset(struct vq_state *q)
{
	close_fd(&q->kick_fd);
	close_fd(&q->call_fd);
	close_fd(&q->err_fd);
	q->num_set = q->addr_set = q->kick_set = q->call_set = false;
	q->enabled = q->started = false;
	q->num = q->base = 0;
	memset(&q->addr, 0, sizeof(q->addr));
	memset(&q->stats, 0, sizeof(q->stats));
}

static uint16_t nq(const struct vsw_vhost_dev *d)
{
	return (uint16_t)(2 * d->nqp);
}

/* Replaces the memory table under stopped queues: the workers have left
 * every queue (RCU) before a mapping goes away. strict: a queue that ran
 * before must run again (SET_MEM_TABLE); otherwise (REM/ADD_MEM_REG, which
 * frontends send one by one) a queue whose ring is not mapped at the
 * moment waits for the next change. */
static int mem_commit(struct vsw_vhost_dev *d, const struct vsw_guest_mem *next,
		      struct vsw_guest_mem *drop, bool strict, char *why, size_t len)
{
	bool was[2 * VSW_VHOST_MAX_QUEUE_PAIRS] = { false };
	for (uint16_t i = 0; i < nq(d); i++) {
		was[i] = d->q[i].started;
		q_stop(d, i);
	}
	d->mem = *next;
	unmap_all(drop);
	int rc = 0;
	for (uint16_t i = 0; i < nq(d); i++) {
		if (q_start(d, i, why, len) < 0) {
			if (strict && was[i])
				rc = -1;
			else
				VSW_LOG(INFO, vhost, "port %s: %s, waiting for more memory", d->name, why);
		}
	}
	return rc;
}

/* ---- handlers ---- */

enum { H_OK = 0, H_REPLIED = 1, H_ERR = -1 };

typedef int (*handler_fn)(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
			  size_t len);

static int reply(struct vsw_vhost_dev *d, const struct vsw_vhost_msg *m, const void *p,
		 uint32_t size, char *why, size_t len)
{
	int rc = vsw_vhost_msg_reply(d->fd, m, p, size);
	if (rc < 0) {
		snprintf(why, len, "sending the reply: %s", strerror(-rc));
		return H_ERR;
	}
	return H_REPLIED;
}

static int reply_u64(struct vsw_vhost_dev *d, const struct vsw_vhost_msg *m, uint64_t v,
		     char *why, size_t len)
{
	return reply(d, m, &v, sizeof(v), why, len);
}

static struct vq_state *vring(struct vsw_vhost_dev *d, uint64_t idx, char *why, size_t len)
{
	if (idx >= nq(d)) {
		snprintf(why, len, "vring index %llu out of range (this port has %u)",
			 (unsigned long long)idx, nq(d));
		return NULL;
	}
	return &d->q[idx];
}

static int h_get_features(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	return reply_u64(d, m, d->offered, why, len);
}

static int h_set_features(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint64_t f = m->payload.u64;
	if (f & ~d->offered) {
		snprintf(why, len, "features 0x%llx were not offered (offered 0x%llx)",
			 (unsigned long long)(f & ~d->offered), (unsigned long long)d->offered);
		return H_ERR;
	}
	if (d->running && f != d->features) {
		snprintf(why, len, "features changed while queues run");
		return H_ERR;
	}
	d->features = f;
	for (uint16_t i = 0; i < nq(d); i++)
		if (q_start(d, i, why, len) < 0)
			return H_ERR;
	return H_OK;
}

static int h_set_owner(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	(void)m;
	if (d->owner && !d->owner_reset) {
		snprintf(why, len, "the session already has an owner");
		return H_ERR;
	}
	d->owner = true;
	d->owner_reset = false;
	return H_OK;
}

static int h_reset_owner(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	(void)m;
	(void)why;
	(void)len;
	/* Deprecated; the spec's advice is to disable the rings and keep the
	 * rest of the session. Each queue needs a new kick to start again. */
	for (uint16_t i = 0; i < nq(d); i++) {
		q_stop(d, i);
		close_fd(&d->q[i].kick_fd);
		d->q[i].kick_set = false;
	}
	d->owner_reset = true;
	return H_OK;
}

static int h_set_mem_table(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vsw_vhost_mem_table *t = &m->payload.mem;
	if (vsw_vhost_regions_check(t->regions, t->nregions, NULL, why, len) < 0)
		return H_ERR;
	struct vsw_guest_mem next = { 0 };
	for (uint32_t i = 0; i < t->nregions; i++) {
		if (map_region(&t->regions[i], m->fds[i], &next.regions[i], why, len) < 0) {
			unmap_all(&next);
			return H_ERR;
		}
		next.nregions = i + 1;
	}
	struct vsw_guest_mem old = d->mem;
	return mem_commit(d, &next, &old, true, why, len) < 0 ? H_ERR : H_OK;
}

static int h_add_mem_reg(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vsw_vhost_region *r = &m->payload.reg.region;
	if (vsw_vhost_regions_check(r, 1, &d->mem, why, len) < 0)
		return H_ERR;
	struct vsw_guest_mem next = d->mem, none = { 0 };
	if (map_region(r, m->fds[0], &next.regions[next.nregions], why, len) < 0)
		return H_ERR;
	next.nregions++;
	return mem_commit(d, &next, &none, false, why, len) < 0 ? H_ERR : H_OK;
}

static int h_rem_mem_reg(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vsw_vhost_region *r = &m->payload.reg.region;
	for (uint32_t i = 0; i < d->mem.nregions; i++) {
		const struct vsw_mem_region *o = &d->mem.regions[i];
		if (o->guest_phys_addr != r->guest_phys_addr || o->user_addr != r->user_addr ||
		    o->size != r->size)
			continue;
		struct vsw_guest_mem next = d->mem, drop = { .nregions = 1 };
		drop.regions[0] = *o;
		memmove(&next.regions[i], &next.regions[i + 1],
			(next.nregions - i - 1) * sizeof(next.regions[0]));
		next.nregions--;
		return mem_commit(d, &next, &drop, false, why, len) < 0 ? H_ERR : H_OK;
	}
	snprintf(why, len, "no region at gpa 0x%llx uaddr 0x%llx size 0x%llx",
		 (unsigned long long)r->guest_phys_addr, (unsigned long long)r->user_addr,
		 (unsigned long long)r->size);
	return H_ERR;
}

static int h_get_max_mem_slots(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
			       size_t len)
{
	return reply_u64(d, m, VSW_MEM_MAX_REGIONS, why, len);
}

static int refuse_running(const struct vq_state *q, uint32_t idx, char *why, size_t len)
{
	if (!q->started)
		return 0;
	snprintf(why, len, "vring %u is running (GET_VRING_BASE stops it first)", idx);
	return -1;
}

static int h_set_vring_num(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vsw_vhost_vring_state *s = &m->payload.state;
	struct vq_state *q = vring(d, s->index, why, len);
	if (q == NULL || refuse_running(q, s->index, why, len) < 0)
		return H_ERR;
	if (s->num == 0 || s->num > VSW_VQ_MAX_SIZE || (s->num & (s->num - 1))) {
		snprintf(why, len, "vring %u: size %u (allowed: a power of two up to %u)", s->index,
			 s->num, VSW_VQ_MAX_SIZE);
		return H_ERR;
	}
	q->num = s->num;
	q->num_set = true;
	return H_OK;
}

/* Bytes of each ring part, for the translation check. */
static void ring_sizes(bool packed, uint64_t n, uint64_t *desc, uint64_t *avail, uint64_t *used)
{
	if (packed) {
		*desc = 16 * n;
		*avail = *used = 4;
	} else {
		*desc = 16 * n;
		*avail = 6 + 2 * n;
		*used = 6 + 8 * n;
	}
}

static int h_set_vring_addr(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vsw_vhost_vring_addr *a = &m->payload.addr;
	struct vq_state *q = vring(d, a->index, why, len);
	if (q == NULL || refuse_running(q, a->index, why, len) < 0)
		return H_ERR;
	if (d->mem.nregions == 0) {
		snprintf(why, len, "vring %u: ring addresses before any memory table", a->index);
		return H_ERR;
	}
	bool packed = (d->features & (1ull << VSW_VIRTIO_F_RING_PACKED)) != 0;
	/* Alignment from the virtio spec; the engine relies on it for its
	 * atomic accesses to the index fields. */
	uint64_t da = 16, aa = packed ? 4 : 2, ua = 4;
	if (a->desc_uaddr % da || a->avail_uaddr % aa || a->used_uaddr % ua) {
		snprintf(why, len, "vring %u: misaligned ring address", a->index);
		return H_ERR;
	}
	uint64_t ds, as, us;
	ring_sizes(packed, q->num_set ? q->num : 1, &ds, &as, &us);
	if (vsw_uva_to_hva(&d->mem, a->desc_uaddr, ds) == NULL ||
	    vsw_uva_to_hva(&d->mem, a->avail_uaddr, as) == NULL ||
	    vsw_uva_to_hva(&d->mem, a->used_uaddr, us) == NULL) {
		snprintf(why, len,
			 "vring %u: ring addresses (desc 0x%llx avail 0x%llx used 0x%llx) do not "
			 "translate",
			 a->index, (unsigned long long)a->desc_uaddr,
			 (unsigned long long)a->avail_uaddr, (unsigned long long)a->used_uaddr);
		return H_ERR;
	}
	q->addr = *a;
	q->addr_set = true;
	return q_start(d, (uint16_t)a->index, why, len) < 0 ? H_ERR : H_OK;
}

static int h_set_vring_base(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vsw_vhost_vring_state *s = &m->payload.state;
	struct vq_state *q = vring(d, s->index, why, len);
	if (q == NULL || refuse_running(q, s->index, why, len) < 0)
		return H_ERR;
	if (s->num > 0xffff) {
		snprintf(why, len, "vring %u: base %u over 16 bits", s->index, s->num);
		return H_ERR;
	}
	q->base = s->num;
	return H_OK;
}

static int h_get_vring_base(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vsw_vhost_vring_state *s = &m->payload.state;
	struct vq_state *q = vring(d, s->index, why, len);
	if (q == NULL)
		return H_ERR;
	q_stop(d, (uint16_t)s->index);
	/* Stopped until the frontend sets it up and kicks it again. */
	close_fd(&q->kick_fd);
	q->kick_set = false;
	struct vsw_vhost_vring_state r = { .index = s->index, .num = q->base };
	return reply(d, m, &r, sizeof(r), why, len);
}

static int take_vring_fd(struct vsw_vhost_msg *m)
{
	if (m->payload.u64 & VSW_VHOST_VRING_NOFD)
		return -1;
	int fd = m->fds[0];
	m->fds[0] = -1;
	return fd;
}

static int h_set_vring_kick(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint64_t idx = m->payload.u64 & VSW_VHOST_VRING_IDX_MASK;
	struct vq_state *q = vring(d, idx, why, len);
	if (q == NULL)
		return H_ERR;
	/* Workers poll and never read the kick fd, so it can change under a
	 * running queue. */
	close_fd(&q->kick_fd);
	q->kick_fd = take_vring_fd(m);
	q->kick_set = true;
	return q_start(d, (uint16_t)idx, why, len) < 0 ? H_ERR : H_OK;
}

static int h_set_vring_call(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint16_t idx = (uint16_t)(m->payload.u64 & VSW_VHOST_VRING_IDX_MASK);
	struct vq_state *q = vring(d, idx, why, len);
	if (q == NULL)
		return H_ERR;
	/* Workers write to the call fd: it may only be closed (and its number
	 * reused) once they have left the queue. QEMU swaps it whenever the
	 * guest masks or unmasks the queue's interrupt. */
	bool was = q->started;
	q_stop(d, idx);
	close_fd(&q->call_fd);
	q->call_fd = take_vring_fd(m);
	q->call_set = true;
	if (q_start(d, idx, why, len) < 0)
		return H_ERR;
	if (was && !q->started) {
		snprintf(why, len, "vring %u did not restart", idx);
		return H_ERR;
	}
	return H_OK;
}

static int h_set_vring_err(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	struct vq_state *q = vring(d, m->payload.u64 & VSW_VHOST_VRING_IDX_MASK, why, len);
	if (q == NULL)
		return H_ERR;
	close_fd(&q->err_fd);
	q->err_fd = take_vring_fd(m);
	return H_OK;
}

static int h_get_protocol_features(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
				   size_t len)
{
	return reply_u64(d, m, OFFERED_PROTOCOL, why, len);
}

static int h_set_protocol_features(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
				   size_t len)
{
	uint64_t f = m->payload.u64;
	if (f & ~OFFERED_PROTOCOL) {
		snprintf(why, len, "protocol features 0x%llx were not offered (offered 0x%llx)",
			 (unsigned long long)(f & ~OFFERED_PROTOCOL),
			 (unsigned long long)OFFERED_PROTOCOL);
		return H_ERR;
	}
	d->proto = f;
	return H_OK;
}

static int h_get_queue_num(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	return reply_u64(d, m, d->nqp, why, len);
}

static int h_set_vring_enable(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
			      size_t len)
{
	const struct vsw_vhost_vring_state *s = &m->payload.state;
	struct vq_state *q = vring(d, s->index, why, len);
	if (q == NULL)
		return H_ERR;
	if (s->num > 1) {
		snprintf(why, len, "vring %u: enable value %u (allowed: 0 or 1)", s->index, s->num);
		return H_ERR;
	}
	q->enabled = s->num == 1;
	if (!q->enabled && (d->features & F_PROTOCOL))
		q_stop(d, (uint16_t)s->index);
	return q_start(d, (uint16_t)s->index, why, len) < 0 ? H_ERR : H_OK;
}

static int h_send_rarp(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	(void)why;
	(void)len;
	uint8_t mac[6];
	memcpy(mac, m->payload.raw, sizeof(mac));
	VSW_LOG(INFO, vhost, "port %s: SEND_RARP for %02x:%02x:%02x:%02x:%02x:%02x", d->name, mac[0],
		mac[1], mac[2], mac[3], mac[4], mac[5]);
	if (d->ops.send_rarp != NULL)
		d->ops.send_rarp(d->ctx, mac);
	return H_OK;
}

static int h_net_set_mtu(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint64_t mtu = m->payload.u64;
	if (mtu < 68 || mtu > 65535) {
		snprintf(why, len, "MTU %llu (allowed: 68-65535)", (unsigned long long)mtu);
		return H_ERR;
	}
	d->mtu = (uint16_t)mtu;
	return H_OK;
}

static int h_set_status(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	if (m->payload.u64 > 0xff) {
		snprintf(why, len, "status 0x%llx over 8 bits", (unsigned long long)m->payload.u64);
		return H_ERR;
	}
	d->status = (uint8_t)m->payload.u64;
	return H_OK;
}

static int h_get_status(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	return reply_u64(d, m, d->status, why, len);
}

struct handler {
	handler_fn fn;
	bool need_owner;
	int need_proto; /* protocol feature bit that must be negotiated, -1: none */
};

static const struct handler handlers[VSW_VHOST_REQ_MAX] = {
	[VSW_VHOST_GET_FEATURES] = { h_get_features, false, -1 },
	[VSW_VHOST_SET_FEATURES] = { h_set_features, false, -1 },
	[VSW_VHOST_SET_OWNER] = { h_set_owner, false, -1 },
	[VSW_VHOST_RESET_OWNER] = { h_reset_owner, true, -1 },
	[VSW_VHOST_SET_MEM_TABLE] = { h_set_mem_table, true, -1 },
	[VSW_VHOST_SET_VRING_NUM] = { h_set_vring_num, true, -1 },
	[VSW_VHOST_SET_VRING_ADDR] = { h_set_vring_addr, true, -1 },
	[VSW_VHOST_SET_VRING_BASE] = { h_set_vring_base, true, -1 },
	[VSW_VHOST_GET_VRING_BASE] = { h_get_vring_base, true, -1 },
	[VSW_VHOST_SET_VRING_KICK] = { h_set_vring_kick, true, -1 },
	[VSW_VHOST_SET_VRING_CALL] = { h_set_vring_call, true, -1 },
	[VSW_VHOST_SET_VRING_ERR] = { h_set_vring_err, true, -1 },
	[VSW_VHOST_GET_PROTOCOL_FEATURES] = { h_get_protocol_features, false, -1 },
	[VSW_VHOST_SET_PROTOCOL_FEATURES] = { h_set_protocol_features, false, -1 },
	[VSW_VHOST_GET_QUEUE_NUM] = { h_get_queue_num, false, -1 },
	[VSW_VHOST_SET_VRING_ENABLE] = { h_set_vring_enable, true, -1 },
	[VSW_VHOST_SEND_RARP] = { h_send_rarp, true, VSW_VHOST_PROTO_F_RARP },
	[VSW_VHOST_NET_SET_MTU] = { h_net_set_mtu, true, VSW_VHOST_PROTO_F_MTU },
	[VSW_VHOST_GET_MAX_MEM_SLOTS] = { h_get_max_mem_slots, false,
					  VSW_VHOST_PROTO_F_CONFIGURE_MEM_SLOTS },
	[VSW_VHOST_ADD_MEM_REG] = { h_add_mem_reg, true, VSW_VHOST_PROTO_F_CONFIGURE_MEM_SLOTS },
	[VSW_VHOST_REM_MEM_REG] = { h_rem_mem_reg, true, VSW_VHOST_PROTO_F_CONFIGURE_MEM_SLOTS },
	[VSW_VHOST_SET_STATUS] = { h_set_status, true, VSW_VHOST_PROTO_F_STATUS },
	[VSW_VHOST_GET_STATUS] = { h_get_status, false, VSW_VHOST_PROTO_F_STATUS },
};

static const char *const proto_names[] = {
	[VSW_VHOST_PROTO_F_RARP] = "RARP",
	[VSW_VHOST_PROTO_F_MTU] = "MTU",
	[VSW_VHOST_PROTO_F_CONFIGURE_MEM_SLOTS] = "CONFIGURE_MEM_SLOTS",
	[VSW_VHOST_PROTO_F_STATUS] = "STATUS",
};

static int fail(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, const char *why)
{
	VSW_LOG(ERR, vhost, "port %s: %s: %s; closing the connection", d->name,
		vsw_vhost_req_name(m->hdr.request), why);
	if (vsw_vhost_msg_need_reply(m))
		(void)vsw_vhost_msg_ack(d->fd, m, 1);
	vsw_vhost_msg_close_fds(m);
	return -1;
}

static int handle(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m)
{
	char why[256] = "";
	if (vsw_vhost_msg_check(m, why, sizeof(why)) < 0)
		return fail(d, m, why);
	const struct handler *h = &handlers[m->hdr.request];
	if (h->fn == NULL)
		return fail(d, m, "unsupported request");
	if (h->need_owner && !d->owner)
		return fail(d, m, "before SET_OWNER");
	if (h->need_proto >= 0 && !has_proto(d, h->need_proto)) {
		snprintf(why, sizeof(why), "protocol feature %s not negotiated",
			 proto_names[h->need_proto]);
		return fail(d, m, why);
	}
	VSW_LOG(DEBUG, vhost, "port %s: %s", d->name, vsw_vhost_req_name(m->hdr.request));
	int rc = h->fn(d, m, why, sizeof(why));
	if (rc == H_ERR)
		return fail(d, m, why);
	vsw_vhost_msg_close_fds(m);
	if (rc == H_OK && vsw_vhost_msg_need_reply(m)) {
		int e = vsw_vhost_msg_ack(d->fd, m, 0);
		if (e < 0) {
			snprintf(why, sizeof(why), "sending the ack: %s", strerror(-e));
			return fail(d, m, why);
		}
	}
	return 0;
}

/* ---- device ---- */

uint64_t vsw_vhost_features_from_cfg(uint32_t bits)
{
	static const struct {
		uint32_t cfg;
		int bit;
	} map[] = {
		{ VSW_FEAT_MRG_RXBUF, VSW_VIRTIO_NET_F_MRG_RXBUF },
		{ VSW_FEAT_INDIRECT_DESC, VSW_VIRTIO_RING_F_INDIRECT_DESC },
		{ VSW_FEAT_EVENT_IDX, VSW_VIRTIO_RING_F_EVENT_IDX },
		{ VSW_FEAT_RING_PACKED, VSW_VIRTIO_F_RING_PACKED },
		{ VSW_FEAT_MQ, VSW_VIRTIO_NET_F_MQ },
		{ VSW_FEAT_MTU, VSW_VIRTIO_NET_F_MTU },
		{ VSW_FEAT_IN_ORDER, VSW_VIRTIO_F_IN_ORDER },
	};
	uint64_t f = 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (bits & map[i].cfg)
			f |= 1ull << map[i].bit;
	return f;
}

struct vsw_vhost_dev *vsw_vhost_dev_create(const struct vsw_vhost_settings *s,
					   const struct vsw_vhost_ops *ops, void *ctx)
{
	uint16_t nqp = s->queue_pairs ? s->queue_pairs : 1;
	if (nqp > VSW_VHOST_MAX_QUEUE_PAIRS || ops == NULL || ops->queue_start == NULL ||
	    ops->queue_stop == NULL)
		return NULL;
	struct vsw_vhost_dev *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	size_t qsz = sizeof(struct vq_state) * 2u * nqp;
	if (posix_memalign((void **)&d->q, RTE_CACHE_LINE_SIZE, qsz) != 0) {
		free(d);
		return NULL;
	}
	memset(d->q, 0, qsz);
	snprintf(d->name, sizeof(d->name), "%s", s->name ? s->name : "?");
	d->ops = *ops;
	d->ctx = ctx;
	d->nqp = nqp;
	d->max_pkt_len = s->max_pkt_len;
	d->offered = (VSW_VHOST_OFFERED_FEATURES | ENGINE_OPTIONAL) & ~s->disabled_features;
	d->offered |= F_PROTOCOL;
	if (nqp == 1)
		d->offered &= ~(1ull << VSW_VIRTIO_NET_F_MQ);
	d->fd = -1;
	for (uint16_t i = 0; i < nq(d); i++) {
		struct vq_state *q = &d->q[i];
		q->kick_fd = q->call_fd = q->err_fd = -1;
		snprintf(q->name, sizeof(q->name), "%s %cxq%u", d->name, i % 2 ? 't' : 'r', i / 2);
	}
	vsw_vhost_rx_init(&d->rx);
	return d;
}

void vsw_vhost_dev_destroy(struct vsw_vhost_dev *d)
{
	if (d == NULL)
		return;
	vsw_vhost_dev_detach(d);
	free(d->q);
	free(d);
}

int vsw_vhost_dev_attach(struct vsw_vhost_dev *d, int fd)
{
	if (d->fd >= 0)
		return -EBUSY;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	d->fd = fd;
	return 0;
}

void vsw_vhost_dev_detach(struct vsw_vhost_dev *d)
{
	for (uint16_t i = 0; i < nq(d); i++)
		q_stop(d, i);
	for (uint16_t i = 0; i < nq(d); i++)
		q_reset(&d->q[i]);
	unmap_all(&d->mem);
	vsw_vhost_rx_reset(&d->rx);
	close_fd(&d->fd);
	d->features = d->proto = 0;
	d->owner = d->owner_reset = false;
	d->status = 0;
	d->mtu = 0;
}

int vsw_vhost_dev_process(struct vsw_vhost_dev *d)
{
	if (d->fd < 0)
		return -1;
	/* A bounded batch: the loop comes back while more is waiting (level
	 * triggered), and other devices get their turn in between. */
	for (int n = 0; n < 64; n++) {
		struct vsw_vhost_msg m;
		const char *why;
		int rc = vsw_vhost_msg_recv(d->fd, &d->rx, &m, &why);
		if (rc == VSW_VHOST_RX_AGAIN)
			return 0;
		if (rc == VSW_VHOST_RX_EOF) {
			VSW_LOG(INFO, vhost, "port %s: frontend disconnected%s%s", d->name,
				why ? ": " : "", why ? why : "");
			return -1;
		}
		if (rc == VSW_VHOST_RX_ERR) {
			m.nfds = 0;
			m.hdr.flags &= ~VSW_VHOST_FLAG_NEED_REPLY; /* cannot answer a broken frame */
			return fail(d, &m, why);
		}
		if (handle(d, &m) < 0)
			return -1;
	}
	return 0;
}

int vsw_vhost_dev_fd(const struct vsw_vhost_dev *d)
{
	return d->fd;
}

const char *vsw_vhost_dev_name(const struct vsw_vhost_dev *d)
{
	return d->name;
}

uint16_t vsw_vhost_dev_num_queues(const struct vsw_vhost_dev *d)
{
	return nq(d);
}

struct vsw_vq *vsw_vhost_dev_vq(struct vsw_vhost_dev *d, uint16_t qid)
{
	return qid < nq(d) ? &d->q[qid].vq : NULL;
}

bool vsw_vhost_dev_queue_running(const struct vsw_vhost_dev *d, uint16_t qid)
{
	return qid < nq(d) && d->q[qid].started;
}

uint64_t vsw_vhost_dev_offered_features(const struct vsw_vhost_dev *d)
{
	return d->offered;
}

uint64_t vsw_vhost_dev_features(const struct vsw_vhost_dev *d)
{
	return d->features;
}

uint64_t vsw_vhost_dev_protocol_features(const struct vsw_vhost_dev *d)
{
	return d->proto;
}

uint16_t vsw_vhost_dev_mtu(const struct vsw_vhost_dev *d)
{
	return d->mtu;
}
