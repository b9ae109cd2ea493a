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
#include "vhost_user/device_priv.h"
#include "vhost_user/mem_guard.h"
#include "vhost_user/msg.h"
#include "vring/dirty_log.h"

/* The engine may announce optional features it implements (IN_ORDER). */
#ifdef VSW_VQ_FEATURES
#define ENGINE_OPTIONAL (VSW_VQ_FEATURES & (1ull << VSW_VIRTIO_F_IN_ORDER))
#else
#define ENGINE_OPTIONAL 0ull
#endif

#define F_PROTOCOL (1ull << VSW_VHOST_USER_F_PROTOCOL_FEATURES)
#define F_LOG_ALL (1ull << VSW_VHOST_F_LOG_ALL)

/* Checksum and TCP segmentation offloads, both directions (not UFO/USO). */
#define F_OFFLOADS                                                                            \
	((1ull << VSW_VIRTIO_NET_F_CSUM) | (1ull << VSW_VIRTIO_NET_F_GUEST_CSUM) |           \
	 (1ull << VSW_VIRTIO_NET_F_HOST_TSO4) | (1ull << VSW_VIRTIO_NET_F_HOST_TSO6) |        \
	 (1ull << VSW_VIRTIO_NET_F_HOST_ECN) | (1ull << VSW_VIRTIO_NET_F_GUEST_TSO4) |        \
	 (1ull << VSW_VIRTIO_NET_F_GUEST_TSO6) | (1ull << VSW_VIRTIO_NET_F_GUEST_ECN))

#define OFFERED_FEATURES                                                              \
	((1ull << VSW_VIRTIO_F_VERSION_1) | (1ull << VSW_VIRTIO_NET_F_MRG_RXBUF) |    \
	 (1ull << VSW_VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VSW_VIRTIO_RING_F_EVENT_IDX) | \
	 (1ull << VSW_VIRTIO_F_RING_PACKED) | (1ull << VSW_VIRTIO_NET_F_MQ) |          \
	 (1ull << VSW_VIRTIO_NET_F_MTU) | F_OFFLOADS | ENGINE_OPTIONAL | F_PROTOCOL | F_LOG_ALL)

/* LOG_SHMFD goes with LOG_ALL: a port that does not offer it offers no log. */
#define OFFERED_PROTOCOL                                                             \
	((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_RARP) |         \
	 (1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD) |                                     \
	 (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | (1ull << VHOST_USER_PROTOCOL_F_MTU) |   \
	 (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |                           \
	 (1ull << VHOST_USER_PROTOCOL_F_STATUS))

/* Offload features that depend on one switched off go too (virtio 1.2,
 * 5.1.3.1): TSO needs the checksum offload of its direction, ECN needs TSO. */
static uint64_t without_orphans(uint64_t f)
{
#define B(x) (1ull << VSW_VIRTIO_NET_F_##x)
	if (!(f & B(CSUM)))
		f &= ~(B(HOST_TSO4) | B(HOST_TSO6));
	if (!(f & (B(HOST_TSO4) | B(HOST_TSO6))))
		f &= ~B(HOST_ECN);
	if (!(f & B(GUEST_CSUM)))
		f &= ~(B(GUEST_TSO4) | B(GUEST_TSO6));
	if (!(f & (B(GUEST_TSO4) | B(GUEST_TSO6))))
		f &= ~B(GUEST_ECN);
#undef B
	return f;
}

/* ---- memory ---- */

static void unmap_region(struct vsw_mem_region *r)
{
	if (r->mmap_addr != NULL) {
		vsw_mem_guard_del(r->guard);
		munmap(r->mmap_addr, r->mmap_size);
	}
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->guard = -1;
}

static void unmap_all(struct vsw_guest_mem *m)
{
	for (uint32_t i = 0; i < m->nregions; i++)
		unmap_region(&m->regions[i]);
	m->nregions = 0;
}

/* The frontend shrank a file under one of our mappings; the SIGBUS was
 * absorbed (mem_guard.c) and the mapping holds zeros now. */
static void on_mem_fault(void *ctx)
{
	struct vsw_vhost_dev *d = ctx;
	VSW_LOG(ERR, vhost, "port %s: a guest memory file shrank under its mapping (SIGBUS "
			    "absorbed); closing the connection",
		d->name);
	d->fail(d, "guest memory file shrank");
}

/* A shared mapping of [off, off + size) of fd (guest memory or the dirty
 * log), guarded against the file shrinking. The fd stays the caller's:
 * the mapping keeps the file alive. what names it in errors. */
static int map_file(struct vsw_vhost_dev *d, int fd, uint64_t off, uint64_t size,
		    const char *what, struct vsw_file_map *out, char *why, size_t len)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(why, len, "fstat: %s", strerror(errno));
		return -1;
	}
	/* memfd, hugetlbfs and shm files are regular files. Their size tells
	 * us whether the area lies inside: touching a mapping past the end
	 * of a file kills the whole daemon with SIGBUS. */
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s fd is not a regular file (memfd, hugetlbfs or shm)", what);
		return -1;
	}
	if (vsw_mem_guard_check_fd(fd, why, len) < 0)
		return -1;
	if (off > UINT64_MAX - size || (uint64_t)st.st_size < off + size) {
		snprintf(why, len,
			 "%s (offset 0x%llx, size 0x%llx) extends past the end of its file (0x%llx)",
			 what, (unsigned long long)off, (unsigned long long)size,
			 (unsigned long long)st.st_size);
		return -1;
	}
	/* hugetlbfs wants offset and length in whole huge pages. */
	uint64_t align = (uint64_t)sysconf(_SC_PAGESIZE);
	struct statfs sfs;
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC && sfs.f_bsize > 0)
		align = (uint64_t)sfs.f_bsize;
	uint64_t start = off & ~(align - 1);
	uint64_t span = off - start + size;
	uint64_t maplen = (span + align - 1) & ~(align - 1);
	if (maplen < span || maplen > SIZE_MAX) {
		snprintf(why, len, "%s too large to map", what);
		return -1;
	}
	void *p = mmap(NULL, (size_t)maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap of %s, 0x%llx bytes at offset 0x%llx: %s", what,
			 (unsigned long long)maplen, (unsigned long long)start, strerror(errno));
		return -1;
	}
	/* A file that shrinks later must not kill us (SIGBUS). */
	int guard = vsw_mem_guard_add(p, (size_t)maplen, on_mem_fault, d);
	if (guard < 0) {
		munmap(p, (size_t)maplen);
		snprintf(why, len, "more guest memory mappings than vswd guards (%d over all ports)",
			 VSW_MEM_GUARD_SLOTS);
		return -1;
	}
	/* Guest RAM (and its log) has no place in our core dumps. */
	madvise(p, (size_t)maplen, MADV_DONTDUMP);
	*out = (struct vsw_file_map){
		.at = (uint8_t *)p + (off - start), .addr = p, .len = (size_t)maplen, .guard = guard
	};
	return 0;
}

/* Maps one region of fd. */
static int map_region(struct vsw_vhost_dev *d, const struct vhost_user_region *r, int fd,
		      struct vsw_mem_region *out, char *why, size_t len)
{
	struct vsw_file_map fm;
	if (map_file(d, fd, r->mmap_offset, r->memory_size, "region", &fm, why, len) < 0)
		return -1;
	*out = (struct vsw_mem_region){
		.guest_phys_addr = r->guest_phys_addr,
		.size = r->memory_size,
		.user_addr = r->userspace_addr,
		.host_addr = fm.at,
		.mmap_addr = fm.addr,
		.mmap_size = fm.len,
		.mmap_offset = r->mmap_offset,
		.fd = -1,
		.guard = fm.guard,
	};
	return 0;
}

static void unmap_file(struct vsw_file_map *fm)
{
	if (fm->addr != NULL) {
		vsw_mem_guard_del(fm->guard);
		munmap(fm->addr, fm->len);
	}
	*fm = (struct vsw_file_map){ .guard = -1 };
}

/* ---- queues ---- */

static uint16_t nq(const struct vsw_vhost_dev *d)
{
	return (uint16_t)(2 * d->s.queue_pairs);
}

static bool has_proto(const struct vsw_vhost_dev *d, int bit)
{
	return (d->protocol_features & (1ull << bit)) != 0;
}

static bool q_enabled(const struct vsw_vhost_dev *d, const struct vsw_vhost_vq *q)
{
	/* Without protocol features rings are enabled from the start. */
	return !(d->features & F_PROTOCOL) || q->enabled;
}

static bool q_ready(const struct vsw_vhost_dev *d, const struct vsw_vhost_vq *q)
{
	return d->mem.nregions > 0 && q->has_num && q->has_addr && q->kicked && q->has_call &&
	       q_enabled(d, q);
}

static void set_link(struct vsw_vhost_dev *d)
{
	bool up = d->nrunning > 0;
	if (up == d->link_up)
		return;
	d->link_up = up;
	if (d->ops->link != NULL)
		d->ops->link(d->ctx, up);
}

/* Stops the queues in mask (bit per qid) that run: clears their flags,
 * waits once for the workers to leave them all (RCU), then records where
 * each one stopped. */
static void q_stop_mask(struct vsw_vhost_dev *d, uint64_t mask)
{
	uint64_t stopping = 0;
	for (uint16_t i = 0; i < nq(d); i++) {
		if ((mask >> i & 1) && d->vqs[i]->running) {
			__atomic_store_n(&d->vqs[i]->running, false, __ATOMIC_RELEASE);
			stopping |= 1ull << i;
		}
	}
	if (stopping == 0)
		return;
	if (d->ops->sync != NULL)
		d->ops->sync(d->ctx);
	for (uint16_t i = 0; i < nq(d); i++) {
		if (!(stopping >> i & 1))
			continue;
		struct vsw_vhost_vq *q = d->vqs[i];
		q->base = vsw_vq_get_base(&q->vq);
		q->saved = q->vq.stats;
		d->nrunning--;
	}
	set_link(d);
}

static void q_stop(struct vsw_vhost_dev *d, uint16_t qid)
{
	q_stop_mask(d, 1ull << qid);
}

static uint64_t all_queues(const struct vsw_vhost_dev *d)
{
	return nq(d) >= 64 ? ~0ull : (1ull << nq(d)) - 1;
}

static uint64_t running_queues(const struct vsw_vhost_dev *d)
{
	uint64_t was = 0;
	for (uint16_t i = 0; i < nq(d); i++)
		if (d->vqs[i]->running)
			was |= 1ull << i;
	return was;
}

/* Starts qid if it is ready and not running. -1 (why filled) when the
 * engine refuses the setup. */
static int q_start(struct vsw_vhost_dev *d, uint16_t qid, char *why, size_t len)
{
	struct vsw_vhost_vq *q = d->vqs[qid];
	if (q->running || !q_ready(d, q))
		return 0;
	char name[48];
	snprintf(name, sizeof(name), "%.30s %s%u", d->name, qid % 2 ? "txq" : "rxq", qid / 2);
	struct vsw_vq_setup s = {
		.mem = &d->mem,
		.size = q->num,
		.packed = (d->features & (1ull << VSW_VIRTIO_F_RING_PACKED)) != 0,
		.desc_uaddr = q->desc,
		.avail_uaddr = q->avail,
		.used_uaddr = q->used,
		.base = q->base,
		.features = d->features,
		.call_fd = q->call_fd,
		.max_pkt_len = d->s.max_pkt_len,
		.name = name,
	};
	/* Logging needs both LOG_ALL and a log: QEMU may send LOG_ALL (at a
	 * device start during migration) before SET_LOG_BASE. */
	if ((d->features & F_LOG_ALL) && d->log.addr != NULL) {
		s.log = d->log.at;
		s.log_size = d->log_size;
		s.log_ring = (q->addr_flags >> VHOST_VRING_F_LOG) & 1;
		s.log_used_gpa = q->log_guest_addr;
		/* Packed: the used entries are the descriptors, whose guest-physical
		 * address is found from the frontend's address of the ring. */
		if (s.packed && vsw_uva_to_gpa(&d->mem, q->desc, &s.log_desc_gpa) < 0)
			s.log_ring = false;
	}
	int rc = vsw_vq_init(&q->vq, &s);
	if (rc < 0) {
		snprintf(why, len, "vring %u: %s", qid,
			 rc == -EFAULT ? "ring addresses outside guest memory"
				       : "ring size, base or alignment refused by the virtqueue engine");
		return -1;
	}
	q->vq.stats = q->saved;
	d->nrunning++;
	/* The worker that sees the flag must see the initialised queue. */
	__atomic_store_n(&q->running, true, __ATOMIC_RELEASE);
	set_link(d);
	return 0;
}

/* Starts again the queues in was, stopped with q_stop_mask for a change
 * they take at set-up (the log, LOG_ALL, a ring's log address): that is
 * how a change reaches the workers, who never see a queue half set up. */
static int q_restart(struct vsw_vhost_dev *d, uint64_t was, char *why, size_t len)
{
	for (uint16_t i = 0; i < nq(d); i++) {
		if (!(was >> i & 1))
			continue;
		if (q_start(d, i, why, len) < 0)
			return -1;
		if (!d->vqs[i]->running) {
			snprintf(why, len, "vring %u did not restart", i);
			return -1;
		}
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void q_reset(struct vsw_vhost_vq *q)
{
	close_fd(&q->kick_fd);
	close_fd(&q->call_fd);
	close_fd(&q->err_fd);
	q->has_num = q->has_addr = q->kicked = q->has_call = q->enabled = false;
	q->num = 0;
	q->base = 0;
	q->desc = q->avail = q->used = 0;
	memset(&q->saved, 0, sizeof(q->saved));
}

/* Replaces the memory table under stopped queues: the workers have left
 * every queue (RCU) before a mapping goes away. strict: a queue that ran
 * before must run again (SET_MEM_TABLE); otherwise (REM/ADD_MEM_REG, which
 * frontends send one by one) a queue whose ring is not mapped at the
 * moment waits for the next change. */
static int mem_commit(struct vsw_vhost_dev *d, const struct vsw_guest_mem *next,
		      struct vsw_guest_mem *drop, bool strict, char *why, size_t len)
{
	uint64_t was = running_queues(d);
	q_stop_mask(d, was);
	d->mem = *next;
	unmap_all(drop);
	int rc = 0;
	for (uint16_t i = 0; i < nq(d); i++) {
		if (q_start(d, i, why, len) < 0) {
			if (strict && (was >> i & 1))
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
	int rc = vsw_vhost_msg_reply(d->conn_fd, m, p, size);
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

static struct vsw_vhost_vq *vring(struct vsw_vhost_dev *d, uint64_t idx, char *why, size_t len)
{
	if (idx >= nq(d)) {
		snprintf(why, len, "vring index %llu out of range (this port has %u)",
			 (unsigned long long)idx, nq(d));
		return NULL;
	}
	return d->vqs[idx];
}

static int refuse_running(const struct vsw_vhost_vq *q, uint32_t idx, char *why, size_t len)
{
	if (!q->running)
		return 0;
	snprintf(why, len, "vring %u is running (GET_VRING_BASE stops it first)", idx);
	return -1;
}

static int h_get_features(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	return reply_u64(d, m, d->offered, why, len);
}

static int h_set_features(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint64_t f = m->payload.u64;
	if ((f & F_LOG_ALL) && !(d->offered & F_LOG_ALL)) {
		snprintf(why, len, "LOG_ALL (dirty logging for live migration) was not offered: "
				   "log_all is in the port's disable_features");
		return H_ERR;
	}
	if (f & ~d->offered) {
		snprintf(why, len, "features 0x%llx were not offered (offered 0x%llx)",
			 (unsigned long long)(f & ~d->offered), (unsigned long long)d->offered);
		return H_ERR;
	}
	/* Only dirty logging may be switched while queues run (QEMU does at
	 * the start and end of a migration). */
	uint64_t changed = f ^ d->features;
	if (d->nrunning && (changed & ~F_LOG_ALL)) {
		snprintf(why, len, "features changed while queues run (0x%llx; only LOG_ALL may)",
			 (unsigned long long)(changed & ~F_LOG_ALL));
		return H_ERR;
	}
	if ((f & F_LOG_ALL) && !has_proto(d, VHOST_USER_PROTOCOL_F_LOG_SHMFD)) {
		snprintf(why, len, "LOG_ALL without the LOG_SHMFD protocol feature: no log to write");
		return H_ERR;
	}
	if (changed & F_LOG_ALL)
		VSW_LOG(INFO, vhost, "port %s: dirty logging %s%s", d->name,
			(f & F_LOG_ALL) ? "on" : "off",
			(f & F_LOG_ALL) && d->log.addr == NULL ? " (from SET_LOG_BASE on)" : "");
	uint64_t was = (changed & F_LOG_ALL) ? running_queues(d) : 0;
	q_stop_mask(d, was);
	d->features = f;
	d->features_set = true;
	if (q_restart(d, was, why, len) < 0)
		return H_ERR;
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
	q_stop_mask(d, all_queues(d));
	for (uint16_t i = 0; i < nq(d); i++) {
		close_fd(&d->vqs[i]->kick_fd);
		d->vqs[i]->kicked = false;
	}
	d->owner_reset = true;
	return H_OK;
}

static int h_set_mem_table(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vhost_user_memory *t = &m->payload.mem;
	if (vsw_vhost_regions_check(t->regions, t->nregions, NULL, VSW_VHOST_MAX_MEM_SLOTS, why,
				    len) < 0)
		return H_ERR;
	struct vsw_guest_mem next = { 0 };
	for (uint32_t i = 0; i < t->nregions; i++) {
		if (map_region(d, &t->regions[i], m->fds[i], &next.regions[i], why, len) < 0) {
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
	const struct vhost_user_region *r = &m->payload.reg.region;
	/* QEMU 7.2 sends the same region once per queue pair (each is a
	 * vhost device on this one connection): the repeat is a no-op. */
	for (uint32_t i = 0; i < d->mem.nregions; i++) {
		const struct vsw_mem_region *o = &d->mem.regions[i];
		if (o->guest_phys_addr == r->guest_phys_addr && o->user_addr == r->userspace_addr &&
		    o->size == r->memory_size)
			return H_OK;
	}
	if (vsw_vhost_regions_check(r, 1, &d->mem, VSW_VHOST_MAX_MEM_SLOTS, why, len) < 0)
		return H_ERR;
	struct vsw_guest_mem next = d->mem, none = { 0 };
	if (map_region(d, r, m->fds[0], &next.regions[next.nregions], why, len) < 0)
		return H_ERR;
	next.nregions++;
	return mem_commit(d, &next, &none, false, why, len) < 0 ? H_ERR : H_OK;
}

static int h_rem_mem_reg(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vhost_user_region *r = &m->payload.reg.region;
	for (uint32_t i = 0; i < d->mem.nregions; i++) {
		const struct vsw_mem_region *o = &d->mem.regions[i];
		if (o->guest_phys_addr != r->guest_phys_addr || o->user_addr != r->userspace_addr ||
		    o->size != r->memory_size)
			continue;
		struct vsw_guest_mem next = d->mem, drop = { .nregions = 1 };
		drop.regions[0] = *o;
		memmove(&next.regions[i], &next.regions[i + 1],
			(next.nregions - i - 1) * sizeof(next.regions[0]));
		next.nregions--;
		return mem_commit(d, &next, &drop, false, why, len) < 0 ? H_ERR : H_OK;
	}
	/* Already gone: QEMU 7.2 removes a region once per queue pair. */
	VSW_LOG(DEBUG, vhost, "port %s: REM_MEM_REG: no region at gpa 0x%llx size 0x%llx (already "
			      "removed)",
		d->name, (unsigned long long)r->guest_phys_addr, (unsigned long long)r->memory_size);
	return H_OK;
}

static int h_get_max_mem_slots(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
			       size_t len)
{
	return reply_u64(d, m, VSW_VHOST_MAX_MEM_SLOTS, why, len);
}

static int h_set_vring_num(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vhost_user_vring_state *s = &m->payload.state;
	struct vsw_vhost_vq *q = vring(d, s->index, why, len);
	if (q == NULL || refuse_running(q, s->index, why, len) < 0)
		return H_ERR;
	if (s->num == 0 || s->num > VSW_VQ_MAX_SIZE || (s->num & (s->num - 1))) {
		snprintf(why, len, "vring %u: size %u (allowed: a power of two up to %u)", s->index,
			 s->num, VSW_VQ_MAX_SIZE);
		return H_ERR;
	}
	q->num = (uint16_t)s->num;
	q->has_num = true;
	return H_OK;
}

static int h_set_vring_addr(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vhost_user_vring_addr *a = &m->payload.addr;
	struct vsw_vhost_vq *q = vring(d, a->index, why, len);
	if (q == NULL)
		return H_ERR;
	if (a->flags & ~(1u << VHOST_VRING_F_LOG)) {
		snprintf(why, len, "vring %u: unknown flags 0x%x", a->index, a->flags);
		return H_ERR;
	}
	bool packed = (d->features & (1ull << VSW_VIRTIO_F_RING_PACKED)) != 0;
	uint64_t n = q->has_num ? q->num : 1;
	uint64_t ds = 16 * n, as = packed ? 4 : 6 + 2 * n, us = packed ? 4 : 6 + 8 * n;
	if ((a->flags >> VHOST_VRING_F_LOG & 1) && a->log_guest_addr > UINT64_MAX - us) {
		snprintf(why, len, "vring %u: log address 0x%llx + the used ring overflows", a->index,
			 (unsigned long long)a->log_guest_addr);
		return H_ERR;
	}
	/* QEMU turns the used ring's logging on and off on running rings
	 * (the same addresses again): the queue restarts to take it. */
	if (q->running && a->desc_user_addr == q->desc && a->avail_user_addr == q->avail &&
	    a->used_user_addr == q->used) {
		q_stop(d, (uint16_t)a->index);
		q->addr_flags = a->flags;
		q->log_guest_addr = a->log_guest_addr;
		return q_restart(d, 1ull << a->index, why, len) < 0 ? H_ERR : H_OK;
	}
	if (refuse_running(q, a->index, why, len) < 0)
		return H_ERR;
	if (d->mem.nregions == 0) {
		snprintf(why, len, "vring %u: ring addresses before any memory table", a->index);
		return H_ERR;
	}
	/* Alignment from the virtio spec; the engine's atomic accesses to
	 * the index fields rely on it. */
	if ((a->desc_user_addr & 15) || (a->avail_user_addr & (packed ? 3 : 1)) ||
	    (a->used_user_addr & 3)) {
		snprintf(why, len, "vring %u: misaligned ring address", a->index);
		return H_ERR;
	}
	if (vsw_uva_to_hva(&d->mem, a->desc_user_addr, ds) == NULL ||
	    vsw_uva_to_hva(&d->mem, a->avail_user_addr, as) == NULL ||
	    vsw_uva_to_hva(&d->mem, a->used_user_addr, us) == NULL) {
		snprintf(why, len,
			 "vring %u: ring addresses (desc 0x%llx avail 0x%llx used 0x%llx) do not "
			 "translate",
			 a->index, (unsigned long long)a->desc_user_addr,
			 (unsigned long long)a->avail_user_addr, (unsigned long long)a->used_user_addr);
		return H_ERR;
	}
	q->desc = a->desc_user_addr;
	q->avail = a->avail_user_addr;
	q->used = a->used_user_addr;
	q->addr_flags = a->flags;
	q->log_guest_addr = a->log_guest_addr;
	q->has_addr = true;
	return q_start(d, (uint16_t)a->index, why, len) < 0 ? H_ERR : H_OK;
}

static int h_set_vring_base(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vhost_user_vring_state *s = &m->payload.state;
	struct vsw_vhost_vq *q = vring(d, s->index, why, len);
	if (q == NULL || refuse_running(q, s->index, why, len) < 0)
		return H_ERR;
	/* Packed rings carry the used index and wrap counter in bits 16-31
	 * (QEMU sends them); split rings have only the 16-bit avail index. */
	if (s->num > 0xffff && !(d->features & (1ull << VSW_VIRTIO_F_RING_PACKED))) {
		snprintf(why, len, "vring %u: base %u over 16 bits", s->index, s->num);
		return H_ERR;
	}
	q->base = s->num;
	return H_OK;
}

static int h_get_vring_base(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vhost_user_vring_state *s = &m->payload.state;
	struct vsw_vhost_vq *q = vring(d, s->index, why, len);
	if (q == NULL)
		return H_ERR;
	q_stop(d, (uint16_t)s->index);
	/* Stopped until the frontend sets it up and kicks it again. */
	close_fd(&q->kick_fd);
	q->kicked = false;
	struct vhost_user_vring_state r = { .index = s->index, .num = q->base };
	return reply(d, m, &r, sizeof(r), why, len);
}

/* What an fd is, as /proc names it ("anon_inode:[eventfd]", "pipe:[..]"). */
static int fd_kind(int fd, char *kind, size_t len)
{
	char link[32];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, kind, len - 1);
	if (n < 0)
		return -1;
	kind[n] = '\0';
	return 0;
}

/* m's fd into *out if it is an eventfd (made non-blocking); else -1 with
 * why filled, and the fd stays in m for the caller to close. */
static int take_eventfd(struct vsw_vhost_msg *m, const char *what, int *out, char *why,
			size_t len)
{
	int fd = m->fds[0];
	char kind[64];
	struct stat st;
	if (fd_kind(fd, kind, sizeof(kind)) == 0) {
		if (strcmp(kind, "anon_inode:[eventfd]") != 0) {
			snprintf(why, len, "%s is %s (allowed: an eventfd)", what, kind);
			return -1;
		}
	} else if (fstat(fd, &st) < 0 || (st.st_mode & S_IFMT) != 0) {
		/* No /proc: an eventfd is at least an anonymous inode. */
		snprintf(why, len, "%s is not an eventfd", what);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		snprintf(why, len, "%s: fcntl: %s", what, strerror(errno));
		return -1;
	}
	m->fds[0] = -1;
	*out = fd;
	return 0;
}

/* The vring fd of a SET_VRING_KICK/CALL/ERR into *out (-1 for "no fd").
 * They must be eventfds (vhost-user.rst): workers write to call fds, and a
 * pipe or socket that nobody reads would block a worker for good. Made
 * non-blocking here. The frontend shares the file description and could
 * make it blocking again: the switch's watchdog catches that. On refusal
 * the fd stays in m for the caller to close. */
static int take_vring_fd(struct vsw_vhost_msg *m, const char *what, uint16_t idx, int *out,
			 char *why, size_t len)
{
	*out = -1;
	if (m->payload.u64 & VHOST_USER_VRING_NOFD)
		return 0;
	char name[32];
	snprintf(name, sizeof(name), "vring %u: the %s fd", idx, what);
	return take_eventfd(m, name, out, why, len);
}

static int h_set_vring_kick(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint16_t idx = (uint16_t)(m->payload.u64 & VHOST_USER_VRING_IDX_MASK);
	struct vsw_vhost_vq *q = vring(d, idx, why, len);
	int fd;
	if (q == NULL || take_vring_fd(m, "kick", idx, &fd, why, len) < 0)
		return H_ERR;
	/* Workers poll and never read the kick fd, so it may change under a
	 * running queue. */
	close_fd(&q->kick_fd);
	q->kick_fd = fd;
	q->kicked = true;
	return q_start(d, idx, why, len) < 0 ? H_ERR : H_OK;
}

static int h_set_vring_call(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint16_t idx = (uint16_t)(m->payload.u64 & VHOST_USER_VRING_IDX_MASK);
	struct vsw_vhost_vq *q = vring(d, idx, why, len);
	int fd;
	if (q == NULL || take_vring_fd(m, "call", idx, &fd, why, len) < 0)
		return H_ERR;
	/* Workers write to the call fd: it may only be closed (and its number
	 * reused) once they have left the queue. QEMU swaps it whenever the
	 * guest masks or unmasks the queue's interrupt. */
	bool was = q->running;
	q_stop(d, idx);
	close_fd(&q->call_fd);
	q->call_fd = fd;
	q->has_call = true;
	if (q_start(d, idx, why, len) < 0)
		return H_ERR;
	if (was && !q->running) {
		snprintf(why, len, "vring %u did not restart", idx);
		return H_ERR;
	}
	return H_OK;
}

static int h_set_vring_err(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint16_t idx = (uint16_t)(m->payload.u64 & VHOST_USER_VRING_IDX_MASK);
	struct vsw_vhost_vq *q = vring(d, idx, why, len);
	int fd;
	if (q == NULL || take_vring_fd(m, "err", idx, &fd, why, len) < 0)
		return H_ERR;
	close_fd(&q->err_fd);
	q->err_fd = fd;
	return H_OK;
}

/* The bitmap bytes a log needs to cover guest memory: a bit per 4 KiB
 * page up to the highest guest-physical address. */
static uint64_t log_bytes_needed(const struct vsw_guest_mem *m)
{
	uint64_t end = vsw_guest_mem_end(m);
	return end == 0 ? 0 : ((end - 1) >> VSW_LOG_PAGE_SHIFT) / 8 + 1;
}

static int h_set_log_base(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	const struct vhost_user_log *l = &m->payload.log;
	if (d->mem.nregions == 0) {
		snprintf(why, len, "dirty log before any memory table");
		return H_ERR;
	}
	uint64_t need = log_bytes_needed(&d->mem);
	if (l->mmap_size < need) {
		snprintf(why, len,
			 "dirty log of %llu bytes is too small for guest memory up to 0x%llx (needs %llu)",
			 (unsigned long long)l->mmap_size,
			 (unsigned long long)vsw_guest_mem_end(&d->mem), (unsigned long long)need);
		return H_ERR;
	}
	if (l->mmap_offset > UINT64_MAX - l->mmap_size) {
		snprintf(why, len, "dirty log offset 0x%llx + size 0x%llx overflows",
			 (unsigned long long)l->mmap_offset, (unsigned long long)l->mmap_size);
		return H_ERR;
	}
	struct vsw_file_map fm;
	if (map_file(d, m->fds[0], l->mmap_offset, l->mmap_size, "dirty log", &fm, why, len) < 0)
		return H_ERR;
	/* The queues take the new log at set-up: stop the running ones, swap,
	 * start them again; no worker can still write the old one then. */
	uint64_t was = running_queues(d);
	q_stop_mask(d, was);
	struct vsw_file_map old = d->log;
	d->log = fm;
	d->log_size = l->mmap_size;
	unmap_file(&old);
	VSW_LOG(INFO, vhost, "port %s: dirty log of %llu bytes mapped%s", d->name,
		(unsigned long long)d->log_size, (d->features & F_LOG_ALL) ? ", logging" : "");
	if (q_restart(d, was, why, len) < 0)
		return H_ERR;
	/* With LOG_SHMFD the frontend waits for a reply (vhost-user.rst). */
	return reply_u64(d, m, 0, why, len);
}

static int h_set_log_fd(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	int fd;
	if (take_eventfd(m, "the log fd", &fd, why, len) < 0)
		return H_ERR;
	/* For the frontend's log-sync notifications; vsw writes the log
	 * synchronously and never needs to signal it. Kept until replaced. */
	close_fd(&d->log_fd);
	d->log_fd = fd;
	return H_OK;
}

static int h_get_protocol_features(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
				   size_t len)
{
	return reply_u64(d, m, d->offered_protocol, why, len);
}

static int h_set_protocol_features(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
				   size_t len)
{
	uint64_t f = m->payload.u64;
	if (f & ~d->offered_protocol) {
		snprintf(why, len, "protocol features 0x%llx were not offered (offered 0x%llx)",
			 (unsigned long long)(f & ~d->offered_protocol),
			 (unsigned long long)d->offered_protocol);
		return H_ERR;
	}
	d->protocol_features = f;
	return H_OK;
}

static int h_get_queue_num(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	return reply_u64(d, m, d->s.queue_pairs, why, len);
}

static int h_set_vring_enable(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why,
			      size_t len)
{
	const struct vhost_user_vring_state *s = &m->payload.state;
	struct vsw_vhost_vq *q = vring(d, s->index, why, len);
	if (q == NULL)
		return H_ERR;
	if (s->num > 1) {
		snprintf(why, len, "vring %u: enable value %u (allowed: 0 or 1)", s->index, s->num);
		return H_ERR;
	}
	q->enabled = s->num == 1;
	if (!q_enabled(d, q))
		q_stop(d, (uint16_t)s->index);
	return q_start(d, (uint16_t)s->index, why, len) < 0 ? H_ERR : H_OK;
}

static int h_send_rarp(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	(void)why;
	(void)len;
	const uint8_t *mac = m->payload.raw;
	/* After a migration the destination QEMU asks us to announce the
	 * guest (unless it announces itself, GUEST_ANNOUNCE): the switch
	 * learns its MAC here and tells the others (vsw_vhost_ops.announce). */
	VSW_LOG(INFO, vhost, "port %s: SEND_RARP for %02x:%02x:%02x:%02x:%02x:%02x", d->name,
		mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	if (d->ops->announce != NULL)
		d->ops->announce(d->ctx, mac);
	return H_OK;
}

static int h_net_set_mtu(struct vsw_vhost_dev *d, struct vsw_vhost_msg *m, char *why, size_t len)
{
	uint64_t mtu = m->payload.u64;
	if (mtu < 68 || mtu > 65535) {
		snprintf(why, len, "MTU %llu (allowed: 68-65535)", (unsigned long long)mtu);
		return H_ERR;
	}
	if (d->s.mtu && mtu > d->s.mtu)
		VSW_LOG(WARNING, vhost,
			"port %s: the frontend gives the guest MTU %llu, the port's is %u: larger "
			"frames will be dropped",
			d->name, (unsigned long long)mtu, d->s.mtu);
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

/* need_owner is set only where it matters: frontends do not all send
 * SET_OWNER first (DPDK's virtio_user, taking a restarted backend back,
 * sends ring messages before it), and nothing here depends on it. */
static const struct handler handlers[VHOST_USER_MAX_REQUEST] = {
	[VHOST_USER_GET_FEATURES] = { h_get_features, false, -1 },
	[VHOST_USER_SET_FEATURES] = { h_set_features, false, -1 },
	[VHOST_USER_SET_OWNER] = { h_set_owner, false, -1 },
	[VHOST_USER_RESET_OWNER] = { h_reset_owner, true, -1 },
	[VHOST_USER_SET_MEM_TABLE] = { h_set_mem_table, false, -1 },
	[VHOST_USER_SET_LOG_BASE] = { h_set_log_base, false, VHOST_USER_PROTOCOL_F_LOG_SHMFD },
	[VHOST_USER_SET_LOG_FD] = { h_set_log_fd, false, VHOST_USER_PROTOCOL_F_LOG_SHMFD },
	[VHOST_USER_SET_VRING_NUM] = { h_set_vring_num, false, -1 },
	[VHOST_USER_SET_VRING_ADDR] = { h_set_vring_addr, false, -1 },
	[VHOST_USER_SET_VRING_BASE] = { h_set_vring_base, false, -1 },
	[VHOST_USER_GET_VRING_BASE] = { h_get_vring_base, false, -1 },
	[VHOST_USER_SET_VRING_KICK] = { h_set_vring_kick, false, -1 },
	[VHOST_USER_SET_VRING_CALL] = { h_set_vring_call, false, -1 },
	[VHOST_USER_SET_VRING_ERR] = { h_set_vring_err, false, -1 },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = { h_get_protocol_features, false, -1 },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = { h_set_protocol_features, false, -1 },
	[VHOST_USER_GET_QUEUE_NUM] = { h_get_queue_num, false, -1 },
	[VHOST_USER_SET_VRING_ENABLE] = { h_set_vring_enable, false, -1 },
	[VHOST_USER_SEND_RARP] = { h_send_rarp, false, VHOST_USER_PROTOCOL_F_RARP },
	[VHOST_USER_NET_SET_MTU] = { h_net_set_mtu, false, VHOST_USER_PROTOCOL_F_MTU },
	[VHOST_USER_GET_MAX_MEM_SLOTS] = { h_get_max_mem_slots, false,
					   VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS },
	[VHOST_USER_ADD_MEM_REG] = { h_add_mem_reg, false, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS },
	[VHOST_USER_REM_MEM_REG] = { h_rem_mem_reg, false, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS },
	[VHOST_USER_SET_STATUS] = { h_set_status, false, VHOST_USER_PROTOCOL_F_STATUS },
	[VHOST_USER_GET_STATUS] = { h_get_status, false, VHOST_USER_PROTOCOL_F_STATUS },
};

static const char *const proto_names[] = {
	[VHOST_USER_PROTOCOL_F_LOG_SHMFD] = "LOG_SHMFD",
	[VHOST_USER_PROTOCOL_F_RARP] = "RARP",
	[VHOST_USER_PROTOCOL_F_MTU] = "MTU",
	[VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS] = "CONFIGURE_MEM_SLOTS",
	[VHOST_USER_PROTOCOL_F_STATUS] = "STATUS",
};

static int fail(struct vsw_vhost_dev *d, const struct vsw_vhost_msg *m, const char *why)
{
	VSW_LOG(ERR, vhost, "port %s: %s: %s; closing the connection", d->name,
		vsw_vhost_req_name(m->hdr.request), why);
	if (vsw_vhost_msg_need_reply(m))
		(void)vsw_vhost_msg_ack(d->conn_fd, m, 1);
	return -1;
}

int vsw_vhost_handle(struct vsw_vhost_dev *d, const struct vhost_user_hdr *hdr,
		     const uint8_t *payload, int *fds, int nfds)
{
	char why[256] = "";
	struct vsw_vhost_msg m = { .hdr = *hdr, .fds = fds, .nfds = nfds };
	if (hdr->size > sizeof(m.payload)) {
		snprintf(why, sizeof(why), "payload of %u bytes, longer than any request's",
			 hdr->size);
		return fail(d, &m, why);
	}
	memcpy(m.payload.raw, payload, hdr->size);
	if (vsw_vhost_msg_check(&m, why, sizeof(why)) < 0)
		return fail(d, &m, why);
	const struct handler *h = &handlers[hdr->request];
	if (h->fn == NULL)
		return fail(d, &m, "unsupported request");
	if (h->need_owner && !d->owner)
		return fail(d, &m, "before SET_OWNER");
	if (h->need_proto >= 0 && !has_proto(d, h->need_proto)) {
		snprintf(why, sizeof(why), "protocol feature %s not negotiated",
			 proto_names[h->need_proto]);
		return fail(d, &m, why);
	}
	VSW_LOG(DEBUG, vhost, "port %s: %s", d->name, vsw_vhost_req_name(hdr->request));
	int rc = h->fn(d, &m, why, sizeof(why));
	if (rc == H_ERR)
		return fail(d, &m, why);
	if (rc == H_OK && vsw_vhost_msg_need_reply(&m)) {
		int e = vsw_vhost_msg_ack(d->conn_fd, &m, 0);
		if (e < 0) {
			snprintf(why, sizeof(why), "sending the ack: %s", strerror(-e));
			return fail(d, &m, why);
		}
	}
	return 0;
}

/* ---- device ---- */

uint64_t vsw_vhost_supported_features(void)
{
	return OFFERED_FEATURES;
}

struct vsw_vhost_dev *vsw_vhost_alloc(const struct vsw_vhost_settings *s,
				      struct vsw_evloop *loop, const struct vsw_vhost_ops *ops,
				      void *ctx)
{
	struct vsw_vhost_dev *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->s = *s;
	if (d->s.queue_pairs == 0)
		d->s.queue_pairs = 1;
	if (d->s.queue_pairs > VSW_VHOST_MAX_QUEUE_PAIRS)
		d->s.queue_pairs = VSW_VHOST_MAX_QUEUE_PAIRS;
	snprintf(d->name, sizeof(d->name), "%s", s->name ? s->name : "?");
	snprintf(d->path, sizeof(d->path), "%s", s->path ? s->path : "");
	d->s.name = d->name;
	d->s.path = d->path;
	d->loop = loop;
	d->ops = ops;
	d->ctx = ctx;
	d->listen_fd = d->conn_fd = -1;
	d->offered = without_orphans(OFFERED_FEATURES & ~s->disabled_features);
	if (d->s.queue_pairs == 1)
		d->offered &= ~(1ull << VSW_VIRTIO_NET_F_MQ);
	d->offered_protocol = OFFERED_PROTOCOL;
	if (!(d->offered & F_LOG_ALL))
		d->offered_protocol &= ~(1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD);
	d->log = (struct vsw_file_map){ .guard = -1 };
	d->log_fd = -1;
	for (uint16_t i = 0; i < nq(d); i++) {
		if (posix_memalign((void **)&d->vqs[i], RTE_CACHE_LINE_SIZE, sizeof(*d->vqs[i])) != 0) {
			vsw_vhost_free(d);
			return NULL;
		}
		memset(d->vqs[i], 0, sizeof(*d->vqs[i]));
		d->vqs[i]->kick_fd = d->vqs[i]->call_fd = d->vqs[i]->err_fd = -1;
		/* Never set up: pollers that look anyway find a dead queue. */
		d->vqs[i]->vq.broken = true;
	}
	return d;
}

void vsw_vhost_unmap_all(struct vsw_vhost_dev *d)
{
	unmap_all(&d->mem);
	unmap_file(&d->log);
	d->log_size = 0;
	close_fd(&d->log_fd);
}

void vsw_vhost_reset(struct vsw_vhost_dev *d)
{
	q_stop_mask(d, all_queues(d));
	for (uint16_t i = 0; i < nq(d); i++)
		if (d->vqs[i] != NULL)
			q_reset(d->vqs[i]);
	vsw_vhost_unmap_all(d);
	d->features = d->protocol_features = 0;
	d->features_set = d->owner = d->owner_reset = false;
	d->status = 0;
	d->mtu = 0;
}

void vsw_vhost_free(struct vsw_vhost_dev *d)
{
	if (d == NULL)
		return;
	for (uint16_t i = 0; i < VSW_VHOST_MAX_VQS; i++) {
		if (d->vqs[i] == NULL)
			continue;
		if (d->vqs[i]->running)
			q_stop(d, i);
		q_reset(d->vqs[i]);
		free(d->vqs[i]);
		d->vqs[i] = NULL;
	}
	vsw_vhost_unmap_all(d);
	free(d);
}

struct vsw_vhost_vq *vsw_vhost_rxq(struct vsw_vhost_dev *d, uint16_t pair)
{
	return pair < d->s.queue_pairs ? d->vqs[2 * pair] : NULL;
}

struct vsw_vhost_vq *vsw_vhost_txq(struct vsw_vhost_dev *d, uint16_t pair)
{
	return pair < d->s.queue_pairs ? d->vqs[2 * pair + 1] : NULL;
}

uint16_t vsw_vhost_running_rx_pairs(const struct vsw_vhost_dev *d)
{
	uint16_t n = 0;
	while (n < d->s.queue_pairs && __atomic_load_n(&d->vqs[2 * n]->running, __ATOMIC_ACQUIRE))
		n++;
	return n;
}

uint64_t vsw_vhost_features(const struct vsw_vhost_dev *d)
{
	return d->features;
}
