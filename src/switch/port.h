/* The port model: whatever a port is (vhost-user device, ethdev, the
 * host-only tap), the switch sees it through this small ops table.
 * Ownership rule: tx_burst takes ownership of every mbuf it is given; it
 * sends what it can and frees (and counts) the rest. Flooding therefore
 * raises an mbuf's refcount once per extra destination. */
#ifndef VSW_PORT_H
#define VSW_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "common/cfg_types.h"

#define VSW_BURST 32
#define VSW_MAX_WORKERS 64

struct vsw_port;
struct vsw_network;
struct vsw_capture;
struct vsw_vq_view;

/* Why a packet was dropped; one counter each, per port. */
enum vsw_drop_reason {
	VSW_DROP_NO_BUF,      /* the guest had no receive buffers */
	VSW_DROP_DEST_FULL,   /* the destination queue was full */
	VSW_DROP_MTU,         /* larger than the egress port's MTU */
	VSW_DROP_TABLE_FULL,  /* learning failed: the MAC table is full (flooded anyway) */
	VSW_DROP_BAD_PACKET,  /* runt, bad VLAN for the port, not forwardable */
	VSW_DROP_NO_DEST,     /* nowhere to send (e.g. a network with one port) */
	VSW_DROP__MAX
};

/* Counters of one port as one worker sees it. Only that worker writes them
 * (no atomics); readers sum over workers and accept slightly stale values. */
struct vsw_port_counters {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t drops[VSW_DROP__MAX];
} __rte_cache_aligned;

struct vsw_port_ops {
	/* Receive up to n packets from rx queue q. Called by one worker at a time per q. */
	uint16_t (*rx_burst)(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	/* Transmit on tx queue q; takes ownership of all n mbufs; returns how
	 * many were sent (the rest were freed and are counted by the caller as
	 * drops with reason *why). */
	uint16_t (*tx_burst)(struct vsw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
			     enum vsw_drop_reason *why);
	/* Optional, for frames copied from guest to guest with no mbuf (see
	 * direct.c): look at up to n frames of rx queue q in place (*stopped:
	 * at a frame that must be received as an mbuf); give the
	 * first k back as received; send frames given as views (copied, so
	 * nothing to free; returns how many were sent, a prefix). hold: the
	 * caller alone sends on q until its vsw_vq_release_held(), so the
	 * port may keep the frames from the receiver until then. */
	uint16_t (*rx_peek)(struct vsw_port *p, uint16_t q, struct vsw_vq_view *v, uint16_t n,
			    bool *stopped);
	void (*rx_peek_done)(struct vsw_port *p, uint16_t q, const struct vsw_vq_view *v,
			     uint16_t k);
	uint16_t (*tx_views)(struct vsw_port *p, uint16_t q, const struct vsw_vq_view *const *v,
			     uint16_t n, bool hold);
	/* Number of rx / tx queues usable right now (vhost: the guest's enabled queues). */
	uint16_t (*nb_rx_queues)(const struct vsw_port *p);
	uint16_t (*nb_tx_queues)(const struct vsw_port *p);
	/* Frees the port's resources; called once no worker can see the port. */
	void (*destroy)(struct vsw_port *p);
};

struct vsw_port {
	char name[VSW_NAME_MAX];
	uint16_t id;                 /* index in the switch's port table */
	const struct vsw_port_ops *ops;
	void *priv;                  /* the port type's own state */
	struct vsw_network *net;
	struct vsw_cfg_port cfg;     /* as configured (mtu, vlan, trunk, ...) */
	uint64_t trunk_bitmap[4096 / 64]; /* VLANs carried tagged; empty: none */
	bool link_up;
	/* Offloads the port takes as they are (VSW_OFF_*: a vhost-user
	 * guest's GUEST_* features, set at link up); the rest the port does in
	 * software when it sends. */
	uint8_t rx_offloads;
	/* Set when the port has fewer tx queues than there are workers, so
	 * workers must share a queue: only then is txq_lock taken. */
	bool tx_shared;
	rte_spinlock_t txq_lock[VSW_MAX_QUEUE_PAIRS];
	struct vsw_capture *capture; /* RCU-published; NULL: none */
	/* Per rx queue, written by the worker polling it (direct.c): rounds
	 * to go straight to the mbuf path because the last look found a
	 * burst for a port the copy-once path does not serve (the NAT
	 * gateway, an ethdev): looking first would read each frame twice. */
	uint8_t direct_skip[VSW_MAX_QUEUE_PAIRS] __rte_cache_aligned;
	struct vsw_port_counters counters[VSW_MAX_WORKERS + 1]; /* +1: the control thread */
};

#endif
