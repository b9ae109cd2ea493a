/* Owns JSON-RPC 2.0 request validation and dispatch to a method table.
 * Everything here is untrusted input from the control socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/rpc.h"

static char *reply(json_t *id, json_t *result, const struct vsw_rpc_error *e)
{
	json_t *r = json_object();
	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	if (e != NULL) {
		json_t *err = json_object();
		json_object_set_new(err, "code", json_integer(e->code));
		json_object_set_new(err, "message", json_string(e->msg));
		json_object_set_new(r, "error", err);
	} else {
		json_object_set_new(r, "result", result);
	}
	json_object_set(r, "id", id ? id : json_null());
	char *s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return s;
}

static char *error_reply(json_t *id, int code, const char *fmt, const char *arg)
{
	struct vsw_rpc_error e = { .code = code };
	snprintf(e.msg, sizeof(e.msg), fmt, arg ? arg : "");
	return reply(id, NULL, &e);
}

char *vsw_rpc_handle(const struct vsw_rpc_method *methods, void *ctx, const char *req, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(req, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return error_reply(NULL, VSW_RPC_PARSE_ERROR, "parse error: %s", jerr.text);
	char *out = NULL;
	json_t *id = json_object_get(root, "id");
	if (!json_is_object(root)) {
		out = error_reply(NULL, VSW_RPC_INVALID_REQUEST,
				  "invalid request: expected a JSON object%s", NULL);
		goto done;
	}
	if (id != NULL && !json_is_string(id) && !json_is_integer(id) && !json_is_null(id)) {
		out = error_reply(NULL, VSW_RPC_INVALID_REQUEST,
				  "invalid request: 'id' must be a string or an integer%s", NULL);
		goto done;
	}
	json_t *ver = json_object_get(root, "jsonrpc");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
		out = error_reply(id, VSW_RPC_INVALID_REQUEST,
				  "invalid request: 'jsonrpc' must be \"2.0\"%s", NULL);
		goto done;
	}
	json_t *m = json_object_get(root, "method");
	if (!json_is_string(m)) {
		out = error_reply(id, VSW_RPC_INVALID_REQUEST,
				  "invalid request: 'method' must be a string%s", NULL);
		goto done;
	}
	json_t *params = json_object_get(root, "params");
	if (params != NULL && !json_is_object(params) && !json_is_null(params)) {
		out = error_reply(id, VSW_RPC_INVALID_PARAMS,
				  "invalid params: 'params' must be an object of named parameters%s",
				  NULL);
		goto done;
	}
	const char *name = json_string_value(m);
	const struct vsw_rpc_method *def = NULL;
	for (const struct vsw_rpc_method *d = methods; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			def = d;
	if (def == NULL) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%.100s", name);
		out = error_reply(id, VSW_RPC_METHOD_NOT_FOUND,
				  "method not found: '%s' (see the 'help' method)", msg);
		goto done;
	}
	json_t *p = json_is_object(params) ? json_incref(params) : json_object();
	struct vsw_rpc_error e = { .code = VSW_RPC_INTERNAL_ERROR, .msg = "internal error" };
	json_t *result = def->fn(ctx, p, &e);
	json_decref(p);
	if (id == NULL) { /* a notification: no response, even on error */
		json_decref(result);
		goto done;
	}
	out = result ? reply(id, result, NULL) : reply(id, NULL, &e);
	size_t out_len = out ? strlen(out) : 0;
	if (out_len > VSW_RPC_MAX_REPLY) {
		/* The server would have to hold it whole for a client that may
		 * read slowly; say so instead of growing without bound. */
		free(out);
		char size[64];
		snprintf(size, sizeof(size), "%zu bytes, over the limit of %u", out_len,
			 VSW_RPC_MAX_REPLY);
		out = error_reply(id, VSW_RPC_FAILED, "reply too large (%s)", size);
	}
done:
	json_decref(root);
	return out;
}
