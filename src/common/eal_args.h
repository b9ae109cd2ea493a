/* Builds the EAL argument vector from the configuration: lcore pinning,
 * --file-prefix per run directory, --in-memory (--no-shconf with the user's
 * --no-huge, which DPDK cannot combine with it), memory, and the PCI policy
 * (--no-pci unless PCI ports are configured, then an allow-list of them). */
#ifndef VSW_EAL_ARGS_H
#define VSW_EAL_ARGS_H

#include "common/cfg_types.h"

#define VSW_EAL_MAX_ARGS 128

struct vsw_eal_args {
	int argc;
	char *argv[VSW_EAL_MAX_ARGS + 1];
	char storage[8192];
	size_t used;
};

/* Appends extra (the user's args after "--") at the end. Returns 0 or -1
 * with a message in err. */
int vsw_eal_args_build(struct vsw_eal_args *a, const struct vsw_config *cfg, int extra_argc,
		       char **extra_argv, char *err, size_t errlen);
/* True if devargs names a PCI device (DDDD:BB:DD.F or BB:DD.F, options after ','). */
bool vsw_devargs_is_pci(const char *devargs);
/* The lcore id of the worker on CPU cpu: every CPU vswd may use gets one at
 * start (an idle EAL thread until a worker runs there), so that workers can
 * be added at run time. The main lcore is 0. */
static inline unsigned int vsw_worker_lcore(unsigned int cpu)
{
	return cpu + 1;
}

#endif
