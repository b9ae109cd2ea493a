/* The host-only network's host interface: a kernel TAP made with DPDK's
 * net_tap PMD, switched like any ethdev port, with the network's IPv4
 * address given to the kernel side so the host can reach the guests. */
#ifndef VSW_PMD_HOST_IF_H
#define VSW_PMD_HOST_IF_H

#include <stddef.h>

#include <rte_mempool.h>

#include "common/cfg_types.h"
#include "switch/port.h"

/* The port configuration of network net's host interface, to allocate its
 * switch port with: an ethdev port named after the interface, devargs
 * "net_tap_vsw_<network>,iface=<interface>", one queue pair, MTU 1500. */
void vsw_host_if_port_cfg(const struct vsw_cfg_network *net, struct vsw_cfg_port *out);

/* Opens the tap for net as an ethdev port (port->cfg as made by
 * vsw_host_if_port_cfg; its mtu is kept), gives the kernel interface
 * net->address (if net->has_address) and sets it up. Returns 0, or -1 with
 * err set and nothing left behind. The port is destroyed through its ops
 * like any ethdev port; the kernel interface and its address vanish then. */
int vsw_host_if_open(struct vsw_port *port, const struct vsw_cfg_network *net,
		     unsigned int nb_workers, struct rte_mempool *mp, char *err, size_t errlen);

#endif
