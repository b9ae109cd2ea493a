/* Owns a vhost-user device's socket: listening (server mode, one frontend
 * at a time, stale socket files replaced, live ones refused, an inherited
 * listening socket taken over with its waiting frontends, the file made
 * again when it is removed under us), connecting with back-off (client
 * mode), reading framed messages with their file descriptors without ever
 * blocking the control thread, and tearing the connection down so the port
 * waits for the next frontend. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/runlock.h"
#include "common/sockhold.h"
#include "vhost_user/device_priv.h"
#include "vhost_user/mem_guard.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

static void on_conn(int fd, uint32_t events, void *arg);
static void on_accept(int fd, uint32_t events, void *arg);
static void client_connect(void *arg);

static void schedule_reconnect(struct vsw_vhost_dev *dev)
{
	dev->retry_timer = vsw_ev_timer_add(dev->loop, dev->backoff_ms, client_connect, dev);
	dev->backoff_ms = dev->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : dev->backoff_ms * 2;
}

static void disconnect(struct vsw_vhost_dev *dev, const char *why)
{
	if (dev->conn_fd < 0)
		return;
	VSW_LOG(INFO, vhost, "port %s: frontend disconnected (%s)", dev->name, why);
	vsw_vhost_reset(dev);
	if (dev->loop)
		vsw_ev_del(dev->loop, dev->conn_fd);
	close(dev->conn_fd);
	dev->conn_fd = -1;
	/* The fds of a message cut short by the disconnect or a framing error. */
	for (int i = 0; i < dev->rx_nfds; i++)
		if (dev->rx_fds[i] >= 0)
			close(dev->rx_fds[i]);
	dev->rx_nfds = 0;
	dev->rx_got = 0;
	/* Server: the next frontend may come in now. */
	if (dev->listen_fd >= 0 && dev->loop &&
	    vsw_ev_add(dev->loop, dev->listen_fd, EPOLLIN, on_accept, dev) < 0)
		VSW_LOG(ERR, vhost, "port %s: cannot wait for frontends any more", dev->name);
	if (dev->s.client && dev->loop) {
		dev->backoff_ms = BACKOFF_MIN_MS;
		dev->waiting_logged = false;
		schedule_reconnect(dev);
	}
}

/* The port waits for the next connection. */
static void fail(struct vsw_vhost_dev *dev, const char *why)
{
	disconnect(dev, why);
}

static void on_mem_fault_event(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	vsw_mem_guard_drain();
}

/* The SIGBUS guard's faults reach the control thread through this loop. */
static int watch_mem_faults(struct vsw_evloop *loop)
{
	int fd = vsw_mem_guard_init();
	if (fd < 0)
		return fd;
	if (loop == NULL)
		return 0;
	int rc = vsw_ev_add(loop, fd, EPOLLIN, on_mem_fault_event, NULL);
	return rc == -EEXIST ? 0 : rc;
}

static void attach(struct vsw_vhost_dev *dev, int fd)
{
	dev->conn_fd = fd;
	dev->rx_got = 0;
	dev->rx_nfds = 0;
	if (dev->loop && vsw_ev_add(dev->loop, fd, EPOLLIN, on_conn, dev) < 0) {
		close(fd);
		dev->conn_fd = -1;
		return;
	}
	/* One frontend at a time: the next one waits in the listen backlog
	 * until this one is gone, rather than being refused. A frontend that
	 * reconnects before we noticed the old connection die gets in. */
	if (dev->listen_fd >= 0 && dev->loop)
		vsw_ev_del(dev->loop, dev->listen_fd);
}

/* Reads what is there; 1 when a whole message is in dev->rx, 0 when more
 * is needed, -1 on EOF or error. */
static int read_some(struct vsw_vhost_dev *dev)
{
	size_t hdr = sizeof(struct vhost_user_hdr);
	size_t want = hdr;
	if (dev->rx_got >= hdr) {
		struct vhost_user_hdr h; /* rx has no alignment: copy, do not cast */
		memcpy(&h, dev->rx, sizeof(h));
		if (h.size > VHOST_USER_MAX_PAYLOAD) {
			VSW_LOG(ERR, vhost, "port %s: %s: payload of %u bytes (at most %d); closing "
					    "the connection",
				dev->name, vsw_vhost_req_name(h.request), h.size,
				VHOST_USER_MAX_PAYLOAD);
			return -1;
		}
		want = hdr + h.size;
	}
	if (dev->rx_got == want)
		return 1;
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = dev->rx + dev->rx_got, .iov_len = want - dev->rx_got };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(dev->conn_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	bool too_many = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < cnt; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (dev->rx_nfds < VHOST_USER_MAX_FDS)
				dev->rx_fds[dev->rx_nfds++] = fd;
			else {
				close(fd);
				too_many = true;
			}
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		too_many = true;
	if (too_many) {
		VSW_LOG(ERR, vhost, "port %s: more than %d file descriptors with one message; "
				    "closing the connection", dev->name, VHOST_USER_MAX_FDS);
		return -1;
	}
	dev->rx_got += (size_t)n;
	if (dev->rx_got == hdr) /* header complete: the payload size is known now */
		return read_some(dev);
	return dev->rx_got == want ? 1 : 0;
}

bool vsw_vhost_poll(struct vsw_vhost_dev *dev)
{
	for (int rounds = 0; rounds < 64 && dev->conn_fd >= 0; rounds++) {
		int r = read_some(dev);
		if (r == 0)
			return true;
		if (r < 0) {
			disconnect(dev, "closed by the frontend or unreadable");
			return false;
		}
		struct vhost_user_hdr h;
		memcpy(&h, dev->rx, sizeof(h));
		int rc = vsw_vhost_handle(dev, &h, dev->rx + sizeof(h), dev->rx_fds, dev->rx_nfds);
		for (int i = 0; i < dev->rx_nfds; i++)
			if (dev->rx_fds[i] >= 0)
				close(dev->rx_fds[i]);
		dev->rx_nfds = 0;
		dev->rx_got = 0;
		if (rc < 0) {
			disconnect(dev, "protocol error");
			return false;
		}
	}
	return dev->conn_fd >= 0;
}

static void on_conn(int fd, uint32_t events, void *arg)
{
	struct vsw_vhost_dev *dev = arg;
	(void)fd;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		vsw_vhost_poll(dev);
}

static void resume_accept(void *arg)
{
	struct vsw_vhost_dev *dev = arg;
	dev->retry_timer = 0;
	if (dev->conn_fd >= 0 || dev->listen_fd < 0)
		return;
	int rc = vsw_ev_add(dev->loop, dev->listen_fd, EPOLLIN, on_accept, dev);
	if (rc < 0 && rc != -EEXIST)
		VSW_LOG(ERR, vhost, "port %s: cannot wait for frontends any more", dev->name);
}

static void on_accept(int fd, uint32_t events, void *arg)
{
	struct vsw_vhost_dev *dev = arg;
	(void)events;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
		/* The connection stays in the backlog and the socket readable:
		 * stop looking for 100 ms instead of spinning on it. */
		if (dev->retry_timer == 0) {
			VSW_LOG(WARNING, vhost, "port %s: cannot accept a frontend (%s); trying again in "
						"100 ms",
				dev->name, strerror(errno));
			vsw_ev_del(dev->loop, fd);
			dev->retry_timer = vsw_ev_timer_add(dev->loop, 100, resume_accept, dev);
		}
		return;
	}
	if (c < 0)
		return;
	if (dev->conn_fd >= 0) {
		VSW_LOG(WARNING, vhost, "port %s: a second frontend tried to connect; refused",
			dev->name);
		close(c);
		return;
	}
	VSW_LOG(INFO, vhost, "port %s: frontend connected", dev->name);
	attach(dev, c);
}

static void client_connect(void *arg)
{
	struct vsw_vhost_dev *dev = arg;
	dev->retry_timer = 0;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, dev->path, sizeof(sa.sun_path) - 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		VSW_LOG(INFO, vhost, "port %s: connected to frontend at %s", dev->name, dev->path);
		dev->backoff_ms = BACKOFF_MIN_MS;
		attach(dev, fd);
		return;
	}
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (!dev->waiting_logged) {
		VSW_LOG(INFO, vhost, "port %s: waiting for a frontend to listen on %s (%s)", dev->name,
			dev->path, strerror(e));
		dev->waiting_logged = true;
	}
	schedule_reconnect(dev);
}

/* Owner, group and mode of a server socket file, so that a frontend not
 * running as root (libvirt's QEMU) may connect. */
static int apply_socket_access(struct vsw_vhost_dev *dev, char *err, size_t errlen)
{
	if ((dev->s.has_owner || dev->s.has_group) &&
	    chown(dev->path, dev->s.has_owner ? dev->s.owner : (uid_t)-1,
		  dev->s.has_group ? dev->s.group : (gid_t)-1) < 0) {
		snprintf(err, errlen, "port %s: cannot set the owner of %s: %s", dev->name, dev->path,
			 strerror(errno));
		return -1;
	}
	if (dev->s.socket_mode >= 0 && chmod(dev->path, (mode_t)dev->s.socket_mode) < 0) {
		snprintf(err, errlen, "port %s: cannot set the mode of %s: %s", dev->name, dev->path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int vsw_vhost_set_socket_access(struct vsw_vhost_dev *dev, bool has_owner, uid_t owner,
				bool has_group, gid_t group, int mode, char *err, size_t errlen)
{
	dev->s.has_owner = has_owner;
	dev->s.owner = owner;
	dev->s.has_group = has_group;
	dev->s.group = group;
	dev->s.socket_mode = mode;
	if (dev->s.client || !dev->owns_path)
		return 0; /* the frontend's socket, or not created yet */
	return apply_socket_access(dev, err, errlen);
}

/* Replaces only a socket left by a process that is gone; -1 with a
 * message if something else is at the path. */
static int clear_stale(struct vsw_vhost_dev *dev, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(dev->path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "port %s: %s exists and is not a socket", dev->name, dev->path);
		return -1;
	}
	if (vsw_unix_socket_alive(dev->path)) {
		snprintf(err, errlen, "port %s: socket %s is in use by another process", dev->name,
			 dev->path);
		return -1;
	}
	unlink(dev->path);
	return 0;
}

/* fd, bound to dev->path (made here or inherited), listening, with the
 * owner and mode applied if the file is ours; in the event loop only if no
 * frontend is connected (see attach). Remembers which file it is, to tell it
 * from one made after a removal. -1: fd closed, and its file removed if ours. */
static int serve_socket(struct vsw_vhost_dev *dev, int fd, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(dev->path, &st) == 0) {
		dev->sock_dev = st.st_dev;
		dev->sock_ino = st.st_ino;
	}
	if (dev->owns_path && apply_socket_access(dev, err, errlen) < 0) {
		close(fd);
		unlink(dev->path);
		return -1;
	}
	int rc = listen(fd, 4) < 0 ? -errno
		 : dev->conn_fd < 0 ? vsw_ev_add(dev->loop, fd, EPOLLIN, on_accept, dev)
				     : 0;
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot listen on %s: %s", dev->name, dev->path,
			 strerror(-rc));
		close(fd);
		if (dev->owns_path)
			unlink(dev->path);
		return -1;
	}
	return fd;
}

/* A new listening socket bound to dev->path (see serve_socket). */
static int bind_listen(struct vsw_vhost_dev *dev, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, dev->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "port %s: cannot create socket %s: %s", dev->name, dev->path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	dev->owns_path = true;
	return serve_socket(dev, fd, err, errlen);
}

static int listen_on(struct vsw_vhost_dev *dev, char *err, size_t errlen)
{
	if (strlen(dev->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "port %s: socket path %s is too long", dev->name, dev->path);
		return -1;
	}
	/* A socket a keeper or systemd held while no vswd ran: frontends that
	 * connected meanwhile are in its backlog, accepted from the loop. */
	bool owned;
	int fd = vsw_sockhold_take(dev->path, &owned);
	if (fd >= 0) {
		dev->owns_path = owned;
		fd = serve_socket(dev, fd, err, errlen);
		if (fd >= 0)
			VSW_LOG(INFO, vhost, "port %s: took over the listening socket %s",
				dev->name, dev->path);
	} else if (clear_stale(dev, err, errlen) == 0) {
		fd = bind_listen(dev, err, errlen);
	}
	if (fd < 0)
		return -1;
	dev->listen_fd = fd;
	if (dev->owns_path) /* what a socket keeper would hold */
		vsw_sockhold_add(dev->path, fd);
	return 0;
}

enum vsw_path_check vsw_vhost_check_socket(struct vsw_vhost_dev *dev)
{
	if (dev->s.client || dev->listen_fd < 0 ||
	    vsw_path_is(dev->path, dev->sock_dev, dev->sock_ino)) {
		dev->lost_logged = false;
		return VSW_PATH_OK;
	}
	char err[512];
	if (clear_stale(dev, err, sizeof(err)) < 0) {
		if (!dev->lost_logged)
			VSW_LOG(ERR, vhost, "port %s: socket %s was removed and %s now; leaving it",
				dev->name, dev->path,
				strstr(err, "in use") ? "another process listens there"
						      : "another file is there");
		dev->lost_logged = true;
		return VSW_PATH_TAKEN;
	}
	int fd = bind_listen(dev, err, sizeof(err));
	if (fd < 0) {
		if (!dev->lost_logged)
			VSW_LOG(ERR, vhost, "port %s: socket %s was removed and cannot be made again "
					    "(tried again every second): %s",
				dev->name, dev->path, err);
		dev->lost_logged = true;
		return VSW_PATH_FAILED;
	}
	/* A connected frontend keeps its connection; the old socket only
	 * ever accepts through the removed file, i.e. never again. */
	if (dev->conn_fd < 0 && dev->loop)
		vsw_ev_del(dev->loop, dev->listen_fd);
	vsw_sockhold_remove(dev->listen_fd);
	close(dev->listen_fd);
	dev->listen_fd = fd;
	vsw_sockhold_add(dev->path, fd); /* ours now, even if systemd made the one removed */
	dev->lost_logged = false;
	VSW_LOG(WARNING, vhost, "port %s: socket %s was removed (run directory deleted?): "
				"listening on it again%s",
		dev->name, dev->path,
		dev->conn_fd >= 0 ? "; the connected frontend is not affected" : "");
	return VSW_PATH_RESTORED;
}

struct vsw_vhost_dev *vsw_vhost_create(const struct vsw_vhost_settings *s,
				       struct vsw_evloop *loop, const struct vsw_vhost_ops *ops,
				       void *ctx, char *err, size_t errlen)
{
	int rc = watch_mem_faults(loop);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot guard guest memory: %s", s->name, strerror(-rc));
		return NULL;
	}
	struct vsw_vhost_dev *dev = vsw_vhost_alloc(s, loop, ops, ctx);
	if (dev == NULL) {
		snprintf(err, errlen, "port %s: out of memory", s->name);
		return NULL;
	}
	dev->fail = fail;
	if (s->client) {
		dev->backoff_ms = BACKOFF_MIN_MS;
		client_connect(dev);
		return dev;
	}
	if (listen_on(dev, err, errlen) < 0) {
		if (dev->owns_path)
			unlink(dev->path);
		vsw_vhost_free(dev);
		return NULL;
	}
	VSW_LOG(INFO, vhost, "port %s: listening on %s", dev->name, dev->path);
	return dev;
}

struct vsw_vhost_dev *vsw_vhost_create_on_fd(const struct vsw_vhost_settings *s,
					     struct vsw_evloop *loop,
					     const struct vsw_vhost_ops *ops, void *ctx, int fd)
{
	if (watch_mem_faults(loop) < 0)
		return NULL;
	struct vsw_vhost_dev *dev = vsw_vhost_alloc(s, loop, ops, ctx);
	if (dev == NULL)
		return NULL;
	dev->fail = fail;
	dev->s.client = false;
	attach(dev, fd);
	return dev;
}

bool vsw_vhost_connected(const struct vsw_vhost_dev *dev)
{
	return dev->conn_fd >= 0;
}

void vsw_vhost_destroy(struct vsw_vhost_dev *dev)
{
	if (dev == NULL)
		return;
	disconnect(dev, "port removed");
	if (dev->retry_timer && dev->loop)
		vsw_ev_timer_cancel(dev->loop, dev->retry_timer);
	if (dev->listen_fd >= 0) {
		if (dev->loop)
			vsw_ev_del(dev->loop, dev->listen_fd);
		if (vsw_sockhold_remove(dev->listen_fd))
			dev->owns_path = false; /* a keeper holds it: the file stays */
		close(dev->listen_fd);
	}
	/* Not a file someone else made after ours was removed. */
	if (dev->owns_path && vsw_path_is(dev->path, dev->sock_dev, dev->sock_ino))
		unlink(dev->path);
	vsw_vhost_free(dev);
}
