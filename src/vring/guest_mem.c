/* Owns the translations that are not on the per-packet path. */
#include "vring/guest_mem.h"

void *vsw_uva_to_hva(const struct vsw_guest_mem *m, uint64_t uva, uint64_t len)
{
	if (len == 0)
		return NULL;
	for (uint32_t i = 0; i < m->nregions; i++) {
		const struct vsw_mem_region *r = &m->regions[i];
		uint64_t off = uva - r->user_addr;
		if (uva >= r->user_addr && off < r->size && len <= r->size - off)
			return r->host_addr + off;
	}
	return NULL;
}

int vsw_uva_to_gpa(const struct vsw_guest_mem *m, uint64_t uva, uint64_t *gpa)
{
	for (uint32_t i = 0; i < m->nregions; i++) {
		const struct vsw_mem_region *r = &m->regions[i];
		uint64_t off = uva - r->user_addr;
		if (uva >= r->user_addr && off < r->size) {
			*gpa = r->guest_phys_addr + off;
			return 0;
		}
	}
	return -1;
}

uint64_t vsw_guest_mem_end(const struct vsw_guest_mem *m)
{
	uint64_t end = 0;
	for (uint32_t i = 0; i < m->nregions; i++) {
		uint64_t e = m->regions[i].guest_phys_addr + m->regions[i].size;
		if (e > end)
			end = e;
	}
	return end;
}
