/* Owns the switch's shared state and every change to it while workers run:
 * ports come and go, networks' member lists and workers' poll lists are
 * replaced by copy-publish-synchronize-free (RCU), never locked. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "common/eal_args.h"
#include "common/log.h"
#include "switch/switch.h"
#include "switch/watchdog.h"
#include "switch/worker.h"

static bool slot_used[VSW_MAX_PORTS];

static unsigned int txq_span(const struct vsw_switch *sw);
static bool tx_shared(const struct vsw_port *p, unsigned int nworkers, unsigned int span);

uint64_t vsw_switch_now(void)
{
	return rte_rdtsc() / rte_get_tsc_hz();
}

/* Waits until done(arg), watching the workers meanwhile: a worker stuck in
 * a guest's notification write would otherwise hold the control thread
 * (and with it every port) too. Spins first: a grace period is normally
 * one worker round. */
static void wait_watching(struct vsw_switch *sw, bool (*done)(void *arg), void *arg)
{
	const uint64_t interval = rte_get_tsc_hz() / 10;
	uint64_t next = rte_rdtsc() + interval;
	for (unsigned int spins = 0; !done(arg); spins++) {
		if (spins < 10000)
			rte_pause();
		else
			rte_delay_us_sleep(100);
		if (rte_rdtsc() >= next) {
			vsw_watchdog_check(sw);
			next = rte_rdtsc() + interval;
		}
	}
}

struct grace {
	struct rte_rcu_qsbr *qsbr;
	uint64_t token;
};

static bool grace_over(void *arg)
{
	struct grace *g = arg;
	return rte_rcu_qsbr_check(g->qsbr, g->token, false) == 1;
}

void vsw_switch_sync(struct vsw_switch *sw)
{
	if (!sw->running)
		return;
	struct grace g = { .qsbr = sw->qsbr, .token = rte_rcu_qsbr_start(sw->qsbr) };
	wait_watching(sw, grace_over, &g);
}

static bool lcore_done(void *arg)
{
	return rte_eal_get_lcore_state(*(unsigned int *)arg) == WAIT;
}

/* rte_eal_wait_lcore, watching the workers meanwhile. */
static void wait_lcore(struct vsw_switch *sw, unsigned int lcore)
{
	wait_watching(sw, lcore_done, &lcore);
	rte_eal_wait_lcore(lcore);
}

/* rte_eal_mp_wait_lcore, watching the workers meanwhile. */
static void wait_all_lcores(struct vsw_switch *sw)
{
	unsigned int lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
		wait_lcore(sw, lcore);
}

int vsw_switch_init(struct vsw_switch *sw, const struct vsw_config *cfg, char *err, size_t errlen)
{
	memset(sw, 0, sizeof(*sw));
	memset(slot_used, 0, sizeof(slot_used));
	int rc = vsw_watchdog_init();
	if (rc < 0) {
		snprintf(err, errlen, "cannot install the worker watchdog's signal: %s", strerror(-rc));
		return -1;
	}
	size_t qsz = rte_rcu_qsbr_get_memsize(VSW_MAX_WORKERS);
	sw->qsbr = rte_zmalloc("vsw_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (sw->qsbr == NULL || rte_rcu_qsbr_init(sw->qsbr, VSW_MAX_WORKERS) != 0) {
		snprintf(err, errlen, "cannot set up RCU for %u workers", VSW_MAX_WORKERS);
		return -1;
	}
	for (unsigned int i = 0; i < cfg->nnetworks; i++)
		if (vsw_switch_network_add(sw, &cfg->networks[i], err, errlen) == NULL)
			return -1;
	sw->running = true;
	for (unsigned int i = 0; i < cfg->ncores; i++)
		if (vsw_switch_worker_add(sw, cfg->cores[i], err, errlen) < 0) {
			/* vswd_stop skips a switch that never came up: stop them here. */
			__atomic_store_n(&sw->stop, true, __ATOMIC_RELEASE);
			wait_all_lcores(sw);
			sw->running = false;
			return -1;
		}
	return 0;
}

static void network_free(struct vsw_network *net)
{
	vsw_fdb_free(net->fdb);
	rte_free(net->members);
	rte_free(net);
}

struct vsw_network *vsw_switch_network_add(struct vsw_switch *sw,
					   const struct vsw_cfg_network *cfg, char *err,
					   size_t errlen)
{
	int slot = -1;
	for (int i = 0; i < VSW_MAX_NETWORKS && slot < 0; i++)
		if (sw->nets[i] == NULL)
			slot = i;
	if (slot < 0) {
		snprintf(err, errlen, "network %s: the switch has %d networks already", cfg->name,
			 VSW_MAX_NETWORKS);
		return NULL;
	}
	struct vsw_network *net = rte_zmalloc("vsw_net", sizeof(*net), 0);
	if (net == NULL) {
		snprintf(err, errlen, "network %s: out of memory", cfg->name);
		return NULL;
	}
	net->id = (uint16_t)slot;
	net->cfg = *cfg;
	net->members = rte_zmalloc("vsw_members", sizeof(*net->members), 0);
	net->fdb = vsw_fdb_create(cfg->name, cfg->mac_table_size, sw->qsbr);
	if (net->members == NULL || net->fdb == NULL) {
		snprintf(err, errlen, "network %s: cannot create its MAC table: %s", cfg->name,
			 rte_strerror(rte_errno));
		network_free(net);
		return NULL;
	}
	sw->nets[slot] = net;
	return net;
}

int vsw_switch_network_del(struct vsw_switch *sw, struct vsw_network *net)
{
	if (net->members->n != 0)
		return -EBUSY;
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++)
		if (sw->ports[i] != NULL && sw->ports[i]->net == net)
			return -EBUSY;
	sw->nets[net->id] = NULL;
	vsw_switch_sync(sw); /* a burst may still hold its table */
	network_free(net);
	return 0;
}

struct vsw_network *vsw_switch_find_network(struct vsw_switch *sw, const char *name)
{
	for (unsigned int i = 0; i < VSW_MAX_NETWORKS; i++)
		if (sw->nets[i] != NULL && strcmp(sw->nets[i]->cfg.name, name) == 0)
			return sw->nets[i];
	return NULL;
}

struct vsw_port *vsw_switch_find_port(struct vsw_switch *sw, const char *name)
{
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++)
		if (sw->ports[i] != NULL && strcmp(sw->ports[i]->name, name) == 0)
			return sw->ports[i];
	return NULL;
}

struct vsw_port *vsw_switch_port_alloc(struct vsw_switch *sw, const struct vsw_cfg_port *cfg,
				       char *err, size_t errlen)
{
	struct vsw_network *net = vsw_switch_find_network(sw, cfg->network);
	if (net == NULL) {
		snprintf(err, errlen, "port %s: no network named '%s'", cfg->name, cfg->network);
		return NULL;
	}
	int id = -1;
	for (int i = 0; i < VSW_MAX_PORTS && id < 0; i++)
		if (!slot_used[i])
			id = i;
	if (id < 0) {
		snprintf(err, errlen, "port %s: the switch has %d ports already", cfg->name,
			 VSW_MAX_PORTS);
		return NULL;
	}
	struct vsw_port *p = rte_zmalloc("vsw_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		snprintf(err, errlen, "port %s: out of memory", cfg->name);
		return NULL;
	}
	slot_used[id] = true;
	p->id = (uint16_t)id;
	p->net = net;
	p->cfg = *cfg;
	snprintf(p->name, sizeof(p->name), "%s", cfg->name);
	for (unsigned int i = 0; i < cfg->ntrunk; i++)
		p->trunk_bitmap[cfg->trunk[i] / 64] |= 1ull << (cfg->trunk[i] % 64);
	for (unsigned int q = 0; q < VSW_MAX_QUEUE_PAIRS; q++)
		rte_spinlock_init(&p->txq_lock[q]);
	return p;
}

void vsw_switch_port_free(struct vsw_switch *sw, struct vsw_port *p)
{
	(void)sw;
	slot_used[p->id] = false;
	rte_free(p);
}

static uint16_t rx_queue_count(const struct vsw_port *p)
{
	return p->cfg.type == VSW_PORT_ETHDEV ? p->cfg.rx_queues : p->cfg.queues;
}

/* Replaces *slot with a copy changed by fn, publishes it, waits for the
 * workers, frees the old one. */
static void publish_polls(struct vsw_switch *sw, struct vsw_worker *w, struct vsw_poll_list *next)
{
	struct vsw_poll_list *old = w->polls;
	__atomic_store_n(&w->polls, next, __ATOMIC_RELEASE);
	vsw_switch_sync(sw);
	rte_free(old);
}

void vsw_switch_set_member(struct vsw_switch *sw, struct vsw_network *net,
			   const struct vsw_port *p, bool member, struct vsw_members *m)
{
	m->n = 0;
	for (uint16_t j = 0; j < net->members->n; j++)
		if (net->members->ports[j] != p->id)
			m->ports[m->n++] = net->members->ports[j];
	if (member)
		m->ports[m->n++] = p->id;
	struct vsw_members *old = net->members;
	__atomic_store_n(&net->members, m, __ATOMIC_RELEASE);
	vsw_switch_sync(sw);
	rte_free(old);
}

static struct vsw_worker *pick_worker(struct vsw_switch *sw, const struct vsw_port *p,
				      const uint16_t *extra)
{
	struct vsw_worker *best = NULL;
	for (unsigned int i = 0; i < sw->nworkers; i++) {
		struct vsw_worker *w = sw->workers[i];
		if (p->cfg.core >= 0 && w->cpu == (unsigned int)p->cfg.core)
			return w;
		if (best == NULL || w->polls->n + extra[w->index] < best->polls->n + extra[best->index])
			best = w;
	}
	return best;
}

void vsw_switch_port_static_macs(struct vsw_port *p, bool add)
{
	for (unsigned int i = 0; i < p->cfg.nmacs; i++) {
		struct rte_ether_addr mac;
		memcpy(mac.addr_bytes, p->cfg.macs[i], RTE_ETHER_ADDR_LEN);
		char s[RTE_ETHER_ADDR_FMT_SIZE];
		rte_ether_format_addr(s, sizeof(s), &mac);
		if (!add) {
			/* Only this port's: another port may hold the same key. */
			if (vsw_fdb_lookup(p->net->fdb, &mac, p->cfg.vlan) == p->id)
				vsw_fdb_del(p->net->fdb, &mac, p->cfg.vlan);
		} else if (vsw_fdb_add_static(p->net->fdb, &mac, p->cfg.vlan, p->id) < 0) {
			VSW_LOG(ERR, switch, "port %s: static MAC %s not added: table of network %s is full",
				p->name, s, p->net->cfg.name);
		} else {
			VSW_LOG(INFO, switch, "port %s: static MAC %s vlan %u", p->name, s, p->cfg.vlan);
		}
	}
}

void vsw_switch_port_attach(struct vsw_switch *sw, struct vsw_port *p)
{
	p->tx_shared = tx_shared(p, sw->nworkers, txq_span(sw));
	__atomic_store_n(&sw->ports[p->id], p, __ATOMIC_RELEASE);

	struct vsw_members *m = rte_malloc("vsw_members", sizeof(*m), 0);
	if (m != NULL)
		vsw_switch_set_member(sw, p->net, p, true, m);

	vsw_switch_port_static_macs(p, true);

	uint16_t extra[VSW_MAX_WORKERS] = { 0 };
	struct vsw_poll_list *next[VSW_MAX_WORKERS] = { NULL };
	for (uint16_t q = 0; q < rx_queue_count(p); q++) {
		struct vsw_worker *w = pick_worker(sw, p, extra);
		if (next[w->index] == NULL) {
			next[w->index] = rte_malloc("vsw_polls", sizeof(struct vsw_poll_list), 0);
			if (next[w->index] == NULL)
				continue;
			*next[w->index] = *w->polls;
		}
		struct vsw_poll_list *pl = next[w->index];
		if (pl->n < VSW_MAX_POLLS)
			pl->polls[pl->n++] =
				(struct vsw_poll){ .port = p->id, .queue = q,
						   .pinned = p->cfg.core == (int)w->cpu };
		extra[w->index]++;
		VSW_LOG(INFO, switch, "port %s: rx queue %u polled by worker %u (core %u)", p->name,
			q, w->index, w->cpu);
	}
	for (unsigned int i = 0; i < sw->nworkers; i++)
		if (next[sw->workers[i]->index] != NULL)
			publish_polls(sw, sw->workers[i], next[sw->workers[i]->index]);
}

/* Moves poll j of worker from to worker to: taken away first, so two
 * workers never poll one queue at once. */
static int move_poll(struct vsw_switch *sw, struct vsw_worker *from, struct vsw_worker *to,
		     uint16_t j, bool pinned)
{
	struct vsw_poll_list *a = rte_malloc("vsw_polls", sizeof(*a), 0);
	struct vsw_poll_list *b = rte_malloc("vsw_polls", sizeof(*b), 0);
	if (a == NULL || b == NULL || to->polls->n >= VSW_MAX_POLLS) {
		rte_free(a);
		rte_free(b);
		return -ENOMEM;
	}
	struct vsw_poll moved = from->polls->polls[j];
	moved.pinned = pinned;
	*b = *to->polls;
	b->polls[b->n++] = moved;
	a->n = 0;
	for (uint16_t k = 0; k < from->polls->n; k++)
		if (k != j)
			a->polls[a->n++] = from->polls->polls[k];
	publish_polls(sw, from, a);
	publish_polls(sw, to, b);
	struct vsw_port *p = sw->ports[moved.port];
	VSW_LOG(INFO, switch, "port %s: rx queue %u moved to worker %u (core %u)%s",
		p ? p->name : "?", moved.queue, to->index, to->cpu, pinned ? ", pinned" : "");
	return 0;
}

/* The worker polling (port, queue), and the poll's index there. */
static struct vsw_worker *find_poll(struct vsw_switch *sw, uint16_t port, uint16_t queue,
				    uint16_t *j)
{
	for (unsigned int i = 0; i < sw->nworkers; i++) {
		const struct vsw_poll_list *pl = sw->workers[i]->polls;
		for (uint16_t k = 0; k < pl->n; k++)
			if (pl->polls[k].port == port && pl->polls[k].queue == queue) {
				*j = k;
				return sw->workers[i];
			}
	}
	return NULL;
}

static struct vsw_worker *worker_on(struct vsw_switch *sw, unsigned int cpu)
{
	for (unsigned int i = 0; i < sw->nworkers; i++)
		if (sw->workers[i]->cpu == cpu)
			return sw->workers[i];
	return NULL;
}

int vsw_switch_queue_pin(struct vsw_switch *sw, struct vsw_port *p, uint16_t queue,
			 unsigned int cpu, char *err, size_t errlen)
{
	struct vsw_worker *to = worker_on(sw, cpu);
	uint16_t j;
	struct vsw_worker *from = find_poll(sw, p->id, queue, &j);
	if (to == NULL) {
		snprintf(err, errlen, "core %u is not a worker core", cpu);
		return -1;
	}
	if (from == NULL) {
		snprintf(err, errlen, "port %s has no rx queue %u (it has %u)", p->name, queue,
			 rx_queue_count(p));
		return -1;
	}
	if (from == to) {
		from->polls->polls[j].pinned = true; /* read by the control thread only */
		return 0;
	}
	if (move_poll(sw, from, to, j, true) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void vsw_switch_respread(struct vsw_switch *sw)
{
	for (;;) {
		struct vsw_worker *most = NULL, *least = NULL;
		for (unsigned int i = 0; i < sw->nworkers; i++) {
			struct vsw_worker *w = sw->workers[i];
			if (most == NULL || w->polls->n > most->polls->n)
				most = w;
			if (least == NULL || w->polls->n < least->polls->n)
				least = w;
		}
		if (most == NULL || most->polls->n <= least->polls->n + 1)
			return;
		uint16_t j = most->polls->n;
		while (j > 0 && most->polls->polls[j - 1].pinned)
			j--;
		if (j == 0 || move_poll(sw, most, least, (uint16_t)(j - 1), false) < 0)
			return; /* all pinned there: leave it */
	}
}

void vsw_switch_port_remove(struct vsw_switch *sw, struct vsw_port *p)
{
	for (unsigned int i = 0; i < sw->nworkers; i++) {
		struct vsw_worker *w = sw->workers[i];
		struct vsw_poll_list *pl = rte_malloc("vsw_polls", sizeof(*pl), 0);
		if (pl == NULL)
			continue; /* the NULL port slot below still hides it */
		pl->n = 0;
		for (uint16_t j = 0; j < w->polls->n; j++)
			if (w->polls->polls[j].port != p->id)
				pl->polls[pl->n++] = w->polls->polls[j];
		publish_polls(sw, w, pl);
	}
	struct vsw_members *m = rte_malloc("vsw_members", sizeof(*m), 0);
	if (m != NULL)
		vsw_switch_set_member(sw, p->net, p, false, m);
	__atomic_store_n(&sw->ports[p->id], NULL, __ATOMIC_RELEASE);
	vsw_switch_sync(sw);
	vsw_fdb_flush(p->net->fdb, p->id, true);
	if (p->ops && p->ops->destroy)
		p->ops->destroy(p);
	slot_used[p->id] = false;
	rte_free(p);
	vsw_switch_respread(sw);
}

void vsw_switch_tick(struct vsw_switch *sw)
{
	vsw_watchdog_check(sw);
	uint64_t now = vsw_switch_now();
	for (unsigned int i = 0; i < VSW_MAX_NETWORKS; i++) {
		struct vsw_network *net = sw->nets[i];
		if (net == NULL)
			continue;
		unsigned int n = vsw_fdb_age(net->fdb, now, net->cfg.mac_aging_s);
		if (n)
			VSW_LOG(DEBUG, switch, "network %s: %u MAC entries aged out", net->cfg.name, n);
	}
}

void vsw_port_counters_sum(const struct vsw_port *p, struct vsw_port_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int w = 0; w <= VSW_MAX_WORKERS; w++) {
		const struct vsw_port_counters *c = &p->counters[w];
		sum->rx_packets += c->rx_packets;
		sum->rx_bytes += c->rx_bytes;
		sum->tx_packets += c->tx_packets;
		sum->tx_bytes += c->tx_bytes;
		for (int r = 0; r < VSW_DROP__MAX; r++)
			sum->drops[r] += c->drops[r];
	}
}

void vsw_switch_fini(struct vsw_switch *sw)
{
	if (sw->running) {
		for (unsigned int i = 0; i < VSW_MAX_PORTS; i++)
			if (sw->ports[i] != NULL)
				vsw_switch_port_remove(sw, sw->ports[i]);
		__atomic_store_n(&sw->stop, true, __ATOMIC_RELEASE);
		wait_all_lcores(sw);
		sw->running = false;
	}
	for (unsigned int i = 0; i < VSW_MAX_NETWORKS; i++) {
		if (sw->nets[i] == NULL)
			continue;
		network_free(sw->nets[i]);
		sw->nets[i] = NULL;
	}
	for (unsigned int i = 0; i < VSW_MAX_WORKERS; i++) {
		rte_free(sw->slots[i].polls);
		rte_free(sw->slots[i].fwd);
	}
	sw->nworkers = 0;
	rte_free(sw->qsbr);
	sw->qsbr = NULL;
}

/* Workers transmit on queue (slot % the port's tx queues): one past the
 * highest slot in use is how many distinct queues they would need. */
static unsigned int txq_span(const struct vsw_switch *sw)
{
	unsigned int span = 0;
	for (unsigned int i = 0; i < sw->nworkers; i++)
		span = RTE_MAX(span, sw->workers[i]->index + 1);
	return span;
}

/* Whether workers may meet on one of p's tx queues and must lock it. */
static bool tx_shared(const struct vsw_port *p, unsigned int nworkers, unsigned int span)
{
	return nworkers > 1 &&
	       (p->cfg.type == VSW_PORT_VHOST_USER || p->ops->nb_tx_queues(p) < span);
}

/* Sets every port's tx_shared for the given worker set; a port that must
 * start locking does so before the caller goes on (one grace period). */
static void update_tx_shared(struct vsw_switch *sw, unsigned int nworkers, unsigned int span)
{
	bool changed = false;
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++) {
		struct vsw_port *p = sw->ports[i];
		if (p == NULL)
			continue;
		bool v = tx_shared(p, nworkers, span);
		changed |= v != p->tx_shared;
		__atomic_store_n(&p->tx_shared, v, __ATOMIC_RELEASE);
	}
	if (changed)
		vsw_switch_sync(sw);
}

int vsw_switch_worker_add(struct vsw_switch *sw, unsigned int cpu, char *err, size_t errlen)
{
	if (worker_on(sw, cpu) != NULL) {
		snprintf(err, errlen, "core %u has a worker already", cpu);
		return -1;
	}
	unsigned int lcore = vsw_worker_lcore(cpu);
	if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore)) {
		snprintf(err, errlen, "core %u has no lcore in the EAL (vswd was started without it)",
			 cpu);
		return -1;
	}
	int slot = -1;
	for (int i = 0; i < VSW_MAX_WORKERS && slot < 0; i++)
		if (!sw->slot_used[i])
			slot = i;
	if (slot < 0) {
		snprintf(err, errlen, "at most %d workers", VSW_MAX_WORKERS);
		return -1;
	}
	struct vsw_worker *w = &sw->slots[slot];
	if (w->polls == NULL)
		w->polls = rte_zmalloc("vsw_polls", sizeof(*w->polls), 0);
	if (w->fwd == NULL)
		w->fwd = rte_zmalloc("vsw_fwd", sizeof(*w->fwd), RTE_CACHE_LINE_SIZE);
	if (w->polls == NULL || w->fwd == NULL) {
		snprintf(err, errlen, "out of memory for the worker on core %u", cpu);
		return -1;
	}
	w->polls->n = 0;
	w->index = (unsigned int)slot;
	w->lcore = lcore;
	w->cpu = cpu;
	w->sw = sw;
	w->stop = false;
	memset(&w->stats, 0, sizeof(w->stats));
	w->fwd->ports = sw->ports;
	w->fwd->cidx = (uint16_t)slot;
	w->fwd->txq = (uint16_t)slot;
	update_tx_shared(sw, sw->nworkers + 1, RTE_MAX(txq_span(sw), (unsigned int)slot + 1));
	if (rte_eal_remote_launch(vsw_worker_main, w, lcore) != 0) {
		snprintf(err, errlen, "cannot launch the worker on core %u", cpu);
		update_tx_shared(sw, sw->nworkers, txq_span(sw));
		return -1;
	}
	sw->slot_used[slot] = true;
	sw->workers[sw->nworkers++] = w;
	VSW_LOG(INFO, switch, "worker %u started on core %u", w->index, cpu);
	vsw_switch_respread(sw);
	return 0;
}

int vsw_switch_worker_del(struct vsw_switch *sw, unsigned int cpu, char *err, size_t errlen)
{
	struct vsw_worker *w = worker_on(sw, cpu);
	if (w == NULL) {
		snprintf(err, errlen, "core %u has no worker", cpu);
		return -1;
	}
	if (sw->nworkers == 1) {
		snprintf(err, errlen, "core %u runs the last worker; the switch needs one", cpu);
		return -1;
	}
	/* Out of the list first, so its queues have somewhere else to go. */
	unsigned int k = 0;
	for (unsigned int i = 0; i < sw->nworkers; i++)
		if (sw->workers[i] != w)
			sw->workers[k++] = sw->workers[i];
	sw->nworkers = k;
	while (w->polls->n > 0) {
		struct vsw_worker *to = NULL;
		for (unsigned int i = 0; i < sw->nworkers; i++)
			if (to == NULL || sw->workers[i]->polls->n < to->polls->n)
				to = sw->workers[i];
		if (move_poll(sw, w, to, 0, false) < 0) {
			sw->workers[sw->nworkers++] = w;
			snprintf(err, errlen, "out of memory moving the queues of core %u", cpu);
			return -1;
		}
	}
	__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
	wait_lcore(sw, w->lcore);
	sw->slot_used[w->index] = false;
	update_tx_shared(sw, sw->nworkers, txq_span(sw));
	VSW_LOG(INFO, switch, "worker %u on core %u stopped", w->index, cpu);
	vsw_switch_respread(sw);
	return 0;
}

int vsw_switch_port_pause(struct vsw_switch *sw, const struct vsw_port *p, struct vsw_paused *pz)
{
	struct vsw_poll_list *without[VSW_MAX_WORKERS];
	pz->n = 0;
	for (unsigned int i = 0; i < sw->nworkers; i++) {
		struct vsw_worker *w = sw->workers[i];
		bool polls_p = false;
		for (uint16_t j = 0; j < w->polls->n; j++)
			polls_p |= w->polls->polls[j].port == p->id;
		if (!polls_p)
			continue;
		struct vsw_poll_list *a = rte_malloc("vsw_polls", sizeof(*a), 0);
		struct vsw_poll_list *b = rte_malloc("vsw_polls", sizeof(*b), 0);
		if (a == NULL || b == NULL) {
			rte_free(a);
			rte_free(b);
			for (unsigned int k = 0; k < pz->n; k++) {
				rte_free(without[k]);
				rte_free(pz->restore[k]);
			}
			pz->n = 0;
			return -1;
		}
		*b = *w->polls;
		a->n = 0;
		for (uint16_t j = 0; j < w->polls->n; j++)
			if (w->polls->polls[j].port != p->id)
				a->polls[a->n++] = w->polls->polls[j];
		pz->worker[pz->n] = w;
		pz->restore[pz->n] = b;
		without[pz->n++] = a;
	}
	for (unsigned int k = 0; k < pz->n; k++)
		publish_polls(sw, pz->worker[k], without[k]);
	return 0;
}

void vsw_switch_port_resume(struct vsw_switch *sw, struct vsw_paused *pz)
{
	for (unsigned int k = 0; k < pz->n; k++)
		publish_polls(sw, pz->worker[k], pz->restore[k]);
	pz->n = 0;
}
