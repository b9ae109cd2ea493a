/* The switch: its networks, its port table, the worker lcores and the RCU
 * state that lets the control thread change all of these while workers
 * forward. Only the control thread calls these functions. */
#ifndef VSW_SWITCH_H
#define VSW_SWITCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "common/cfg_types.h"
#include "switch/bridge.h"
#include "switch/network.h"
#include "switch/port.h"

#define VSW_MAX_POLLS 512

struct vsw_poll {
	uint16_t port;
	uint16_t queue;
	bool pinned; /* by the port's core: or queue.pin; re-spreading leaves it */
};

/* What one worker polls; replaced as a whole (RCU) when assignments change. */
struct vsw_poll_list {
	uint16_t n;
	struct vsw_poll polls[VSW_MAX_POLLS];
};

struct vsw_worker_stats {
	uint64_t busy_cycles, idle_cycles;
	uint64_t packets;     /* received and processed */
	uint64_t iterations;
	uint64_t busy_rounds; /* iterations that moved packets */
	uint64_t direct_packets; /* of packets, those copied guest to guest with no mbuf */
} __rte_cache_aligned;

struct vsw_worker {
	unsigned int index; /* slot: RCU thread id and counter column, stable while it runs */
	unsigned int lcore, cpu;
	volatile bool stop;
	struct vsw_poll_list *polls; /* RCU-published */
	struct vsw_worker_stats stats;
	struct vsw_fwd_ctx *fwd;
	struct vsw_switch *sw;
	/* watchdog.c: the thread, and its notification watch slot as the
	 * worker writes it and as the last check saw it. */
	pthread_t thread;
	bool thread_known;
	uint64_t notify_watch, notify_seen;
};

struct vsw_switch {
	/* The running workers, in no particular order; each points into
	 * slots, which never move (a worker thread holds its own). */
	unsigned int nworkers;
	struct vsw_worker *workers[VSW_MAX_WORKERS];
	struct vsw_worker slots[VSW_MAX_WORKERS];
	bool slot_used[VSW_MAX_WORKERS];
	struct rte_rcu_qsbr *qsbr;
	struct vsw_port *ports[VSW_MAX_PORTS];
	struct vsw_network *nets[VSW_MAX_NETWORKS];
	volatile bool stop;
	bool running;
};

/* Creates the RCU variable and the networks of cfg, and launches one
 * worker per configured core. */
int vsw_switch_init(struct vsw_switch *sw, const struct vsw_config *cfg, char *err, size_t errlen);
/* Stops the workers and frees everything, ports included. */
void vsw_switch_fini(struct vsw_switch *sw);

/* Networks at run time; del refuses (-EBUSY) while ports are attached. */
struct vsw_network *vsw_switch_network_add(struct vsw_switch *sw,
					   const struct vsw_cfg_network *cfg, char *err,
					   size_t errlen);
int vsw_switch_network_del(struct vsw_switch *sw, struct vsw_network *net);
struct vsw_network *vsw_switch_find_network(struct vsw_switch *sw, const char *name);
struct vsw_port *vsw_switch_find_port(struct vsw_switch *sw, const char *name);
/* Allocates a port slot (not yet visible to workers) for the given config. */
struct vsw_port *vsw_switch_port_alloc(struct vsw_switch *sw, const struct vsw_cfg_port *cfg,
				       char *err, size_t errlen);
/* Gives back a slot from vsw_switch_port_alloc that was never attached. */
void vsw_switch_port_free(struct vsw_switch *sw, struct vsw_port *p);
/* Makes a port whose ops/priv are set visible: member of its network,
 * its rx queues spread over the workers. */
void vsw_switch_port_attach(struct vsw_switch *sw, struct vsw_port *p);
/* Replaces the network's MAC table by one of the given size, entries kept. */
int vsw_switch_network_resize(struct vsw_switch *sw, struct vsw_network *net, uint32_t size,
			      char *err, size_t errlen);
/* Adds (or removes) the port's configured static MAC entries in its network's table. */
void vsw_switch_port_static_macs(struct vsw_port *p, bool add);
/* Publishes net's member list, built in m (allocated by the caller, so this
 * cannot fail), with p added or taken out; frees the old one after a grace
 * period. */
void vsw_switch_set_member(struct vsw_switch *sw, struct vsw_network *net,
			   const struct vsw_port *p, bool member, struct vsw_members *m);
/* Moves the polling of one rx queue to the worker on cpu. */
int vsw_switch_queue_pin(struct vsw_switch *sw, struct vsw_port *p, uint16_t queue,
			 unsigned int cpu, char *err, size_t errlen);
/* Removes a port: no worker sees it when this returns; then destroys it.
 * The remaining unpinned queues are re-spread over the workers. */
void vsw_switch_port_remove(struct vsw_switch *sw, struct vsw_port *p);
/* Starts a worker on cpu (its lcore must be enabled in the EAL), or stops
 * one after moving its queues to the others; the last one stays. */
int vsw_switch_worker_add(struct vsw_switch *sw, unsigned int cpu, char *err, size_t errlen);
int vsw_switch_worker_del(struct vsw_switch *sw, unsigned int cpu, char *err, size_t errlen);
/* A port's rx queues taken from their workers, to be given back as they were. */
struct vsw_paused {
	unsigned int n;
	struct vsw_worker *worker[VSW_MAX_WORKERS];
	struct vsw_poll_list *restore[VSW_MAX_WORKERS];
};
/* Stops all polling of p's rx queues (no worker polls them when this
 * returns); -1, with nothing changed, when out of memory. Resume gives
 * each worker back its list as it was; nothing else may change between. */
int vsw_switch_port_pause(struct vsw_switch *sw, const struct vsw_port *p, struct vsw_paused *pz);
void vsw_switch_port_resume(struct vsw_switch *sw, struct vsw_paused *pz);
/* Evens out the workers' unpinned rx queues (at most one apart). */
void vsw_switch_respread(struct vsw_switch *sw);
/* Changes what the bridge reads of an attached port in place: network,
 * access VLAN, trunk VLANs, static MACs, pinned core. Other settings need
 * the port re-created. */
int vsw_switch_port_update(struct vsw_switch *sw, struct vsw_port *p,
			   const struct vsw_cfg_port *next, char *err, size_t errlen);
/* Waits until every worker has passed a quiescent point: after it, nothing
 * unpublished before the call is still in use by a worker. */
void vsw_switch_sync(struct vsw_switch *sw);
/* Periodic work of the control thread (MAC aging); call about once a second. */
void vsw_switch_tick(struct vsw_switch *sw);
/* Sums a port's counters over workers. */
void vsw_port_counters_sum(const struct vsw_port *p, struct vsw_port_counters *sum);
uint64_t vsw_switch_now(void);

#endif
