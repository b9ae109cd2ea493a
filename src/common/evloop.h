/* The control thread's event loop: epoll over fds plus one-shot timers.
 * Only the main lcore uses it; workers never block. Callbacks may add or
 * remove any registration, including their own, while the loop runs. */
#ifndef VSW_EVLOOP_H
#define VSW_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct vsw_evloop;
typedef void (*vsw_ev_fd_cb)(int fd, uint32_t events, void *arg);
typedef void (*vsw_ev_timer_cb)(void *arg);

struct vsw_evloop *vsw_evloop_create(void);
void vsw_evloop_destroy(struct vsw_evloop *loop);

/* events: EPOLLIN/EPOLLOUT...; returns 0 or -errno. One registration per fd. */
int vsw_ev_add(struct vsw_evloop *loop, int fd, uint32_t events, vsw_ev_fd_cb cb, void *arg);
int vsw_ev_mod(struct vsw_evloop *loop, int fd, uint32_t events);
/* Removes the registration; does not close fd. Safe inside any callback. */
void vsw_ev_del(struct vsw_evloop *loop, int fd);

/* One-shot timer after ms milliseconds; returns an id > 0, or 0 on error. */
uint64_t vsw_ev_timer_add(struct vsw_evloop *loop, uint64_t ms, vsw_ev_timer_cb cb, void *arg);
void vsw_ev_timer_cancel(struct vsw_evloop *loop, uint64_t id);

/* Waits at most timeout_ms (-1: until an event or the next timer) and runs
 * what is due. Returns the number of callbacks run, or -errno. */
int vsw_evloop_run_once(struct vsw_evloop *loop, int timeout_ms);

uint64_t vsw_monotonic_ms(void);

#endif
