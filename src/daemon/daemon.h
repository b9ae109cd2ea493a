/* The running daemon: what vswd builds from its configuration at start and
 * tears down at stop. main.c drives it; the control socket changes it. */
#ifndef VSW_DAEMON_H
#define VSW_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include "common/evloop.h"
#include "common/runlock.h"
#include "control/config.h"
#include "control/rpc.h"
#include "switch/capture.h"
#include "switch/switch.h"

struct vswd {
	struct vsw_config cfg;
	/* The CPUs vswd may use, read before EAL pins the control thread, for
	 * validating configuration changes at run time. */
	cpu_set_t cpus;
	struct vsw_runlock lock;
	struct vsw_evloop *loop;
	int sigfd;
	volatile bool stop;
	/* shutdown's hold= (seconds a keeper holds the sockets); -1: socket_hold. */
	int shutdown_hold;
	struct vsw_rpc_server *rpc;
	struct vsw_switch sw;
	bool sw_up;
	uint64_t tick_timer;
	/* port.clear-stats: counters are reported relative to these. */
	struct vsw_port_counters stats_base[VSW_MAX_PORTS];
	/* Captures in progress by port id, drained by a short timer, and how
	 * each port's last capture ended (captures.c). */
	struct vsw_capture *captures[VSW_MAX_PORTS];
	struct vsw_capture_stats *capture_end[VSW_MAX_PORTS];
	uint64_t capture_timer;
	/* Packet pools by NUMA socket (pools.c). */
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
};

/* Stops the capture of port id (if any), writing what is left, and
 * remembers how it ended; st may be NULL (captures.c). */
void vswd_capture_stop(struct vswd *d, uint16_t id, struct vsw_capture_stats *st);
/* Stops it and forgets it: the port goes or is re-created. */
void vswd_capture_forget(struct vswd *d, uint16_t id);
/* How the port's last capture ended, if none runs now; else NULL. */
const struct vsw_capture_stats *vswd_capture_ended(const struct vswd *d, uint16_t id);
/* The running or last capture for port.show, or NULL if none. */
json_t *vswd_capture_json(const struct vswd *d, uint16_t id);
/* Starts draining captures if not already. */
void vswd_capture_timer(struct vswd *d);

/* Packet pools per NUMA socket, sized from the configuration (pools.c). */
int vswd_pools_create(struct vswd *d, char *err, size_t errlen);
/* The pool for a port's socket (made if the socket has none yet). */
struct rte_mempool *vswd_pool_for(struct vswd *d, const struct vsw_cfg_port *p, char *err,
				  size_t errlen);
void vswd_pools_free(struct vswd *d);
/* pool.list: per pool its name, socket, size, mbufs in use and available. */
json_t *vswd_pools_json(const struct vswd *d);

/* Creates the configured port cfg and attaches it to the switch. */
int vswd_port_create(struct vswd *d, const struct vsw_cfg_port *cfg, char *err, size_t errlen);
/* The host-only network's host interface, as a port of the network. */
int vswd_host_if_create(struct vswd *d, const struct vsw_cfg_network *net, char *err,
			size_t errlen);
/* Makes the pid file, control socket and vhost-user server sockets again
 * if they were removed (rundir.c); called once a second. */
void vswd_rundir_check(struct vswd *d);
/* Link state of ports whose devices do not report changes themselves. */
void vswd_poll_links(struct vswd *d);

/* NAT networks (nat.c): the network whose uplink cfg is, or NULL; the
 * gateway port made of that uplink; the gateways' once-a-second work. */
const struct vsw_cfg_network *vswd_nat_uplink_of(const struct vswd *d,
						 const struct vsw_cfg_port *cfg);
int vswd_gateway_create(struct vswd *d, const struct vsw_cfg_port *cfg,
			const struct vsw_cfg_network *net, char *err, size_t errlen);
void vswd_nat_tick(struct vswd *d);
struct vsw_tele_nat;
unsigned int vswd_nat_telemetry(const struct vswd *d, struct vsw_tele_nat *out, unsigned int max);
/* Adds what the port's type knows (connection state, features) to port.show. */
void vswd_port_info(const struct vsw_port *p, json_t *out);

/* The control socket's methods (rpc_methods.c); ctx is the struct vswd. */
extern const struct vsw_rpc_method vsw_rpc_methods[];

/* Creates sockets, ports and workers. On failure returns -1 with a message
 * in err; whatever was created is left for vswd_stop to remove. */
int vswd_start(struct vswd *d, char *err, size_t errlen);
void vswd_stop(struct vswd *d);
/* Where the sockets are and how to connect QEMU to them. */
void vswd_print_banner(const struct vswd *d, FILE *out);

#endif
