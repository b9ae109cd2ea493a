/* Owns the framing and bounds of a control client's buffers (rpc_buf.h). */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "control/rpc_buf.h"

#define FIRST_CAP 4096
#define BIG_CAP (64 * 1024)

/* A big buffer goes back to the system, not only to the heap: glibc raises
 * its mmap threshold as mmapped blocks are freed, so after a few large
 * requests or reply backlogs their successors come from the heap and
 * stay there as vswd's RSS once freed. Rare (big clients only), and on the
 * control thread. */
static void release(char *buf, size_t cap)
{
	free(buf);
	if (cap > BIG_CAP)
		malloc_trim(0);
}

static void in_reset(struct vsw_rpc_in *in)
{
	release(in->buf, in->cap);
	in->buf = NULL;
	in->cap = in->start = in->len = in->scanned = 0;
}

char *vsw_rpc_in_space(struct vsw_rpc_in *in, size_t *room)
{
	*room = 0;
	if (in->start == in->len && in->cap > FIRST_CAP)
		in_reset(in); /* a big request came and went: do not keep its buffer */
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->len - in->start);
		in->len -= in->start;
		in->start = 0;
	}
	size_t limit = in->max + 1;
	if (in->len == in->cap && in->cap < limit) {
		size_t cap = in->cap ? in->cap * 2 : FIRST_CAP;
		if (cap > limit)
			cap = limit;
		char *b = realloc(in->buf, cap);
		if (b == NULL)
			return NULL;
		in->buf = b;
		in->cap = cap;
	}
	*room = in->cap - in->len;
	return in->buf + in->len;
}

void vsw_rpc_in_added(struct vsw_rpc_in *in, size_t n)
{
	in->len += n;
}

enum vsw_rpc_in_result vsw_rpc_in_next(struct vsw_rpc_in *in, bool at_eof, const char **line,
				       size_t *len)
{
	for (;;) {
		size_t held = in->len - in->start;
		if (held == 0)
			return VSW_RPC_IN_NONE;
		char *p = in->buf + in->start;
		char *nl = memchr(p + in->scanned, '\n', held - in->scanned);
		size_t n;
		if (nl != NULL) {
			n = (size_t)(nl - p);
			in->start += n + 1;
		} else {
			in->scanned = held;
			if (held > in->max)
				return VSW_RPC_IN_TOO_LONG;
			if (!at_eof)
				return VSW_RPC_IN_NONE;
			n = held;
			in->start += n;
		}
		in->scanned = 0;
		if (n > in->max)
			return VSW_RPC_IN_TOO_LONG;
		if (n == 0)
			continue;
		*line = p;
		*len = n;
		return VSW_RPC_IN_LINE;
	}
}

size_t vsw_rpc_in_held(const struct vsw_rpc_in *in)
{
	return in->len - in->start;
}

void vsw_rpc_in_free(struct vsw_rpc_in *in)
{
	in_reset(in);
}

int vsw_rpc_out_push(struct vsw_rpc_out *out, const char *line, size_t len)
{
	size_t held = out->len - out->start;
	if (len + 1 > out->max - held)
		return -1;
	if (out->len + len + 1 > out->cap && out->start > 0) {
		memmove(out->buf, out->buf + out->start, held);
		out->start = 0;
		out->len = held;
	}
	if (out->len + len + 1 > out->cap) {
		size_t cap = out->cap ? out->cap : FIRST_CAP;
		while (cap < out->len + len + 1)
			cap *= 2;
		if (cap > out->max)
			cap = out->max;
		char *b = realloc(out->buf, cap);
		if (b == NULL)
			return -1;
		out->buf = b;
		out->cap = cap;
	}
	memcpy(out->buf + out->len, line, len);
	out->buf[out->len + len] = '\n';
	out->len += len + 1;
	return 0;
}

void vsw_rpc_out_sent(struct vsw_rpc_out *out, size_t n)
{
	out->start += n;
	if (out->start < out->len)
		return;
	out->start = out->len = 0;
	if (out->cap > FIRST_CAP) { /* the replies are out: do not keep their buffer */
		release(out->buf, out->cap);
		out->buf = NULL;
		out->cap = 0;
	}
}

void vsw_rpc_out_free(struct vsw_rpc_out *out)
{
	release(out->buf, out->cap);
	out->buf = NULL;
	out->cap = out->start = out->len = 0;
}
