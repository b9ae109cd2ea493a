/* Unit tests of the worker watchdog (src/switch/watchdog.c) with the vring
 * engine: a frontend that made its call eventfd blocking and full blocks a
 * worker's notification write for good; the watchdog's checks interrupt it
 * and that queue breaks. Quick writes are never interrupted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "switch/switch.h"
#include "switch/watchdog.h"
#include "vring_driver.h"
#include "ut_eal.h"

static struct rte_mempool *pool;
static struct vsw_switch sw;
static struct drv D;
static struct vsw_vq Q;

struct worker_run {
	struct vsw_worker *w;
	int packets;
	volatile bool done;
};

/* One worker round per packet: the guest sends, we take it and complete
 * it, which notifies the guest (no suppression asked). */
static void *worker(void *arg)
{
	struct worker_run *r = arg;
	uint8_t pkt[64] = { 0 };
	vsw_watchdog_worker_enter(r->w);
	for (int i = 0; i < r->packets && !vsw_vq_is_broken(&Q); i++) {
		struct rte_mbuf *m;
		drv_tx(&D, pkt, sizeof(pkt), 1, false);
		if (vsw_vq_dequeue_burst(&Q, pool, &m, 1) == 1)
			rte_pktmbuf_free(m);
	}
	vsw_watchdog_worker_leave(r->w);
	r->done = true;
	return NULL;
}

/* Runs the worker while the control thread checks every interval_ms;
 * returns how many checks it took for the worker to finish (fails after
 * max_checks). */
static int run_checked(struct worker_run *r, unsigned int interval_ms, int max_checks)
{
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, worker, r), 0);
	int checks = 0;
	while (!r->done && checks < max_checks) {
		usleep(interval_ms * 1000);
		vsw_watchdog_check(&sw);
		checks++;
	}
	assert_true(r->done);
	pthread_join(t, NULL);
	return checks;
}

static void start(int call_fd)
{
	memset(&sw, 0, sizeof(sw));
	drv_init(&D, 64, false, 1ull << VSW_VIRTIO_F_VERSION_1, 0);
	close(D.call_fd);
	D.call_fd = call_fd;
	assert_int_equal(drv_start(&D, &Q), 0);
}

static void test_blocked_notification_interrupted(void **state)
{
	(void)state;
	/* What a hostile frontend can do with the eventfd it shares with us:
	 * clear O_NONBLOCK (here: never set) and fill the counter. */
	int fd = eventfd(0, EFD_CLOEXEC);
	uint64_t full = 0xfffffffffffffffeull;
	assert_int_equal(write(fd, &full, sizeof(full)), 8);
	start(fd);
	struct worker_run r = { .w = &sw.slots[0], .packets = 1 };
	/* Seen inside the write at one check, interrupted at the next. */
	int checks = run_checked(&r, 50, 100);
	assert_in_range(checks, 2, 5);
	assert_true(vsw_vq_is_broken(&Q));
	assert_int_equal(Q.stats.broken, 1);
	assert_int_equal(Q.stats.notifications, 0);
	drv_fini(&D);
}

static void test_quick_notifications_left_alone(void **state)
{
	(void)state;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	start(fd);
	struct worker_run r = { .w = &sw.slots[0], .packets = 200000 };
	run_checked(&r, 1, 100000);
	assert_false(vsw_vq_is_broken(&Q));
	assert_int_equal(Q.stats.notifications, 200000);
	drv_fini(&D);
}

/* A full non-blocking eventfd: the write fails at once (EAGAIN), the guest
 * wakes anyway; nothing breaks. */
static void test_full_nonblocking_eventfd(void **state)
{
	(void)state;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t full = 0xfffffffffffffffeull;
	assert_int_equal(write(fd, &full, sizeof(full)), 8);
	start(fd);
	struct worker_run r = { .w = &sw.slots[0], .packets = 10 };
	run_checked(&r, 10, 100);
	assert_false(vsw_vq_is_broken(&Q));
	assert_int_equal(Q.stats.packets, 10);
	drv_fini(&D);
}

int main(void)
{
	pool = ut_eal_pool("watchdog", 1023);
	if (pool == NULL || vsw_watchdog_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_notification_interrupted),
		cmocka_unit_test(test_quick_notifications_left_alone),
		cmocka_unit_test(test_full_nonblocking_eventfd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
