/* Unit tests of the control socket: JSON-RPC validation and dispatch, the
 * request framing and reply queue (rpc_buf), and the server's defences over
 * a real Unix socket (oversized requests, stalled and trickling clients,
 * clients that vanish or never read, many clients and who makes room for a
 * newcomer, accept() at EMFILE, pipelined and half-closed requests); its
 * socket file made again after it is removed, and left alone when another
 * process has taken the path. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/evloop.h"
#include "control/rpc.h"
#include "control/rpc_buf.h"

static int calls;

static json_t *m_echo(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	(void)ctx;
	(void)e;
	calls++;
	return json_incref(params);
}

static json_t *m_refuse(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	(void)ctx;
	(void)params;
	e->code = VSW_RPC_FAILED;
	snprintf(e->msg, sizeof(e->msg), "no port named x; ports are: a, b");
	return NULL;
}

/* A result of n bytes for a short request: replies outgrow requests. */
static json_t *m_fill(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	(void)ctx;
	(void)e;
	calls++;
	size_t n = (size_t)json_integer_value(json_object_get(params, "n"));
	char *s = malloc(n + 1);
	memset(s, 'f', n);
	s[n] = '\0';
	json_t *r = json_string(s);
	free(s);
	return r;
}

static const struct vsw_rpc_method methods[] = {
	{ "echo", m_echo, "" },
	{ "refuse", m_refuse, "" },
	{ "fill", m_fill, "" },
	{ NULL, NULL, NULL },
};

static void expect(const char *req, const char *resp)
{
	char *out = vsw_rpc_handle(methods, NULL, req, strlen(req));
	if (resp == NULL) {
		if (out != NULL)
			fail_msg("request %s: expected no response, got %s", req, out);
		return;
	}
	if (out == NULL || strcmp(out, resp) != 0)
		fail_msg("request %s:\n expected %s\n got      %s", req, resp, out ? out : "(none)");
	free(out);
}

static void test_dispatch(void **state)
{
	(void)state;
	expect("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":1},\"id\":7}",
	       "{\"jsonrpc\":\"2.0\",\"result\":{\"a\":1},\"id\":7}");
	expect("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"x\"}",
	       "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":\"x\"}");
	expect("{\"jsonrpc\":\"2.0\",\"method\":\"refuse\",\"id\":1}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32000,\"message\":\"no port named x; "
	       "ports are: a, b\"},\"id\":1}");
	/* Notifications (no id) get no response, even when they fail. */
	calls = 0;
	expect("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}", NULL);
	expect("{\"jsonrpc\":\"2.0\",\"method\":\"refuse\"}", NULL);
	assert_int_equal(calls, 1);
}

static void test_bad_requests(void **state)
{
	(void)state;
	char *out = vsw_rpc_handle(methods, NULL, "{\"jsonrpc\":", 11);
	assert_non_null(strstr(out, "\"code\":-32700"));
	assert_non_null(strstr(out, "\"id\":null"));
	free(out);
	expect("[1,2]", "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"invalid "
			"request: expected a JSON object\"},\"id\":null}");
	expect("{\"method\":\"echo\",\"id\":1}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"invalid request: "
	       "'jsonrpc' must be \\\"2.0\\\"\"},\"id\":1}");
	expect("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"invalid request: "
	       "'method' must be a string\"},\"id\":1}");
	expect("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"invalid params: "
	       "'params' must be an object of named parameters\"},\"id\":1}");
	expect("{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"method not found: "
	       "'nope' (see the 'help' method)\"},\"id\":1}");
	expect("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":[1]}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"invalid request: "
	       "'id' must be a string or an integer\"},\"id\":null}");
	out = vsw_rpc_handle(methods, NULL, "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\"}", 34);
	assert_non_null(strstr(out, "\"code\":-32700")); /* duplicate keys */
	free(out);
	/* Embedded NUL and binary garbage. */
	out = vsw_rpc_handle(methods, NULL, "{\"a\0\":1}\xff\xfe", 11);
	assert_non_null(strstr(out, "\"code\":-32700"));
	free(out);
}

static void test_reply_too_large(void **state)
{
	(void)state;
	char req[128];
	snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"fill\",\"params\":{\"n\":%u},\"id\":4}",
		 VSW_RPC_MAX_REPLY);
	char *out = vsw_rpc_handle(methods, NULL, req, strlen(req));
	assert_non_null(strstr(out, "\"code\":-32000"));
	assert_non_null(strstr(out, "reply too large"));
	assert_non_null(strstr(out, "\"id\":4"));
	assert_true(strlen(out) < 256);
	free(out);
	/* Just under the limit (the quotes and envelope count) is a result. */
	snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"fill\",\"params\":{\"n\":%u},\"id\":4}",
		 VSW_RPC_MAX_REPLY - 64);
	out = vsw_rpc_handle(methods, NULL, req, strlen(req));
	assert_non_null(strstr(out, "\"result\":\"fff"));
	free(out);
}

static void feed(struct vsw_rpc_in *in, const char *bytes, size_t n)
{
	size_t room;
	char *p = vsw_rpc_in_space(in, &room);
	assert_non_null(p);
	assert_true(room >= n);
	memcpy(p, bytes, n);
	vsw_rpc_in_added(in, n);
}

static void expect_line(struct vsw_rpc_in *in, bool eof, const char *want)
{
	const char *line;
	size_t len;
	assert_int_equal(vsw_rpc_in_next(in, eof, &line, &len), VSW_RPC_IN_LINE);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(line, want, len);
}

static void test_in_framing(void **state)
{
	(void)state;
	const char *line;
	size_t len;
	struct vsw_rpc_in in = { .max = 8 };
	assert_int_equal(vsw_rpc_in_next(&in, false, &line, &len), VSW_RPC_IN_NONE);
	feed(&in, "a\n\nbc\nd", 7);
	expect_line(&in, false, "a");
	expect_line(&in, false, "bc"); /* the empty line is skipped */
	assert_int_equal(vsw_rpc_in_next(&in, false, &line, &len), VSW_RPC_IN_NONE);
	assert_int_equal(vsw_rpc_in_held(&in), 1);
	feed(&in, "e\n", 2);
	expect_line(&in, false, "de");
	/* Exactly max bytes and the newline: a request. */
	feed(&in, "12345678", 8);
	assert_int_equal(vsw_rpc_in_next(&in, false, &line, &len), VSW_RPC_IN_NONE);
	feed(&in, "\n", 1);
	expect_line(&in, false, "12345678");
	/* One more, and it is refused with nothing beyond max + 1 held. */
	feed(&in, "123456789", 9);
	assert_int_equal(vsw_rpc_in_next(&in, false, &line, &len), VSW_RPC_IN_TOO_LONG);
	size_t room;
	assert_non_null(vsw_rpc_in_space(&in, &room));
	assert_int_equal(room, 0);
	assert_true(in.cap <= 9);
	vsw_rpc_in_free(&in);
	/* At end of file the unterminated rest is the last request. */
	feed(&in, "x\ntail", 6);
	expect_line(&in, false, "x");
	assert_int_equal(vsw_rpc_in_next(&in, false, &line, &len), VSW_RPC_IN_NONE);
	expect_line(&in, true, "tail");
	assert_int_equal(vsw_rpc_in_next(&in, true, &line, &len), VSW_RPC_IN_NONE);
	vsw_rpc_in_free(&in);
}

static void test_in_gives_memory_back(void **state)
{
	(void)state;
	struct vsw_rpc_in in = { .max = VSW_RPC_MAX_REQUEST };
	char *big = malloc(VSW_RPC_MAX_REQUEST);
	memset(big, 'b', VSW_RPC_MAX_REQUEST);
	size_t off = 0;
	while (off < VSW_RPC_MAX_REQUEST) { /* arriving in reads of what fits */
		size_t room;
		char *p = vsw_rpc_in_space(&in, &room);
		size_t n = room < VSW_RPC_MAX_REQUEST - off ? room : VSW_RPC_MAX_REQUEST - off;
		memcpy(p, big + off, n);
		vsw_rpc_in_added(&in, n);
		off += n;
	}
	feed(&in, "\n", 1);
	const char *line;
	size_t len;
	assert_int_equal(vsw_rpc_in_next(&in, false, &line, &len), VSW_RPC_IN_LINE);
	assert_int_equal(len, VSW_RPC_MAX_REQUEST);
	size_t room;
	vsw_rpc_in_space(&in, &room);
	assert_true(in.cap < 16384); /* not the 64 KiB it took */
	vsw_rpc_in_free(&in);
	free(big);
}

static void test_out_queue(void **state)
{
	(void)state;
	struct vsw_rpc_out out = { .max = 100 };
	char fifty[50];
	memset(fifty, 'z', sizeof(fifty));
	assert_int_equal(vsw_rpc_out_push(&out, fifty, 49), 0);
	assert_int_equal(vsw_rpc_out_push(&out, fifty, 49), 0);
	assert_int_equal(vsw_rpc_out_held(&out), 100);
	assert_int_equal(vsw_rpc_out_push(&out, "", 0), -1); /* past max: nothing queued */
	assert_int_equal(vsw_rpc_out_held(&out), 100);
	assert_int_equal(vsw_rpc_out_data(&out)[49], '\n');
	vsw_rpc_out_sent(&out, 30);
	assert_int_equal(vsw_rpc_out_push(&out, fifty, 29), 0);
	assert_int_equal(vsw_rpc_out_held(&out), 100);
	assert_memory_equal(vsw_rpc_out_data(&out) + 70, fifty, 29);
	vsw_rpc_out_sent(&out, 100);
	assert_int_equal(vsw_rpc_out_held(&out), 0);
	vsw_rpc_out_free(&out);
	/* A big reply's buffer is given back once it is sent. */
	out.max = 1 << 20;
	char *big = calloc(1, 100000);
	assert_int_equal(vsw_rpc_out_push(&out, big, 100000), 0);
	vsw_rpc_out_sent(&out, 60000);
	assert_non_null(out.buf);
	vsw_rpc_out_sent(&out, 40001);
	assert_null(out.buf);
	free(big);
}

/* --- the server over a real socket --- */

static char sock_path[108];
static struct vsw_evloop *loop;
static struct vsw_rpc_server *srv;

static int server_up(void **state)
{
	(void)state;
	/* The server's checks run at this period; the default 10 s would make
	 * the stalled-client tests slow. */
	vsw_rpc_idle_ms = 100;
	snprintf(sock_path, sizeof(sock_path), "/tmp/vsw-ut-rpc-%d.sock", getpid());
	loop = vsw_evloop_create();
	char err[256];
	srv = vsw_rpc_server_start(loop, sock_path, 0600, methods, NULL, err, sizeof(err));
	if (srv == NULL)
		fail_msg("%s", err);
	return 0;
}

static int server_down(void **state)
{
	(void)state;
	if (srv == NULL) /* a test stopped it and failed before starting another */
		return 0;
	vsw_rpc_server_stop(srv);
	vsw_evloop_destroy(loop);
	assert_int_equal(access(sock_path, F_OK), -1); /* socket file removed */
	return 0;
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void pump(int rounds)
{
	for (int i = 0; i < rounds; i++)
		vsw_evloop_run_once(loop, 0);
}

/* Reads what the server sent so far (non-blocking after pumping). */
static ssize_t read_reply(int fd, char *buf, size_t size)
{
	pump(20);
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Past any last line the server sent: end of file, or a reset when the
 * server closed without reading all the client sent. */
static bool closed_by_server(int fd)
{
	pump(20);
	char buf[4096];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void test_server_pipelined_and_split(void **state)
{
	(void)state;
	int fd = client();
	const char *two = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n"
			  "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":2}\n{\"jsonrpc\":";
	assert_int_equal(send(fd, two, strlen(two), 0), (ssize_t)strlen(two));
	char buf[4096];
	read_reply(fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":1}\n"
				 "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":2}\n");
	const char *rest = "\"2.0\",\"method\":\"echo\",\"id\":3}\n";
	send(fd, rest, strlen(rest), 0);
	read_reply(fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":3}\n");
	close(fd);
}

static void test_server_oversized_request(void **state)
{
	(void)state;
	int fd = client();
	size_t big = VSW_RPC_MAX_REQUEST + 4096;
	char *junk = malloc(big);
	memset(junk, 'x', big);
	size_t off = 0;
	while (off < big) {
		ssize_t n = send(fd, junk + off, big - off, MSG_DONTWAIT);
		if (n > 0)
			off += (size_t)n;
		pump(1);
	}
	free(junk);
	char buf[4096];
	read_reply(fd, buf, sizeof(buf));
	assert_non_null(strstr(buf, "request larger than 65536 bytes"));
	assert_true(closed_by_server(fd));
	close(fd);
	/* Others are still served. */
	int ok = client();
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":9}\n";
	send(ok, req, strlen(req), 0);
	read_reply(ok, buf, sizeof(buf));
	assert_string_equal(buf, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":9}\n");
	close(ok);
}

static void test_server_stalled_and_vanished_clients(void **state)
{
	(void)state;
	int stalled = client();
	send(stalled, "{\"jsonrpc\":", 11, 0);
	/* A client that sends a request and goes away before the reply. */
	int gone = client();
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n";
	send(gone, req, strlen(req), 0);
	close(gone);
	for (int i = 0; i < 40; i++) {
		usleep(10000);
		pump(10);
	}
	assert_true(closed_by_server(stalled));
	close(stalled);
}

static const char echo_req[] = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n";

/* Sends what the socket takes while the server runs; returns bytes sent. */
static size_t send_pumping(int fd, const char *buf, size_t n)
{
	size_t off = 0;
	for (int i = 0; off < n && i < 20000; i++) {
		ssize_t r = send(fd, buf + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0)
			off += (size_t)r;
		pump(1);
	}
	return off;
}

/* One whole reply line, however long, read while the server runs. */
static char *read_line(int fd)
{
	size_t cap = 1 << 17, got = 0;
	char *buf = malloc(cap);
	for (int i = 0; i < 20000; i++) {
		pump(1);
		if (got + 1 == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = recv(fd, buf + got, cap - got - 1, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		buf[got] = '\0';
		if (n == 0 || memchr(buf, '\n', got))
			break;
	}
	return buf;
}

/* The server closed its end (seen without reading what it sent). */
static bool hung_up(int fd)
{
	pump(20);
	struct pollfd p = { .fd = fd, .events = 0 };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

static void test_server_many_clients(void **state)
{
	(void)state;
	int fds[VSW_RPC_MAX_CLIENTS + 8];
	int n = VSW_RPC_MAX_CLIENTS + 8;
	for (int i = 0; i < n; i++) {
		fds[i] = client();
		pump(1);
	}
	/* Each newcomer past the limit took the place of the client idle
	 * longest: the first 8 were closed, with a line saying why. */
	int served = 0;
	for (int i = 0; i < n; i++)
		send(fds[i], echo_req, strlen(echo_req), MSG_NOSIGNAL);
	for (int i = 0; i < n; i++) {
		char buf[256];
		ssize_t r = read_reply(fds[i], buf, sizeof(buf));
		if (i < 8)
			assert_non_null(strstr(buf, "closed to make room"));
		else if (r > 0 && strstr(buf, "\"result\""))
			served++;
		close(fds[i]);
	}
	assert_int_equal(served, VSW_RPC_MAX_CLIENTS);
}

static void test_server_request_at_limit(void **state)
{
	(void)state;
	const char *head = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1,\"params\":{\"p\":\"";
	const char *tail = "\"}}";
	for (size_t n = VSW_RPC_MAX_REQUEST; n <= VSW_RPC_MAX_REQUEST + 1; n++) {
		char *req = malloc(n + 1);
		memset(req, 'x', n);
		memcpy(req, head, strlen(head));
		memcpy(req + n - strlen(tail), tail, strlen(tail));
		req[n] = '\n';
		int fd = client();
		calls = 0;
		assert_int_equal(send_pumping(fd, req, n + 1), n + 1);
		char *reply = read_line(fd);
		if (n == VSW_RPC_MAX_REQUEST) {
			assert_int_equal(calls, 1);
			assert_non_null(strstr(reply, "\"result\":{\"p\":\"xxxx"));
		} else {
			assert_int_equal(calls, 0);
			assert_non_null(strstr(reply, "request larger than 65536 bytes"));
			assert_true(closed_by_server(fd));
		}
		free(reply);
		free(req);
		close(fd);
	}
}

/* A newcomer at the limit closes an idle client, never one with a request
 * under way; when every client is busy it is turned away at once. */
static void test_server_makes_room(void **state)
{
	(void)state;
	vsw_rpc_idle_ms = 5000; /* the half requests below must not time out */
	int fds[VSW_RPC_MAX_CLIENTS];
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++) {
		fds[i] = client();
		pump(1);
	}
	send(fds[0], "{\"jsonrpc\":", 11, 0); /* the oldest, but busy */
	int newcomer = client();
	send(newcomer, echo_req, strlen(echo_req), 0);
	char buf[4096];
	read_reply(newcomer, buf, sizeof(buf));
	assert_string_equal(buf, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":1}\n");
	read_reply(fds[1], buf, sizeof(buf));
	assert_non_null(strstr(buf, "closed to make room for another control client"));
	assert_true(closed_by_server(fds[1]));
	const char *rest = "\"2.0\",\"method\":\"echo\",\"id\":2}\n";
	send(fds[0], rest, strlen(rest), 0);
	read_reply(fds[0], buf, sizeof(buf));
	assert_string_equal(buf, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":2}\n");
	/* Now every client is in the middle of a request. */
	send(newcomer, "{", 1, 0);
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++)
		if (i != 1)
			send(fds[i], "{", 1, 0);
	pump(VSW_RPC_MAX_CLIENTS);
	int late = client();
	read_reply(late, buf, sizeof(buf));
	assert_non_null(strstr(buf, "too many control clients, all busy"));
	assert_true(closed_by_server(late));
	close(late);
	close(newcomer);
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS; i++)
		close(fds[i]);
}

/* One process opening connections evicts its own before another's, even
 * when the other's connection is the oldest. */
static void test_server_makes_room_fairly(void **state)
{
	(void)state;
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t child = fork();
	if (child == 0) { /* bounded in time: a failing parent may never say go */
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		strcpy(sa.sun_path, sock_path);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		char b = 'c';
		struct pollfd g = { .fd = go[0], .events = POLLIN };
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(ready[1], &b, 1) != 1 ||
		    poll(&g, 1, 5000) != 1 || read(go[0], &b, 1) != 1 ||
		    send(fd, echo_req, strlen(echo_req), MSG_NOSIGNAL) < 0)
			_exit(2);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[256];
		ssize_t n = poll(&p, 1, 3000) == 1 ? recv(fd, buf, sizeof(buf) - 1, 0) : -1;
		buf[n > 0 ? n : 0] = '\0';
		_exit(strstr(buf, "\"result\"") ? 0 : 1);
	}
	char b;
	assert_int_equal(read(ready[0], &b, 1), 1);
	pump(5); /* the child's connection is the first, so the oldest */
	int fds[VSW_RPC_MAX_CLIENTS - 1];
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS - 1; i++) {
		fds[i] = client();
		pump(1);
	}
	int newcomer = client();
	send(newcomer, echo_req, strlen(echo_req), 0);
	char buf[4096];
	read_reply(newcomer, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"result\""));
	assert_true(closed_by_server(fds[0]));
	assert_int_equal(write(go[1], "g", 1), 1);
	int status = -1;
	for (int i = 0; i < 3000 && waitpid(child, &status, WNOHANG) == 0; i++) {
		pump(1);
		usleep(1000);
	}
	if (status == -1) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(newcomer);
	for (int i = 0; i < VSW_RPC_MAX_CLIENTS - 1; i++)
		close(fds[i]);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

/* With no fd left, accept() fails with EMFILE: the server must still take
 * the connection off the backlog (a listening socket left readable makes
 * the loop spin) and serve the newcomer in an idle client's place. */
static void test_server_at_emfile(void **state)
{
	(void)state;
	int idle_fds[4];
	for (int i = 0; i < 4; i++) {
		idle_fds[i] = client();
		pump(1);
	}
	int newcomer = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, sock_path);
	struct rlimit old;
	getrlimit(RLIMIT_NOFILE, &old);
	int lowest_free = dup(0);
	close(lowest_free);
	struct rlimit none_left = { .rlim_cur = (rlim_t)lowest_free, .rlim_max = old.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &none_left), 0);
	int rc = connect(newcomer, (struct sockaddr *)&sa, sizeof(sa));
	send(newcomer, echo_req, strlen(echo_req), 0);
	pump(20);
	int callbacks = 0;
	for (int i = 0; i < 10; i++)
		callbacks += vsw_evloop_run_once(loop, 0);
	setrlimit(RLIMIT_NOFILE, &old);
	assert_int_equal(rc, 0);
	assert_true(callbacks <= 2); /* the tick, maybe; a spin would be 10 */
	char buf[4096];
	read_reply(newcomer, buf, sizeof(buf));
	assert_string_equal(buf, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":1}\n");
	assert_true(closed_by_server(idle_fds[0]));
	close(newcomer);
	for (int i = 0; i < 4; i++)
		close(idle_fds[i]);
}

/* When even the spare fd cannot make room (here: the limit is below its
 * number), the server stops watching the listening socket for a while
 * instead of spinning on it, and takes the connection once it can. */
static void test_server_accept_paused(void **state)
{
	(void)state;
	int newcomer = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, sock_path);
	struct rlimit old;
	getrlimit(RLIMIT_NOFILE, &old);
	struct rlimit three = { .rlim_cur = 3, .rlim_max = old.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &three), 0);
	int rc = connect(newcomer, (struct sockaddr *)&sa, sizeof(sa));
	send(newcomer, echo_req, strlen(echo_req), 0);
	pump(5);
	int callbacks = 0;
	for (int i = 0; i < 20; i++)
		callbacks += vsw_evloop_run_once(loop, 0);
	setrlimit(RLIMIT_NOFILE, &old);
	assert_int_equal(rc, 0);
	assert_true(callbacks <= 2); /* the tick, maybe; a spin would be 20 */
	char buf[4096] = "";
	for (int i = 0; i < 50 && buf[0] == '\0'; i++) {
		usleep(10000);
		read_reply(newcomer, buf, sizeof(buf));
	}
	assert_string_equal(buf, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":1}\n");
	close(newcomer);
}

/* A client writing requests faster than it reads replies stops being read
 * once its unsent replies reach VSW_RPC_OUT_PAUSE; it goes on when it
 * reads, and is dropped when it never does. */
static void test_server_flood_without_reading(void **state)
{
	(void)state;
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"fill\",\"params\":{\"n\":1000},\"id\":1}\n";
	size_t len = strlen(req);
	int n = 2000;
	char *flood = malloc(len * (size_t)n);
	for (int i = 0; i < n; i++)
		memcpy(flood + (size_t)i * len, req, len);
	vsw_rpc_idle_ms = 5000; /* until the replies are read below */
	int fd = client();
	calls = 0;
	/* What the socket takes before the server reads: one read then gets a
	 * full buffer of requests, which must not all be answered at once. */
	ssize_t first = send(fd, flood, len * (size_t)n, MSG_DONTWAIT);
	assert_true(first > 0);
	size_t sent = (size_t)first;
	sent += send_pumping(fd, flood + sent, len * (size_t)n - sent);
	pump(200);
	int callbacks = 0;
	for (int i = 0; i < 10; i++)
		callbacks += vsw_evloop_run_once(loop, 0);
	int sent_reqs = (int)(sent / len);
	printf("flood: %d requests sent, %d answered before any reply was read\n", sent_reqs, calls);
	assert_true(sent_reqs >= 1000);
	/* Answered: what fits in VSW_RPC_OUT_PAUSE and the socket's buffer
	 * (some 200 KiB), not all; and the paused client wakes nothing. */
	assert_true((size_t)calls * 1040 < VSW_RPC_OUT_PAUSE + 384 * 1024);
	assert_true(callbacks <= 2);
	/* Reading the replies lets the rest through. */
	size_t lines = 0;
	char buf[65536];
	for (int i = 0; i < 100000 && lines < (size_t)sent_reqs; i++) {
		pump(1);
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		for (ssize_t k = 0; k < r; k++)
			lines += buf[k] == '\n';
	}
	assert_int_equal(lines, sent_reqs);
	assert_int_equal(calls, sent_reqs);
	close(fd);
	/* The same, never read: dropped once replies wait vsw_rpc_idle_ms
	 * (checked at the next tick, up to a second away after the 5 s). */
	vsw_rpc_idle_ms = 100;
	fd = client();
	send_pumping(fd, flood, len * 1000);
	bool dropped = false;
	for (int i = 0; i < 200 && !dropped; i++) {
		usleep(10000);
		dropped = hung_up(fd);
	}
	assert_true(dropped);
	close(fd);
	free(flood);
}

/* A request sent a byte at a time, each byte within the idle time of the
 * last, still has to arrive whole within the idle time of its first. */
static void test_server_trickling_client(void **state)
{
	(void)state;
	int fd = client();
	int bytes = 0;
	while (bytes < (int)strlen(echo_req) - 1 && !hung_up(fd)) {
		send(fd, echo_req + bytes, 1, MSG_NOSIGNAL);
		bytes++;
		usleep(20000);
	}
	/* vsw_rpc_idle_ms is 100, checked each 100 ms: gone within ~200 ms. */
	assert_true(bytes <= 12);
	close(fd);
}

/* A client may shut its writing side after its request and still read the
 * answer; at end of file a last request needs no newline. */
static void test_server_half_close(void **state)
{
	(void)state;
	const char *reqs[] = { echo_req, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}" };
	for (int i = 0; i < 2; i++) {
		int fd = client();
		send(fd, reqs[i], strlen(reqs[i]), 0);
		shutdown(fd, SHUT_WR);
		char buf[4096];
		read_reply(fd, buf, sizeof(buf));
		assert_string_equal(buf, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":1}\n");
		assert_true(closed_by_server(fd));
		close(fd);
	}
}

static void ask_echo(int fd, int id)
{
	char req[128], want[128], buf[256];
	snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":%d}\n", id);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	read_reply(fd, buf, sizeof(buf));
	snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":%d}\n", id);
	assert_string_equal(buf, want);
}

static void test_server_socket_removed(void **state)
{
	(void)state;
	int before = client();
	pump(5);
	int waiting = client(); /* not accepted yet */
	assert_int_equal(vsw_rpc_server_check(srv), VSW_PATH_OK);
	assert_int_equal(vsw_rpc_server_set_mode(srv, 0660), 0); /* config.set's */
	unlink(sock_path);
	assert_int_equal(vsw_rpc_server_check(srv), VSW_PATH_RESTORED);
	struct stat st;
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	int after = client();
	ask_echo(after, 1);
	/* Clients of the old file are still served. */
	ask_echo(before, 2);
	ask_echo(waiting, 3);
	assert_int_equal(vsw_rpc_server_check(srv), VSW_PATH_OK);
	close(waiting);
	close(before);
	close(after);
}

static void test_server_socket_taken(void **state)
{
	(void)state;
	unlink(sock_path);
	/* Another process listens on the path now: it stays theirs. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, sock_path);
	int theirs = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(theirs, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(theirs, 4), 0);
	struct stat st0, st;
	assert_int_equal(stat(sock_path, &st0), 0);
	assert_int_equal(vsw_rpc_server_check(srv), VSW_PATH_TAKEN);
	assert_int_equal(vsw_rpc_server_check(srv), VSW_PATH_TAKEN);
	vsw_rpc_server_stop(srv);
	vsw_evloop_destroy(loop);
	srv = NULL; /* for server_down, if an assertion below fails */
	loop = NULL;
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_ino, st0.st_ino);
	close(theirs);
	/* A socket nobody listens on is only left over: replaced. */
	server_up(NULL);
	assert_int_equal(vsw_rpc_server_check(srv), VSW_PATH_OK);
	unlink(sock_path);
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(stale);
	assert_int_equal(vsw_rpc_server_check(srv), VSW_PATH_RESTORED);
	int c = client();
	ask_echo(c, 4);
	close(c);
}

int main(void)
{
	/* A test that fails mid-request must fail its assertion, not die. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_reply_too_large),
		cmocka_unit_test(test_in_framing),
		cmocka_unit_test(test_in_gives_memory_back),
		cmocka_unit_test(test_out_queue),
#define SERVER_TEST(t) cmocka_unit_test_setup_teardown(t, server_up, server_down)
		SERVER_TEST(test_server_pipelined_and_split),
		SERVER_TEST(test_server_oversized_request),
		SERVER_TEST(test_server_stalled_and_vanished_clients),
		SERVER_TEST(test_server_many_clients),
		SERVER_TEST(test_server_request_at_limit),
		SERVER_TEST(test_server_makes_room),
		SERVER_TEST(test_server_makes_room_fairly),
		SERVER_TEST(test_server_at_emfile),
		SERVER_TEST(test_server_accept_paused),
		SERVER_TEST(test_server_flood_without_reading),
		SERVER_TEST(test_server_trickling_client),
		SERVER_TEST(test_server_half_close),
		SERVER_TEST(test_server_socket_removed),
		SERVER_TEST(test_server_socket_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
