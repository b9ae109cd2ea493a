/* A network: one isolated L2 domain (bridge, host-only, or the inside of a
 * NAT network) with its own MAC table and member ports. The member list is
 * published with RCU: workers read it without locks; the control thread
 * replaces it and frees the old one after a grace period. */
#ifndef VSW_NETWORK_H
#define VSW_NETWORK_H

#include <stdint.h>

#include "common/cfg_types.h"
#include "switch/fdb.h"

struct vsw_members {
	uint16_t n;
	uint16_t ports[VSW_MAX_PORTS];
};

struct vsw_network {
	uint16_t id;
	struct vsw_cfg_network cfg;
	struct vsw_fdb *fdb;
	struct vsw_members *members; /* RCU-published */
};

#endif
