/* Owns reading the kernel's hugepage counts and turning a shortage into
 * advice for the operator (see hugepages.h). Counts the way the EAL does:
 * free pages minus those already promised to mappings. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hugepages.h"

static int read_u64(const char *dir, const char *sub, const char *file, uint64_t *v)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, file);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	int ok = fscanf(f, "%" SCNu64, v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

int vsw_hugepages_read(const char *dir, struct vsw_hugepages *h)
{
	memset(h, 0, sizeof(*h));
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && h->nsizes < VSW_HUGEPAGES_MAX_SIZES) {
		uint64_t kb, nr, free, resv = 0;
		if (sscanf(e->d_name, "hugepages-%" SCNu64 "kB", &kb) != 1 || kb == 0)
			continue;
		if (read_u64(dir, e->d_name, "nr_hugepages", &nr) < 0 ||
		    read_u64(dir, e->d_name, "free_hugepages", &free) < 0)
			continue;
		read_u64(dir, e->d_name, "resv_hugepages", &resv);
		free = free > resv ? free - resv : 0;
		h->sizes[h->nsizes].size_kb = kb;
		h->sizes[h->nsizes].nr = nr;
		h->sizes[h->nsizes].free = free;
		h->nsizes++;
		h->reserved_mb += nr * kb / 1024;
		h->free_mb += free * kb / 1024;
	}
	closedir(d);
	return 0;
}

/* The page size to advise reserving: the smallest present (2 MiB on x86),
 * since it can be reserved at run time without fragmentation trouble. */
static int smallest(const struct vsw_hugepages *h)
{
	int best = -1;
	for (unsigned int i = 0; i < h->nsizes; i++)
		if (best < 0 || h->sizes[i].size_kb < h->sizes[best].size_kb)
			best = (int)i;
	return best;
}

bool vsw_hugepages_explain(const struct vsw_hugepages *h, unsigned int memory_mb, char *msg,
			   size_t len)
{
	if (h->free_mb >= memory_mb)
		return false;
	int s = smallest(h);
	uint64_t kb = s >= 0 ? h->sizes[s].size_kb : 2048;
	/* Pages others hold stay held: the advice must add to them. */
	uint64_t in_use = s >= 0 && h->sizes[s].nr > h->sizes[s].free
				  ? h->sizes[s].nr - h->sizes[s].free
				  : 0;
	uint64_t pages = ((uint64_t)memory_mb * 1024 + kb - 1) / kb;
	char knob[128];
	if (kb == 2048)
		snprintf(knob, sizeof(knob), "/proc/sys/vm/nr_hugepages");
	else
		snprintf(knob, sizeof(knob), "%s/hugepages-%" PRIu64 "kB/nr_hugepages",
			 VSW_HUGEPAGES_SYSFS, kb);
	char have[160] = "";
	if (h->reserved_mb == 0)
		snprintf(have, sizeof(have), "no hugepages are reserved");
	else if (s >= 0)
		snprintf(have, sizeof(have),
			 "only %" PRIu64 " MiB are free (%" PRIu64 " of %" PRIu64 " %" PRIu64
			 " kB pages reserved%s)",
			 h->free_mb, h->sizes[s].free, h->sizes[s].nr, kb,
			 h->nsizes > 1 ? ", other sizes counted too" : "");
	snprintf(msg, len,
		 "cannot get %u MiB of hugepage memory ('memory: %u' in the configuration): %s. "
		 "Reserve hugepages (as root: echo %" PRIu64 " > %s), lower 'memory', "
		 "or run without hugepages: vswd ... -- --no-huge",
		 memory_mb, memory_mb, have, in_use + pages, knob);
	return true;
}
