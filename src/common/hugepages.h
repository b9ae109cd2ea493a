/* What the kernel has in hugepages (sysfs), and what to tell the operator
 * when the EAL could not get the memory vswd asked for: a DPDK "Cannot init
 * memory" alone does not say which command fixes it. */
#ifndef VSW_HUGEPAGES_H
#define VSW_HUGEPAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSW_HUGEPAGES_SYSFS "/sys/kernel/mm/hugepages"
#define VSW_HUGEPAGES_MAX_SIZES 8

struct vsw_hugepages {
	unsigned int nsizes;
	struct {
		uint64_t size_kb;
		uint64_t nr;   /* reserved (nr_hugepages) */
		uint64_t free; /* free minus those promised to mappings (resv) */
	} sizes[VSW_HUGEPAGES_MAX_SIZES];
	uint64_t reserved_mb, free_mb; /* over all sizes */
};

/* Reads dir (VSW_HUGEPAGES_SYSFS, or a copy for tests). -1 if unreadable. */
int vsw_hugepages_read(const char *dir, struct vsw_hugepages *h);

/* If the hugepages in h cannot give memory_mb MiB, writes what is missing
 * and the commands that fix it to msg and returns true; else false (the
 * EAL failed for another reason). */
bool vsw_hugepages_explain(const struct vsw_hugepages *h, unsigned int memory_mb, char *msg,
			   size_t len);

#endif
