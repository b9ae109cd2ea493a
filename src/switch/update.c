/* Owns in-place changes while workers forward: an attached port's bridging
 * settings (network, access VLAN, trunk VLANs, static MACs, pinned core)
 * and a network's MAC table size.
 * Membership moves by RCU like everything else in the switch; the VLAN
 * fields are single stores that workers read per packet, so a burst of this
 * port's own traffic in flight during the change may see old or new values,
 * never anything else, and no other port is touched. */
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "common/log.h"
#include "switch/switch.h"

static bool same_vlans(const struct vsw_cfg_port *a, const struct vsw_cfg_port *b)
{
	return a->vlan == b->vlan && a->ntrunk == b->ntrunk &&
	       memcmp(a->trunk, b->trunk, a->ntrunk * sizeof(a->trunk[0])) == 0;
}

static bool same_macs(const struct vsw_cfg_port *a, const struct vsw_cfg_port *b)
{
	return a->nmacs == b->nmacs && memcmp(a->macs, b->macs, a->nmacs * sizeof(a->macs[0])) == 0;
}

static void store_vlans(struct vsw_port *p, const struct vsw_cfg_port *next)
{
	uint64_t bm[RTE_DIM(p->trunk_bitmap)] = { 0 };
	for (unsigned int i = 0; i < next->ntrunk; i++)
		bm[next->trunk[i] / 64] |= 1ull << (next->trunk[i] % 64);
	for (unsigned int i = 0; i < RTE_DIM(bm); i++)
		__atomic_store_n(&p->trunk_bitmap[i], bm[i], __ATOMIC_RELAXED);
	memcpy(p->cfg.trunk, next->trunk, sizeof(p->cfg.trunk));
	__atomic_store_n(&p->cfg.ntrunk, next->ntrunk, __ATOMIC_RELEASE);
	__atomic_store_n(&p->cfg.vlan, next->vlan, __ATOMIC_RELEASE);
}

static int update_core(struct vsw_switch *sw, struct vsw_port *p, int core, char *err,
		       size_t errlen)
{
	uint16_t nq = p->cfg.type == VSW_PORT_ETHDEV ? p->cfg.rx_queues : p->cfg.queues;
	if (core >= 0) {
		for (uint16_t q = 0; q < nq; q++)
			if (vsw_switch_queue_pin(sw, p, q, (unsigned int)core, err, errlen) < 0)
				return -1;
	} else {
		/* The pins go; the control thread alone reads them. */
		for (unsigned int i = 0; i < sw->nworkers; i++) {
			struct vsw_poll_list *pl = sw->workers[i]->polls;
			for (uint16_t j = 0; j < pl->n; j++)
				if (pl->polls[j].port == p->id)
					pl->polls[j].pinned = false;
		}
		vsw_switch_respread(sw);
	}
	p->cfg.core = core;
	return 0;
}

int vsw_switch_port_update(struct vsw_switch *sw, struct vsw_port *p,
			   const struct vsw_cfg_port *next, char *err, size_t errlen)
{
	struct vsw_network *to = vsw_switch_find_network(sw, next->network);
	if (to == NULL) {
		snprintf(err, errlen, "port %s: no network named %s", p->name, next->network);
		return -1;
	}
	if (next->core >= 0) {
		bool worker = false;
		for (unsigned int i = 0; i < sw->nworkers; i++)
			worker |= sw->workers[i]->cpu == (unsigned int)next->core;
		if (!worker) {
			snprintf(err, errlen, "port %s: core %d is not a worker core", p->name,
				 next->core);
			return -1;
		}
	}
	struct vsw_network *from = p->net;
	bool move = to != from;
	if (move || !same_vlans(&p->cfg, next) || !same_macs(&p->cfg, next)) {
		/* Everything that can fail first, so a failure changes nothing. */
		struct vsw_members *out = rte_malloc("vsw_members", sizeof(*out), 0);
		struct vsw_members *in = rte_malloc("vsw_members", sizeof(*in), 0);
		struct vsw_paused *pz = rte_zmalloc("vsw_paused", sizeof(*pz), 0);
		if (out == NULL || in == NULL || pz == NULL ||
		    vsw_switch_port_pause(sw, p, pz) < 0) {
			rte_free(out);
			rte_free(in);
			rte_free(pz);
			snprintf(err, errlen, "port %s: out of memory", p->name);
			return -1;
		}
		/* Out of the old domain and not polled: nobody floods to the
		 * port and no worker handles its packets while its settings
		 * change (they wait in its queues), so no burst ever sees old
		 * and new settings mixed. */
		vsw_switch_set_member(sw, from, p, false, out);
		vsw_switch_port_static_macs(p, false);
		vsw_fdb_flush(from->fdb, p->id, true);
		store_vlans(p, next);
		p->cfg.nmacs = next->nmacs;
		memcpy(p->cfg.macs, next->macs, sizeof(p->cfg.macs));
		snprintf(p->cfg.network, sizeof(p->cfg.network), "%s", next->network);
		__atomic_store_n(&p->net, to, __ATOMIC_RELEASE);
		vsw_switch_sync(sw);
		vsw_switch_set_member(sw, to, p, true, in);
		vsw_switch_port_static_macs(p, true);
		vsw_switch_port_resume(sw, pz);
		rte_free(pz);
		VSW_LOG(INFO, switch, "port %s: network %s, vlan %u, %u trunk VLANs, %u static MACs",
			p->name, to->cfg.name, next->vlan, next->ntrunk, next->nmacs);
	}
	if (next->core != p->cfg.core && update_core(sw, p, next->core, err, errlen) < 0)
		return -1;
	return 0;
}

struct copy_ctx {
	struct vsw_fdb *to;
	unsigned int lost;
};

static void copy_entry(const struct rte_ether_addr *mac, uint16_t vlan,
		       const struct vsw_fdb_entry *en, void *arg)
{
	struct copy_ctx *c = arg;
	int rc = en->is_static ? vsw_fdb_add_static(c->to, mac, vlan, en->port)
			       : vsw_fdb_learn(c->to, mac, vlan, en->port, en->seen);
	c->lost += rc < 0;
}

int vsw_switch_network_resize(struct vsw_switch *sw, struct vsw_network *net, uint32_t size,
			      char *err, size_t errlen)
{
	struct vsw_fdb *next = vsw_fdb_create(net->cfg.name, size, sw->qsbr);
	if (next == NULL) {
		snprintf(err, errlen, "network %s: cannot create a MAC table of %u entries",
			 net->cfg.name, size);
		return -1;
	}
	/* Entries learned while this runs go to the old table and are learned
	 * again on the next packet: a moment of flooding, nothing lost. */
	struct copy_ctx c = { .to = next };
	vsw_fdb_walk(net->fdb, copy_entry, &c);
	struct vsw_fdb *old = net->fdb;
	__atomic_store_n(&net->fdb, next, __ATOMIC_RELEASE);
	vsw_switch_sync(sw);
	vsw_fdb_free(old);
	net->cfg.mac_table_size = size;
	VSW_LOG(INFO, switch, "network %s: MAC table size %u%s", net->cfg.name, size,
		c.lost ? " (entries over the new size dropped)" : "");
	return 0;
}
