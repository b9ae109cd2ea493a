/* See ut_eal.h. */
#include <stdio.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "ut_eal.h"

struct rte_mempool *ut_eal_pool(const char *prog, unsigned int n)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=vsw-ut-%s", prog);
	char *args[] = { (char *)prog, "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
			 "--no-telemetry", "--log-level=*:error", prefix, "-l", "0" };
	if (rte_eal_init((int)RTE_DIM(args), args) < 0)
		return NULL;
	ut_eal_forget_runtime_dir();
	return rte_pktmbuf_pool_create("ut", n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
}
