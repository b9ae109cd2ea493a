/* Owns the daemon's side of packet capture: the capture of each port, the
 * timer that drains them into their files, and how each port's last capture
 * ended (limit, stop, or a write that failed) for port.show and
 * capture.stop, so a capture that stopped by itself says why. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/daemon.h"

static void record_end(struct vswd *d, uint16_t id, const struct vsw_capture_stats *st)
{
	if (d->capture_end[id] == NULL)
		d->capture_end[id] = malloc(sizeof(*d->capture_end[id]));
	if (d->capture_end[id] != NULL)
		*d->capture_end[id] = *st;
}

void vswd_capture_stop(struct vswd *d, uint16_t id, struct vsw_capture_stats *st)
{
	struct vsw_capture_stats end;
	if (d->captures[id] == NULL)
		return;
	vsw_capture_stop(&d->sw, d->captures[id], &end);
	d->captures[id] = NULL;
	record_end(d, id, &end);
	if (st != NULL)
		*st = end;
}

void vswd_capture_forget(struct vswd *d, uint16_t id)
{
	vswd_capture_stop(d, id, NULL);
	free(d->capture_end[id]);
	d->capture_end[id] = NULL;
}

const struct vsw_capture_stats *vswd_capture_ended(const struct vswd *d, uint16_t id)
{
	return d->captures[id] == NULL ? d->capture_end[id] : NULL;
}

json_t *vswd_capture_json(const struct vswd *d, uint16_t id)
{
	struct vsw_capture_stats live;
	const struct vsw_capture_stats *st = d->capture_end[id];
	const char *state = st == NULL ? NULL : st->error[0] ? "failed" : "finished";
	if (d->captures[id] != NULL) {
		vsw_capture_get_stats(d->captures[id], &live);
		st = &live;
		state = "running";
	}
	if (st == NULL)
		return NULL;
	json_t *r = json_pack("{s:s, s:s, s:I, s:I}", "state", state, "file", st->file,
			      "packets", (json_int_t)st->written, "dropped",
			      (json_int_t)st->dropped);
	if (st->error[0] != '\0')
		json_object_set_new(r, "error", json_string(st->error));
	return r;
}

static void on_capture_timer(void *arg)
{
	struct vswd *d = arg;
	bool any = false;
	d->capture_timer = 0;
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++) {
		if (d->captures[i] == NULL)
			continue;
		/* Done: the limit was reached (the file is complete) or writing
		 * failed (the capture module logged why). */
		if (vsw_capture_drain(d->captures[i]))
			vswd_capture_stop(d, (uint16_t)i, NULL);
		else
			any = true;
	}
	if (any)
		vswd_capture_timer(d);
}

void vswd_capture_timer(struct vswd *d)
{
	if (d->capture_timer == 0)
		d->capture_timer = vsw_ev_timer_add(d->loop, 20, on_capture_timer, d);
}
