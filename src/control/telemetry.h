/* vsw's counters in DPDK telemetry under /vsw/... (dpdk-telemetry.py reads
 * them). Telemetry callbacks run on DPDK's telemetry thread, so they never
 * touch live switch state: the control thread publishes a snapshot once a
 * second and the callbacks read that, under a lock neither worker takes. */
#ifndef VSW_TELEMETRY_H
#define VSW_TELEMETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "control/config.h"

struct vsw_tele_port {
	char name[VSW_NAME_MAX];
	char network[VSW_NAME_MAX];
	char type[16];
	bool link_up;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, drops;
};

struct vsw_tele_core {
	unsigned int cpu;
	uint64_t packets, busy_cycles, idle_cycles;
};

/* A NAT network's gateway (src/nat), summed up. */
struct vsw_tele_nat {
	char network[VSW_NAME_MAX];
	uint64_t translated_out, translated_in, drops;
	uint64_t sessions, max_sessions, sessions_created, sessions_expired;
	uint64_t leases, dhcp_acks; /* leases: offered, bound or declined */
};

/* Registers /vsw/ports, /vsw/port,<name>, /vsw/cores, /vsw/nat,<network>.
 * Once per process. */
int vsw_telemetry_init(void);
/* Replaces the published snapshot. */
void vsw_telemetry_publish(const struct vsw_tele_port *ports, unsigned int nports,
			   const struct vsw_tele_core *cores, unsigned int ncores);
void vsw_telemetry_publish_nat(const struct vsw_tele_nat *nats, unsigned int n);

#endif
