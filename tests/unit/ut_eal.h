/* The EAL set-up the unit tests that need mbufs share: no hugepages, no
 * PCI, no shared config, one lcore, errors only in the log. */
#ifndef VSW_UT_EAL_H
#define VSW_UT_EAL_H

#include <rte_mempool.h>

/* Initialises the EAL for test program prog (its own file prefix) and
 * returns a packet pool of n mbufs, or NULL. */
struct rte_mempool *ut_eal_pool(const char *prog, unsigned int n);

#endif
