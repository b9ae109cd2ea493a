/* Owns the SIGBUS handler for guest memory, the table of guarded mappings
 * it reads (lock-free: written by the control thread, read by a handler on
 * any thread), the eventfd that hands faults to the control thread, and
 * the check of which file systems may back guest memory. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhost_user/mem_guard.h"

struct guard {
	uintptr_t base; /* 0: free (atomic: the handler reads it) */
	size_t len;
	vsw_mem_fault_cb cb;
	void *ctx;
	int faulted; /* set by the handler, cleared by drain */
};

static struct guard guards[VSW_MEM_GUARD_SLOTS];
static unsigned int nguards; /* high-water mark: the handler scans [0, nguards) */
static int event_fd = -1;
static struct sigaction previous;

static void pass_on(int sig, siginfo_t *si, void *uc)
{
	if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction != NULL) {
		previous.sa_sigaction(sig, si, uc);
		return;
	}
	if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
		return;
	}
	/* Not ours: returning re-runs the access, which now dies as it
	 * would have without us (core dump included). */
	signal(sig, SIG_DFL);
}

/* Only async-signal-safe calls: mmap and write are plain system calls. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uintptr_t a = (uintptr_t)si->si_addr;
	unsigned int n = __atomic_load_n(&nguards, __ATOMIC_ACQUIRE);
	for (unsigned int i = 0; i < n; i++) {
		struct guard *g = &guards[i];
		uintptr_t base = __atomic_load_n(&g->base, __ATOMIC_ACQUIRE);
		if (base == 0 || a < base || a - base >= g->len)
			continue;
		/* The file under the mapping shrank. Anonymous memory in its
		 * place, at the same address, lets every access complete. */
		void *p = mmap((void *)base, g->len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			break;
		__atomic_store_n(&g->faulted, 1, __ATOMIC_RELEASE);
		uint64_t one = 1;
		if (write(event_fd, &one, sizeof(one)) < 0) {
			/* A saturated counter still wakes the control thread. */
		}
		errno = saved;
		return;
	}
	errno = saved;
	pass_on(sig, si, uc);
}

int vsw_mem_guard_init(void)
{
	if (event_fd < 0) {
		event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (event_fd < 0)
			return -errno;
	}
	/* (Re)installed unless it is in place: whoever replaced it (a test
	 * harness) is chained to for faults outside guest memory. */
	struct sigaction cur;
	if (sigaction(SIGBUS, NULL, &cur) < 0)
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)
		return event_fd;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous) < 0)
		return -errno;
	return event_fd;
}

int vsw_mem_guard_add(void *addr, size_t len, vsw_mem_fault_cb cb, void *ctx)
{
	for (unsigned int i = 0; i < VSW_MEM_GUARD_SLOTS; i++) {
		struct guard *g = &guards[i];
		if (__atomic_load_n(&g->base, __ATOMIC_RELAXED) != 0)
			continue;
		g->len = len;
		g->cb = cb;
		g->ctx = ctx;
		g->faulted = 0;
		/* The handler reads len only after it saw base. */
		__atomic_store_n(&g->base, (uintptr_t)addr, __ATOMIC_RELEASE);
		if (i >= nguards)
			__atomic_store_n(&nguards, i + 1, __ATOMIC_RELEASE);
		return (int)i;
	}
	return -ENOSPC;
}

void vsw_mem_guard_del(int slot)
{
	if (slot < 0 || slot >= VSW_MEM_GUARD_SLOTS)
		return;
	struct guard *g = &guards[slot];
	__atomic_store_n(&g->base, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&g->faulted, 0, __ATOMIC_RELEASE);
	g->cb = NULL;
	g->ctx = NULL;
}

unsigned int vsw_mem_guard_drain(void)
{
	uint64_t v;
	if (event_fd >= 0 && read(event_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing signalled; faults are still looked for. */
	}
	unsigned int n = 0;
	for (unsigned int i = 0; i < __atomic_load_n(&nguards, __ATOMIC_ACQUIRE); i++) {
		struct guard *g = &guards[i];
		if (!__atomic_exchange_n(&g->faulted, 0, __ATOMIC_ACQ_REL))
			continue;
		n++;
		/* The callback may delete this and other slots. */
		if (g->cb != NULL)
			g->cb(g->ctx);
	}
	return n;
}

/* The file system type of mount mnt_id, from /proc/self/mountinfo:
 * "ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - FSTYPE SOURCE OPTIONS". */
static int mount_fstype(unsigned long mnt_id, char *type, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return -1;
	char line[4096];
	int rc = 1; /* not found */
	while (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		if (strtoul(line, &end, 10) != mnt_id || *end != ' ')
			continue;
		const char *sep = strstr(line, " - ");
		if (sep == NULL)
			break;
		size_t k = strcspn(sep + 3, " \n");
		snprintf(type, len, "%.*s", (int)k, sep + 3);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

static int fd_mnt_id(int fd, unsigned long *mnt_id)
{
	char path[48], line[256];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	int rc = -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "mnt_id: %lu", mnt_id) == 1) {
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

int vsw_mem_guard_check_fd(int fd, char *why, size_t len)
{
	static const char *const local[] = { "tmpfs", "hugetlbfs", "ramfs", "ext2", "ext3",
					     "ext4",  "xfs",       "btrfs", "f2fs" };
	unsigned long mnt_id;
	char type[64], name[256], link[48];
	if (fd_mnt_id(fd, &mnt_id) < 0)
		return 0; /* no /proc: nothing to go by */
	int rc = mount_fstype(mnt_id, type, sizeof(type));
	if (rc < 0)
		return 0;
	if (rc > 0) {
		/* memfds live on the kernel's internal shmem or hugetlbfs
		 * mounts, which mountinfo does not list. */
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, name, sizeof(name) - 1);
		if (n > 0 && (name[n] = '\0', strncmp(name, "/memfd:", 7) == 0))
			return 0;
		snprintf(why, len, "region fd is on an unknown mount (%lu)", mnt_id);
		return -1;
	}
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strcmp(type, local[i]) == 0)
			return 0;
	snprintf(why, len,
		 "region fd is a file on a %s file system: guest memory must be local, as its page "
		 "faults stop a worker until they are served (allowed: memfd, tmpfs, hugetlbfs, ramfs, "
		 "ext2/3/4, xfs, btrfs, f2fs)",
		 type);
	return -1;
}
