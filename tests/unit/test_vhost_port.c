/* Unit tests of the vhost-user port type's part in live migration: a
 * SEND_RARP from the frontend points the network's MAC table at the port
 * at once, and a RARP frame (RFC 903 reverse request, broadcast, from the
 * guest's MAC) comes out of the port's rx queue 0 with the guest's own
 * frames, once; the copy-once peek reports "more" while it waits, so an
 * idle guest's worker still calls rx_burst. A real server socket on an
 * event loop, a memfd as guest memory, no workers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/evloop.h"
#include "switch/fdb.h"
#include "switch/network.h"
#include "vhost_user/proto.h"
#include "vhost_user/vhost_port.h"
#include "ut_eal.h"

#define MB (1024 * 1024)
#define UADDR 0x7f0000000000ull
#define F(b) (1ull << (b))

static struct rte_mempool *pool;

static void no_sync(void *ctx)
{
	(void)ctx;
}

static void pump(struct vsw_evloop *loop)
{
	for (int i = 0; i < 5; i++)
		vsw_evloop_run_once(loop, 10);
}

static void send_msg(int sock, uint32_t req, const void *p, uint32_t size, int fd)
{
	uint8_t buf[sizeof(struct vhost_user_hdr) + 64];
	struct vhost_user_hdr h = { .request = req, .flags = VHOST_USER_VERSION, .size = size };
	memcpy(buf, &h, sizeof(h));
	if (size > 0)
		memcpy(buf + sizeof(h), p, size); /* p may be NULL for no payload */
	union {
		char c[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(h) + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		mh.msg_control = ctl.c;
		mh.msg_controllen = CMSG_SPACE(sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
}

static void send_u64(int sock, uint32_t req, uint64_t v)
{
	send_msg(sock, req, &v, sizeof(v), -1);
}

static void send_state(int sock, uint32_t req, uint32_t idx, uint32_t num)
{
	struct vhost_user_vring_state s = { idx, num };
	send_msg(sock, req, &s, sizeof(s), -1);
}

static void send_vring_fd(int sock, uint32_t req, uint32_t idx)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t v = idx;
	send_msg(sock, req, &v, sizeof(v), fd);
	close(fd);
}

/* The frontend's side up to the guest's TX queue (vring 1) running. */
static void frontend_up(int sock, int memfd)
{
	send_msg(sock, VHOST_USER_SET_OWNER, NULL, 0, -1);
	send_u64(sock, VHOST_USER_SET_PROTOCOL_FEATURES, F(VHOST_USER_PROTOCOL_F_RARP));
	send_u64(sock, VHOST_USER_SET_FEATURES,
		 F(VSW_VIRTIO_F_VERSION_1) | F(VSW_VHOST_USER_F_PROTOCOL_FEATURES));
	struct {
		uint32_t n, pad;
		struct vhost_user_region r;
	} t = { 1, 0, { .guest_phys_addr = 0, .memory_size = MB, .userspace_addr = UADDR } };
	send_msg(sock, VHOST_USER_SET_MEM_TABLE, &t, sizeof(t), memfd);
	send_state(sock, VHOST_USER_SET_VRING_NUM, 1, 256);
	send_state(sock, VHOST_USER_SET_VRING_BASE, 1, 0);
	struct vhost_user_vring_addr a = { .index = 1,
					   .desc_user_addr = UADDR + 0x10000,
					   .avail_user_addr = UADDR + 0x11000,
					   .used_user_addr = UADDR + 0x12000 };
	send_msg(sock, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), -1);
	send_vring_fd(sock, VHOST_USER_SET_VRING_KICK, 1);
	send_vring_fd(sock, VHOST_USER_SET_VRING_CALL, 1);
	send_state(sock, VHOST_USER_SET_VRING_ENABLE, 1, 1);
}

static void test_send_rarp(void **state)
{
	(void)state;
	char path[108];
	snprintf(path, sizeof(path), "/tmp/vsw-test-vport-%d.sock", getpid());
	unlink(path);
	struct vsw_evloop *loop = vsw_evloop_create();
	struct vsw_network net = { .id = 0 };
	net.fdb = vsw_fdb_create("vport_fdb", 64, NULL);
	assert_non_null(net.fdb);
	static struct vsw_port port;
	memset(&port, 0, sizeof(port));
	snprintf(port.name, sizeof(port.name), "vm1");
	port.id = 3;
	port.net = &net;
	port.cfg.type = VSW_PORT_VHOST_USER;
	port.cfg.mtu = 1500;
	port.cfg.queues = 1;
	port.cfg.socket_mode = -1;
	snprintf(port.cfg.path, sizeof(port.cfg.path), "%s", path);
	char err[256];
	assert_int_equal(vsw_vhost_port_open(&port, loop, pool, no_sync, NULL, err, sizeof(err)), 0);

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	int memfd = memfd_create("guest", MFD_CLOEXEC);
	assert_int_equal(ftruncate(memfd, MB), 0);
	pump(loop);
	frontend_up(c, memfd);
	pump(loop);
	struct rte_mbuf *pkts[32];
	struct vsw_vq_view v[32];
	bool stopped = true;
	/* Running, empty: nothing to take, nothing more to look at. */
	assert_int_equal(port.ops->rx_burst(&port, 0, pkts, 32), 0);
	assert_int_equal(port.ops->rx_peek(&port, 0, v, 32, &stopped), 0);
	assert_false(stopped);

	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	uint64_t rarp = 0;
	memcpy(&rarp, mac, 6);
	send_u64(c, VHOST_USER_SEND_RARP, rarp);
	pump(loop);
	/* The table knows the MAC here before any frame of the guest came. */
	struct rte_ether_addr ea;
	memcpy(ea.addr_bytes, mac, 6);
	assert_int_equal(vsw_fdb_lookup(net.fdb, &ea, 0), 3);
	/* The frame waits: peek says there is more, rx_burst gives it. */
	assert_int_equal(port.ops->rx_peek(&port, 0, v, 32, &stopped), 0);
	assert_true(stopped);
	assert_int_equal(port.ops->rx_burst(&port, 0, pkts, 32), 1);
	const uint8_t *f = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	static const uint8_t want[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x80, 0x35,
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x03, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
		0, 0, 0, 0, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0, 0, 0, 0,
	};
	assert_int_equal(pkts[0]->pkt_len, 60);
	assert_memory_equal(f, want, sizeof(want));
	rte_pktmbuf_free(pkts[0]);
	/* Once. */
	assert_int_equal(port.ops->rx_burst(&port, 0, pkts, 32), 0);
	assert_int_equal(port.ops->rx_peek(&port, 0, v, 32, &stopped), 0);
	assert_false(stopped);
	/* Not for a multicast MAC: no entry, no frame. */
	uint64_t mc = 0x0000563412005401ull;
	send_u64(c, VHOST_USER_SEND_RARP, mc);
	pump(loop);
	assert_int_equal(port.ops->rx_burst(&port, 0, pkts, 32), 0);
	assert_int_equal(vsw_fdb_count(net.fdb), 1);

	close(c);
	close(memfd);
	pump(loop);
	port.ops->destroy(&port);
	vsw_fdb_free(net.fdb);
	vsw_evloop_destroy(loop);
	assert_int_not_equal(access(path, F_OK), 0);
}

/* disable_features: [log_all] reaches the device as the LOG_ALL bit: the
 * port offers no dirty logging (and the rest as before). */
static void test_log_all_disabled(void **state)
{
	(void)state;
	char path[108];
	snprintf(path, sizeof(path), "/tmp/vsw-test-vport2-%d.sock", getpid());
	unlink(path);
	struct vsw_evloop *loop = vsw_evloop_create();
	uint64_t got[2];
	for (int i = 0; i < 2; i++) {
		static struct vsw_port port;
		memset(&port, 0, sizeof(port));
		snprintf(port.name, sizeof(port.name), "vm2");
		port.cfg.type = VSW_PORT_VHOST_USER;
		port.cfg.mtu = 1500;
		port.cfg.queues = 1;
		port.cfg.socket_mode = -1;
		port.cfg.disabled_features = i ? VSW_FEAT_LOG_ALL : 0;
		snprintf(port.cfg.path, sizeof(port.cfg.path), "%s", path);
		char err[256];
		assert_int_equal(vsw_vhost_port_open(&port, loop, pool, no_sync, NULL, err, sizeof(err)),
				 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
		pump(loop);
		send_msg(c, VHOST_USER_GET_FEATURES, NULL, 0, -1);
		pump(loop);
		uint8_t r[20];
		assert_int_equal(recv(c, r, sizeof(r), MSG_DONTWAIT), 20);
		memcpy(&got[i], r + 12, 8);
		close(c);
		pump(loop);
		port.ops->destroy(&port);
	}
	assert_true(got[0] & F(VSW_VHOST_F_LOG_ALL));
	assert_int_equal(got[1], got[0] & ~F(VSW_VHOST_F_LOG_ALL));
	vsw_evloop_destroy(loop);
}

int main(void)
{
	pool = ut_eal_pool("vhost_port", 1023);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_rarp),
		cmocka_unit_test(test_log_all_disabled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
