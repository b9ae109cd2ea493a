/* Ethdev ports: a device given by devargs (a PCI address the EAL allow-listed,
 * or a vdev such as net_tap, net_af_packet, net_pcap, net_ring) hot-plugged,
 * configured and started as one struct vsw_port, and unplugged again when the
 * port is destroyed. Only the control thread calls these functions, except
 * the ops table's rx/tx bursts, which workers call. */
#ifndef VSW_PMD_ETHDEV_PORT_H
#define VSW_PMD_ETHDEV_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "common/cfg_types.h"
#include "switch/port.h"

/* What the control socket shows about an ethdev port. */
struct vsw_ethdev_info {
	uint16_t port_id;                 /* DPDK's ethdev port id */
	char driver[64];
	char devargs[256];
	uint16_t nb_rx_queues, nb_tx_queues;
	uint16_t rx_desc, tx_desc;        /* after clamping to the device's limits */
	uint16_t mtu;
	uint8_t hw_offloads;              /* VSW_OFF_* the device does itself */
	int socket;                       /* NUMA socket, SOCKET_ID_ANY if unknown */
	struct rte_ether_addr mac;
	bool link_up, link_full_duplex, lsc_interrupt;
	uint32_t link_speed;              /* Mbps, 0 if unknown */
	/* from rte_eth_stats: what the device itself dropped or failed */
	uint64_t rx_missed, rx_nombuf, rx_errors, tx_errors;
};

/* Probes cfg->devargs, configures cfg->rx_queues rx queues and
 * max(cfg->tx_queues, nb_workers) tx queues (capped by the device; when
 * capped, port->tx_shared is set so workers lock the shared queues), clamps
 * the descriptor counts, sets cfg->mtu, enables promiscuous mode and starts the
 * device; then sets port->ops, port->priv and port->link_up. mp feeds the rx
 * queues (it should be on vsw_ethdev_devargs_socket()'s socket).
 * Returns 0, or -1 with a message naming the port and devargs in err; on
 * error nothing stays probed, configured or registered. */
int vsw_ethdev_port_open(struct vsw_port *port, const struct vsw_cfg_port *cfg,
			 unsigned int nb_workers, struct rte_mempool *mp, char *err, size_t errlen);

/* True if port was opened by vsw_ethdev_port_open (ops is the ethdev table). */
bool vsw_port_is_ethdev(const struct vsw_port *port);

/* Re-reads the link state and updates port->link_up, logging a change once.
 * The control thread calls it about once a second for every port; it does
 * nothing for ports that are not ethdev ports. Devices with link-state
 * interrupts are also updated from DPDK's interrupt thread in between. */
void vsw_ethdev_port_poll_link(struct vsw_port *port);

/* Mbufs an ethdev port with this config can hold at once (full rx and tx
 * rings plus bursts in flight), without the mempool's per-lcore caches:
 * what the pool of its NUMA socket must add for it. */
uint32_t vsw_ethdev_mbufs_needed(const struct vsw_cfg_port *cfg, unsigned int nb_workers);

/* The NUMA socket of the device devargs names, known before probing: a PCI
 * device's node from sysfs; SOCKET_ID_ANY for vdevs and unknown nodes. */
int vsw_ethdev_devargs_socket(const char *devargs);

/* The NUMA socket of an open ethdev port (SOCKET_ID_ANY if unknown or not
 * an ethdev port). */
int vsw_ethdev_port_socket(const struct vsw_port *port);

/* Fills info; returns 0, or -1 if port is not an ethdev port. */
int vsw_ethdev_port_info(const struct vsw_port *port, struct vsw_ethdev_info *info);

#endif
