/* Guest memory map: the regions a vhost-user frontend shares with us and the
 * bounds-checked translation of guest-physical addresses (descriptor buffers)
 * and frontend-virtual addresses (ring addresses) to our own pointers.
 * src/vhost_user fills and maps the regions; src/vring only reads them. */
#ifndef VSW_GUEST_MEM_H
#define VSW_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSW_MEM_MAX_REGIONS 64

struct vsw_mem_region {
	uint64_t guest_phys_addr; /* first guest-physical address */
	uint64_t size;            /* bytes; never 0 in a valid table */
	uint64_t user_addr;       /* the frontend's (QEMU's) virtual address of the same byte */
	uint8_t *host_addr;       /* our pointer to guest_phys_addr */
	/* Mapping bookkeeping, owned by src/vhost_user (vring ignores these). */
	void *mmap_addr;
	size_t mmap_size;
	uint64_t mmap_offset;
	int fd;
	int guard; /* its SIGBUS guard slot, -1: none */
};

struct vsw_guest_mem {
	uint32_t nregions;
	struct vsw_mem_region regions[VSW_MEM_MAX_REGIONS];
};

/* Guest-physical [gpa, gpa + len) to our pointer, if it lies entirely in one
 * region; NULL otherwise. *hint is the caller's last-hit region (any value
 * is safe; it is only a starting guess). len 0 is treated as 1. */
static inline void *vsw_gpa_to_hva(const struct vsw_guest_mem *m, uint64_t gpa, uint64_t len,
				   uint32_t *hint)
{
	if (len == 0)
		len = 1;
	uint32_t n = m->nregions, h = *hint < n ? *hint : 0;
	for (uint32_t i = 0; i < n; i++, h = h + 1 == n ? 0 : h + 1) {
		const struct vsw_mem_region *r = &m->regions[h];
		uint64_t off = gpa - r->guest_phys_addr;
		/* Unsigned: gpa below the region wraps to a huge off. The end
		 * check is written so it cannot overflow. */
		if (gpa >= r->guest_phys_addr && off < r->size && len <= r->size - off) {
			*hint = h;
			return r->host_addr + off;
		}
	}
	return NULL;
}

/* Like vsw_gpa_to_hva but for a buffer that may cross into the next region:
 * returns the pointer to gpa and sets *avail to how many of the len bytes are
 * contiguous there (>= 1), or NULL if gpa is in no region. */
static inline void *vsw_gpa_to_hva_part(const struct vsw_guest_mem *m, uint64_t gpa, uint64_t len,
					uint64_t *avail, uint32_t *hint)
{
	uint32_t n = m->nregions, h = *hint < n ? *hint : 0;
	for (uint32_t i = 0; i < n; i++, h = h + 1 == n ? 0 : h + 1) {
		const struct vsw_mem_region *r = &m->regions[h];
		uint64_t off = gpa - r->guest_phys_addr;
		if (gpa >= r->guest_phys_addr && off < r->size) {
			*hint = h;
			*avail = len < r->size - off ? len : r->size - off;
			return r->host_addr + off;
		}
	}
	return NULL;
}

/* The frontend's virtual address [uva, uva + len) (ring addresses in
 * SET_VRING_ADDR) to our pointer; NULL unless inside one region. */
void *vsw_uva_to_hva(const struct vsw_guest_mem *m, uint64_t uva, uint64_t len);
/* The guest-physical address of the frontend's virtual address uva into
 * *gpa: 0, or -1 when no region holds it. */
int vsw_uva_to_gpa(const struct vsw_guest_mem *m, uint64_t uva, uint64_t *gpa);
/* One past the highest guest-physical address of any region (0: none).
 * Regions were checked not to overflow. */
uint64_t vsw_guest_mem_end(const struct vsw_guest_mem *m);

#endif
