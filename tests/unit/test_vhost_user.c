/* Unit tests of the vhost-user backend over a socketpair, with real memfd
 * regions: the handshake as QEMU 7.2 does it up to running queues,
 * GET_VRING_BASE, SET_VRING_CALL under a running queue, ADD/REM_MEM_REG,
 * every malformed case (each must answer a REPLY_ACK with an error and close
 * the connection), fd and mapping leaks over repeated SET_MEM_TABLE, KICK
 * and CALL, disconnects, packed ring bases inside and outside the ring,
 * guest memory unmapped only once a polling worker has left (SET_MEM_TABLE,
 * REM_MEM_REG, disconnect), and the server/client sockets on a real evloop,
 * including a server socket file removed under a connected frontend. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost_user/mem_guard.h"
#include "vhost_user/proto.h"
#include "vhost_user/vhost_user.h"
#include "vring/layout.h"

#define MB (1024 * 1024)
#define UADDR0 0x7f0000000000ull
#define UADDR1 0x7f0000400000ull
#define GPA1 0x100000000ull
#define RING_NUM 256
#define NEED VHOST_USER_NEED_REPLY
#define F(b) (1ull << (b))

struct worker;

struct env {
	int peer;
	struct vsw_vhost_dev *dev;
	struct worker *worker; /* a poller the sync waits for, if any */
	int memfd[2];
	uint8_t *local[2]; /* our view of each memfd */
	int syncs, link_ups, link_downs;
	bool link;
};

static void worker_sync(struct worker *w);

static void on_sync(void *ctx)
{
	struct env *e = ctx;
	e->syncs++;
	if (e->worker != NULL)
		worker_sync(e->worker);
}

static void on_link(void *ctx, bool up)
{
	struct env *e = ctx;
	e->link = up;
	if (up)
		e->link_ups++;
	else
		e->link_downs++;
}

static const struct vsw_vhost_ops ops = { .sync = on_sync, .link = on_link };

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int make_memfd(size_t size)
{
	int fd = memfd_create("guest", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static struct env *env_new(uint16_t qp)
{
	struct env *e = calloc(1, sizeof(*e));
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	e->peer = sv[0];
	struct vsw_vhost_settings s = { .name = "vm1", .queue_pairs = qp, .mtu = 1500 };
	e->dev = vsw_vhost_create_on_fd(&s, NULL, &ops, e, sv[1]);
	assert_non_null(e->dev);
	/* Region 0: 1 MiB at offset 0 of a 1 MiB memfd. Region 1: 1 MiB at
	 * offset 1 MiB of a 2 MiB memfd (a non-zero mmap offset). */
	e->memfd[0] = make_memfd(MB);
	e->memfd[1] = make_memfd(2 * MB);
	e->local[0] = mmap(NULL, MB, PROT_READ | PROT_WRITE, MAP_SHARED, e->memfd[0], 0);
	e->local[1] = mmap(NULL, MB, PROT_READ | PROT_WRITE, MAP_SHARED, e->memfd[1], MB);
	assert_true(e->local[0] != MAP_FAILED && e->local[1] != MAP_FAILED);
	return e;
}

static void env_free(struct env *e)
{
	vsw_vhost_destroy(e->dev);
	close(e->peer);
	munmap(e->local[0], MB);
	munmap(e->local[1], MB);
	close(e->memfd[0]);
	close(e->memfd[1]);
	free(e);
}

static void send_msg(struct env *e, uint32_t req, uint32_t flags, const void *p, uint32_t size,
		     const int *fds, int nfds)
{
	uint8_t buf[sizeof(struct vhost_user_hdr) + 512];
	struct vhost_user_hdr h = { .request = req, .flags = VHOST_USER_VERSION | flags,
				    .size = size };
	memcpy(buf, &h, sizeof(h));
	if (size)
		memcpy(buf + sizeof(h), p, size);
	union {
		char c[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr a;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(h) + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > 0) {
		mh.msg_control = ctl.c;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	assert_int_equal(sendmsg(e->peer, &mh, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
}

static void send_u64(struct env *e, uint32_t req, uint32_t flags, uint64_t v)
{
	send_msg(e, req, flags, &v, sizeof(v), NULL, 0);
}

static void send_state(struct env *e, uint32_t req, uint32_t flags, uint32_t idx, uint32_t num)
{
	struct vhost_user_vring_state s = { idx, num };
	send_msg(e, req, flags, &s, sizeof(s), NULL, 0);
}

/* Reads one reply to req; returns its first 8 bytes as a u64. */
static uint64_t recv_reply(struct env *e, uint32_t req, uint32_t size)
{
	struct vhost_user_hdr h;
	assert_int_equal(recv(e->peer, &h, sizeof(h), MSG_WAITALL), (ssize_t)sizeof(h));
	assert_int_equal(h.request, req);
	assert_int_equal(h.flags, VHOST_USER_VERSION | VHOST_USER_REPLY);
	assert_int_equal(h.size, size);
	uint8_t p[64] = { 0 };
	assert_true(size <= sizeof(p));
	assert_int_equal(recv(e->peer, p, size, MSG_WAITALL), (ssize_t)size);
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* The device handles what was sent; it must keep the connection. */
static void pump(struct env *e)
{
	assert_true(vsw_vhost_poll(e->dev));
}

/* GET_VRING_BASE's reply: the state's num. */
static uint32_t recv_base(struct env *e, uint32_t idx)
{
	uint64_t v = recv_reply(e, VHOST_USER_GET_VRING_BASE, 8);
	struct vhost_user_vring_state s;
	memcpy(&s, &v, sizeof(s));
	assert_int_equal(s.index, idx);
	return s.num;
}

static uint64_t ask_u64(struct env *e, uint32_t req)
{
	send_msg(e, req, 0, NULL, 0, NULL, 0);
	pump(e);
	return recv_reply(e, req, 8);
}

static void expect_ack(struct env *e, uint32_t req)
{
	pump(e);
	assert_int_equal(recv_reply(e, req, 8), 0);
}

/* The device must refuse what was sent: an error ack (when asked), the
 * connection closed, everything of it freed. */
static void expect_refused(struct env *e, uint32_t req, bool acked)
{
	assert_false(vsw_vhost_poll(e->dev));
	assert_false(vsw_vhost_connected(e->dev));
	if (acked)
		assert_int_not_equal(recv_reply(e, req, 8), 0);
	char c;
	assert_int_equal(recv(e->peer, &c, 1, 0), 0); /* EOF */
	assert_false(vsw_vhost_rxq(e->dev, 0)->running);
	assert_false(e->link);
}

static void region(struct vhost_user_region *r, int i)
{
	*r = (struct vhost_user_region){
		.guest_phys_addr = i ? GPA1 : 0,
		.memory_size = MB,
		.userspace_addr = i ? UADDR1 : UADDR0,
		.mmap_offset = i ? MB : 0,
	};
}

static void send_mem_table(struct env *e, uint32_t flags)
{
	struct vhost_user_memory m = { .nregions = 2 };
	region(&m.regions[0], 0);
	region(&m.regions[1], 1);
	send_msg(e, VHOST_USER_SET_MEM_TABLE, flags, &m, 8 + 2 * sizeof(m.regions[0]), e->memfd,
		 2);
}

static void send_vring_fd(struct env *e, uint32_t req, uint32_t idx)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	send_msg(e, req, 0, &(uint64_t){ idx }, 8, &fd, 1);
	close(fd); /* the device has its own copy now */
}

/* Rings of queue i in region 1 (split layout). */
static uint64_t ring_uaddr(uint32_t i, int part)
{
	return UADDR1 + i * 0x4000ull + (uint64_t)part * 0x1000;
}

static void send_vring_addr(struct env *e, uint32_t i, uint64_t desc)
{
	struct vhost_user_vring_addr a = { .index = i,
					   .desc_user_addr = desc,
					   .avail_user_addr = ring_uaddr(i, 1),
					   .used_user_addr = ring_uaddr(i, 2) };
	send_msg(e, VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
}

static const uint64_t proto_wanted = F(VHOST_USER_PROTOCOL_F_MQ) |
				     F(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
				     F(VHOST_USER_PROTOCOL_F_MTU) | F(VHOST_USER_PROTOCOL_F_RARP) |
				     F(VHOST_USER_PROTOCOL_F_STATUS);

#define WANT_FEATURES                                                                  \
	(F(VSW_VIRTIO_F_VERSION_1) | F(VSW_VIRTIO_NET_F_MRG_RXBUF) |                    \
	 F(VSW_VIRTIO_RING_F_EVENT_IDX) | F(VSW_VIRTIO_NET_F_MQ) |                      \
	 F(VSW_VHOST_USER_F_PROTOCOL_FEATURES))

/* Negotiation as QEMU 7.2's vhost_user_backend_init and vhost_dev_init do
 * it, then vhost_dev_start's features (want) and memory table. */
static void negotiate_features(struct env *e, uint64_t proto, uint64_t want)
{
	uint64_t f = ask_u64(e, VHOST_USER_GET_FEATURES);
	assert_true(f & F(VSW_VHOST_USER_F_PROTOCOL_FEATURES));
	assert_true(f & F(VSW_VIRTIO_F_VERSION_1));
	assert_true(f & F(VSW_VIRTIO_F_RING_PACKED));
	assert_true(f & F(VHOST_F_LOG_ALL)); /* live migration */
	uint64_t p = ask_u64(e, VHOST_USER_GET_PROTOCOL_FEATURES);
	assert_true(p & F(VHOST_USER_PROTOCOL_F_LOG_SHMFD));
	assert_int_equal(p & proto, proto);
	send_u64(e, VHOST_USER_SET_PROTOCOL_FEATURES, 0, proto);
	pump(e);
	assert_int_equal(ask_u64(e, VHOST_USER_GET_QUEUE_NUM), 2);
	send_msg(e, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	pump(e);
	assert_int_equal(ask_u64(e, VHOST_USER_GET_FEATURES), f);
	for (uint32_t i = 0; i < 4; i++) /* vhost_virtqueue_init: masked notifiers */
		send_vring_fd(e, VHOST_USER_SET_VRING_CALL, i);
	pump(e);
	send_u64(e, VHOST_USER_SET_FEATURES, NEED, want);
	expect_ack(e, VHOST_USER_SET_FEATURES);
}

static void negotiate(struct env *e, uint64_t proto)
{
	negotiate_features(e, proto, WANT_FEATURES);
}

static void setup_queue(struct env *e, uint32_t i)
{
	send_state(e, VHOST_USER_SET_VRING_NUM, 0, i, RING_NUM);
	send_state(e, VHOST_USER_SET_VRING_BASE, 0, i, 0);
	send_vring_addr(e, i, ring_uaddr(i, 0));
	send_vring_fd(e, VHOST_USER_SET_VRING_KICK, i);
	send_vring_fd(e, VHOST_USER_SET_VRING_CALL, i);
	pump(e);
}

/* Up to both queues of pair 0 running. */
static void handshake(struct env *e)
{
	negotiate(e, proto_wanted);
	send_mem_table(e, NEED);
	expect_ack(e, VHOST_USER_SET_MEM_TABLE);
	setup_queue(e, 0);
	setup_queue(e, 1);
	/* Protocol features negotiated: rings wait for SET_VRING_ENABLE. */
	assert_false(vsw_vhost_rxq(e->dev, 0)->running);
	send_state(e, VHOST_USER_SET_VRING_ENABLE, NEED, 0, 1);
	expect_ack(e, VHOST_USER_SET_VRING_ENABLE);
	send_state(e, VHOST_USER_SET_VRING_ENABLE, NEED, 1, 1);
	expect_ack(e, VHOST_USER_SET_VRING_ENABLE);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	assert_true(vsw_vhost_txq(e->dev, 0)->running);
	assert_false(vsw_vhost_rxq(e->dev, 1)->running);
}

static void test_handshake(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	handshake(e);
	assert_true(e->link);
	assert_int_equal(e->link_ups, 1);
	assert_int_equal(vsw_vhost_running_rx_pairs(e->dev), 1);
	assert_true(vsw_vhost_features(e->dev) & F(VSW_VIRTIO_NET_F_MRG_RXBUF));
	/* The engine's rings are the guest's memory, offset included. */
	struct vsw_vhost_vq *q = vsw_vhost_rxq(e->dev, 0);
	uint8_t *mine = e->local[1] + (ring_uaddr(0, 0) - UADDR1);
	mine[0] = 0xab;
	mine[15] = 0xcd;
	assert_memory_equal(q->vq.desc, mine, 16);
	assert_int_equal(q->vq.size, RING_NUM);
	/* Status, MTU and RARP are accepted. */
	send_u64(e, VHOST_USER_SET_STATUS, NEED, 0xf);
	expect_ack(e, VHOST_USER_SET_STATUS);
	assert_int_equal(ask_u64(e, VHOST_USER_GET_STATUS), 0xf);
	send_u64(e, VHOST_USER_NET_SET_MTU, NEED, 1500);
	expect_ack(e, VHOST_USER_NET_SET_MTU);
	send_u64(e, VHOST_USER_SEND_RARP, NEED, 0x0000563412005452ull);
	expect_ack(e, VHOST_USER_SEND_RARP);
	env_free(e);
}

static void test_no_protocol_features(void **state)
{
	(void)state;
	/* An old frontend: no protocol features, rings enabled from the start. */
	struct env *e = env_new(1);
	send_msg(e, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_u64(e, VHOST_USER_SET_FEATURES, 0, F(VSW_VIRTIO_F_VERSION_1));
	send_mem_table(e, 0);
	pump(e);
	setup_queue(e, 0);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	env_free(e);
}

static void test_get_vring_base(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	handshake(e);
	int syncs = e->syncs;
	/* As if 77 buffers were taken and returned: the device's position and
	 * the used index in guest memory agree, as they always do between bursts. */
	vsw_vhost_txq(e->dev, 0)->vq.last_avail_idx = 77;
	vsw_vhost_txq(e->dev, 0)->vq.last_used_idx = 77;
	vsw_vhost_txq(e->dev, 0)->vq.used->idx = 77;
	send_state(e, VHOST_USER_GET_VRING_BASE, 0, 1, 0);
	pump(e);
	assert_int_equal(recv_base(e, 1), 77);
	assert_false(vsw_vhost_txq(e->dev, 0)->running);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	assert_int_equal(e->syncs, syncs + 1); /* the workers were waited for */
	/* Restart from where it stopped, as QEMU does after a stop. */
	send_state(e, VHOST_USER_SET_VRING_BASE, 0, 1, 77);
	send_vring_fd(e, VHOST_USER_SET_VRING_KICK, 1);
	pump(e);
	assert_true(vsw_vhost_txq(e->dev, 0)->running);
	assert_int_equal(vsw_vhost_txq(e->dev, 0)->vq.last_avail_idx, 77);
	/* A queue never started answers its base too. */
	send_state(e, VHOST_USER_GET_VRING_BASE, 0, 3, 0);
	pump(e);
	assert_int_equal(recv_base(e, 3), 0);
	/* Disable stops, enable restarts. */
	send_state(e, VHOST_USER_SET_VRING_ENABLE, 0, 0, 0);
	pump(e);
	assert_false(vsw_vhost_rxq(e->dev, 0)->running);
	send_state(e, VHOST_USER_SET_VRING_ENABLE, 0, 0, 1);
	pump(e);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	env_free(e);
}

static void test_call_swap_and_mem_table_while_running(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	handshake(e);
	int syncs = e->syncs;
	send_vring_fd(e, VHOST_USER_SET_VRING_CALL, 0);
	pump(e);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	assert_int_equal(e->syncs, syncs + 1);
	/* Memory hot-plug: a new table while queues run stops them (one
	 * wait for the workers), remaps, restarts. */
	vsw_vhost_rxq(e->dev, 0)->vq.last_avail_idx = 5;
	vsw_vhost_rxq(e->dev, 0)->vq.last_used_idx = 5;
	vsw_vhost_rxq(e->dev, 0)->vq.used->idx = 5;
	send_mem_table(e, NEED);
	expect_ack(e, VHOST_USER_SET_MEM_TABLE);
	assert_int_equal(e->syncs, syncs + 2);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	assert_true(vsw_vhost_txq(e->dev, 0)->running);
	assert_int_equal(vsw_vhost_rxq(e->dev, 0)->vq.last_avail_idx, 5);
	assert_true(e->link);
	env_free(e);
}

static void test_mem_slots(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	negotiate(e, proto_wanted | F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS));
	assert_int_equal(ask_u64(e, VHOST_USER_GET_MAX_MEM_SLOTS), VSW_VHOST_MAX_MEM_SLOTS);
	for (int i = 0; i < 2; i++) {
		struct vhost_user_single_region r = { 0 };
		region(&r.region, i);
		send_msg(e, VHOST_USER_ADD_MEM_REG, NEED, &r, sizeof(r), &e->memfd[i], 1);
		expect_ack(e, VHOST_USER_ADD_MEM_REG);
	}
	setup_queue(e, 0);
	send_state(e, VHOST_USER_SET_VRING_ENABLE, 0, 0, 1);
	pump(e);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	/* Removing the region of the rings parks the queue; adding it back
	 * resumes it. */
	struct vhost_user_single_region r = { 0 };
	region(&r.region, 1);
	send_msg(e, VHOST_USER_REM_MEM_REG, NEED, &r, sizeof(r), NULL, 0);
	expect_ack(e, VHOST_USER_REM_MEM_REG);
	assert_false(vsw_vhost_rxq(e->dev, 0)->running);
	send_msg(e, VHOST_USER_ADD_MEM_REG, NEED, &r, sizeof(r), &e->memfd[1], 1);
	expect_ack(e, VHOST_USER_ADD_MEM_REG);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	/* Overlapping an existing region is refused. */
	r.region.userspace_addr += 0x10000000;
	send_msg(e, VHOST_USER_ADD_MEM_REG, NEED, &r, sizeof(r), &e->memfd[1], 1);
	expect_refused(e, VHOST_USER_ADD_MEM_REG, true);
	env_free(e);
}

/* ---- packed ring bases ---- */

/* Queue pair 0's TX queue, packed, set up to start at base: everything up
 * to the SET_VRING_ENABLE (sent, not yet handled) that starts it. */
static void packed_queue_at(struct env *e, uint32_t base)
{
	negotiate_features(e, proto_wanted, WANT_FEATURES | F(VSW_VIRTIO_F_RING_PACKED));
	send_mem_table(e, NEED);
	expect_ack(e, VHOST_USER_SET_MEM_TABLE);
	send_state(e, VHOST_USER_SET_VRING_NUM, 0, 1, RING_NUM);
	send_state(e, VHOST_USER_SET_VRING_BASE, 0, 1, base);
	send_vring_addr(e, 1, ring_uaddr(1, 0));
	send_vring_fd(e, VHOST_USER_SET_VRING_KICK, 1);
	send_vring_fd(e, VHOST_USER_SET_VRING_CALL, 1);
	pump(e);
	send_state(e, VHOST_USER_SET_VRING_ENABLE, NEED, 1, 1);
}

/* A packed ring's SET_VRING_BASE: bits 0-14 the avail index, 15 its wrap
 * counter, 16-30 the used index, 31 its wrap counter. Indices inside the
 * ring start the queue there, up to its last slot; an index at the ring
 * size or beyond (a slot past the ring, which the device would read and
 * write) is refused when the queue would start: an error reply, the
 * connection closed, the queue never running. */
static void test_packed_base_inside_ring(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	uint32_t last = (RING_NUM - 1) | 1u << 15 | (uint32_t)(RING_NUM - 1) << 16 | 1u << 31;
	packed_queue_at(e, last);
	expect_ack(e, VHOST_USER_SET_VRING_ENABLE);
	struct vsw_vhost_vq *q = vsw_vhost_txq(e->dev, 0);
	assert_true(q->running);
	assert_true(q->vq.packed);
	assert_int_equal(q->vq.last_avail_idx, RING_NUM - 1);
	assert_true(q->vq.avail_wrap);
	assert_int_equal(q->vq.last_used_idx, RING_NUM - 1);
	assert_true(q->vq.used_wrap);
	send_state(e, VHOST_USER_GET_VRING_BASE, 0, 1, 0);
	pump(e);
	assert_int_equal(recv_base(e, 1), last);
	env_free(e);
	const uint32_t bad[] = {
		RING_NUM,                                 /* avail index = ring size */
		RING_NUM | 1u << 15,                      /* the same, other lap */
		0x7fff,                                   /* the largest 15-bit index */
		(uint32_t)RING_NUM << 16,                 /* used index = ring size */
		1u | 1u << 15 | 0x7fffu << 16 | 1u << 31, /* used index far out */
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = env_new(2);
		packed_queue_at(e, bad[i]);
		expect_refused(e, VHOST_USER_SET_VRING_ENABLE, true);
		assert_false(vsw_vhost_txq(e->dev, 0)->running);
		env_free(e);
	}
}

/* ---- guest memory goes only after the workers have left ---- */

/* A worker as the switch's are: it uses a queue only while the queue's
 * running flag is set, and between rounds reports that it holds nothing
 * (an RCU quiescent state: the generation it saw at the round's start).
 * The device's sync callback waits for a report of a generation newer
 * than its call, as rte_rcu_qsbr_synchronize does. In each round the
 * worker reads the queue's ring and the frame it holds, in guest memory,
 * over and over, so it is nearly always inside a queue: a mapping removed
 * before the sync is touched before the worker can report (SIGSEGV). */
struct worker {
	struct vsw_vhost_vq *q[2];
	uint64_t gen, ack;
	int stop;
	uint64_t rounds, frames, sum; /* rounds inside a queue; frames seen */
	pthread_t thread;
	bool running;
};

static struct worker W;

static int worker_teardown(void **state)
{
	(void)state;
	/* Also after a failed assertion: the worker must not outlive its test. */
	if (W.running) {
		__atomic_store_n(&W.stop, 1, __ATOMIC_RELEASE);
		pthread_join(W.thread, NULL);
		W.running = false;
	}
	return 0;
}

static uint64_t look_at(struct vsw_vhost_vq *q, uint64_t *frames)
{
	struct vsw_vq_view v[4];
	bool stopped;
	uint16_t n = vsw_vq_peek(&q->vq, v, 4, &stopped);
	uint64_t sum = 0;
	for (uint16_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < v[i].len; j++)
			sum += v[i].frame[j];
	*frames += n;
	/* The ring itself, as the engine holds it. */
	const volatile uint8_t *desc = (const volatile uint8_t *)q->vq.desc;
	for (uint32_t j = 0; j < 16u * q->vq.size; j += 64)
		sum += desc[j];
	return sum;
}

static void *worker_loop(void *arg)
{
	struct worker *w = arg;
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		uint64_t gen = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
		for (int i = 0; i < 2; i++) {
			if (!__atomic_load_n(&w->q[i]->running, __ATOMIC_ACQUIRE))
				continue;
			uint64_t frames = 0;
			for (int k = 0; k < 200; k++)
				w->sum += look_at(w->q[i], &frames);
			__atomic_fetch_add(&w->frames, frames, __ATOMIC_RELAXED);
			__atomic_fetch_add(&w->rounds, 1, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&w->ack, gen, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void worker_sync(struct worker *w)
{
	uint64_t gen = __atomic_add_fetch(&w->gen, 1, __ATOMIC_SEQ_CST);
	uint64_t end = vsw_monotonic_ms() + 5000;
	while (__atomic_load_n(&w->ack, __ATOMIC_ACQUIRE) < gen) {
		assert_true(vsw_monotonic_ms() < end);
		sched_yield();
	}
}

/* Waits until the worker has been inside a queue again (and, frames, has
 * seen the frame again): it is using what the device just set up. */
static void worker_busy(struct worker *w, bool frames)
{
	uint64_t r0 = __atomic_load_n(&w->rounds, __ATOMIC_RELAXED);
	uint64_t f0 = __atomic_load_n(&w->frames, __ATOMIC_RELAXED);
	uint64_t end = vsw_monotonic_ms() + 5000;
	while (__atomic_load_n(&w->rounds, __ATOMIC_RELAXED) < r0 + 3 ||
	       (frames && __atomic_load_n(&w->frames, __ATOMIC_RELAXED) <= f0)) {
		assert_true(vsw_monotonic_ms() < end);
		sched_yield();
	}
}

static void send_region(struct env *e, uint32_t req, int i)
{
	struct vhost_user_single_region r = { 0 };
	region(&r.region, i);
	send_msg(e, req, NEED, &r, sizeof(r), req == VHOST_USER_ADD_MEM_REG ? &e->memfd[i] : NULL,
		 req == VHOST_USER_ADD_MEM_REG ? 1 : 0);
	expect_ack(e, req);
}

/* SET_MEM_TABLE replacing the table, REM_MEM_REG of the frame's region and
 * of the rings', and the frontend's disconnect each unmap guest memory
 * while a worker polls the queues: only after the sync. */
static void test_memory_outlives_workers(void **state)
{
	(void)state;
	int fds0 = count_fds(), maps0 = count_maps();
	struct env *e = env_new(2);
	negotiate(e, proto_wanted | F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS));
	send_mem_table(e, NEED);
	expect_ack(e, VHOST_USER_SET_MEM_TABLE);
	setup_queue(e, 0);
	setup_queue(e, 1);
	for (uint32_t i = 0; i < 2; i++) {
		send_state(e, VHOST_USER_SET_VRING_ENABLE, NEED, i, 1);
		expect_ack(e, VHOST_USER_SET_VRING_ENABLE);
	}
	/* The guest sends one frame: its buffer in region 0, the rings in region 1. */
	uint8_t *frame = e->local[0] + 0x1000;
	memset(frame, 0, 12);
	memset(frame + 12, 0x5a, 60);
	struct vring_desc *desc = (void *)(e->local[1] + (ring_uaddr(1, 0) - UADDR1));
	struct vring_avail *avail = (void *)(e->local[1] + (ring_uaddr(1, 1) - UADDR1));
	desc[0] = (struct vring_desc){ .addr = 0x1000, .len = 72 };
	avail->ring[0] = 0;
	__atomic_store_n(&avail->idx, 1, __ATOMIC_RELEASE);
	W = (struct worker){ .q = { vsw_vhost_rxq(e->dev, 0), vsw_vhost_txq(e->dev, 0) } };
	/* A stack of our own: one from glibc stays mapped in its cache. */
	void *stack = mmap(NULL, MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(stack != MAP_FAILED);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack, MB);
	assert_int_equal(pthread_create(&W.thread, &attr, worker_loop, &W), 0);
	pthread_attr_destroy(&attr);
	W.running = true;
	e->worker = &W;
	worker_busy(&W, true);
	int syncs = e->syncs;
	/* A new table for the same memory: new mappings, the old ones go. */
	send_mem_table(e, NEED);
	expect_ack(e, VHOST_USER_SET_MEM_TABLE);
	assert_int_equal(e->syncs, syncs + 1);
	assert_true(W.q[1]->running);
	worker_busy(&W, true);
	/* The frame's region goes (the queues run on without it) and comes back. */
	send_region(e, VHOST_USER_REM_MEM_REG, 0);
	assert_int_equal(e->syncs, syncs + 2);
	assert_true(W.q[1]->running);
	worker_busy(&W, false);
	send_region(e, VHOST_USER_ADD_MEM_REG, 0);
	worker_busy(&W, true);
	/* The rings' region goes: the queues wait for it. */
	send_region(e, VHOST_USER_REM_MEM_REG, 1);
	assert_false(W.q[0]->running);
	assert_false(W.q[1]->running);
	send_region(e, VHOST_USER_ADD_MEM_REG, 1);
	assert_true(W.q[1]->running);
	worker_busy(&W, true);
	/* The frontend goes: everything is unmapped. */
	syncs = e->syncs;
	close(e->peer);
	e->peer = -1;
	assert_false(vsw_vhost_poll(e->dev));
	assert_int_equal(e->syncs, syncs + 1);
	assert_false(W.q[0]->running);
	assert_false(W.q[1]->running);
	worker_teardown(NULL);
	munmap(stack, MB);
	e->worker = NULL;
	vsw_vhost_destroy(e->dev);
	munmap(e->local[0], MB);
	munmap(e->local[1], MB);
	close(e->memfd[0]);
	close(e->memfd[1]);
	free(e);
	assert_int_equal(count_fds(), fds0);
	assert_int_equal(count_maps(), maps0);
}

/* ---- malformed messages: each one ends the connection ---- */

typedef void (*bad_fn)(struct env *e);

static void run_bad(bad_fn prepare, bad_fn send_bad, uint32_t req, bool acked)
{
	int fds0 = count_fds();
	struct env *e = env_new(2);
	int fds1 = count_fds();
	if (prepare)
		prepare(e);
	send_bad(e);
	expect_refused(e, req, acked);
	/* Nothing of the connection is left: only its socket (closed by
	 * the device) is gone. */
	assert_int_equal(count_fds(), fds1 - 1);
	env_free(e);
	assert_int_equal(count_fds(), fds0);
}

static void prep_owner(struct env *e)
{
	negotiate(e, proto_wanted);
}

static void prep_mem(struct env *e)
{
	negotiate(e, proto_wanted);
	send_mem_table(e, 0);
	pump(e);
}

static void prep_running(struct env *e)
{
	handshake(e);
}

static void bad_size(struct env *e)
{
	uint32_t v = 1;
	send_msg(e, VHOST_USER_SET_FEATURES, NEED, &v, sizeof(v), NULL, 0);
}

static void bad_missing_fd(struct env *e)
{
	send_msg(e, VHOST_USER_SET_VRING_KICK, NEED, &(uint64_t){ 0 }, 8, NULL, 0);
}

static void bad_extra_fd(struct env *e)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	send_msg(e, VHOST_USER_SET_OWNER, NEED, NULL, 0, &fd, 1);
	close(fd);
}

static void bad_nofd_with_fd(struct env *e)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	send_msg(e, VHOST_USER_SET_VRING_CALL, NEED, &(uint64_t){ VHOST_USER_VRING_NOFD }, 8, &fd,
		 1);
	close(fd);
}

static void bad_too_many_regions(struct env *e)
{
	struct vhost_user_memory m = { .nregions = 9 };
	send_msg(e, VHOST_USER_SET_MEM_TABLE, NEED, &m, sizeof(m), NULL, 0);
}

static void bad_fd_count_regions(struct env *e)
{
	struct vhost_user_memory m = { .nregions = 2 };
	region(&m.regions[0], 0);
	region(&m.regions[1], 1);
	send_msg(e, VHOST_USER_SET_MEM_TABLE, NEED, &m, 8 + 2 * 32, e->memfd, 1);
}

static void send_table2(struct env *e, const struct vhost_user_region *r0,
			const struct vhost_user_region *r1)
{
	struct vhost_user_memory m = { .nregions = 2 };
	m.regions[0] = *r0;
	m.regions[1] = *r1;
	send_msg(e, VHOST_USER_SET_MEM_TABLE, NEED, &m, 8 + 2 * 32, e->memfd, 2);
}

static void bad_overlap_gpa(struct env *e)
{
	struct vhost_user_region a, b;
	region(&a, 0);
	region(&b, 1);
	b.guest_phys_addr = a.guest_phys_addr + MB - 4096;
	send_table2(e, &a, &b);
}

static void bad_overlap_uaddr(struct env *e)
{
	struct vhost_user_region a, b;
	region(&a, 0);
	region(&b, 1);
	b.userspace_addr = a.userspace_addr + 4096;
	send_table2(e, &a, &b);
}

static void bad_overflow_gpa(struct env *e)
{
	struct vhost_user_region a, b;
	region(&a, 0);
	region(&b, 1);
	b.guest_phys_addr = ~0ull - 4095;
	send_table2(e, &a, &b);
}

static void bad_overflow_uaddr(struct env *e)
{
	struct vhost_user_region a, b;
	region(&a, 0);
	region(&b, 1);
	b.userspace_addr = ~0ull - 100;
	send_table2(e, &a, &b);
}

static void bad_zero_size(struct env *e)
{
	struct vhost_user_region a, b;
	region(&a, 0);
	region(&b, 1);
	b.memory_size = 0;
	send_table2(e, &a, &b);
}

static void bad_past_file_end(struct env *e)
{
	struct vhost_user_region a, b;
	region(&a, 0);
	region(&b, 1);
	b.memory_size = 4 * MB; /* the memfd has 2 MiB */
	send_table2(e, &a, &b);
}

static void bad_index(struct env *e)
{
	send_state(e, VHOST_USER_SET_VRING_NUM, NEED, 4, RING_NUM);
}

static void bad_kick_index(struct env *e)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	send_msg(e, VHOST_USER_SET_VRING_KICK, NEED, &(uint64_t){ 200 }, 8, &fd, 1);
	close(fd);
}

static void bad_num_not_pow2(struct env *e)
{
	send_state(e, VHOST_USER_SET_VRING_NUM, NEED, 0, 300);
}

static void bad_num_huge(struct env *e)
{
	send_state(e, VHOST_USER_SET_VRING_NUM, NEED, 0, 65536);
}

static void bad_num_zero(struct env *e)
{
	send_state(e, VHOST_USER_SET_VRING_NUM, NEED, 0, 0);
}

static void bad_addr_untranslatable(struct env *e)
{
	send_state(e, VHOST_USER_SET_VRING_NUM, 0, 0, RING_NUM);
	send_vring_addr(e, 0, 0x1000); /* no region holds uaddr 0x1000 */
}

static void bad_addr_crosses_end(struct env *e)
{
	send_state(e, VHOST_USER_SET_VRING_NUM, 0, 0, RING_NUM);
	send_vring_addr(e, 0, UADDR1 + MB - 16); /* desc table runs off the region */
}

static void bad_addr_misaligned(struct env *e)
{
	send_vring_addr(e, 0, ring_uaddr(0, 0) + 8);
}

/* Frontends need not send SET_OWNER first (virtio_user does not when it
 * takes a restarted backend back), but RESET_OWNER without an owner is
 * still out of order. */
static void bad_reset_before_owner(struct env *e)
{
	send_msg(e, VHOST_USER_RESET_OWNER, NEED, NULL, 0, NULL, 0);
}

static void bad_addr_before_mem(struct env *e)
{
	send_vring_addr(e, 0, ring_uaddr(0, 0));
}

static void bad_num_while_running(struct env *e)
{
	send_state(e, VHOST_USER_SET_VRING_NUM, NEED, 0, 128);
}

static void bad_owner_twice(struct env *e)
{
	send_msg(e, VHOST_USER_SET_OWNER, NEED, NULL, 0, NULL, 0);
}

static void bad_unknown(struct env *e)
{
	send_msg(e, 99, NEED, NULL, 0, NULL, 0);
}

/* ---- the dirty log (live migration) ---- */

/* Guest memory ends at GPA1 + 1 MiB: a bit per page up to there. */
#define LOG_NEED ((((GPA1 + MB - 1) >> 12) / 8) + 1)
#define LOG_FILE (LOG_NEED + 8192)

static int log_memfd(size_t size)
{
	int fd = memfd_create("log", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static void send_log_base_flags(struct env *e, int fd, uint64_t size, uint64_t off,
				uint32_t flags)
{
	struct vhost_user_log l = { .mmap_size = size, .mmap_offset = off };
	send_msg(e, VHOST_USER_SET_LOG_BASE, flags, &l, sizeof(l), &fd, 1);
}

static void send_log_base(struct env *e, int fd, uint64_t size, uint64_t off)
{
	send_log_base_flags(e, fd, size, off, NEED);
}

static void send_log_base_file(struct env *e, uint64_t size, uint64_t off)
{
	int fd = log_memfd(LOG_FILE);
	send_log_base(e, fd, size, off);
	close(fd);
}

static const uint64_t proto_log = F(VHOST_USER_PROTOCOL_F_MQ) |
				  F(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
				  F(VHOST_USER_PROTOCOL_F_LOG_SHMFD) | F(VHOST_USER_PROTOCOL_F_RARP);

/* As handshake, with LOG_SHMFD negotiated. */
static void handshake_log(struct env *e)
{
	negotiate(e, proto_log);
	send_mem_table(e, NEED);
	expect_ack(e, VHOST_USER_SET_MEM_TABLE);
	setup_queue(e, 0);
	setup_queue(e, 1);
	send_state(e, VHOST_USER_SET_VRING_ENABLE, 0, 0, 1);
	send_state(e, VHOST_USER_SET_VRING_ENABLE, 0, 1, 1);
	pump(e);
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	assert_true(vsw_vhost_txq(e->dev, 0)->running);
}

static void send_vring_addr_log(struct env *e, uint32_t i, bool log, uint64_t log_gpa)
{
	struct vhost_user_vring_addr a = { .index = i,
					   .flags = log ? 1u << VHOST_VRING_F_LOG : 0,
					   .desc_user_addr = ring_uaddr(i, 0),
					   .avail_user_addr = ring_uaddr(i, 1),
					   .used_user_addr = ring_uaddr(i, 2),
					   .log_guest_addr = log_gpa };
	send_msg(e, VHOST_USER_SET_VRING_ADDR, NEED, &a, sizeof(a), NULL, 0);
}

/* What QEMU does at the start of a migration, on running queues: the log
 * (a reply expected), LOG_ALL, the used rings' log addresses; then at its
 * end (or when cancelled) the same undone. The queues keep running, each
 * change reaching them through a stop (the workers waited for) and a
 * start; a restarted queue resumes where it was. */
static void test_log_while_running(void **state)
{
	(void)state;
	int maps0 = count_maps();
	struct env *e = env_new(2);
	handshake_log(e);
	struct vsw_vhost_vq *rx = vsw_vhost_rxq(e->dev, 0), *tx = vsw_vhost_txq(e->dev, 0);
	assert_false(rx->vq.log_on);
	/* As if 5 buffers had been used: the restart resumes there. */
	tx->vq.last_avail_idx = tx->vq.last_used_idx = tx->vq.used->idx = 5;
	int syncs = e->syncs;
	int fd = log_memfd(LOG_FILE);
	/* As QEMU sends it: no NEED_REPLY flag, yet a reply is due (LOG_SHMFD). */
	send_log_base_flags(e, fd, LOG_FILE - 4096, 4096, 0);
	pump(e);
	assert_int_equal(recv_reply(e, VHOST_USER_SET_LOG_BASE, 8), 0);
	assert_int_equal(e->syncs, syncs + 1);
	assert_true(rx->running && tx->running);
	assert_false(rx->vq.log_on); /* a log, but no LOG_ALL yet */
	send_u64(e, VHOST_USER_SET_FEATURES, NEED, WANT_FEATURES | F(VHOST_F_LOG_ALL));
	expect_ack(e, VHOST_USER_SET_FEATURES);
	assert_true(rx->running && tx->running);
	assert_true(rx->vq.log_on && tx->vq.log_on);
	assert_false(rx->vq.log_ring);
	assert_int_equal(tx->vq.last_avail_idx, 5);
	/* The log the queue writes is the file's, at the offset given. */
	uint8_t *mine = mmap(NULL, LOG_FILE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(mine != MAP_FAILED);
	rx->vq.log[3] = 0x5a;
	assert_int_equal(mine[4096 + 3], 0x5a);
	assert_int_equal(rx->vq.log_size, LOG_FILE - 4096);
	/* The used ring's log address, on the running ring. */
	send_vring_addr_log(e, 0, true, GPA1 + 0x2000);
	expect_ack(e, VHOST_USER_SET_VRING_ADDR);
	assert_true(rx->running && rx->vq.log_ring);
	assert_int_equal(rx->vq.log_used_gpa, GPA1 + 0x2000);
	/* ... whose set-up wrote the used ring's flags: its page is marked. */
	assert_true(mine[4096 + (GPA1 + 0x2000) / 4096 / 8] & 1u << ((GPA1 + 0x2000) / 4096 % 8));
	/* A log fd (for the frontend's notifications) is taken and kept. */
	int ev = eventfd(0, EFD_CLOEXEC);
	send_msg(e, VHOST_USER_SET_LOG_FD, NEED, NULL, 0, &ev, 1);
	close(ev);
	expect_ack(e, VHOST_USER_SET_LOG_FD);
	/* Off again: the queues still run, nothing logs. */
	send_vring_addr_log(e, 0, false, 0);
	expect_ack(e, VHOST_USER_SET_VRING_ADDR);
	send_u64(e, VHOST_USER_SET_FEATURES, NEED, WANT_FEATURES);
	expect_ack(e, VHOST_USER_SET_FEATURES);
	assert_true(rx->running && tx->running);
	assert_false(rx->vq.log_on || tx->vq.log_on);
	assert_int_equal(tx->vq.last_avail_idx, 5);
	/* GET_VRING_BASE after all that: where the queue was. */
	send_state(e, VHOST_USER_GET_VRING_BASE, 0, 1, 0);
	pump(e);
	assert_int_equal(recv_base(e, 1), 5);
	/* Other features still may not change under running queues. */
	send_u64(e, VHOST_USER_SET_FEATURES, NEED, WANT_FEATURES & ~F(VSW_VIRTIO_NET_F_MRG_RXBUF));
	expect_refused(e, VHOST_USER_SET_FEATURES, true);
	munmap(mine, LOG_FILE);
	close(fd);
	env_free(e);
	/* The log's mapping went with the connection. */
	assert_int_equal(count_maps(), maps0);
}

/* LOG_ALL before the log (QEMU does so when a device starts during a
 * migration): nothing is logged until SET_LOG_BASE, which then reaches
 * the running queues. */
static void test_log_all_before_log_base(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	negotiate_features(e, proto_log, WANT_FEATURES | F(VHOST_F_LOG_ALL));
	send_mem_table(e, NEED);
	expect_ack(e, VHOST_USER_SET_MEM_TABLE);
	setup_queue(e, 0);
	send_state(e, VHOST_USER_SET_VRING_ENABLE, 0, 0, 1);
	pump(e);
	struct vsw_vhost_vq *rx = vsw_vhost_rxq(e->dev, 0);
	assert_true(rx->running);
	assert_false(rx->vq.log_on);
	send_log_base_file(e, LOG_NEED, 0);
	pump(e);
	assert_int_equal(recv_reply(e, VHOST_USER_SET_LOG_BASE, 8), 0);
	assert_true(rx->running && rx->vq.log_on);
	assert_int_equal(rx->vq.log_size, LOG_NEED); /* exactly enough is enough */
	env_free(e);
}

/* A port with log_all switched off offers neither LOG_ALL nor LOG_SHMFD
 * (QEMU then refuses to migrate the guest), and refuses both. */
static void test_log_all_disabled(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	vsw_vhost_destroy(e->dev);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(e->peer);
	e->peer = sv[0];
	struct vsw_vhost_settings s = { .name = "vm2", .queue_pairs = 2,
					.disabled_features = F(VSW_VHOST_F_LOG_ALL) };
	e->dev = vsw_vhost_create_on_fd(&s, NULL, &ops, e, sv[1]);
	assert_false(ask_u64(e, VHOST_USER_GET_FEATURES) & F(VHOST_F_LOG_ALL));
	assert_false(ask_u64(e, VHOST_USER_GET_PROTOCOL_FEATURES) &
		     F(VHOST_USER_PROTOCOL_F_LOG_SHMFD));
	send_u64(e, VHOST_USER_SET_FEATURES, NEED, F(VSW_VIRTIO_F_VERSION_1) | F(VHOST_F_LOG_ALL));
	expect_refused(e, VHOST_USER_SET_FEATURES, true);
	env_free(e);
}

static void prep_owner_log(struct env *e)
{
	negotiate(e, proto_log);
}

static void prep_mem_log(struct env *e)
{
	negotiate(e, proto_log);
	send_mem_table(e, 0);
	pump(e);
}

static void prep_running_log(struct env *e)
{
	handshake_log(e);
}

static void bad_log_base(struct env *e)
{
	send_log_base_file(e, LOG_NEED, 0); /* LOG_SHMFD not negotiated */
}

static void bad_log_before_mem(struct env *e)
{
	send_log_base_file(e, LOG_NEED, 0);
}

static void bad_log_too_small(struct env *e)
{
	send_log_base_file(e, LOG_NEED - 1, 0);
}

static void bad_log_offset_overflow(struct env *e)
{
	send_log_base_file(e, LOG_NEED, UINT64_MAX - LOG_NEED / 2);
}

static void bad_log_past_file_end(struct env *e)
{
	send_log_base_file(e, LOG_FILE, 4096);
}

static void bad_log_fd_type(struct env *e)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	send_log_base(e, p[0], LOG_NEED, 0);
	close(p[0]);
	close(p[1]);
}

static void bad_log_no_fd(struct env *e)
{
	struct vhost_user_log l = { .mmap_size = LOG_NEED, .mmap_offset = 0 };
	send_msg(e, VHOST_USER_SET_LOG_BASE, NEED, &l, sizeof(l), NULL, 0);
}

static void bad_log_fd_not_eventfd(struct env *e)
{
	int fd = log_memfd(4096);
	send_msg(e, VHOST_USER_SET_LOG_FD, NEED, NULL, 0, &fd, 1);
	close(fd);
}

static void bad_log_addr_overflow(struct env *e)
{
	send_vring_addr_log(e, 0, true, UINT64_MAX - 100);
}

static void bad_log_addr_flags(struct env *e)
{
	struct vhost_user_vring_addr a = { .index = 0, .flags = 2,
					   .desc_user_addr = ring_uaddr(0, 0),
					   .avail_user_addr = ring_uaddr(0, 1),
					   .used_user_addr = ring_uaddr(0, 2) };
	send_msg(e, VHOST_USER_SET_VRING_ADDR, NEED, &a, sizeof(a), NULL, 0);
}

static void bad_features(struct env *e)
{
	/* LOG_ALL offered, but without LOG_SHMFD there is no log. */
	send_u64(e, VHOST_USER_SET_FEATURES, NEED, F(VHOST_F_LOG_ALL));
}

static void bad_protocol_features(struct env *e)
{
	send_u64(e, VHOST_USER_SET_PROTOCOL_FEATURES, NEED, F(5)); /* BACKEND_REQ: never offered */
}

static void bad_mem_slots_not_negotiated(struct env *e)
{
	struct vhost_user_single_region r = { 0 };
	region(&r.region, 0);
	send_msg(e, VHOST_USER_ADD_MEM_REG, NEED, &r, sizeof(r), &e->memfd[0], 1);
}

/* QEMU 7.2 repeats ADD/REM_MEM_REG once per queue pair on one connection:
 * removing a region that is already gone is accepted, and so is adding one
 * that is already mapped. */
static void test_rem_unknown_region_is_a_no_op(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	prep_mem(e);
	send_u64(e, VHOST_USER_SET_PROTOCOL_FEATURES, 0,
		 proto_wanted | F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS));
	struct vhost_user_single_region r = { 0 };
	region(&r.region, 0);
	r.region.guest_phys_addr = 0x40000000;
	send_msg(e, VHOST_USER_REM_MEM_REG, NEED, &r, sizeof(r), NULL, 0);
	expect_ack(e, VHOST_USER_REM_MEM_REG);
	assert_true(vsw_vhost_connected(e->dev));
	env_free(e);
}

/* Only packed rings have a used half in bits 16-31 of the base (QEMU's
 * packed-ring tests cover that side): a split ring refuses it. */
static void test_split_base_over_16_bits(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	handshake(e);
	send_state(e, VHOST_USER_GET_VRING_BASE, 0, 0, 0);
	pump(e);
	(void)recv_base(e, 0);
	send_state(e, VHOST_USER_SET_VRING_BASE, NEED, 0, 0x80008000u);
	assert_false(vsw_vhost_poll(e->dev)); /* refused: the connection closes */
	assert_false(vsw_vhost_connected(e->dev));
	env_free(e);
}


static void bad_enable_value(struct env *e)
{
	send_state(e, VHOST_USER_SET_VRING_ENABLE, NEED, 0, 2);
}

static void bad_mtu(struct env *e)
{
	send_u64(e, VHOST_USER_NET_SET_MTU, NEED, 20);
}

static void bad_version(struct env *e)
{
	struct vhost_user_hdr h = { .request = VHOST_USER_GET_FEATURES, .flags = 2 | NEED };
	assert_int_equal(send(e->peer, &h, sizeof(h), 0), (ssize_t)sizeof(h));
}

static void bad_reply_flag(struct env *e)
{
	send_msg(e, VHOST_USER_SET_OWNER, VHOST_USER_REPLY | NEED, NULL, 0, NULL, 0);
}

static void bad_huge_payload(struct env *e)
{
	/* Refused on the header alone: nothing to answer. */
	struct vhost_user_hdr h = { .request = VHOST_USER_SET_FEATURES, .flags = 1, .size = 1u << 20 };
	assert_int_equal(send(e->peer, &h, sizeof(h), 0), (ssize_t)sizeof(h));
}

static void bad_too_many_fds(struct env *e)
{
	int fds[12];
	for (int i = 0; i < 12; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	send_msg(e, VHOST_USER_SET_OWNER, NEED, NULL, 0, fds, 12);
	for (int i = 0; i < 12; i++)
		close(fds[i]);
}

#define BAD(name, prep, fn, req, acked)                                      \
	static void test_##name(void **state)                                \
	{                                                                    \
		(void)state;                                                 \
		run_bad(prep, fn, req, acked);                               \
	}

BAD(bad_size, NULL, bad_size, VHOST_USER_SET_FEATURES, true)
BAD(bad_missing_fd, prep_owner, bad_missing_fd, VHOST_USER_SET_VRING_KICK, true)
BAD(bad_extra_fd, NULL, bad_extra_fd, VHOST_USER_SET_OWNER, true)
BAD(bad_nofd_with_fd, prep_owner, bad_nofd_with_fd, VHOST_USER_SET_VRING_CALL, true)
BAD(bad_too_many_regions, prep_owner, bad_too_many_regions, VHOST_USER_SET_MEM_TABLE, true)
BAD(bad_fd_count_regions, prep_owner, bad_fd_count_regions, VHOST_USER_SET_MEM_TABLE, true)
BAD(bad_overlap_gpa, prep_owner, bad_overlap_gpa, VHOST_USER_SET_MEM_TABLE, true)
BAD(bad_overlap_uaddr, prep_owner, bad_overlap_uaddr, VHOST_USER_SET_MEM_TABLE, true)
BAD(bad_overflow_gpa, prep_owner, bad_overflow_gpa, VHOST_USER_SET_MEM_TABLE, true)
BAD(bad_overflow_uaddr, prep_owner, bad_overflow_uaddr, VHOST_USER_SET_MEM_TABLE, true)
BAD(bad_zero_size, prep_owner, bad_zero_size, VHOST_USER_SET_MEM_TABLE, true)
BAD(bad_past_file_end, prep_owner, bad_past_file_end, VHOST_USER_SET_MEM_TABLE, true)
BAD(bad_index, prep_owner, bad_index, VHOST_USER_SET_VRING_NUM, true)
BAD(bad_kick_index, prep_owner, bad_kick_index, VHOST_USER_SET_VRING_KICK, true)
BAD(bad_num_not_pow2, prep_owner, bad_num_not_pow2, VHOST_USER_SET_VRING_NUM, true)
BAD(bad_num_huge, prep_owner, bad_num_huge, VHOST_USER_SET_VRING_NUM, true)
BAD(bad_num_zero, prep_owner, bad_num_zero, VHOST_USER_SET_VRING_NUM, true)
BAD(bad_addr_untranslatable, prep_mem, bad_addr_untranslatable, VHOST_USER_SET_VRING_ADDR, false)
BAD(bad_addr_crosses_end, prep_mem, bad_addr_crosses_end, VHOST_USER_SET_VRING_ADDR, false)
BAD(bad_addr_misaligned, prep_mem, bad_addr_misaligned, VHOST_USER_SET_VRING_ADDR, false)
BAD(bad_reset_before_owner, NULL, bad_reset_before_owner, VHOST_USER_RESET_OWNER, true)
BAD(bad_addr_before_mem, prep_owner, bad_addr_before_mem, VHOST_USER_SET_VRING_ADDR, false)
BAD(bad_num_while_running, prep_running, bad_num_while_running, VHOST_USER_SET_VRING_NUM, true)
BAD(bad_owner_twice, prep_owner, bad_owner_twice, VHOST_USER_SET_OWNER, true)
BAD(bad_unknown, NULL, bad_unknown, 99, true)
BAD(bad_log_base, prep_mem, bad_log_base, VHOST_USER_SET_LOG_BASE, true)
BAD(bad_log_before_mem, prep_owner_log, bad_log_before_mem, VHOST_USER_SET_LOG_BASE, true)
BAD(bad_log_too_small, prep_mem_log, bad_log_too_small, VHOST_USER_SET_LOG_BASE, true)
BAD(bad_log_offset_overflow, prep_mem_log, bad_log_offset_overflow, VHOST_USER_SET_LOG_BASE, true)
BAD(bad_log_past_file_end, prep_mem_log, bad_log_past_file_end, VHOST_USER_SET_LOG_BASE, true)
BAD(bad_log_fd_type, prep_mem_log, bad_log_fd_type, VHOST_USER_SET_LOG_BASE, true)
BAD(bad_log_no_fd, prep_mem_log, bad_log_no_fd, VHOST_USER_SET_LOG_BASE, true)
BAD(bad_log_fd_not_eventfd, prep_owner_log, bad_log_fd_not_eventfd, VHOST_USER_SET_LOG_FD, true)
BAD(bad_log_addr_overflow, prep_running_log, bad_log_addr_overflow, VHOST_USER_SET_VRING_ADDR, true)
BAD(bad_log_addr_flags, prep_mem_log, bad_log_addr_flags, VHOST_USER_SET_VRING_ADDR, true)
BAD(bad_features, NULL, bad_features, VHOST_USER_SET_FEATURES, true)
BAD(bad_protocol_features, NULL, bad_protocol_features, VHOST_USER_SET_PROTOCOL_FEATURES, true)
BAD(bad_mem_slots_not_negotiated, prep_owner, bad_mem_slots_not_negotiated,
    VHOST_USER_ADD_MEM_REG, true)
BAD(bad_enable_value, prep_owner, bad_enable_value, VHOST_USER_SET_VRING_ENABLE, true)
BAD(bad_mtu, prep_owner, bad_mtu, VHOST_USER_NET_SET_MTU, true)
BAD(bad_version, NULL, bad_version, VHOST_USER_GET_FEATURES, true)
BAD(bad_reply_flag, NULL, bad_reply_flag, VHOST_USER_SET_OWNER, true)
BAD(bad_huge_payload, NULL, bad_huge_payload, VHOST_USER_SET_FEATURES, false)
BAD(bad_too_many_fds, NULL, bad_too_many_fds, VHOST_USER_SET_OWNER, false)

/* ---- leaks ---- */

static void test_no_leaks_on_repeats(void **state)
{
	(void)state;
	int fds0 = count_fds(), maps0 = count_maps();
	struct env *e = env_new(2);
	handshake(e);
	int fds1 = count_fds(), maps1 = count_maps();
	for (int i = 0; i < 50; i++) {
		send_mem_table(e, NEED);
		expect_ack(e, VHOST_USER_SET_MEM_TABLE);
		send_vring_fd(e, VHOST_USER_SET_VRING_KICK, 0);
		send_vring_fd(e, VHOST_USER_SET_VRING_CALL, 0);
		send_vring_fd(e, VHOST_USER_SET_VRING_CALL, 3);
		send_vring_fd(e, VHOST_USER_SET_VRING_ERR, 1);
		pump(e);
	}
	assert_true(vsw_vhost_rxq(e->dev, 0)->running);
	/* One SET_VRING_ERR fd is new; nothing else. */
	assert_int_equal(count_fds(), fds1 + 1);
	assert_int_equal(count_maps(), maps1);
	env_free(e);
	assert_int_equal(count_fds(), fds0);
	assert_int_equal(count_maps(), maps0);
}

static void test_disconnect_mid_handshake(void **state)
{
	(void)state;
	int fds0 = count_fds(), maps0 = count_maps();
	struct env *e = env_new(2);
	handshake(e);
	close(e->peer);
	e->peer = -1;
	assert_false(vsw_vhost_poll(e->dev));
	assert_false(vsw_vhost_connected(e->dev));
	assert_false(e->link);
	assert_false(vsw_vhost_rxq(e->dev, 0)->running);
	vsw_vhost_destroy(e->dev);
	e->dev = NULL;
	munmap(e->local[0], MB);
	munmap(e->local[1], MB);
	close(e->memfd[0]);
	close(e->memfd[1]);
	free(e);
	assert_int_equal(count_fds(), fds0);
	assert_int_equal(count_maps(), maps0);
}

static void test_split_message(void **state)
{
	(void)state;
	/* A message arriving in pieces is assembled, not misread. */
	struct env *e = env_new(1);
	struct vhost_user_hdr h = { .request = VHOST_USER_GET_FEATURES, .flags = 1 };
	assert_int_equal(send(e->peer, &h, 5, 0), 5);
	pump(e);
	assert_int_equal(send(e->peer, (char *)&h + 5, sizeof(h) - 5, 0), (ssize_t)sizeof(h) - 5);
	pump(e);
	assert_true(recv_reply(e, VHOST_USER_GET_FEATURES, 8) & F(VSW_VIRTIO_F_VERSION_1));
	/* Single queue pair: MQ is not offered. */
	assert_false(ask_u64(e, VHOST_USER_GET_FEATURES) & F(VSW_VIRTIO_NET_F_MQ));
	env_free(e);
}

static void test_disabled_features(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	vsw_vhost_destroy(e->dev);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(e->peer);
	e->peer = sv[0];
	struct vsw_vhost_settings s = { .name = "vm2", .queue_pairs = 2,
					.disabled_features = F(VSW_VIRTIO_F_RING_PACKED) |
							     F(VSW_VIRTIO_NET_F_MRG_RXBUF) };
	e->dev = vsw_vhost_create_on_fd(&s, NULL, &ops, e, sv[1]);
	uint64_t f = ask_u64(e, VHOST_USER_GET_FEATURES);
	assert_false(f & F(VSW_VIRTIO_F_RING_PACKED));
	assert_false(f & F(VSW_VIRTIO_NET_F_MRG_RXBUF));
	assert_true(f & F(VSW_VIRTIO_RING_F_EVENT_IDX));
	send_u64(e, VHOST_USER_SET_FEATURES, NEED, F(VSW_VIRTIO_F_RING_PACKED));
	expect_refused(e, VHOST_USER_SET_FEATURES, true);
	env_free(e);
}

/* ---- sockets on a real event loop ---- */

static char sock_path[108];

static void pump_loop(struct vsw_evloop *loop, int ms)
{
	uint64_t end = vsw_monotonic_ms() + (uint64_t)ms;
	while (vsw_monotonic_ms() < end)
		vsw_evloop_run_once(loop, 10);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void test_server_socket(void **state)
{
	(void)state;
	struct vsw_evloop *loop = vsw_evloop_create();
	snprintf(sock_path, sizeof(sock_path), "/tmp/vsw-test-vhost-%d.sock", getpid());
	unlink(sock_path);
	/* A stale socket file (its listener is gone) is replaced. */
	int stale = listen_at(sock_path);
	close(stale);
	struct env e = { 0 };
	char err[256];
	struct vsw_vhost_settings s = { .name = "srv", .path = sock_path, .queue_pairs = 1,
					.socket_mode = 0600 };
	struct vsw_vhost_dev *dev = vsw_vhost_create(&s, loop, &ops, &e, err, sizeof(err));
	assert_non_null(dev);
	struct stat st;
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* One that someone listens on is refused. */
	s.name = "srv2";
	assert_null(vsw_vhost_create(&s, loop, &ops, &e, err, sizeof(err)));
	assert_non_null(strstr(err, "in use"));
	/* A frontend connects, talks, leaves; the port waits for the next. */
	for (int round = 0; round < 2; round++) {
		int c = connect_to(sock_path);
		assert_true(c >= 0);
		pump_loop(loop, 30);
		assert_true(vsw_vhost_connected(dev));
		struct vhost_user_hdr h = { .request = VHOST_USER_GET_QUEUE_NUM, .flags = 1 };
		assert_int_equal(send(c, &h, sizeof(h), 0), (ssize_t)sizeof(h));
		pump_loop(loop, 30);
		uint8_t buf[20];
		assert_int_equal(recv(c, buf, sizeof(buf), MSG_DONTWAIT), 20);
		close(c);
		pump_loop(loop, 30);
		assert_false(vsw_vhost_connected(dev));
	}
	vsw_vhost_destroy(dev);
	assert_int_not_equal(access(sock_path, F_OK), 0); /* the file is removed */
	vsw_evloop_destroy(loop);
}

static void test_server_socket_removed(void **state)
{
	(void)state;
	struct vsw_evloop *loop = vsw_evloop_create();
	snprintf(sock_path, sizeof(sock_path), "/tmp/vsw-test-vhost-r%d.sock", getpid());
	unlink(sock_path);
	struct env e = { 0 };
	char err[256];
	struct vsw_vhost_settings s = { .name = "srv", .path = sock_path, .queue_pairs = 1,
					.socket_mode = 0640 };
	struct vsw_vhost_dev *dev = vsw_vhost_create(&s, loop, &ops, &e, err, sizeof(err));
	assert_non_null(dev);
	int c = connect_to(sock_path);
	pump_loop(loop, 30);
	assert_true(vsw_vhost_connected(dev));
	assert_int_equal(vsw_vhost_check_socket(dev), VSW_PATH_OK);
	unlink(sock_path);
	assert_int_equal(vsw_vhost_check_socket(dev), VSW_PATH_RESTORED);
	struct stat st;
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* The connected frontend is not disturbed... */
	pump_loop(loop, 30);
	assert_true(vsw_vhost_connected(dev));
	struct vhost_user_hdr h = { .request = VHOST_USER_GET_QUEUE_NUM, .flags = 1 };
	assert_int_equal(send(c, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	pump_loop(loop, 30);
	uint8_t buf[20];
	assert_int_equal(recv(c, buf, sizeof(buf), MSG_DONTWAIT), 20);
	/* ...and the next one comes in through the new file once it leaves. */
	int next = connect_to(sock_path);
	assert_true(next >= 0);
	pump_loop(loop, 30); /* it waits in the backlog, not refused */
	close(c);
	pump_loop(loop, 50);
	assert_true(vsw_vhost_connected(dev));
	assert_int_equal(send(next, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	pump_loop(loop, 30);
	assert_int_equal(recv(next, buf, sizeof(buf), MSG_DONTWAIT), 20);
	close(next);
	pump_loop(loop, 30);
	assert_false(vsw_vhost_connected(dev));
	/* Removed while nobody is connected: made again, and accepting. */
	unlink(sock_path);
	assert_int_equal(vsw_vhost_check_socket(dev), VSW_PATH_RESTORED);
	c = connect_to(sock_path);
	pump_loop(loop, 30);
	assert_true(vsw_vhost_connected(dev));
	close(c);
	pump_loop(loop, 30);
	/* Another process listens on the path now: it stays theirs, even
	 * when the port goes. */
	unlink(sock_path);
	int theirs = listen_at(sock_path);
	assert_int_equal(vsw_vhost_check_socket(dev), VSW_PATH_TAKEN);
	vsw_vhost_destroy(dev);
	assert_int_equal(access(sock_path, F_OK), 0);
	close(theirs);
	unlink(sock_path);
	vsw_evloop_destroy(loop);
}

static void test_client_socket(void **state)
{
	(void)state;
	struct vsw_evloop *loop = vsw_evloop_create();
	snprintf(sock_path, sizeof(sock_path), "/tmp/vsw-test-vhost-c%d.sock", getpid());
	unlink(sock_path);
	struct env e = { 0 };
	char err[256];
	struct vsw_vhost_settings s = { .name = "cli", .path = sock_path, .client = true,
					.queue_pairs = 1, .socket_mode = -1 };
	struct vsw_vhost_dev *dev = vsw_vhost_create(&s, loop, &ops, &e, err, sizeof(err));
	assert_non_null(dev);
	pump_loop(loop, 250); /* retries while nobody listens */
	assert_false(vsw_vhost_connected(dev));
	int l = listen_at(sock_path);
	pump_loop(loop, 1000); /* back-off is at most 800 ms by now */
	assert_true(vsw_vhost_connected(dev));
	int c = accept(l, NULL, NULL);
	assert_true(c >= 0);
	close(c); /* the frontend goes away... */
	pump_loop(loop, 50);
	assert_false(vsw_vhost_connected(dev));
	pump_loop(loop, 300); /* ...and is back: reconnected */
	assert_true(vsw_vhost_connected(dev));
	vsw_vhost_destroy(dev);
	close(l);
	unlink(sock_path);
	vsw_evloop_destroy(loop);
}

/* Workers write to call fds: a pipe or socket nobody reads would block
 * them for good, so anything but an eventfd is refused, for kick and err
 * too. */
static void refuse_vring_fd(uint32_t req, int fd)
{
	struct env *e = env_new(2);
	negotiate(e, proto_wanted);
	send_msg(e, req, NEED, &(uint64_t){ 0 }, 8, &fd, 1);
	expect_refused(e, req, true);
	env_free(e);
}

static void test_bad_vring_fd_not_eventfd(void **state)
{
	(void)state;
	int p[2], sv[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int m = make_memfd(4096);
	int before = count_fds();
	refuse_vring_fd(VHOST_USER_SET_VRING_CALL, p[1]);
	refuse_vring_fd(VHOST_USER_SET_VRING_KICK, p[0]);
	refuse_vring_fd(VHOST_USER_SET_VRING_ERR, sv[0]);
	refuse_vring_fd(VHOST_USER_SET_VRING_CALL, m);
	assert_int_equal(count_fds(), before);
	close(m);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* A blocking eventfd (ours shares its file description with the device's
 * copy) is made non-blocking, so a full counter fails a write instead of
 * blocking the worker. */
static void test_call_fd_made_nonblocking(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	negotiate(e, proto_wanted);
	int fd = eventfd(0, EFD_CLOEXEC);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	send_msg(e, VHOST_USER_SET_VRING_CALL, NEED, &(uint64_t){ 1 }, 8, &fd, 1);
	expect_ack(e, VHOST_USER_SET_VRING_CALL);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	env_free(e);
}

/* The frontend shrinks a memory file under running queues: the next access
 * (here the worker's read of the avail index) would kill vswd with
 * SIGBUS. It is absorbed; the control thread then closes that connection
 * and everything of it goes. */
static void test_shrunk_memory_closes_connection(void **state)
{
	(void)state;
	int fds0 = count_fds(), maps0 = count_maps();
	struct env *e = env_new(2);
	int fds1 = count_fds(), maps1 = count_maps();
	handshake(e);
	struct vsw_vhost_vq *q = vsw_vhost_txq(e->dev, 0);
	assert_int_equal(ftruncate(e->memfd[1], 0), 0); /* the rings' region */
	assert_int_equal(__atomic_load_n(&q->vq.avail->idx, __ATOMIC_ACQUIRE), 0);
	assert_true(vsw_vhost_connected(e->dev));
	assert_int_equal(vsw_mem_guard_drain(), 1);
	assert_false(vsw_vhost_connected(e->dev));
	assert_false(q->running);
	assert_false(e->link);
	char c;
	assert_int_equal(recv(e->peer, &c, 1, 0), 0); /* EOF */
	assert_int_equal(count_fds(), fds1 - 1);        /* the connection */
	assert_int_equal(count_maps(), maps1);
	env_free(e);
	assert_int_equal(count_fds(), fds0);
	assert_int_equal(count_maps(), maps0);
}

/* Out of fds: a frontend waiting in the backlog keeps the listening socket
 * readable; the port stops looking for a while instead of spinning, and
 * takes the frontend once an fd is free. */
static void test_accept_out_of_fds(void **state)
{
	(void)state;
	struct vsw_evloop *loop = vsw_evloop_create();
	snprintf(sock_path, sizeof(sock_path), "/tmp/vsw-test-vhost-f%d.sock", getpid());
	unlink(sock_path);
	struct env e = { 0 };
	char err[256];
	struct vsw_vhost_settings s = { .name = "fds", .path = sock_path, .queue_pairs = 1,
					.socket_mode = -1 };
	struct vsw_vhost_dev *dev = vsw_vhost_create(&s, loop, &ops, &e, err, sizeof(err));
	assert_non_null(dev);
	int c = connect_to(sock_path);
	assert_true(c >= 0);
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)count_fds() + 8;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int hog[64], nhog = 0;
	while (nhog < 64 && (hog[nhog] = eventfd(0, EFD_CLOEXEC)) >= 0)
		nhog++;
	assert_true(nhog < 64); /* the limit was reached */
	int calls = 0;
	uint64_t end = vsw_monotonic_ms() + 300;
	while (vsw_monotonic_ms() < end) {
		int n = vsw_evloop_run_once(loop, 10);
		calls += n > 0 ? n : 0;
	}
	assert_false(vsw_vhost_connected(dev));
	assert_in_range(calls, 1, 10); /* about one try per 100 ms, not thousands */
	while (nhog > 0)
		close(hog[--nhog]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	pump_loop(loop, 250);
	assert_true(vsw_vhost_connected(dev));
	close(c);
	vsw_vhost_destroy(dev);
	vsw_evloop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_no_protocol_features),
		cmocka_unit_test(test_get_vring_base),
		cmocka_unit_test(test_call_swap_and_mem_table_while_running),
		cmocka_unit_test(test_mem_slots),
		cmocka_unit_test(test_packed_base_inside_ring),
		cmocka_unit_test_teardown(test_memory_outlives_workers, worker_teardown),
		cmocka_unit_test(test_bad_size),
		cmocka_unit_test(test_bad_missing_fd),
		cmocka_unit_test(test_bad_extra_fd),
		cmocka_unit_test(test_bad_nofd_with_fd),
		cmocka_unit_test(test_bad_too_many_regions),
		cmocka_unit_test(test_bad_fd_count_regions),
		cmocka_unit_test(test_bad_overlap_gpa),
		cmocka_unit_test(test_bad_overlap_uaddr),
		cmocka_unit_test(test_bad_overflow_gpa),
		cmocka_unit_test(test_bad_overflow_uaddr),
		cmocka_unit_test(test_bad_zero_size),
		cmocka_unit_test(test_bad_past_file_end),
		cmocka_unit_test(test_bad_index),
		cmocka_unit_test(test_bad_kick_index),
		cmocka_unit_test(test_bad_num_not_pow2),
		cmocka_unit_test(test_bad_num_huge),
		cmocka_unit_test(test_bad_num_zero),
		cmocka_unit_test(test_bad_addr_untranslatable),
		cmocka_unit_test(test_bad_addr_crosses_end),
		cmocka_unit_test(test_bad_addr_misaligned),
		cmocka_unit_test(test_bad_reset_before_owner),
		cmocka_unit_test(test_bad_addr_before_mem),
		cmocka_unit_test(test_bad_num_while_running),
		cmocka_unit_test(test_bad_owner_twice),
		cmocka_unit_test(test_bad_unknown),
		cmocka_unit_test(test_bad_log_base),
		cmocka_unit_test(test_bad_log_before_mem),
		cmocka_unit_test(test_bad_log_too_small),
		cmocka_unit_test(test_bad_log_offset_overflow),
		cmocka_unit_test(test_bad_log_past_file_end),
		cmocka_unit_test(test_bad_log_fd_type),
		cmocka_unit_test(test_bad_log_no_fd),
		cmocka_unit_test(test_bad_log_fd_not_eventfd),
		cmocka_unit_test(test_bad_log_addr_overflow),
		cmocka_unit_test(test_bad_log_addr_flags),
		cmocka_unit_test(test_log_while_running),
		cmocka_unit_test(test_log_all_before_log_base),
		cmocka_unit_test(test_log_all_disabled),
		cmocka_unit_test(test_bad_features),
		cmocka_unit_test(test_bad_protocol_features),
		cmocka_unit_test(test_bad_mem_slots_not_negotiated),
		cmocka_unit_test(test_rem_unknown_region_is_a_no_op),
		cmocka_unit_test(test_split_base_over_16_bits),
		cmocka_unit_test(test_bad_enable_value),
		cmocka_unit_test(test_bad_mtu),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_bad_reply_flag),
		cmocka_unit_test(test_bad_huge_payload),
		cmocka_unit_test(test_bad_too_many_fds),
		cmocka_unit_test(test_no_leaks_on_repeats),
		cmocka_unit_test(test_disconnect_mid_handshake),
		cmocka_unit_test(test_split_message),
		cmocka_unit_test(test_disabled_features),
		cmocka_unit_test(test_server_socket_removed),
		cmocka_unit_test(test_server_socket),
		cmocka_unit_test(test_client_socket),
		cmocka_unit_test(test_accept_out_of_fds),
		cmocka_unit_test(test_bad_vring_fd_not_eventfd),
		cmocka_unit_test(test_call_fd_made_nonblocking),
		cmocka_unit_test(test_shrunk_memory_closes_connection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
