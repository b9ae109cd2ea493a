/* Owns vswd's side of keeping listening sockets across a restart: checking
 * an inherited socket against the path it is for, adopting systemd's and
 * the socket keeper's sockets at start, the list of sockets whose files
 * vswd owns (what a keeper would hold), and starting the keeper at stop. */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/sockhold.h"

#define SUN_LEN_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
/* How long a starting vswd waits for the keeper's sockets. The keeper only
 * has to accept and send, so anything longer means it is stuck. */
#define HANDOFF_WAIT_MS 1000

struct inherited {
	int fd; /* -1: taken or closed */
	bool owned; /* from a keeper (vswd's file), not from systemd */
	char path[SUN_LEN_MAX];
};
static struct inherited inh[VSW_SOCKHOLD_MAX];
static unsigned int ninh;

struct live {
	bool used, kept;
	int fd;
	char path[SUN_LEN_MAX];
};
static struct live live[VSW_SOCKHOLD_MAX];

int vsw_sockhold_handoff_path(const char *run_dir, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/vswd.handoff", run_dir);
	return n < 0 || (size_t)n >= size || (size_t)n >= SUN_LEN_MAX ? -1 : 0;
}

/* The file a Unix socket is bound to, as the kernel knows it (sock_diag's
 * UNIX_DIAG_VFS): fstat on a socket gives its sockfs inode, not the file's.
 * Returns 0, 1 when it is bound to no file, -1 when the kernel cannot say. */
static int bound_file(int fd, dev_t *dev, uint32_t *ino)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -1;
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = (uint32_t)st.st_ino,
		       .udiag_show = UDIAG_SHOW_VFS, .udiag_cookie = { ~0u, ~0u } },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		char buf[1024];
		struct nlmsghdr align;
	} resp;
	ssize_t n = -1;
	/* The kernel answers within sendto, so the reply is there to read. */
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) >= 0)
		n = recv(nl, resp.buf, sizeof(resp.buf), MSG_DONTWAIT);
	close(nl);
	struct nlmsghdr *h = &resp.align;
	if (n < 0 || !NLMSG_OK(h, (size_t)n))
		return -1;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		errno = e->error ? -e->error : EPROTO;
		return -1;
	}
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
	    m->udiag_ino != (uint32_t)st.st_ino) {
		errno = EPROTO;
		return -1;
	}
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(a) < sizeof(struct unix_diag_vfs))
			continue;
		struct unix_diag_vfs v;
		memcpy(&v, RTA_DATA(a), sizeof(v));
		/* The kernel's own dev_t encoding: 12 bits major, 20 bits minor. */
		*dev = makedev(v.udiag_vfs_dev >> 20, v.udiag_vfs_dev & 0xfffff);
		*ino = v.udiag_vfs_ino;
		return 0;
	}
	return 1;
}

int vsw_sockhold_check(int fd, int type, const char *path, char *why, size_t whylen)
{
	int v;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 || v != AF_UNIX) {
		snprintf(why, whylen, "not a Unix socket");
		return -1;
	}
	l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) < 0 || v != type) {
		snprintf(why, whylen, "not a %s socket",
			 type == SOCK_STREAM ? "stream" : type == SOCK_SEQPACKET ? "seqpacket" : "?");
		return -1;
	}
	l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) < 0 || v != 1) {
		snprintf(why, whylen, "not listening");
		return -1;
	}
	struct sockaddr_un sa;
	char bound[SUN_LEN_MAX + 1];
	l = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &l) < 0 ||
	    l <= offsetof(struct sockaddr_un, sun_path) || sa.sun_path[0] == '\0') {
		snprintf(why, whylen, "not bound to a file");
		return -1;
	}
	size_t blen = l - offsetof(struct sockaddr_un, sun_path);
	memcpy(bound, sa.sun_path, blen);
	bound[blen] = '\0';
	if (strcmp(bound, path) != 0) {
		snprintf(why, whylen, "bound to %s", bound);
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		snprintf(why, whylen, "%s", errno == ENOENT ? "its file is gone" : "its file is no socket");
		return -1;
	}
	dev_t dev;
	uint32_t ino;
	int rc = bound_file(fd, &dev, &ino);
	if (rc != 0) {
		snprintf(why, whylen, "the kernel does not say which file it is bound to (%s)",
			 rc < 0 ? strerror(errno) : "none");
		return -1;
	}
	if (dev != st.st_dev || ino != (uint32_t)st.st_ino) {
		snprintf(why, whylen, "its file was replaced by another socket");
		return -1;
	}
	return 0;
}

int vsw_sockhold_listen_fds(const char *listen_pid, const char *listen_fds, pid_t self)
{
	if (listen_pid == NULL || listen_fds == NULL || *listen_pid == '\0' || *listen_fds == '\0')
		return 0;
	char *end;
	errno = 0;
	long pid = strtol(listen_pid, &end, 10);
	if (*end != '\0' || errno != 0 || pid != (long)self)
		return 0; /* meant for another process (our parent, say) */
	long n = strtol(listen_fds, &end, 10);
	if (*end != '\0' || errno != 0 || n <= 0 || n > VSW_SOCKHOLD_MAX)
		return 0;
	return (int)n;
}

static void add_inherited(int fd, bool owned, const char *path)
{
	if (ninh == VSW_SOCKHOLD_MAX) {
		VSW_LOG(WARNING, main, "more than %d inherited sockets: %s closed", VSW_SOCKHOLD_MAX,
			path);
		close(fd);
		return;
	}
	inh[ninh].fd = fd;
	inh[ninh].owned = owned;
	snprintf(inh[ninh].path, sizeof(inh[ninh].path), "%s", path);
	ninh++;
}

static void from_systemd(void)
{
	int n = vsw_sockhold_listen_fds(getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getpid());
	/* Not for the processes we start (the keeper). */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (int fd = 3; fd < 3 + n; fd++) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		struct sockaddr_un sa;
		socklen_t l = sizeof(sa);
		memset(&sa, 0, sizeof(sa));
		if (getsockname(fd, (struct sockaddr *)&sa, &l) < 0 || sa.sun_family != AF_UNIX ||
		    l <= offsetof(struct sockaddr_un, sun_path) || sa.sun_path[0] == '\0' ||
		    l - offsetof(struct sockaddr_un, sun_path) >= sizeof(sa.sun_path)) {
			VSW_LOG(WARNING, main, "LISTEN_FDS: fd %d is not a Unix socket bound to a file; "
					       "closed", fd);
			close(fd);
			continue;
		}
		add_inherited(fd, false, sa.sun_path);
	}
	if (n > 0)
		VSW_LOG(INFO, main, "LISTEN_FDS: %d socket%s from the service manager", n,
			n > 1 ? "s" : "");
}

/* One message from the keeper: its record and fd (-1 if none). Returns the
 * message's length, 0 at the end of the stream, -1 on error. */
static ssize_t recv_rec(int s, struct vsw_handoff_rec *rec, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = rec, .iov_len = sizeof(*rec) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	*fd = -1;
	ssize_t n = recvmsg(s, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = f;
			else
				close(f); /* one per record */
		}
	}
	return n;
}

static void from_keeper(const char *run_dir, bool *created_dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (vsw_sockhold_handoff_path(run_dir, sa.sun_path, sizeof(sa.sun_path)) < 0)
		return;
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == ECONNREFUSED) {
			/* We hold the run directory's lock: a dead keeper's file is ours. */
			VSW_LOG(INFO, main, "%s: its socket keeper is gone; removed", sa.sun_path);
			unlink(sa.sun_path);
		} else if (errno != ENOENT) {
			VSW_LOG(WARNING, main, "cannot reach the socket keeper at %s: %s",
				sa.sun_path, strerror(errno));
		}
		close(s);
		return;
	}
	int keeper = 0;
	uint64_t deadline = vsw_monotonic_ms() + HANDOFF_WAIT_MS;
	unsigned int got = 0;
	bool end = false;
	while (!end) {
		uint64_t now = vsw_monotonic_ms();
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) == 0) {
			VSW_LOG(WARNING, main, "the socket keeper at %s did not hand its sockets over "
					       "within %d ms",
				sa.sun_path, HANDOFF_WAIT_MS);
			break;
		}
		struct vsw_handoff_rec rec;
		int fd;
		ssize_t n = recv_rec(s, &rec, &fd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break; /* the keeper went away: keep what came */
		rec.path[sizeof(rec.path) - 1] = '\0';
		if ((size_t)n == sizeof(rec))
			keeper = rec.keeper_pid;
		if ((size_t)n == sizeof(rec) && rec.kind == VSW_HANDOFF_END) {
			end = true;
			*created_dir = rec.flags & VSW_HANDOFF_CREATED_DIR;
		} else if ((size_t)n == sizeof(rec) && rec.kind == VSW_HANDOFF_SOCKET && fd >= 0) {
			add_inherited(fd, true, rec.path);
			got++;
			fd = -1;
		}
		if (fd >= 0)
			close(fd);
	}
	close(s);
	if (keeper == 0)
		VSW_LOG(WARNING, main, "the socket keeper at %s handed nothing over", sa.sun_path);
	else
		VSW_LOG(NOTICE, main, "took %u listening socket%s from the socket keeper (pid %d)",
			got, got == 1 ? "" : "s", keeper);
}

void vsw_sockhold_inherit(const char *run_dir, bool *created_dir)
{
	from_systemd();
	from_keeper(run_dir, created_dir);
}

bool vsw_sockhold_inherited(const char *path)
{
	for (unsigned int i = 0; i < ninh; i++)
		if (inh[i].fd >= 0 && strcmp(inh[i].path, path) == 0)
			return true;
	return false;
}

int vsw_sockhold_take(const char *path, bool *owned)
{
	for (unsigned int i = 0; i < ninh; i++) {
		if (inh[i].fd < 0 || strcmp(inh[i].path, path) != 0)
			continue;
		int fd = inh[i].fd;
		char why[256];
		inh[i].fd = -1;
		*owned = inh[i].owned;
		if (vsw_sockhold_check(fd, SOCK_STREAM, path, why, sizeof(why)) < 0) {
			VSW_LOG(WARNING, main, "inherited socket for %s not used (%s): binding anew",
				path, why);
			close(fd);
			return -1;
		}
		int fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, (fl < 0 ? 0 : fl) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		return fd;
	}
	return -1;
}

void vsw_sockhold_close_unused(void)
{
	for (unsigned int i = 0; i < ninh; i++) {
		if (inh[i].fd < 0)
			continue;
		char why[256];
		/* A keeper's socket file dies with the socket; systemd's is systemd's. */
		bool remove = inh[i].owned &&
			      vsw_sockhold_check(inh[i].fd, SOCK_STREAM, inh[i].path, why,
						 sizeof(why)) == 0;
		if (remove)
			unlink(inh[i].path);
		close(inh[i].fd);
		inh[i].fd = -1;
		VSW_LOG(NOTICE, main, "inherited listening socket %s (from %s) is not in the "
				      "configuration: closed%s",
			inh[i].path, inh[i].owned ? "the socket keeper" : "the service manager",
			remove ? " and removed" : "");
	}
	ninh = 0;
}

void vsw_sockhold_add(const char *path, int fd)
{
	for (unsigned int i = 0; i < VSW_SOCKHOLD_MAX; i++)
		if (!live[i].used) {
			live[i] = (struct live){ .used = true, .fd = fd };
			snprintf(live[i].path, sizeof(live[i].path), "%s", path);
			return;
		}
	VSW_LOG(WARNING, main, "%s: more than %d sockets; a keeper would not hold this one", path,
		VSW_SOCKHOLD_MAX);
}

bool vsw_sockhold_remove(int fd)
{
	for (unsigned int i = 0; i < VSW_SOCKHOLD_MAX; i++)
		if (live[i].used && live[i].fd == fd) {
			bool kept = live[i].kept;
			live[i].used = false;
			return kept;
		}
	return false;
}

/* The handoff socket, made here rather than by the keeper so that it is
 * there before this vswd lets the run directory's lock go. */
static int handoff_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path); /* a dead keeper's: we hold the lock */
	int h = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (h < 0)
		return -1;
	if (bind(h, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(h, 4) < 0) {
		int e = errno;
		close(h);
		unlink(path);
		errno = e;
		return -1;
	}
	return h;
}

int vsw_sockhold_keep(const char *run_dir, unsigned int hold_s, bool created_dir, int log_level)
{
	/* "vswd --keep-sockets HOLD LEVEL HANDOFF_FD RUN_DIR CREATED [FD PATH]..." */
	static char nums[VSW_SOCKHOLD_MAX + 4][16];
	static char *argv[7 + 2 * VSW_SOCKHOLD_MAX + 1];
	char hpath[SUN_LEN_MAX];
	int fds[VSW_SOCKHOLD_MAX];
	unsigned int n = 0, a = 0;
	for (unsigned int i = 0; i < VSW_SOCKHOLD_MAX; i++)
		n += live[i].used;
	if (n == 0) {
		VSW_LOG(INFO, main, "no listening socket of vswd's own to hold");
		return 0;
	}
	n = 0;
	if (vsw_sockhold_handoff_path(run_dir, hpath, sizeof(hpath)) < 0) {
		VSW_LOG(ERR, main, "run directory %s: path too long for a handoff socket; not "
				   "holding the sockets", run_dir);
		return -1;
	}
	int h = handoff_listen(hpath);
	if (h < 0) {
		VSW_LOG(ERR, main, "cannot create %s: %s; not holding the sockets", hpath,
			strerror(errno));
		return -1;
	}
	snprintf(nums[0], sizeof(nums[0]), "%u", hold_s);
	snprintf(nums[1], sizeof(nums[1]), "%d", log_level);
	snprintf(nums[2], sizeof(nums[2]), "%d", h);
	argv[a++] = (char *)"vswd";
	argv[a++] = (char *)VSW_KEEPER_OPTION;
	argv[a++] = nums[0];
	argv[a++] = nums[1];
	argv[a++] = nums[2];
	argv[a++] = (char *)run_dir;
	argv[a++] = (char *)(created_dir ? "1" : "0");
	for (unsigned int i = 0; i < VSW_SOCKHOLD_MAX; i++) {
		if (!live[i].used)
			continue;
		fds[n] = live[i].fd;
		snprintf(nums[3 + n], sizeof(nums[0]), "%d", live[i].fd);
		argv[a++] = nums[3 + n];
		argv[a++] = live[i].path;
		n++;
	}
	argv[a] = NULL;
	/* The child tells us through this pipe if exec failed; EOF means it ran. */
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(h);
		unlink(hpath);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec. */
		for (unsigned int i = 0; i < n; i++)
			fcntl(fds[i], F_SETFD, 0);
		fcntl(h, F_SETFD, 0);
		execv("/proc/self/exe", argv);
		int e = errno;
		ssize_t w = write(p[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	int e = pid < 0 ? errno : 0;
	close(p[1]);
	ssize_t r;
	do
		r = pid > 0 ? read(p[0], &e, sizeof(e)) : 0;
	while (r < 0 && errno == EINTR);
	close(p[0]);
	close(h);
	if (pid < 0 || r > 0) {
		VSW_LOG(ERR, main, "cannot start the socket keeper: %s; not holding the sockets",
			strerror(e));
		if (pid > 0)
			waitpid(pid, NULL, 0);
		unlink(hpath);
		return -1;
	}
	for (unsigned int i = 0; i < VSW_SOCKHOLD_MAX; i++)
		live[i].kept = live[i].used;
	VSW_LOG(NOTICE, main, "socket keeper (pid %d) holds %u listening socket%s for %u s, until "
			      "the next vswd on %s takes them",
		(int)pid, n, n == 1 ? "" : "s", hold_s, run_dir);
	return 0;
}
