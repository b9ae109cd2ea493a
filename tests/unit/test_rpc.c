/* Unit tests of the control socket: JSON-RPC validation and dispatch, and
 * the server's defences over a real Unix socket (oversized requests,
 * stalled clients, clients that vanish, many clients, pipelined requests);
 * its socket file made again after it is removed, and left alone when
 * another process has taken the path. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/evloop.h"
#include "control/rpc.h"

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

static const struct vsw_rpc_method methods[] = {
	{ "echo", m_echo, "" }, { "refuse", m_refuse, "" }, { NULL, NULL, NULL },
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

/* --- the server over a real socket --- */

static char sock_path[108];
static struct vsw_evloop *loop;
static struct vsw_rpc_server *srv;

static int server_up(void **state)
{
	(void)state;
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

static bool closed_by_server(int fd)
{
	pump(20);
	char c;
	return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
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

static void test_server_many_clients(void **state)
{
	(void)state;
	int fds[VSW_RPC_MAX_CLIENTS + 8];
	int n = VSW_RPC_MAX_CLIENTS + 8;
	for (int i = 0; i < n; i++) {
		fds[i] = client();
		pump(1);
	}
	/* The first VSW_RPC_MAX_CLIENTS are served; the rest were turned away. */
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n";
	int served = 0, refused = 0;
	for (int i = 0; i < n; i++)
		send(fds[i], req, strlen(req), MSG_NOSIGNAL);
	for (int i = 0; i < n; i++) {
		char buf[256];
		ssize_t r = read_reply(fds[i], buf, sizeof(buf));
		if (r > 0 && strstr(buf, "\"result\""))
			served++;
		else
			refused++;
		close(fds[i]);
	}
	assert_int_equal(served, VSW_RPC_MAX_CLIENTS);
	assert_int_equal(refused, 8);
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
	/* The server's idle check runs at this period; the default 10 s would
	 * make the stalled-client test slow. */
	vsw_rpc_idle_ms = 100;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test_setup_teardown(test_server_pipelined_and_split, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_server_oversized_request, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_server_stalled_and_vanished_clients, server_up,
						server_down),
		cmocka_unit_test_setup_teardown(test_server_many_clients, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_server_socket_removed, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_server_socket_taken, server_up, server_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
