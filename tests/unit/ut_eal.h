/* The EAL set-up the unit tests that need mbufs share: no hugepages, no
 * PCI, no shared config, one lcore, errors only in the log. */
#ifndef VSW_UT_EAL_H
#define VSW_UT_EAL_H

#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mempool.h>

/* Initialises the EAL for test program prog (its own file prefix) and
 * returns a packet pool of n mbufs, or NULL. */
struct rte_mempool *ut_eal_pool(const char *prog, unsigned int n);

/* The EAL makes its runtime directory (/var/run/dpdk/PREFIX) and leaves
 * it at exit, empty with --no-shconf and --no-telemetry: call once after
 * rte_eal_init so that it goes at exit. */
static void ut_eal_rmdir_runtime(void)
{
	rmdir(rte_eal_get_runtime_dir());
}

static inline void ut_eal_forget_runtime_dir(void)
{
	atexit(ut_eal_rmdir_runtime);
}

#endif
