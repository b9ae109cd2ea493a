/* Owns the packet-buffer pools: one per NUMA socket where ports are, each
 * sized from the rings and queues the configuration puts there (twice that,
 * for ports added at run time), so a NIC's buffers live on its own socket.
 * A port added at run time on a socket without a pool gets one then.
 * pool.list reports their use. */
#include <inttypes.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/eal_args.h"
#include "common/log.h"
#include "daemon/daemon.h"
#include "pmd/ethdev_port.h"
#include "pmd/host_if.h"

#define POOL_CACHE 256
#define POOL_MIN 8191u

/* The socket whose memory the port's packets should use: a device's own,
 * else the socket of the core that polls it. */
static int port_socket(const struct vswd *d, const struct vsw_cfg_port *p)
{
	if (p->type == VSW_PORT_ETHDEV) {
		int s = vsw_ethdev_devargs_socket(p->devargs);
		if (s >= 0 && s < RTE_MAX_NUMA_NODES)
			return s;
	}
	int core = p->core >= 0 ? p->core : d->cfg.ncores ? (int)d->cfg.cores[0] : -1;
	unsigned int lcore = core >= 0 ? vsw_worker_lcore((unsigned int)core) : RTE_MAX_LCORE;
	int s = lcore < RTE_MAX_LCORE ? (int)rte_lcore_to_socket_id(lcore) : (int)rte_socket_id();
	return s >= 0 && s < RTE_MAX_NUMA_NODES ? s : 0;
}

/* Mbufs a port can hold at once. A vhost-user port copies in and out of
 * guest memory, so it only has bursts in flight; an ethdev keeps rings. */
static uint32_t port_mbufs(const struct vswd *d, const struct vsw_cfg_port *p)
{
	if (p->type == VSW_PORT_ETHDEV)
		return vsw_ethdev_mbufs_needed(p, d->cfg.ncores);
	return (uint32_t)p->queues * 2 * VSW_BURST;
}

/* Twice the need (room for run-time additions), at least POOL_MIN, as
 * 2^n - 1: the mempool's most efficient size. */
static uint32_t pool_size(uint32_t need)
{
	uint64_t want = RTE_MAX((uint64_t)need * 2, (uint64_t)POOL_MIN);
	uint64_t n = 1;
	while (n - 1 < want)
		n <<= 1;
	return (uint32_t)RTE_MIN(n - 1, (uint64_t)UINT32_MAX);
}

static struct rte_mempool *create(struct vswd *d, int socket, uint32_t need, char *err,
				  size_t errlen)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t n = pool_size(need);
	snprintf(name, sizeof(name), "vsw_mbufs_s%d", socket);
	struct rte_mempool *mp = rte_pktmbuf_pool_create(name, n, POOL_CACHE, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (mp == NULL && rte_errno == ENOMEM) {
		VSW_LOG(WARNING, main, "no hugepage memory on socket %d for %u mbufs: using any socket",
			socket, n);
		mp = rte_pktmbuf_pool_create(name, n, POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					     SOCKET_ID_ANY);
	}
	if (mp == NULL) {
		struct rte_mempool_objsz sz;
		uint64_t mib = ((uint64_t)n * rte_mempool_calc_obj_size(
					 sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, 0, &sz) +
				(1u << 20) - 1) >> 20;
		snprintf(err, errlen,
			 "cannot create the packet pool of socket %d: %u mbufs (about %" PRIu64
			 " MiB, for the ports' queues and descriptors) do not fit (%s) in 'memory: "
			 "%u'; raise 'memory' (and the hugepages behind it), or give the ports fewer "
			 "queues or descriptors",
			 socket, n, mib, rte_strerror(rte_errno), d->cfg.memory_mb);
		return NULL;
	}
	d->pools[socket] = mp;
	VSW_LOG(INFO, main, "packet pool on socket %d: %u mbufs (ports there need %u)", socket, n,
		need);
	return mp;
}

int vswd_pools_create(struct vswd *d, char *err, size_t errlen)
{
	uint32_t need[RTE_MAX_NUMA_NODES] = { 0 };
	for (unsigned int i = 0; i < d->cfg.nports; i++)
		need[port_socket(d, &d->cfg.ports[i])] += port_mbufs(d, &d->cfg.ports[i]);
	for (unsigned int i = 0; i < d->cfg.nnetworks; i++) {
		if (d->cfg.networks[i].mode != VSW_NET_HOST_ONLY)
			continue;
		struct vsw_cfg_port hc;
		vsw_host_if_port_cfg(&d->cfg.networks[i], &hc);
		need[port_socket(d, &hc)] += port_mbufs(d, &hc);
	}
	/* Every worker (and the control thread) frees mbufs of every pool into
	 * its own cache of that pool, and has a burst and its batches in
	 * flight. */
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (need[s] > 0)
			need[s] += (d->cfg.ncores + 1) * (POOL_CACHE * 3 / 2 + 4 * VSW_BURST);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (need[s] > 0 && create(d, s, need[s], err, errlen) == NULL)
			return -1;
	return 0;
}

struct rte_mempool *vswd_pool_for(struct vswd *d, const struct vsw_cfg_port *p, char *err,
				  size_t errlen)
{
	int s = port_socket(d, p);
	uint32_t need = port_mbufs(d, p);
	if (d->pools[s] == NULL)
		return create(d, s, need + POOL_CACHE * 3 / 2, err, errlen);
	if (rte_mempool_avail_count(d->pools[s]) < need + 4 * VSW_BURST)
		VSW_LOG(WARNING, main,
			"port %s: the packet pool of socket %d has %u free mbufs and the port can "
			"hold %u: packets may be dropped for want of buffers (restart vswd to size "
			"the pool from the new configuration)",
			p->name, s, rte_mempool_avail_count(d->pools[s]), need);
	return d->pools[s];
}

json_t *vswd_pools_json(const struct vswd *d)
{
	json_t *r = json_array();
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		const struct rte_mempool *mp = d->pools[s];
		if (mp == NULL)
			continue;
		/* Free mbufs in the lcores' caches count as available: in use is
		 * what ports, bursts and captures hold, so it falls back to its
		 * idle figure whenever traffic stops (how a leak shows). Read
		 * once: workers move mbufs meanwhile. */
		unsigned int avail = rte_mempool_avail_count(mp);
		json_array_append_new(r, json_pack("{s:s, s:i, s:I, s:I, s:I}", "name", mp->name,
						   "socket", s, "size", (json_int_t)mp->size,
						   "in_use", (json_int_t)(mp->size - avail),
						   "available", (json_int_t)avail));
	}
	return r;
}

void vswd_pools_free(struct vswd *d)
{
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(d->pools[s]);
		d->pools[s] = NULL;
	}
}
