/* Guest memory files that could hurt the daemon. A frontend hands us the
 * files behind guest RAM and keeps them: it can shrink one after we mapped
 * it (the next access to the lost part raises SIGBUS, which would kill the
 * process), or give one on a file system whose page faults depend on a
 * server (FUSE, NFS: a fault that never returns stops a worker for good).
 * The first is absorbed here, the second refused. */
#ifndef VSW_MEM_GUARD_H
#define VSW_MEM_GUARD_H

#include <stddef.h>

/* Up to this many guest mappings over all ports (256 ports x 32 slots). */
#define VSW_MEM_GUARD_SLOTS 8192

typedef void (*vsw_mem_fault_cb)(void *ctx);

/* Installs the SIGBUS handler and makes the eventfd it signals; the
 * control thread waits on that fd and calls vsw_mem_guard_drain. Safe to
 * call again. Returns the fd, or -errno. */
int vsw_mem_guard_init(void);
/* Guards a mapping: a SIGBUS inside [addr, addr + len), on any thread, puts
 * anonymous memory over the whole mapping, so the access and the ones
 * after it complete (reading zeros) instead of killing us, and cb(ctx)
 * runs on the next vsw_mem_guard_drain. Returns a slot (>= 0) or -ENOSPC. */
int vsw_mem_guard_add(void *addr, size_t len, vsw_mem_fault_cb cb, void *ctx);
/* Before the mapping goes. slot < 0 is ignored. */
void vsw_mem_guard_del(int slot);
/* Control thread: runs the callback of each mapping that faulted since the
 * last call, once; returns how many. */
unsigned int vsw_mem_guard_drain(void);
/* Whether fd may back guest memory: a memfd, or a file on a local file
 * system (tmpfs, hugetlbfs, ramfs, ext2/3/4, xfs, btrfs, f2fs). Reads only
 * /proc, never the file system itself (whose server may not answer).
 * 0, or -1 with why filled. */
int vsw_mem_guard_check_fd(int fd, char *why, size_t len);

#endif
