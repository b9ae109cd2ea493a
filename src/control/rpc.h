/* JSON-RPC 2.0 over a Unix stream socket: one request per line, one response
 * per line. The dispatcher (rpc_dispatch.c) is pure and unit-tested; the
 * server (rpc_server.c) owns sockets, per-client buffers and limits. */
#ifndef VSW_RPC_H
#define VSW_RPC_H

#include <stddef.h>

#include <jansson.h>

#include "common/evloop.h"
#include "common/runlock.h"

/* The control socket's limits (README "Control socket and vswctl" lists
 * them for users). Memory per client is at most MAX_REQUEST + OUT_PAUSE +
 * MAX_REPLY, and only while it has something under way. */
#define VSW_RPC_MAX_REQUEST (64 * 1024) /* bytes of one request, newline excluded */
#define VSW_RPC_MAX_REPLY (8u << 20) /* bytes of one reply; a larger result is an error */
#define VSW_RPC_OUT_PAUSE (256 * 1024) /* unsent reply bytes that stop reading a client */
#define VSW_RPC_MAX_CLIENTS 64
#define VSW_RPC_IDLE_MS 10000

/* How long a request may take to arrive whole, from its first byte, and
 * how long a client may leave replies unread; past either it is dropped.
 * A variable so tests need not wait the default. */
extern unsigned int vsw_rpc_idle_ms;

enum {
	VSW_RPC_PARSE_ERROR = -32700,
	VSW_RPC_INVALID_REQUEST = -32600,
	VSW_RPC_METHOD_NOT_FOUND = -32601,
	VSW_RPC_INVALID_PARAMS = -32602,
	VSW_RPC_INTERNAL_ERROR = -32603,
	VSW_RPC_FAILED = -32000, /* the request was understood but could not be done */
};

struct vsw_rpc_error {
	int code;
	char msg[512];
};

/* A method returns a result (a new reference), or NULL with e filled in.
 * params is an object (possibly empty), never NULL. */
typedef json_t *(*vsw_rpc_fn)(void *ctx, json_t *params, struct vsw_rpc_error *e);

struct vsw_rpc_method {
	const char *name;
	vsw_rpc_fn fn;
	const char *help;
};

/* Handles one request line; returns the response line (malloc'ed, without
 * newline) or NULL when nothing is to be sent (a notification). A result
 * longer than VSW_RPC_MAX_REPLY is answered with an error instead. */
char *vsw_rpc_handle(const struct vsw_rpc_method *methods, void *ctx, const char *req, size_t len);

struct vsw_rpc_server;
struct vsw_rpc_server *vsw_rpc_server_start(struct vsw_evloop *loop, const char *path, int mode,
					    const struct vsw_rpc_method *methods, void *ctx,
					    char *err, size_t errlen);
/* Closes all clients and removes the socket file. NULL is fine. */
void vsw_rpc_server_stop(struct vsw_rpc_server *srv);
/* chmod of the socket file, kept for when it is made again; -1 with errno. */
int vsw_rpc_server_set_mode(struct vsw_rpc_server *srv, int mode);
/* Listens again if the socket file was removed (logged); leaves a path
 * another process has taken since. */
enum vsw_path_check vsw_rpc_server_check(struct vsw_rpc_server *srv);

#endif
