/* The live-migration dirty log as the virtqueue engine writes it
 * (vhost-user.rst, "Migration"): a bitmap in memory the frontend shares,
 * one bit per 4 KiB guest-physical page (bit p in byte p / 8, bit p % 8;
 * the frontend reads it as little-endian u64s), set with an atomic OR
 * after vsw wrote into that page. The queue holds a pointer to it only
 * while logging is on (vq->log_on); src/vhost_user maps it and tells the
 * queue at set-up. A page beyond the bitmap is not marked: the frontend
 * sizes the log for its memory, and nothing is written outside it. */
#ifndef VSW_DIRTY_LOG_H
#define VSW_DIRTY_LOG_H

#include <stdint.h>

#define VSW_LOG_PAGE_SHIFT 12
#define VSW_LOG_PAGE_SIZE (1ull << VSW_LOG_PAGE_SHIFT)

/* Marks the pages of guest-physical [gpa, gpa + len) in the bitmap log of
 * size bytes. len 0 marks nothing; a range running past the top of the
 * address space stops there. */
static inline void vsw_log_mark(uint8_t *log, uint64_t size, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		return;
	uint64_t end = len - 1 > UINT64_MAX - gpa ? UINT64_MAX : gpa + len - 1;
	uint64_t first = gpa >> VSW_LOG_PAGE_SHIFT, last = end >> VSW_LOG_PAGE_SHIFT;
	for (uint64_t p = first; p <= last; p++) {
		uint64_t byte = p >> 3;
		if (byte >= size)
			return;
		/* Release: the data written to the page is visible before the
		 * bit, so a frontend that clears the bit and then copies the
		 * page cannot copy it without our write and lose the bit. */
		__atomic_fetch_or(&log[byte], (uint8_t)(1u << (p & 7)), __ATOMIC_RELEASE);
	}
}

#endif
