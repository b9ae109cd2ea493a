/* Interrupts a worker stuck in a write to a guest's call fd (see
 * vsw_vq_watch_notifications). A frontend shares its eventfd's file
 * description with us: it can clear O_NONBLOCK and fill the counter, and
 * then a worker's notification write never returns, its ports stop, and
 * the control thread waiting for it (RCU) would hang with it. */
#ifndef VSW_WATCHDOG_H
#define VSW_WATCHDOG_H

#include <stdint.h>

struct vsw_switch;
struct vsw_worker;

/* Installs the (empty) handler of the interrupting signal, without
 * SA_RESTART. Once per process, before workers start; 0 or -errno. */
int vsw_watchdog_init(void);
/* On the worker's own thread, as it starts / stops. */
void vsw_watchdog_worker_enter(struct vsw_worker *w);
void vsw_watchdog_worker_leave(struct vsw_worker *w);
/* Control thread: a worker seen inside the same notification write as at
 * the previous check is interrupted. Call at intervals (each check is one
 * interval of grace). */
void vsw_watchdog_check(struct vsw_switch *sw);

#endif
