/* Owns the control socket: accepting clients, reading newline-framed
 * requests, writing replies without ever blocking the control thread, and
 * the bounds that keep clients from taking the daemon's memory, fds, CPU or
 * log (rpc.h has the numbers; rpc_buf.c the per-client buffers):
 * - at most VSW_RPC_MAX_CLIENTS. A newcomer past that takes the place of an
 *   idle client (the one idle longest of the peer process holding the most
 *   places) or is turned away at once with an error line: never left in the
 *   listen backlog, where a legitimate client would queue behind it;
 * - at EMFILE a spare fd is given up to accept the newcomer and do the
 *   same, since a listening socket left readable makes a level-triggered
 *   loop spin;
 * - a client is not read while VSW_RPC_OUT_PAUSE bytes of its replies are
 *   unsent, and is dropped when a request takes longer than vsw_rpc_idle_ms
 *   to arrive from its first byte, or its replies stay unread that long;
 * - warnings about clients are a few per second, the rest counted.
 * It also listens again when the socket file is removed under it, and takes
 * over an inherited listening socket for its path (a socket keeper's or
 * systemd's) with the clients waiting in its backlog. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/runlock.h"
#include "common/sockhold.h"
#include "control/rpc.h"
#include "control/rpc_buf.h"

#define ACCEPTS_PER_EVENT 64 /* then the loop serves others before more */
#define ACCEPT_PAUSE_MS 100 /* when accept fails for want of fds or memory */
#define WARNINGS_PER_TICK 5

unsigned int vsw_rpc_idle_ms = VSW_RPC_IDLE_MS;

struct client {
	struct vsw_rpc_server *srv;
	int fd;
	pid_t peer; /* 0 when the kernel does not say */
	uint32_t events; /* registered with the loop */
	struct vsw_rpc_in in;
	struct vsw_rpc_out out;
	uint64_t active; /* s->activity when it connected or was last answered */
	uint64_t in_since; /* the first byte of an unfinished request came (0: none) */
	uint64_t out_since; /* replies began to wait for the client (0: none) */
	bool eof; /* the client shut its side: answer what came, then close */
	bool closing; /* close once the output is flushed */
};

struct vsw_rpc_server {
	struct vsw_evloop *loop;
	int fd;
	int spare_fd; /* given up at EMFILE so accept() can take the connection */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int mode;
	dev_t dev; /* the socket file we made, to tell it from another one */
	ino_t ino;
	bool lost_logged;
	bool owns_path; /* false for a socket systemd made: never unlinked or handed on */
	const struct vsw_rpc_method *methods;
	void *ctx;
	struct client *clients[VSW_RPC_MAX_CLIENTS];
	int nclients;
	uint64_t timer, accept_timer;
	uint64_t activity; /* counts accepts and answers: orders clients by idleness */
	unsigned int turned_away, evicted, warnings_left, warnings_suppressed;
};

#define CLIENT_WARN(s, fmt, ...)                                          \
	do {                                                              \
		if ((s)->warnings_left > 0) {                             \
			(s)->warnings_left--;                             \
			VSW_LOG(WARNING, control, fmt, ##__VA_ARGS__);    \
		} else {                                                  \
			(s)->warnings_suppressed++;                       \
		}                                                         \
	} while (0)

/* Best effort, for a client about to be closed: one error line if the
 * socket takes it now. */
static void say_error(int fd, const char *msg)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":%d,\"message\":\"%s\"},\"id\":null}\n",
			 VSW_RPC_FAILED, msg);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void client_close(struct client *c)
{
	struct vsw_rpc_server *s = c->srv;
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++)
		if (s->clients[i] == c) {
			s->clients[i] = NULL;
			s->nclients--;
		}
	vsw_ev_del(s->loop, c->fd);
	close(c->fd);
	vsw_rpc_in_free(&c->in);
	vsw_rpc_out_free(&c->out);
	free(c);
}

/* Whether the client's next requests are read: not while it is to be
 * closed, and not while it leaves its replies unread. */
static bool reading(const struct client *c)
{
	return !c->closing && !c->eof && vsw_rpc_out_held(&c->out) < VSW_RPC_OUT_PAUSE;
}

/* Writes what the socket takes; -1 when the client is to be closed. */
static int flush_out(struct client *c)
{
	while (vsw_rpc_out_held(&c->out) > 0) {
		ssize_t n = send(c->fd, vsw_rpc_out_data(&c->out), vsw_rpc_out_held(&c->out),
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		vsw_rpc_out_sent(&c->out, (size_t)n);
	}
	size_t held = vsw_rpc_out_held(&c->out);
	if (held == 0)
		c->out_since = 0;
	else if (c->out_since == 0)
		c->out_since = vsw_monotonic_ms();
	if (held == 0 && c->closing)
		return -1;
	uint32_t ev = (reading(c) ? EPOLLIN : 0) | (held ? EPOLLOUT : 0);
	if (ev != c->events && vsw_ev_mod(c->srv->loop, c->fd, ev) == 0)
		c->events = ev;
	return 0;
}

/* Answers the complete requests held, as long as the client reads its
 * replies; -1 when the client is to be closed now. */
static int serve(struct client *c)
{
	struct vsw_rpc_server *s = c->srv;
	bool answered = false;
	while (!c->closing && vsw_rpc_out_held(&c->out) < VSW_RPC_OUT_PAUSE) {
		const char *line;
		size_t len;
		enum vsw_rpc_in_result r = vsw_rpc_in_next(&c->in, c->eof, &line, &len);
		if (r == VSW_RPC_IN_NONE)
			break;
		if (r == VSW_RPC_IN_TOO_LONG) {
			char msg[160];
			snprintf(msg, sizeof(msg),
				 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":%d,\"message\":\"request "
				 "larger than %d bytes\"},\"id\":null}",
				 VSW_RPC_INVALID_REQUEST, VSW_RPC_MAX_REQUEST);
			CLIENT_WARN(s, "control client sent a request over %d bytes; closing it",
				    VSW_RPC_MAX_REQUEST);
			c->closing = true; /* and read no more of it */
			if (vsw_rpc_out_push(&c->out, msg, strlen(msg)) < 0)
				return -1;
			break;
		}
		char *resp = vsw_rpc_handle(s->methods, s->ctx, line, len);
		int rc = resp ? vsw_rpc_out_push(&c->out, resp, strlen(resp)) : 0;
		free(resp);
		if (rc < 0)
			return -1; /* out of memory */
		answered = true;
	}
	uint64_t now = vsw_monotonic_ms();
	if (answered)
		c->active = ++s->activity;
	/* What is held after a request answered now is the start of the next. */
	if (vsw_rpc_in_held(&c->in) == 0)
		c->in_since = 0;
	else if (answered || c->in_since == 0)
		c->in_since = now;
	if (c->eof && vsw_rpc_in_held(&c->in) == 0)
		c->closing = true;
	return flush_out(c);
}

/* Reads once what fits of the request under way; -1 when the client is
 * gone or the read failed. */
static int read_in(struct client *c)
{
	size_t room;
	char *p = vsw_rpc_in_space(&c->in, &room);
	if (p == NULL)
		return -1;
	if (room == 0)
		return 0; /* full of requests waiting for their turn */
	ssize_t n = recv(c->fd, p, room, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (n == 0)
		c->eof = true;
	vsw_rpc_in_added(&c->in, (size_t)n);
	return 0;
}

static void on_client(int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	(void)fd;
	if ((events & EPOLLOUT) && flush_out(c) < 0) {
		client_close(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		int rc = 0;
		if (reading(c))
			rc = read_in(c);
		else if (events & (EPOLLHUP | EPOLLERR))
			rc = -1; /* gone while its replies wait: none will be read */
		if (rc < 0) {
			client_close(c);
			return;
		}
	}
	if (serve(c) < 0)
		client_close(c);
}

/* Nothing under way: no request partly read, no reply unsent, nothing
 * waiting in the socket (asked last: a syscall). Such a client loses
 * nothing but its connection. */
static bool idle(const struct client *c, bool ask_kernel)
{
	if (c->closing || c->eof || vsw_rpc_in_held(&c->in) > 0 || vsw_rpc_out_held(&c->out) > 0)
		return false;
	int unread = 1;
	return !ask_kernel || (ioctl(c->fd, FIONREAD, &unread) == 0 && unread == 0);
}

/* The idle client to close for a newcomer: of the peer holding the most
 * places, so that one process opening many connections evicts its own
 * before anyone else's; among those, the one idle longest. */
static struct client *eviction_victim(struct vsw_rpc_server *s)
{
	struct client *victim = NULL;
	int victim_peers = 0;
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++) {
		struct client *c = s->clients[i];
		if (c == NULL || !idle(c, false))
			continue;
		int peers = 0;
		for (int j = 0; j < VSW_RPC_MAX_CLIENTS; j++)
			peers += s->clients[j] != NULL && s->clients[j]->peer == c->peer;
		bool better = victim == NULL || peers > victim_peers ||
			      (peers == victim_peers && c->active < victim->active);
		if (better && idle(c, true)) {
			victim = c;
			victim_peers = peers;
		}
	}
	return victim;
}

/* Takes cfd as a client, making room if there is none (no free place, or
 * no fd left: starved); closes it with an error line if no room can be made. */
static void admit(struct vsw_rpc_server *s, int cfd, bool starved)
{
	if (s->nclients == VSW_RPC_MAX_CLIENTS || starved) {
		struct client *victim = eviction_victim(s);
		if (victim == NULL) {
			say_error(cfd, "too many control clients, all busy; try again");
			close(cfd);
			s->turned_away++;
			return;
		}
		say_error(victim->fd, "closed to make room for another control client");
		client_close(victim);
		s->evicted++;
	}
	int slot = 0;
	while (s->clients[slot] != NULL)
		slot++;
	struct client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(cfd);
		return;
	}
	struct ucred cred;
	socklen_t credlen = sizeof(cred);
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == 0)
		c->peer = cred.pid;
	c->srv = s;
	c->fd = cfd;
	c->events = EPOLLIN;
	c->in.max = VSW_RPC_MAX_REQUEST;
	c->out.max = VSW_RPC_OUT_PAUSE + VSW_RPC_MAX_REPLY + 1;
	c->active = ++s->activity;
	if (vsw_ev_add(s->loop, cfd, EPOLLIN, on_client, c) < 0) {
		close(cfd);
		free(c);
		return;
	}
	s->clients[slot] = c;
	s->nclients++;
}

static void reopen_spare(struct vsw_rpc_server *s)
{
	if (s->spare_fd < 0)
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void resume_accepting(void *arg)
{
	struct vsw_rpc_server *s = arg;
	s->accept_timer = 0;
	reopen_spare(s);
	vsw_ev_mod(s->loop, s->fd, EPOLLIN);
}

static void on_accept(int fd, uint32_t events, void *arg)
{
	struct vsw_rpc_server *s = arg;
	(void)events;
	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		bool starved = false;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == EMFILE || errno == ENFILE) && s->spare_fd >= 0) {
			close(s->spare_fd);
			s->spare_fd = -1;
			starved = true;
			cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		}
		if (cfd < 0) {
			int err = errno;
			reopen_spare(s);
			if (err == EAGAIN || err == EWOULDBLOCK)
				return;
			if (err == EINTR || err == ECONNABORTED)
				continue;
			/* Out of fds even without the spare, or of memory: leave the
			 * connection queued and look again shortly, not at once. */
			CLIENT_WARN(s, "cannot accept control clients: %s; pausing %d ms",
				    strerror(err), ACCEPT_PAUSE_MS);
			vsw_ev_mod(s->loop, fd, 0);
			s->accept_timer =
				vsw_ev_timer_add(s->loop, ACCEPT_PAUSE_MS, resume_accepting, s);
			return;
		}
		admit(s, cfd, starved);
		reopen_spare(s); /* the fd of whoever admit closed */
	}
}

/* Drops clients whose request or replies are overdue, and says once a
 * second what was counted instead of logged. */
static void on_tick(void *arg)
{
	struct vsw_rpc_server *s = arg;
	uint64_t now = vsw_monotonic_ms();
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++) {
		struct client *c = s->clients[i];
		if (c == NULL)
			continue;
		if (c->out_since != 0 && now - c->out_since > vsw_rpc_idle_ms) {
			CLIENT_WARN(s, "control client left %zu bytes of replies unread for %u ms; "
				       "dropping it",
				    vsw_rpc_out_held(&c->out), vsw_rpc_idle_ms);
			client_close(c);
		} else if (c->in_since != 0 && reading(c) && now - c->in_since > vsw_rpc_idle_ms) {
			CLIENT_WARN(s, "control client sent no whole request in %u ms; dropping it",
				    vsw_rpc_idle_ms);
			if (vsw_rpc_out_held(&c->out) == 0) /* not inside a reply */
				say_error(c->fd, "request incomplete at the time limit");
			client_close(c);
		}
	}
	if (s->turned_away || s->evicted)
		VSW_LOG(WARNING, control,
			"control socket at its limit (%d clients, or no fd left): closed %u idle "
			"clients for newcomers, turned %u newcomers away",
			VSW_RPC_MAX_CLIENTS, s->evicted, s->turned_away);
	if (s->warnings_suppressed)
		VSW_LOG(WARNING, control, "%u more warnings about control clients not shown",
			s->warnings_suppressed);
	s->turned_away = s->evicted = s->warnings_suppressed = 0;
	s->warnings_left = WARNINGS_PER_TICK;
	reopen_spare(s);
	s->timer = vsw_ev_timer_add(s->loop, vsw_rpc_idle_ms < 1000 ? vsw_rpc_idle_ms : 1000,
				    on_tick, s);
}

/* fd, bound to s->path, listening and in the event loop; -1 with errno set
 * (fd closed, and its file removed if it is ours). Remembers which file it
 * is, to tell it from one made after a removal. */
static int serve_socket(struct vsw_rpc_server *s, int fd, bool ours)
{
	struct stat st;
	if ((ours && s->mode >= 0 && chmod(s->path, (mode_t)s->mode) < 0) ||
	    listen(fd, VSW_RPC_MAX_CLIENTS) < 0 || lstat(s->path, &st) < 0 ||
	    vsw_ev_add(s->loop, fd, EPOLLIN, on_accept, s) < 0) {
		int e = errno;
		close(fd);
		if (ours)
			unlink(s->path);
		errno = e;
		return -1;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return fd;
}

/* A new listening socket at s->path, in the event loop; -1 with errno set. */
static int listen_at(struct vsw_rpc_server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, s->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return serve_socket(s, fd, true);
}

/* Replace only a socket left by a process that is gone (nobody listens
 * on it); never any other file. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket: not replacing it", path);
		return -1;
	}
	if (vsw_unix_socket_alive(path)) {
		snprintf(err, errlen, "control socket %s is in use by another process", path);
		return -1;
	}
	unlink(path);
	return 0;
}

struct vsw_rpc_server *vsw_rpc_server_start(struct vsw_evloop *loop, const char *path, int mode,
					    const struct vsw_rpc_method *methods, void *ctx,
					    char *err, size_t errlen)
{
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long", path);
		return NULL;
	}
	/* One a keeper or systemd held: clients that came meanwhile wait in it. */
	bool owned = true;
	int fd = vsw_sockhold_take(path, &owned);
	if (fd < 0 && clear_stale(path, err, errlen) < 0)
		return NULL;
	struct vsw_rpc_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	s->loop = loop;
	s->methods = methods;
	s->ctx = ctx;
	s->warnings_left = WARNINGS_PER_TICK;
	s->spare_fd = -1;
	s->mode = mode;
	s->owns_path = owned;
	strcpy(s->path, path);
	bool inherited = fd >= 0;
	s->fd = inherited ? serve_socket(s, fd, owned) : listen_at(s);
	if (s->fd < 0) {
		snprintf(err, errlen, "cannot listen on control socket %s: %s", path,
			 strerror(errno));
		free(s);
		return NULL;
	}
	if (inherited)
		VSW_LOG(INFO, control, "took over the listening control socket %s", path);
	if (owned) /* what a socket keeper would hold */
		vsw_sockhold_add(path, s->fd);
	reopen_spare(s);
	s->timer = vsw_ev_timer_add(loop, vsw_rpc_idle_ms < 1000 ? vsw_rpc_idle_ms : 1000,
				    on_tick, s);
	return s;
}

int vsw_rpc_server_set_mode(struct vsw_rpc_server *s, int mode)
{
	if (chmod(s->path, (mode_t)mode) < 0)
		return -1;
	s->mode = mode; /* for the file made again after a removal */
	return 0;
}

enum vsw_path_check vsw_rpc_server_check(struct vsw_rpc_server *s)
{
	if (vsw_path_is(s->path, s->dev, s->ino)) {
		s->lost_logged = false;
		return VSW_PATH_OK;
	}
	char why[512];
	if (clear_stale(s->path, why, sizeof(why)) < 0) {
		if (!s->lost_logged)
			VSW_LOG(ERR, control,
				"control socket %s was removed and %s now; leaving it (this "
				"vswd, pid %ld, keeps forwarding; stop it with SIGTERM)",
				s->path, strstr(why, "in use") ? "another process listens there"
							     : "another file is there",
				(long)getpid());
		s->lost_logged = true;
		return VSW_PATH_TAKEN;
	}
	int fd = listen_at(s);
	if (fd < 0) {
		if (!s->lost_logged)
			VSW_LOG(ERR, control, "control socket %s was removed and cannot be made "
					      "again: %s (tried again every second)",
				s->path, strerror(errno));
		s->lost_logged = true;
		return VSW_PATH_FAILED;
	}
	/* Clients connected through the old file keep their connections, and
	 * those still waiting in its backlog are taken in before it closes. */
	on_accept(s->fd, EPOLLIN, s);
	vsw_ev_del(s->loop, s->fd);
	vsw_sockhold_remove(s->fd);
	close(s->fd);
	s->fd = fd;
	s->owns_path = true; /* even if systemd made the one removed */
	vsw_sockhold_add(s->path, fd);
	s->lost_logged = false;
	VSW_LOG(WARNING, control, "control socket %s was removed (run directory deleted?): "
				  "listening on it again", s->path);
	return VSW_PATH_RESTORED;
}

void vsw_rpc_server_stop(struct vsw_rpc_server *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++)
		if (s->clients[i] != NULL)
			client_close(s->clients[i]);
	vsw_ev_timer_cancel(s->loop, s->timer);
	if (s->accept_timer)
		vsw_ev_timer_cancel(s->loop, s->accept_timer);
	vsw_ev_del(s->loop, s->fd);
	/* A socket a keeper holds now keeps its file. */
	bool keep_file = vsw_sockhold_remove(s->fd) || !s->owns_path;
	close(s->fd);
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	/* Not another daemon's file, nor one a keeper or systemd holds now. */
	if (!keep_file && vsw_path_is(s->path, s->dev, s->ino))
		unlink(s->path);
	free(s);
}
