/* libFuzzer target for the vhost-user message handler: the input is a byte
 * stream cut into chunks, each sent through a socketpair (with 0-3 memfd or
 * eventfd fds attached, as the chunk's control byte says) into one device,
 * which frames, validates and handles it. Besides ASan/UBSan findings it
 * aborts on any fd the device leaves open after the connection ends.
 *
 * Chunk: 1 control byte (bits 0-1: fd count, bit 2: eventfds instead of
 * memfds, bit 3: send in two pieces), then a message: 12 header bytes and up
 * to the header's size (capped) of payload, as much as the input has. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_user/mem_guard.h"
#include "vhost_user/proto.h"
#include "vhost_user/vhost_user.h"

static void noop_sync(void *ctx)
{
	(void)ctx;
}

static const struct vsw_vhost_ops ops = { .sync = noop_sync };

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

static int new_fd(bool event)
{
	if (event)
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* Guest RAM as QEMU gives it: 64 KiB the fuzzer's regions may map. */
	int fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, 64 * 1024) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_chunk(int sock, const uint8_t *p, size_t len, int nfds, bool event, bool split)
{
	int fds[3];
	int n = 0;
	for (int i = 0; i < nfds; i++) {
		int fd = new_fd(event);
		if (fd >= 0)
			fds[n++] = fd;
	}
	union {
		char c[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr a;
	} ctl;
	size_t first = split && len > 1 ? len / 2 : len;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = first };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n > 0) {
		mh.msg_control = ctl.c;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	if (len > 0 && sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) > 0 && first < len)
		(void)send(sock, p + first, len - first, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void drain(int sock)
{
	uint8_t buf[4096];
	while (recv(sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Counted per input: libFuzzer itself holds fds at times. */
	/* The SIGBUS guard's eventfd is made once, for the life of the process. */
	vsw_mem_guard_init();
	int base_fds = count_fds();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	struct vsw_vhost_settings s = { .name = "fuzz", .queue_pairs = 2, .mtu = 1500 };
	struct vsw_vhost_dev *dev = vsw_vhost_create_on_fd(&s, NULL, &ops, NULL, sv[1]);
	if (dev == NULL) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	size_t off = 0;
	while (off < size) {
		uint8_t c = data[off++];
		size_t len = size - off;
		if (len >= sizeof(struct vhost_user_hdr)) {
			uint32_t psize;
			memcpy(&psize, data + off + 8, sizeof(psize));
			if (psize > 600)
				psize = 600;
			if (len > sizeof(struct vhost_user_hdr) + psize)
				len = sizeof(struct vhost_user_hdr) + psize;
		}
		send_chunk(sv[0], data + off, len, c & 3, c & 4, c & 8);
		off += len;
		bool alive = vsw_vhost_poll(dev);
		drain(sv[0]);
		if (!alive)
			break;
	}
	vsw_vhost_destroy(dev);
	close(sv[0]);
	if (count_fds() != base_fds)
		abort(); /* the device leaked a file descriptor */
	return 0;
}
