/* Owns the main-lcore epoll loop and its timers (see evloop.h). Registrations
 * live in a table indexed by fd; an epoll event carries fd and a generation
 * number, so an event for a registration deleted earlier in the same batch
 * is recognised and skipped instead of calling a stale callback. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/evloop.h"

#define MAX_EVENTS 64

struct fd_reg {
	vsw_ev_fd_cb cb;
	void *arg;
	uint32_t gen; /* 0: free slot */
};

struct timer {
	uint64_t id;
	uint64_t due_ms;
	vsw_ev_timer_cb cb;
	void *arg;
};

struct vsw_evloop {
	int epfd;
	struct fd_reg *regs;
	int nregs;
	uint32_t next_gen;
	struct timer *timers;
	int ntimers, timers_cap;
	uint64_t next_timer_id;
};

uint64_t vsw_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct vsw_evloop *vsw_evloop_create(void)
{
	struct vsw_evloop *loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->next_gen = 1;
	loop->next_timer_id = 1;
	return loop;
}

void vsw_evloop_destroy(struct vsw_evloop *loop)
{
	if (loop == NULL)
		return;
	close(loop->epfd);
	free(loop->regs);
	free(loop->timers);
	free(loop);
}

static int grow_regs(struct vsw_evloop *loop, int fd)
{
	if (fd < loop->nregs)
		return 0;
	int n = loop->nregs ? loop->nregs : 64;
	while (n <= fd)
		n *= 2;
	struct fd_reg *r = realloc(loop->regs, (size_t)n * sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	memset(r + loop->nregs, 0, (size_t)(n - loop->nregs) * sizeof(*r));
	loop->regs = r;
	loop->nregs = n;
	return 0;
}

int vsw_ev_add(struct vsw_evloop *loop, int fd, uint32_t events, vsw_ev_fd_cb cb, void *arg)
{
	if (fd < 0 || cb == NULL)
		return -EINVAL;
	int rc = grow_regs(loop, fd);
	if (rc < 0)
		return rc;
	if (loop->regs[fd].gen != 0)
		return -EEXIST;
	uint32_t gen = loop->next_gen++;
	if (gen == 0)
		gen = loop->next_gen++;
	struct epoll_event ev = { .events = events,
				  .data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)gen << 32 };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->regs[fd] = (struct fd_reg){ .cb = cb, .arg = arg, .gen = gen };
	return 0;
}

int vsw_ev_mod(struct vsw_evloop *loop, int fd, uint32_t events)
{
	if (fd < 0 || fd >= loop->nregs || loop->regs[fd].gen == 0)
		return -ENOENT;
	struct epoll_event ev = {
		.events = events,
		.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)loop->regs[fd].gen << 32
	};
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void vsw_ev_del(struct vsw_evloop *loop, int fd)
{
	if (fd < 0 || fd >= loop->nregs || loop->regs[fd].gen == 0)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->regs[fd].gen = 0;
}

uint64_t vsw_ev_timer_add(struct vsw_evloop *loop, uint64_t ms, vsw_ev_timer_cb cb, void *arg)
{
	if (loop->ntimers == loop->timers_cap) {
		int cap = loop->timers_cap ? loop->timers_cap * 2 : 16;
		struct timer *t = realloc(loop->timers, (size_t)cap * sizeof(*t));
		if (t == NULL)
			return 0;
		loop->timers = t;
		loop->timers_cap = cap;
	}
	uint64_t id = loop->next_timer_id++;
	loop->timers[loop->ntimers++] =
		(struct timer){ .id = id, .due_ms = vsw_monotonic_ms() + ms, .cb = cb, .arg = arg };
	return id;
}

void vsw_ev_timer_cancel(struct vsw_evloop *loop, uint64_t id)
{
	for (int i = 0; i < loop->ntimers; i++) {
		if (loop->timers[i].id == id) {
			loop->timers[i] = loop->timers[--loop->ntimers];
			return;
		}
	}
}

static int next_timeout(const struct vsw_evloop *loop, int timeout_ms)
{
	if (loop->ntimers == 0)
		return timeout_ms;
	uint64_t now = vsw_monotonic_ms(), first = UINT64_MAX;
	for (int i = 0; i < loop->ntimers; i++)
		if (loop->timers[i].due_ms < first)
			first = loop->timers[i].due_ms;
	int64_t wait = first > now ? (int64_t)(first - now) : 0;
	if (timeout_ms >= 0 && wait > timeout_ms)
		return timeout_ms;
	return wait > 60000 ? 60000 : (int)wait;
}

static int run_timers(struct vsw_evloop *loop)
{
	int ran = 0;
	uint64_t now = vsw_monotonic_ms();
	/* A callback may add or cancel timers: rescan from the start after each. */
	for (int i = 0; i < loop->ntimers;) {
		if (loop->timers[i].due_ms > now) {
			i++;
			continue;
		}
		struct timer t = loop->timers[i];
		loop->timers[i] = loop->timers[--loop->ntimers];
		t.cb(t.arg);
		ran++;
		i = 0;
	}
	return ran;
}

int vsw_evloop_run_once(struct vsw_evloop *loop, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(loop->epfd, evs, MAX_EVENTS, next_timeout(loop, timeout_ms));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int ran = 0;
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		if (fd >= loop->nregs || loop->regs[fd].gen != gen)
			continue;
		loop->regs[fd].cb(fd, evs[i].events, loop->regs[fd].arg);
		ran++;
	}
	return ran + run_timers(loop);
}
