/* Owns the socket keeper: the process a stopping vswd leaves behind (vswd
 * re-executed with --keep-sockets before any EAL set-up, so it holds no
 * hugepages and no DPDK state) that keeps listening sockets open, so that
 * frontends connecting meanwhile wait in their backlogs. The next vswd on
 * the run directory (the one holding its lock) takes them over through the
 * handoff socket; if none comes within the hold time, or the keeper is told
 * to stop, it removes the socket files that are still its sockets' and
 * exits. It never holds the run directory's lock. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/sockhold.h"

struct keeper {
	unsigned long hold_s;
	int handoff_fd;
	const char *run_dir;
	char handoff[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool created_dir;
	unsigned int n;
	int fds[VSW_SOCKHOLD_MAX];
	const char *paths[VSW_SOCKHOLD_MAX];
};

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(struct keeper *k, int argc, char **argv)
{
	unsigned long level, fd, created;
	if (argc < 7 || (argc - 7) % 2 != 0 || (argc - 7) / 2 > VSW_SOCKHOLD_MAX ||
	    parse_num(argv[2], VSW_SOCKHOLD_MAX_S, &k->hold_s) < 0 ||
	    parse_num(argv[3], RTE_LOG_DEBUG, &level) < 0 || parse_num(argv[4], INT_MAX, &fd) < 0 ||
	    parse_num(argv[6], 1, &created) < 0)
		return -1;
	rte_log_set_level_pattern("vsw.*", (uint32_t)level);
	k->handoff_fd = (int)fd;
	k->run_dir = argv[5];
	k->created_dir = created;
	if (vsw_sockhold_handoff_path(k->run_dir, k->handoff, sizeof(k->handoff)) < 0)
		return -1;
	for (int i = 7; i < argc; i += 2) {
		if (parse_num(argv[i], INT_MAX, &fd) < 0)
			return -1;
		k->fds[k->n] = (int)fd;
		k->paths[k->n++] = argv[i + 1];
	}
	return 0;
}

/* Everything else vswd had open (guest connections, the lock file, hugepage
 * files) must not live on here. */
static void close_others(const struct keeper *k)
{
	int top = k->handoff_fd;
	for (unsigned int i = 0; i < k->n; i++)
		top = k->fds[i] > top ? k->fds[i] : top;
	unsigned int lo = 3;
	for (int fd = 3; fd <= top; fd++) {
		bool keep = fd == k->handoff_fd;
		for (unsigned int i = 0; i < k->n && !keep; i++)
			keep = k->fds[i] == fd;
		if (!keep)
			continue;
		if ((unsigned int)fd > lo)
			close_range(lo, (unsigned int)fd - 1, 0);
		lo = (unsigned int)fd + 1;
	}
	close_range(lo, ~0u, 0);
}

/* Only the vswd that holds the run directory's lock gets the sockets: the
 * pid file it wrote names it. */
static bool peer_holds_lock(const struct keeper *k, int c, pid_t *peer)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0)
		return false;
	*peer = cr.pid;
	if (cr.uid != geteuid() && cr.uid != 0)
		return false;
	char path[PATH_MAX];
	long pid = 0;
	snprintf(path, sizeof(path), "%s/vswd.pid", k->run_dir);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid == (long)cr.pid;
}

static int send_rec(int c, unsigned int kind, unsigned int flags, const char *path, int fd)
{
	struct vsw_handoff_rec rec = { .kind = kind, .flags = flags, .keeper_pid = getpid() };
	snprintf(rec.path, sizeof(rec.path), "%s", path);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &rec, .iov_len = sizeof(rec) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(c, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(rec) ? 0 : -1;
}

static void unlink_if_ours(int fd, int type, const char *path)
{
	char why[256];
	if (vsw_sockhold_check(fd, type, path, why, sizeof(why)) == 0)
		unlink(path);
	else
		VSW_LOG(NOTICE, main, "socket keeper: %s left in place: %s", path, why);
}

static int hand_over(struct keeper *k, int c, pid_t peer)
{
	/* A vswd that stops reading must not keep the keeper forever. */
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	unlink_if_ours(k->handoff_fd, SOCK_SEQPACKET, k->handoff);
	for (unsigned int i = 0; i < k->n; i++)
		if (send_rec(c, VSW_HANDOFF_SOCKET, 0, k->paths[i], k->fds[i]) < 0) {
			VSW_LOG(ERR, main, "socket keeper: handing %s to vswd pid %d failed: %s",
				k->paths[i], (int)peer, strerror(errno));
			return 1;
		}
	if (send_rec(c, VSW_HANDOFF_END, k->created_dir ? VSW_HANDOFF_CREATED_DIR : 0, "", -1) < 0) {
		VSW_LOG(ERR, main, "socket keeper: vswd pid %d went away: %s", (int)peer,
			strerror(errno));
		return 1;
	}
	VSW_LOG(NOTICE, main, "socket keeper: handed %u listening socket%s to vswd pid %d", k->n,
		k->n == 1 ? "" : "s", (int)peer);
	return 0;
}

static void give_up(struct keeper *k, const char *why)
{
	for (unsigned int i = 0; i < k->n; i++)
		unlink_if_ours(k->fds[i], SOCK_STREAM, k->paths[i]);
	unlink_if_ours(k->handoff_fd, SOCK_SEQPACKET, k->handoff);
	if (k->created_dir)
		rmdir(k->run_dir); /* fails harmlessly if something else lives there */
	VSW_LOG(NOTICE, main, "socket keeper: %s; removed the %u socket%s", why, k->n,
		k->n == 1 ? "" : "s");
}

int vsw_sockhold_keeper_main(int argc, char **argv)
{
	static struct keeper k;
	prctl(PR_SET_NAME, "vswd-keeper");
	if (parse_args(&k, argc, argv) < 0) {
		fprintf(stderr, "vswd: %s is for vswd's own use\n", VSW_KEEPER_OPTION);
		return 2;
	}
	close_others(&k);
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
	uint64_t deadline = vsw_monotonic_ms() + k.hold_s * 1000;
	VSW_LOG(INFO, main, "socket keeper (pid %d): holding %u socket%s for %lu s", (int)getpid(),
		k.n, k.n == 1 ? "" : "s", k.hold_s);
	for (;;) {
		uint64_t now = vsw_monotonic_ms();
		if (now >= deadline) {
			char why[64];
			snprintf(why, sizeof(why), "no vswd took the sockets within %lu s", k.hold_s);
			give_up(&k, why);
			return 0;
		}
		struct pollfd p[2] = { { .fd = k.handoff_fd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		if (poll(p, sfd >= 0 ? 2 : 1, (int)(deadline - now)) <= 0)
			continue;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				char why[64];
				snprintf(why, sizeof(why), "stopped by signal %u", si.ssi_signo);
				give_up(&k, why);
				return 0;
			}
		}
		if (!(p[0].revents & POLLIN))
			continue;
		int c = accept4(k.handoff_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		pid_t peer = 0;
		if (!peer_holds_lock(&k, c, &peer)) {
			VSW_LOG(WARNING, main, "socket keeper: pid %d does not hold the lock of %s; "
					       "refused",
				(int)peer, k.run_dir);
			close(c);
			continue;
		}
		int rc = hand_over(&k, c, peer);
		close(c);
		return rc;
	}
}
