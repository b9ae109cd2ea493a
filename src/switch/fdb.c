/* Owns the forwarding database (see fdb.h). Entries live in an array indexed
 * by the key's position in the rte_hash, so a lookup is one hash probe and
 * one array read, and refreshing a known MAC is a plain store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "switch/fdb.h"

#define fdb_key vsw_fdb_key

struct vsw_fdb {
	struct rte_hash *h;
	uint32_t size;
	uint32_t count;          /* control-thread view; workers add via atomics */
	struct vsw_fdb_stats st; /* learned/moves/overflows: updated atomically */
	struct vsw_fdb_entry *entries;
};

static inline struct fdb_key make_key(const struct rte_ether_addr *mac, uint16_t vlan)
{
	struct fdb_key k;
	memset(&k, 0, sizeof(k));
	k.mac = *mac;
	k.vlan = vlan;
	return k;
}

struct vsw_fdb *vsw_fdb_create(const char *name, uint32_t size, struct rte_rcu_qsbr *qsbr)
{
	/* rte_hash names are global: a generation lets a network's resized
	 * table exist beside the one it replaces. */
	static uint32_t generation;
	char hname[RTE_HASH_NAMESIZE];
	snprintf(hname, sizeof(hname), "fdb%u_%s", generation++, name);
	struct rte_hash_parameters hp = {
		.name = hname,
		/* rte_hash needs headroom over the live entries to place keys. */
		.entries = size < 64 ? 64 : size,
		.key_len = sizeof(struct fdb_key),
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};
	struct vsw_fdb *fdb = rte_zmalloc("vsw_fdb", sizeof(*fdb), 0);
	if (fdb == NULL)
		return NULL;
	fdb->size = size;
	fdb->h = rte_hash_create(&hp);
	if (fdb->h == NULL)
		goto fail;
	/* Positions run up to the hash's real capacity, which may exceed
	 * .entries: size the array for the most rte_hash can return. */
	fdb->entries = rte_zmalloc("vsw_fdb_entries",
				   sizeof(*fdb->entries) * ((size_t)rte_hash_max_key_id(fdb->h) + 1),
				   RTE_CACHE_LINE_SIZE);
	if (fdb->entries == NULL)
		goto fail;
	if (qsbr != NULL) {
		struct rte_hash_rcu_config rc = { .v = qsbr, .mode = RTE_HASH_QSBR_MODE_SYNC };
		if (rte_hash_rcu_qsbr_add(fdb->h, &rc) != 0)
			goto fail;
	}
	return fdb;
fail:
	vsw_fdb_free(fdb);
	return NULL;
}

void vsw_fdb_free(struct vsw_fdb *fdb)
{
	if (fdb == NULL)
		return;
	rte_hash_free(fdb->h);
	rte_free(fdb->entries);
	rte_free(fdb);
}

uint16_t vsw_fdb_lookup(const struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t vlan)
{
	struct fdb_key k = make_key(mac, vlan);
	int32_t pos = rte_hash_lookup(fdb->h, &k);
	if (pos < 0)
		return VSW_FDB_NONE;
	return __atomic_load_n(&fdb->entries[pos].port, __ATOMIC_RELAXED);
}

int vsw_fdb_learn(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t vlan,
		  uint16_t port, uint64_t now)
{
	struct fdb_key k = make_key(mac, vlan);
	int32_t pos = rte_hash_lookup(fdb->h, &k);
	if (pos >= 0) {
		struct vsw_fdb_entry *e = &fdb->entries[pos];
		if (e->seen != now)
			e->seen = now;
		if (e->port != port && !e->is_static) {
			__atomic_store_n(&e->port, port, __ATOMIC_RELAXED);
			__atomic_fetch_add(&fdb->st.moves, 1, __ATOMIC_RELAXED);
		}
		return 0;
	}
	if (__atomic_load_n(&fdb->count, __ATOMIC_RELAXED) >= fdb->size) {
		__atomic_fetch_add(&fdb->st.overflows, 1, __ATOMIC_RELAXED);
		return -ENOSPC;
	}
	pos = rte_hash_add_key(fdb->h, &k);
	if (pos < 0) {
		__atomic_fetch_add(&fdb->st.overflows, 1, __ATOMIC_RELAXED);
		return -ENOSPC;
	}
	struct vsw_fdb_entry *e = &fdb->entries[pos];
	e->is_static = false;
	e->seen = now;
	__atomic_store_n(&e->port, port, __ATOMIC_RELEASE);
	__atomic_fetch_add(&fdb->count, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&fdb->st.learned, 1, __ATOMIC_RELAXED);
	return 0;
}

void vsw_fdb_lookup_bulk(const struct vsw_fdb *fdb, const struct vsw_fdb_key *keys, uint32_t n,
			 uint16_t *ports)
{
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
	for (uint32_t i = 0; i < n; i++)
		kp[i] = &keys[i];
	rte_hash_lookup_bulk(fdb->h, kp, n, pos);
	for (uint32_t i = 0; i < n; i++)
		ports[i] = pos[i] < 0 ? VSW_FDB_NONE
				      : __atomic_load_n(&fdb->entries[pos[i]].port, __ATOMIC_RELAXED);
}

uint32_t vsw_fdb_learn_bulk(struct vsw_fdb *fdb, const struct vsw_fdb_key *keys, uint32_t n,
			    uint64_t mask, uint16_t port, uint64_t now)
{
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t m = 0, full = 0;
	uint32_t idx[RTE_HASH_LOOKUP_BULK_MAX];
	for (uint32_t i = 0; i < n; i++)
		if (mask & (1ull << i)) {
			idx[m] = i;
			kp[m++] = &keys[i];
		}
	if (m == 0)
		return 0;
	rte_hash_lookup_bulk(fdb->h, kp, m, pos);
	for (uint32_t j = 0; j < m; j++) {
		if (pos[j] >= 0) {
			struct vsw_fdb_entry *e = &fdb->entries[pos[j]];
			/* Stores only on change: a refresh per packet would bounce
			 * the entry's cache line between workers. */
			if (e->seen != now)
				e->seen = now;
			if (e->port != port && !e->is_static) {
				__atomic_store_n(&e->port, port, __ATOMIC_RELAXED);
				__atomic_fetch_add(&fdb->st.moves, 1, __ATOMIC_RELAXED);
			}
		} else if (vsw_fdb_learn(fdb, &keys[idx[j]].mac, keys[idx[j]].vlan, port, now) < 0) {
			full++;
		}
	}
	return full;
}

int vsw_fdb_add_static(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t vlan,
		       uint16_t port)
{
	struct fdb_key k = make_key(mac, vlan);
	int32_t pos = rte_hash_lookup(fdb->h, &k);
	if (pos < 0) {
		if (__atomic_load_n(&fdb->count, __ATOMIC_RELAXED) >= fdb->size)
			return -ENOSPC;
		pos = rte_hash_add_key(fdb->h, &k);
		if (pos < 0)
			return -ENOSPC;
		__atomic_fetch_add(&fdb->count, 1, __ATOMIC_RELAXED);
	}
	struct vsw_fdb_entry *e = &fdb->entries[pos];
	e->is_static = true;
	e->seen = 0;
	__atomic_store_n(&e->port, port, __ATOMIC_RELEASE);
	return 0;
}

static void del_at(struct vsw_fdb *fdb, const struct fdb_key *k)
{
	if (rte_hash_del_key(fdb->h, k) >= 0)
		__atomic_fetch_sub(&fdb->count, 1, __ATOMIC_RELAXED);
}

int vsw_fdb_del(struct vsw_fdb *fdb, const struct rte_ether_addr *mac, uint16_t vlan)
{
	struct fdb_key k = make_key(mac, vlan);
	if (rte_hash_lookup(fdb->h, &k) < 0)
		return -ENOENT;
	del_at(fdb, &k);
	return 0;
}

/* Deleting while iterating is not allowed by rte_hash: collect, then delete. */
static unsigned int delete_matching(struct vsw_fdb *fdb,
				    bool (*match)(const struct vsw_fdb_entry *, const void *),
				    const void *arg)
{
	uint32_t iter = 0, n = 0, cap = 256;
	const void *key;
	void *data;
	struct fdb_key *victims = malloc(cap * sizeof(*victims));
	int32_t pos;
	while (victims && (pos = rte_hash_iterate(fdb->h, &key, &data, &iter)) >= 0) {
		if (!match(&fdb->entries[pos], arg))
			continue;
		if (n == cap) {
			struct fdb_key *v = realloc(victims, 2 * cap * sizeof(*victims));
			if (v == NULL)
				break;
			victims = v;
			cap *= 2;
		}
		memcpy(&victims[n++], key, sizeof(struct fdb_key));
	}
	for (uint32_t i = 0; i < n; i++)
		del_at(fdb, &victims[i]);
	free(victims);
	return n;
}

struct age_arg {
	uint64_t now, max_age;
};

static bool is_old(const struct vsw_fdb_entry *e, const void *arg)
{
	const struct age_arg *a = arg;
	return !e->is_static && a->now - e->seen >= a->max_age && a->now >= e->seen;
}

unsigned int vsw_fdb_age(struct vsw_fdb *fdb, uint64_t now, uint64_t max_age)
{
	struct age_arg a = { now, max_age };
	unsigned int n = delete_matching(fdb, is_old, &a);
	fdb->st.aged += n;
	return n;
}

struct flush_arg {
	uint16_t port;
	bool with_static;
};

static bool flush_match(const struct vsw_fdb_entry *e, const void *arg)
{
	const struct flush_arg *f = arg;
	return (f->port == VSW_FDB_NONE || e->port == f->port) && (f->with_static || !e->is_static);
}

unsigned int vsw_fdb_flush(struct vsw_fdb *fdb, uint16_t port, bool with_static)
{
	struct flush_arg f = { port, with_static };
	return delete_matching(fdb, flush_match, &f);
}

uint32_t vsw_fdb_count(const struct vsw_fdb *fdb)
{
	return __atomic_load_n(&fdb->count, __ATOMIC_RELAXED);
}

void vsw_fdb_get_stats(const struct vsw_fdb *fdb, struct vsw_fdb_stats *st)
{
	st->learned = __atomic_load_n(&fdb->st.learned, __ATOMIC_RELAXED);
	st->moves = __atomic_load_n(&fdb->st.moves, __ATOMIC_RELAXED);
	st->overflows = __atomic_load_n(&fdb->st.overflows, __ATOMIC_RELAXED);
	st->aged = fdb->st.aged;
}

void vsw_fdb_walk(const struct vsw_fdb *fdb, vsw_fdb_walk_cb cb, void *arg)
{
	uint32_t iter = 0;
	const void *key;
	void *data;
	int32_t pos;
	while ((pos = rte_hash_iterate(fdb->h, &key, &data, &iter)) >= 0) {
		const struct fdb_key *k = key;
		cb(&k->mac, k->vlan, &fdb->entries[pos], arg);
	}
}
