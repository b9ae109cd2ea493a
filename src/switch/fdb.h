/* MAC learning table of one network (forwarding database): (MAC, VLAN) ->
 * port, with aging, moves, static entries and a size limit. Workers look up
 * and learn without locks (rte_hash lock-free readers; only adding a MAC
 * never seen before takes rte_hash's writer lock); the control thread ages
 * and flushes, and freed slots are reused only after an RCU grace period. */
#ifndef VSW_FDB_H
#define VSW_FDB_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_rcu_qsbr.h>

#define VSW_FDB_NONE UINT16_MAX

struct vsw_fdb_entry {
	uint16_t port;     /* VSW_FDB_NONE while the slot is being filled */
	bool is_static;
	uint64_t seen;     /* caller's clock (seconds or TSC; the same everywhere) */
};

/* The table's key; build it with vsw_fdb_key() so padding is zero. */
struct vsw_fdb_key {
	struct rte_ether_addr mac;
	uint16_t vlan;
};

static inline void vsw_fdb_key_set(struct vsw_fdb_key *k, const struct rte_ether_addr *mac,
				   uint16_t vlan)
{
	k->mac = *mac;
	k->vlan = vlan;
}

struct vsw_fdb_stats {
	uint64_t learned, moves, overflows, aged;
};

struct vsw_fdb;

/* size: the most entries; qsbr: the workers' RCU variable (NULL: the caller
 * guarantees no concurrent readers, as unit tests do). */
struct vsw_fdb *vsw_fdb_create(const char *name, uint32_t size, struct rte_rcu_qsbr *qsbr);
void vsw_fdb_free(struct vsw_fdb *fdb);

/* Worker path. Returns the port, or VSW_FDB_NONE. */
uint16_t vsw_fdb_lookup(const struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t vlan);
/* Learns or refreshes; a dynamic entry seen on another port moves. Returns
 * 0, or -ENOSPC when the table is full (counted as an overflow). Static
 * entries never move. */
int vsw_fdb_learn(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t vlan,
		  uint16_t port, uint64_t now);

/* Burst forms of the two above, n <= 64: one hash probe pass per burst. */
void vsw_fdb_lookup_bulk(const struct vsw_fdb *fdb, const struct vsw_fdb_key *keys, uint32_t n,
			 uint16_t *ports);
/* Learns keys[i] for every i with mask bit i set. Returns the number of
 * keys that could not be learned because the table is full. */
uint32_t vsw_fdb_learn_bulk(struct vsw_fdb *fdb, const struct vsw_fdb_key *keys, uint32_t n,
			    uint64_t mask, uint16_t port, uint64_t now);

/* Control thread. */
int vsw_fdb_add_static(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t vlan,
		       uint16_t port);
int vsw_fdb_del(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t vlan);
/* Removes dynamic entries older than max_age; returns how many. */
unsigned int vsw_fdb_age(struct vsw_fdb *fdb, uint64_t now, uint64_t max_age);
/* Removes entries of one port (VSW_FDB_NONE: all), static ones only if asked. */
unsigned int vsw_fdb_flush(struct vsw_fdb *fdb, uint16_t port, bool with_static);
uint32_t vsw_fdb_count(const struct vsw_fdb *fdb);
void vsw_fdb_get_stats(const struct vsw_fdb *fdb, struct vsw_fdb_stats *st);

typedef void (*vsw_fdb_walk_cb)(const struct rte_ether_addr *mac, uint16_t vlan,
				const struct vsw_fdb_entry *e, void *arg);
void vsw_fdb_walk(const struct vsw_fdb *fdb, vsw_fdb_walk_cb cb, void *arg);

#endif
