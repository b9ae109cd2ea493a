/* Unit tests of the guest memory guard (src/vhost_user/mem_guard.c): a
 * file shrunk under a guarded mapping is absorbed on any thread and
 * reported once; a SIGBUS outside guarded mappings still kills; which file
 * systems may back guest memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vhost_user/mem_guard.h"

#define SIZE (4 * 4096)

static int faults;

static void on_fault(void *ctx)
{
	faults++;
	assert_ptr_equal(ctx, &faults);
}

static int memfd_of(size_t size)
{
	int fd = memfd_create("guest", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static uint8_t *map(int fd)
{
	uint8_t *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

static void test_shrunk_file_absorbed(void **state)
{
	(void)state;
	assert_true(vsw_mem_guard_init() >= 0);
	int fd = memfd_of(SIZE);
	uint8_t *p = map(fd);
	memset(p, 0xab, SIZE);
	int slot = vsw_mem_guard_add(p, SIZE, on_fault, &faults);
	assert_true(slot >= 0);
	faults = 0;
	assert_int_equal(vsw_mem_guard_drain(), 0);
	assert_int_equal(ftruncate(fd, 0), 0); /* what a hostile frontend does */
	/* Without the guard this read kills the process with SIGBUS. */
	assert_int_equal(((volatile uint8_t *)p)[SIZE - 1], 0);
	p[5] = 7; /* the replacement is writable */
	assert_int_equal(p[5], 7);
	assert_int_equal(faults, 0); /* reported on the control thread only */
	assert_int_equal(vsw_mem_guard_drain(), 1);
	assert_int_equal(faults, 1);
	assert_int_equal(vsw_mem_guard_drain(), 0); /* once */
	vsw_mem_guard_del(slot);
	munmap(p, SIZE);
	close(fd);
}

static void *touch(void *arg)
{
	return (void *)(uintptr_t)((volatile uint8_t *)arg)[100];
}

static void test_fault_on_another_thread(void **state)
{
	(void)state;
	assert_true(vsw_mem_guard_init() >= 0);
	int fd = memfd_of(SIZE);
	uint8_t *p = map(fd);
	p[100] = 9;
	int slot = vsw_mem_guard_add(p, SIZE, on_fault, &faults);
	faults = 0;
	assert_int_equal(ftruncate(fd, 0), 0);
	pthread_t t;
	void *got;
	assert_int_equal(pthread_create(&t, NULL, touch, p), 0);
	assert_int_equal(pthread_join(t, &got), 0);
	assert_ptr_equal(got, NULL); /* zeros, not the old 9 */
	assert_int_equal(vsw_mem_guard_drain(), 1);
	assert_int_equal(faults, 1);
	vsw_mem_guard_del(slot);
	munmap(p, SIZE);
	close(fd);
}

/* In a child: a shrunk mapping, guarded (or not) at first, then touched.
 * Returns the child's wait status. */
static int child_touch(bool guard, bool del)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* As in vswd: nothing else (cmocka) to chain to. */
		signal(SIGBUS, SIG_DFL);
		if (vsw_mem_guard_init() < 0)
			_exit(2);
		int fd = memfd_of(SIZE);
		uint8_t *p = map(fd);
		if (guard) {
			int slot = vsw_mem_guard_add(p, SIZE, on_fault, &faults);
			if (del)
				vsw_mem_guard_del(slot);
		}
		if (ftruncate(fd, 0) != 0)
			_exit(3);
		_exit(((volatile uint8_t *)p)[0] == 0 ? 0 : 4);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_other_sigbus_still_kills(void **state)
{
	(void)state;
	assert_true(vsw_mem_guard_init() >= 0);
	int st = child_touch(false, false);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
	st = child_touch(true, true); /* guarded once, no more */
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
	st = child_touch(true, false);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_slots_reused(void **state)
{
	(void)state;
	int fd = memfd_of(SIZE);
	uint8_t *p = map(fd);
	int a = vsw_mem_guard_add(p, SIZE, on_fault, &faults);
	vsw_mem_guard_del(a);
	int b = vsw_mem_guard_add(p, SIZE, on_fault, &faults);
	assert_int_equal(a, b);
	vsw_mem_guard_del(b);
	vsw_mem_guard_del(-1); /* ignored */
	munmap(p, SIZE);
	close(fd);
}

static void test_which_files(void **state)
{
	(void)state;
	char why[256] = "";
	int fd = memfd_of(SIZE);
	assert_int_equal(vsw_mem_guard_check_fd(fd, why, sizeof(why)), 0);
	close(fd);
	char path[] = "/dev/shm/vsw-test-guard-XXXXXX";
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(vsw_mem_guard_check_fd(fd, why, sizeof(why)), 0); /* tmpfs */
	close(fd);
	/* A file system that is not local storage: refused, and named. */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(vsw_mem_guard_check_fd(fd, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "proc file system"));
	close(fd);
	fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		assert_int_equal(vsw_mem_guard_check_fd(fd, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "sysfs"));
		close(fd);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shrunk_file_absorbed),
		cmocka_unit_test(test_fault_on_another_thread),
		cmocka_unit_test(test_other_sigbus_still_kills),
		cmocka_unit_test(test_slots_reused),
		cmocka_unit_test(test_which_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
