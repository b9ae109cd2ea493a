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
};

struct vsw_guest_mem {
	uint32_t nregions;
	struct vsw_mem_region regions[VSW_MEM_MAX_REGIONS];
};

/* Implemented in guest_mem.c (vring helper fills in the rest of this API). */

#endif
