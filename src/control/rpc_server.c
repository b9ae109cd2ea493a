/* Owns the control socket: accepting clients, reading newline-framed requests
 * with a size limit, writing responses without ever blocking the control
 * thread, and dropping clients that stall mid-request or stop reading; and
 * listening again when the socket file is removed under it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/runlock.h"
#include "control/rpc.h"

#define MAX_PENDING_OUT (8u << 20)

unsigned int vsw_rpc_idle_ms = VSW_RPC_IDLE_MS;

struct client {
	int fd;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	uint64_t last_ms;
	bool closing; /* close once the output is flushed */
};

struct vsw_rpc_server {
	struct vsw_evloop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int mode;
	dev_t dev; /* the socket file we made, to tell it from another one */
	ino_t ino;
	bool lost_logged;
	const struct vsw_rpc_method *methods;
	void *ctx;
	struct client *clients[VSW_RPC_MAX_CLIENTS];
	uint64_t timer;
};

static void client_close(struct vsw_rpc_server *s, struct client *c)
{
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++)
		if (s->clients[i] == c)
			s->clients[i] = NULL;
	vsw_ev_del(s->loop, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static struct client *client_of(struct vsw_rpc_server *s, int fd)
{
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++)
		if (s->clients[i] != NULL && s->clients[i]->fd == fd)
			return s->clients[i];
	return NULL;
}

/* Writes what it can; returns -1 when the client must be dropped. */
static int flush_out(struct vsw_rpc_server *s, struct client *c)
{
	while (c->out_len > 0) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (c->out_len == 0 && c->closing)
		return -1;
	vsw_ev_mod(s->loop, c->fd, EPOLLIN | (c->out_len ? EPOLLOUT : 0));
	return 0;
}

static int queue_out(struct client *c, const char *line)
{
	size_t len = strlen(line);
	if (c->out_len + len + 1 > MAX_PENDING_OUT)
		return -1; /* a client that does not read its replies */
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = (c->out_len + len + 1) * 2;
		char *o = realloc(c->out, cap);
		if (o == NULL)
			return -1;
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return 0;
}

static void on_client(int fd, uint32_t events, void *arg)
{
	struct vsw_rpc_server *s = arg;
	struct client *c = client_of(s, fd);
	if (c == NULL)
		return;
	if (events & EPOLLOUT) {
		if (flush_out(s, c) < 0) {
			client_close(s, c);
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing)
		return;
	char buf[16384];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(s, c);
		return;
	}
	c->last_ms = vsw_monotonic_ms();
	char *in = realloc(c->in, c->in_len + (size_t)n);
	if (in == NULL) {
		client_close(s, c);
		return;
	}
	c->in = in;
	memcpy(c->in + c->in_len, buf, (size_t)n);
	c->in_len += (size_t)n;
	size_t start = 0;
	for (size_t i = 0; i < c->in_len; i++) {
		if (c->in[i] != '\n')
			continue;
		if (i > start) {
			char *resp = vsw_rpc_handle(s->methods, s->ctx, c->in + start, i - start);
			int rc = resp ? queue_out(c, resp) : 0;
			free(resp);
			if (rc < 0) {
				client_close(s, c);
				return;
			}
		}
		start = i + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len > VSW_RPC_MAX_REQUEST) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":%d,\"message\":\"request larger "
			 "than %d bytes\"},\"id\":null}",
			 VSW_RPC_INVALID_REQUEST, VSW_RPC_MAX_REQUEST);
		VSW_LOG(WARNING, control, "client sent a request over %d bytes; dropping it",
			VSW_RPC_MAX_REQUEST);
		c->closing = true;
		c->in_len = 0;
		queue_out(c, msg);
	}
	if (flush_out(s, c) < 0)
		client_close(s, c);
}

static void on_accept(int fd, uint32_t events, void *arg)
{
	struct vsw_rpc_server *s = arg;
	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		int slot = -1;
		for (int i = 0; i < VSW_RPC_MAX_CLIENTS && slot < 0; i++)
			if (s->clients[i] == NULL)
				slot = i;
		struct client *c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
		if (c == NULL) {
			VSW_LOG(WARNING, control, "too many control clients (%d); refusing one",
				VSW_RPC_MAX_CLIENTS);
			close(cfd);
			continue;
		}
		c->fd = cfd;
		c->last_ms = vsw_monotonic_ms();
		if (vsw_ev_add(s->loop, cfd, EPOLLIN, on_client, s) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		s->clients[slot] = c;
	}
}

/* Drops clients that sent part of a request and then stalled, or stopped
 * reading their replies, so they cannot hold a slot forever. */
static void on_idle_check(void *arg)
{
	struct vsw_rpc_server *s = arg;
	uint64_t now = vsw_monotonic_ms();
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++) {
		struct client *c = s->clients[i];
		if (c != NULL && (c->in_len > 0 || c->out_len > 0) &&
		    now - c->last_ms > vsw_rpc_idle_ms) {
			VSW_LOG(WARNING, control, "control client stalled for %u ms; dropping it",
				vsw_rpc_idle_ms);
			client_close(s, c);
		}
	}
	s->timer = vsw_ev_timer_add(s->loop, vsw_rpc_idle_ms < 1000 ? vsw_rpc_idle_ms : 1000,
				    on_idle_check, s);
}

/* A listening socket at s->path, in the event loop; -1 with errno set. */
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
	struct stat st;
	if ((s->mode >= 0 && chmod(s->path, (mode_t)s->mode) < 0) || listen(fd, 16) < 0 ||
	    lstat(s->path, &st) < 0 || vsw_ev_add(s->loop, fd, EPOLLIN, on_accept, s) < 0) {
		int e = errno;
		close(fd);
		unlink(s->path); /* ours */
		errno = e;
		return -1;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return fd;
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
	if (clear_stale(path, err, errlen) < 0)
		return NULL;
	struct vsw_rpc_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->methods = methods;
	s->ctx = ctx;
	s->mode = mode;
	strcpy(s->path, path);
	s->fd = listen_at(s);
	if (s->fd < 0) {
		snprintf(err, errlen, "cannot listen on control socket %s: %s", path,
			 strerror(errno));
		free(s);
		return NULL;
	}
	s->timer = vsw_ev_timer_add(loop, vsw_rpc_idle_ms < 1000 ? vsw_rpc_idle_ms : 1000,
				    on_idle_check, s);
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
	close(s->fd);
	s->fd = fd;
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
			client_close(s, s->clients[i]);
	vsw_ev_timer_cancel(s->loop, s->timer);
	vsw_ev_del(s->loop, s->fd);
	close(s->fd);
	if (vsw_path_is(s->path, s->dev, s->ino)) /* not another daemon's */
		unlink(s->path);
	free(s);
}
