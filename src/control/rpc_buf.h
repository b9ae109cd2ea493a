/* A control client's byte buffers, without any I/O: the input side cuts
 * newline-framed requests and refuses one longer than its limit before it
 * holds more than that; the output side queues reply lines up to a hard
 * limit. Both give their memory back when they empty, so an idle client
 * costs no buffer. Kept apart from rpc_server.c to be unit-tested directly. */
#ifndef VSW_RPC_BUF_H
#define VSW_RPC_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct vsw_rpc_in {
	size_t max; /* longest request, newline excluded; set before use */
	char *buf;
	size_t cap; /* allocated; never more than max + 1 */
	size_t start; /* first byte not yet handed out as a request */
	size_t len; /* bytes held, from buf */
	size_t scanned; /* bytes after start known to hold no newline */
};

enum vsw_rpc_in_result {
	VSW_RPC_IN_NONE, /* no complete request held */
	VSW_RPC_IN_LINE, /* *line, *len: one request, without its newline */
	VSW_RPC_IN_TOO_LONG, /* the request under way is longer than max */
};

/* Where the next read goes, and how much fits (max + 1 bytes at most are
 * held). NULL when out of memory. Moves held bytes: a line handed out
 * before is no longer valid. */
char *vsw_rpc_in_space(struct vsw_rpc_in *in, size_t *room);
void vsw_rpc_in_added(struct vsw_rpc_in *in, size_t n);
/* The next request; empty lines are skipped. at_eof: the peer will send no
 * more, so bytes without a final newline are the last request. Each byte
 * is scanned once however the request arrives. */
enum vsw_rpc_in_result vsw_rpc_in_next(struct vsw_rpc_in *in, bool at_eof, const char **line,
				       size_t *len);
/* Bytes held that are not handed out yet. */
size_t vsw_rpc_in_held(const struct vsw_rpc_in *in);
void vsw_rpc_in_free(struct vsw_rpc_in *in);

struct vsw_rpc_out {
	size_t max; /* most bytes it may hold; set before use */
	char *buf;
	size_t cap, start, len;
};

/* Queues line and a newline; -1 (nothing queued) past max or out of memory. */
int vsw_rpc_out_push(struct vsw_rpc_out *out, const char *line, size_t len);
static inline size_t vsw_rpc_out_held(const struct vsw_rpc_out *out)
{
	return out->len - out->start;
}
static inline const char *vsw_rpc_out_data(const struct vsw_rpc_out *out)
{
	return out->buf + out->start;
}
/* n bytes of vsw_rpc_out_data were written. */
void vsw_rpc_out_sent(struct vsw_rpc_out *out, size_t n);
void vsw_rpc_out_free(struct vsw_rpc_out *out);

#endif
