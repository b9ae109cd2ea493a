/* Owns the translation of vsw's configuration into EAL arguments. */
#include <ctype.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_config.h>
#include <rte_log.h>

#include "common/eal_args.h"

static int add(struct vsw_eal_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add(struct vsw_eal_args *a, const char *fmt, ...)
{
	if (a->argc >= VSW_EAL_MAX_ARGS)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(a->storage + a->used, sizeof(a->storage) - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(a->storage) - a->used)
		return -1;
	a->argv[a->argc++] = a->storage + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

bool vsw_devargs_is_pci(const char *d)
{
	unsigned int dom, bus, dev, fn;
	int n = 0;
	if (sscanf(d, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &n) == 4 &&
	    (d[n] == '\0' || d[n] == ','))
		return true;
	n = 0;
	return sscanf(d, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) == 3 &&
	       (d[n] == '\0' || d[n] == ',');
}

/* FNV-1a: a stable short tag so each run directory gets its own prefix. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int vsw_eal_args_build(struct vsw_eal_args *a, const struct vsw_config *cfg, int extra_argc,
		       char **extra_argv, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	cpu_set_t own, all;
	CPU_ZERO(&own);
	sched_getaffinity(0, sizeof(own), &own);
	all = own;
	for (unsigned int i = 0; i < cfg->ncores; i++)
		CPU_CLR(cfg->cores[i], &own);
	/* The control thread sleeps in epoll; give it every CPU the workers do
	 * not own, or share the first worker's CPU on a machine with no spare. */
	char main_cpus[1024] = "";
	for (unsigned int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &own))
			continue;
		size_t used = strlen(main_cpus);
		if (used + 8 >= sizeof(main_cpus))
			break;
		snprintf(main_cpus + used, sizeof(main_cpus) - used, "%s%u", used ? "," : "", c);
	}
	if (main_cpus[0] == '\0')
		snprintf(main_cpus, sizeof(main_cpus), "%u", cfg->cores[0]);
	char lcores[2048];
	int off = snprintf(lcores, sizeof(lcores), "0@(%s)", main_cpus);
	for (unsigned int c = 0; c + 1 < RTE_MAX_LCORE && off > 0 && (size_t)off < sizeof(lcores);
	     c++)
		if (CPU_ISSET(c, &all))
			off += snprintf(lcores + off, sizeof(lcores) - (size_t)off, ",%u@%u",
					vsw_worker_lcore(c), c);
	if (off < 0 || (size_t)off >= sizeof(lcores)) {
		snprintf(err, errlen, "too many cores for the EAL lcore list");
		return -1;
	}
	/* DPDK 22.11 refuses --in-memory with --no-huge (legacy memory);
	 * --no-shconf leaves no shared files behind either. */
	bool no_huge = false;
	for (int i = 0; i < extra_argc; i++)
		no_huge |= strcmp(extra_argv[i], "--no-huge") == 0;
	int rc = 0;
	rc |= add(a, "vswd");
	rc |= add(a, "--lcores=%s", lcores);
	rc |= add(a, "--main-lcore=0");
	rc |= add(a, "--file-prefix=vsw-%08x", fnv1a(cfg->run_dir));
	rc |= add(a, no_huge ? "--no-shconf" : "--in-memory");
	rc |= add(a, "-m");
	rc |= add(a, "%u", cfg->memory_mb);
	rc |= add(a, "--log-level=lib.*:%s", cfg->log_level >= (int)RTE_LOG_DEBUG ? "info" : "warning");
	/* EAL warns about absent 1 GiB pages on every start; only errors matter. */
	if (cfg->log_level < (int)RTE_LOG_DEBUG)
		rc |= add(a, "--log-level=lib.eal:error");
	bool pci = false;
	for (unsigned int i = 0; i < cfg->nports; i++) {
		const struct vsw_cfg_port *p = &cfg->ports[i];
		if (p->type != VSW_PORT_ETHDEV || !vsw_devargs_is_pci(p->devargs))
			continue;
		rc |= add(a, "-a");
		rc |= add(a, "%s", p->devargs);
		pci = true;
	}
	if (!pci)
		rc |= add(a, "--no-pci");
	for (int i = 0; i < extra_argc; i++)
		rc |= add(a, "%s", extra_argv[i]);
	if (rc) {
		snprintf(err, errlen, "too many EAL arguments");
		return -1;
	}
	return 0;
}
