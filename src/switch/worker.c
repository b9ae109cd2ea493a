/* Owns the worker lcore loop: poll each assigned rx queue, forward a run
 * guest to guest (direct.c) and the rest through the bridge, flush the
 * batches, account busy and idle TSC cycles, do the round's guest
 * notification checks, and report a quiescent state to RCU once per round. */
#include <rte_cycles.h>
#include <rte_lcore.h>

#include "common/log.h"
#include "switch/direct.h"
#include "switch/switch.h"
#include "switch/watchdog.h"
#include "switch/worker.h"
#include "vring/vring.h"

int vsw_worker_main(void *arg)
{
	struct vsw_worker *w = arg;
	struct vsw_switch *sw = w->sw;
	struct vsw_fwd_ctx *fwd = w->fwd;
	struct rte_mbuf *pkts[VSW_BURST];
	const uint64_t hz = rte_get_tsc_hz();

	rte_rcu_qsbr_thread_register(sw->qsbr, w->index);
	rte_rcu_qsbr_thread_online(sw->qsbr, w->index);
	vsw_watchdog_worker_enter(w);
	VSW_LOG(INFO, switch, "worker %u running on lcore %u (cpu %u)", w->index, w->lcore, w->cpu);
	vsw_vq_notify_defer(true);
	uint64_t t0 = rte_rdtsc();
	/* The MAC table's clock in seconds, advanced without a division per round. */
	uint64_t next_second = t0 - t0 % hz + hz;
	fwd->now = t0 / hz;
	while (!__atomic_load_n(&sw->stop, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		const struct vsw_poll_list *pl = __atomic_load_n(&w->polls, __ATOMIC_ACQUIRE);
		uint64_t got = 0;
		if (unlikely(t0 >= next_second)) {
			fwd->now = t0 / hz;
			next_second = t0 - t0 % hz + hz;
		}
		for (uint16_t i = 0; i < pl->n; i++) {
			struct vsw_port *p = __atomic_load_n(&sw->ports[pl->polls[i].port],
							     __ATOMIC_ACQUIRE);
			if (p == NULL)
				continue;
			bool rest;
			uint16_t d = vsw_direct_input(fwd, p, pl->polls[i].queue, &rest);
			got += d;
			w->stats.direct_packets += d;
			if (!rest)
				continue;
			uint16_t n = p->ops->rx_burst(p, pl->polls[i].queue, pkts, VSW_BURST);
			if (n == 0)
				continue;
			got += n;
			vsw_bridge_input(fwd, p, pkts, n);
			vsw_bridge_flush(fwd);
		}
		vsw_vq_notify_flush(); /* before the queues may go */
		rte_rcu_qsbr_quiescent(sw->qsbr, w->index);
		uint64_t t1 = rte_rdtsc();
		if (got) {
			w->stats.busy_cycles += t1 - t0;
			w->stats.packets += got;
			w->stats.busy_rounds++;
		} else {
			w->stats.idle_cycles += t1 - t0;
		}
		w->stats.iterations++;
		t0 = t1;
	}
	vsw_vq_notify_defer(false);
	vsw_watchdog_worker_leave(w);
	rte_rcu_qsbr_thread_offline(sw->qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(sw->qsbr, w->index);
	VSW_LOG(INFO, switch, "worker %u stopped", w->index);
	return 0;
}
