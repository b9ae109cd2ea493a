/* Prefetching guest buffers the device is about to write. A plain prefetch
 * brings a line in shared; the store then still waits for the other core
 * (the guest's) to give it up. PREFETCHW asks for it exclusive at once.
 * DPDK's rte_prefetch0_write is experimental in 22.11 and, under the
 * -march DPDK's pkg-config gives (corei7), GCC lowers write prefetches to
 * plain ones: so PREFETCHW is emitted directly when CPUID says it exists. */
#ifndef VSW_VRING_PREFETCH_H
#define VSW_VRING_PREFETCH_H

#include <stdbool.h>

#include <rte_prefetch.h>

extern bool vsw_have_prefetchw;

/* Reads CPUID once; vsw_vq_init calls it. */
void vsw_prefetch_init(void);

static inline void vsw_prefetch_for_write(const void *p)
{
#if defined(__x86_64__)
	if (vsw_have_prefetchw) {
		__asm__ volatile("prefetchw %0" : : "m"(*(const volatile char *)p));
		return;
	}
#endif
	rte_prefetch0(p);
}

#endif
