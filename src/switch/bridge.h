/* The learning bridge's per-burst forwarding: classify a burst received on
 * one port (VLAN, learn sources, look up destinations), append each packet
 * to per-destination batches (flooding by reference count), then transmit
 * each batch once. Used by the workers; unit-tested on its own. */
#ifndef VSW_BRIDGE_H
#define VSW_BRIDGE_H

#include <stdint.h>

#include "switch/fdb.h"
#include "switch/network.h"
#include "switch/port.h"

struct vsw_tx_batch {
	uint16_t n;
	struct rte_mbuf *pkts[VSW_BURST];
};

/* One worker's forwarding state; lives as long as the worker. */
struct vsw_fwd_ctx {
	struct vsw_port *const *ports;  /* the switch's port table (RCU) */
	unsigned int cidx;              /* counter slot: the worker's index */
	uint16_t txq;                   /* the worker's preferred tx queue */
	uint64_t now;                   /* seconds, for MAC aging */
	uint16_t ntouched;
	uint16_t touched[VSW_MAX_PORTS];
	struct vsw_tx_batch batches[VSW_MAX_PORTS];
};

/* Forwards n packets received on in (all of them are consumed). */
void vsw_bridge_input(struct vsw_fwd_ctx *c, struct vsw_port *in, struct rte_mbuf **pkts,
		      uint16_t n);
/* Bursts usually carry few distinct addresses (often one flow): copies
 * each run of equal keys once into u, notes in run_of[i] (may be NULL)
 * which u entry keys[i] is, and returns how many went into u. */
uint16_t vsw_bridge_unique(const struct vsw_fdb_key *keys, uint16_t n, struct vsw_fdb_key *u,
			   uint16_t *run_of);
/* Learns nu source keys (from vsw_bridge_unique) of packets received on in
 * (a full table is counted on in), and looks up n destinations
 * (VSW_FDB_NONE: unknown), each distinct run once. */
void vsw_bridge_learn(struct vsw_fwd_ctx *c, struct vsw_port *in, struct vsw_fdb *fdb,
		      const struct vsw_fdb_key *u, uint16_t nu);
void vsw_bridge_lookup(const struct vsw_fdb *fdb, const struct vsw_fdb_key *dst, uint16_t n,
		       uint16_t *out);

/* The worker's tx queue on dest (its preferred queue modulo dest's count),
 * locked when workers share dest's queues; give it back with
 * vsw_txq_release. Returns false, nothing taken, when dest has no tx queue. */
struct vsw_txq {
	uint16_t q;
	bool shared;
};
static inline bool vsw_txq_take(const struct vsw_fwd_ctx *c, struct vsw_port *dest,
				struct vsw_txq *t)
{
	uint16_t nq = dest->ops->nb_tx_queues(dest);
	if (nq == 0)
		return false;
	t->q = c->txq % nq;
	/* Read once: the control thread may change it (workers come and go). */
	t->shared = __atomic_load_n(&dest->tx_shared, __ATOMIC_ACQUIRE);
	if (t->shared)
		rte_spinlock_lock(&dest->txq_lock[t->q]);
	return true;
}

static inline void vsw_txq_release(struct vsw_port *dest, const struct vsw_txq *t)
{
	if (t->shared)
		rte_spinlock_unlock(&dest->txq_lock[t->q]);
}

/* Sends every batch filled since the last flush. */
void vsw_bridge_flush(struct vsw_fwd_ctx *c);

/* May port p carry VLAN vlan (0: untagged), and does it need a tag for it? */
static inline bool vsw_port_has_vlan(const struct vsw_port *p, uint16_t vlan)
{
	if (p->cfg.ntrunk)
		return vlan == 0 || (p->trunk_bitmap[vlan / 64] >> (vlan % 64) & 1);
	return p->cfg.vlan == vlan;
}

#endif
