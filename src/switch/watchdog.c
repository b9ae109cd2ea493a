/* Owns the interruption of workers stuck in a notification write: the
 * signal and its handler, each worker's thread id and watch slot, and the
 * checks the control thread makes (see watchdog.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "common/log.h"
#include "switch/switch.h"
#include "switch/watchdog.h"
#include "vring/vring.h"

/* The handler does nothing: the signal's only job is to end the write
 * with EINTR, which needs a handler installed without SA_RESTART. */
static void on_wake(int sig)
{
	(void)sig;
}

static int wake_signal(void)
{
	return SIGRTMIN + 1;
}

int vsw_watchdog_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	return sigaction(wake_signal(), &sa, NULL) < 0 ? -errno : 0;
}

void vsw_watchdog_worker_enter(struct vsw_worker *w)
{
	w->thread = pthread_self();
	__atomic_store_n(&w->notify_watch, 0, __ATOMIC_RELAXED);
	w->notify_seen = 0;
	__atomic_store_n(&w->thread_known, true, __ATOMIC_RELEASE);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, wake_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	vsw_vq_watch_notifications(&w->notify_watch);
}

void vsw_watchdog_worker_leave(struct vsw_worker *w)
{
	vsw_vq_watch_notifications(NULL);
	__atomic_store_n(&w->thread_known, false, __ATOMIC_RELEASE);
}

void vsw_watchdog_check(struct vsw_switch *sw)
{
	for (unsigned int i = 0; i < VSW_MAX_WORKERS; i++) {
		struct vsw_worker *w = &sw->slots[i];
		if (!__atomic_load_n(&w->thread_known, __ATOMIC_ACQUIRE))
			continue;
		uint64_t now = __atomic_load_n(&w->notify_watch, __ATOMIC_ACQUIRE);
		if (now != 0 && now == w->notify_seen) {
			VSW_LOG(WARNING, switch,
				"worker %u (core %u): a guest notification write has not returned "
				"for a check interval: interrupting it",
				w->index, w->cpu);
			pthread_kill(w->thread, wake_signal());
		}
		w->notify_seen = now;
	}
}
