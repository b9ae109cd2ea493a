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

/* Registers /vsw/ports, /vsw/port,<name>, /vsw/cores. Once per process. */
int vsw_telemetry_init(void);
/* Replaces the published snapshot. */
void vsw_telemetry_publish(const struct vsw_tele_port *ports, unsigned int nports,
			   const struct vsw_tele_core *cores, unsigned int ncores);

#endif
