/* Unit tests of src/common: the hugepage counts and the advice given when
 * the EAL cannot get vswd's memory (on a fake sysfs tree); the run
 * directory's lock made again after an rm -rf, and left to a daemon that
 * took the directory meanwhile; EAL arguments with and without --no-huge. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/eal_args.h"
#include "common/hugepages.h"
#include "common/runlock.h"

static char dir[] = "/tmp/vsw-ut-common.XXXXXX";

static void put(const char *sub, const char *file, unsigned long v)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/hp/%s", dir, sub);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/hp/%s/%s", dir, sub, file);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%lu\n", v);
	fclose(f);
}

/* A sysfs hugepages directory with one page size. */
static const char *fake_sysfs(const char *sub, unsigned long nr, unsigned long free,
			      unsigned long resv)
{
	static char path[512];
	snprintf(path, sizeof(path), "rm -rf %s/hp && mkdir %s/hp", dir, dir);
	assert_int_equal(system(path), 0);
	put(sub, "nr_hugepages", nr);
	put(sub, "free_hugepages", free);
	put(sub, "resv_hugepages", resv);
	snprintf(path, sizeof(path), "%s/hp", dir);
	return path;
}

static void test_hugepages_read(void **state)
{
	(void)state;
	struct vsw_hugepages h;
	const char *d = fake_sysfs("hugepages-2048kB", 1024, 600, 100);
	put("hugepages-1048576kB", "nr_hugepages", 2);
	put("hugepages-1048576kB", "free_hugepages", 1);
	put("not-a-size", "nr_hugepages", 7);
	assert_int_equal(vsw_hugepages_read(d, &h), 0);
	assert_int_equal(h.nsizes, 2);
	/* Pages promised to mappings (resv) are not free for us. */
	assert_int_equal(h.free_mb, 500 * 2 + 1024);
	assert_int_equal(h.reserved_mb, 1024 * 2 + 2 * 1024);
	assert_int_equal(vsw_hugepages_read("/nonexistent/vsw", &h), -1);
}

static void test_hugepages_enough(void **state)
{
	(void)state;
	struct vsw_hugepages h;
	char msg[1024] = "";
	assert_int_equal(vsw_hugepages_read(fake_sysfs("hugepages-2048kB", 200, 128, 0), &h), 0);
	assert_false(vsw_hugepages_explain(&h, 256, msg, sizeof(msg)));
	assert_true(vsw_hugepages_explain(&h, 258, msg, sizeof(msg)));
}

static void test_hugepages_none_reserved(void **state)
{
	(void)state;
	struct vsw_hugepages h;
	char msg[1024] = "";
	assert_int_equal(vsw_hugepages_read(fake_sysfs("hugepages-2048kB", 0, 0, 0), &h), 0);
	assert_true(vsw_hugepages_explain(&h, 256, msg, sizeof(msg)));
	assert_string_equal(msg,
			    "cannot get 256 MiB of hugepage memory ('memory: 256' in the "
			    "configuration): no hugepages are reserved. Reserve hugepages (as root: "
			    "echo 128 > /proc/sys/vm/nr_hugepages), lower 'memory', or run without "
			    "hugepages: vswd ... -- --no-huge");
	/* A kernel without hugepage support at all: same advice. */
	assert_int_equal(vsw_hugepages_read(fake_sysfs("x", 0, 0, 0), &h), 0);
	assert_true(vsw_hugepages_explain(&h, 64, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "no hugepages are reserved"));
	assert_non_null(strstr(msg, "echo 32 > /proc/sys/vm/nr_hugepages"));
}

static void test_hugepages_too_few_free(void **state)
{
	(void)state;
	struct vsw_hugepages h;
	char msg[1024] = "";
	/* Others hold 90 of 100 pages: the advice keeps theirs and adds ours. */
	assert_int_equal(vsw_hugepages_read(fake_sysfs("hugepages-2048kB", 100, 10, 0), &h), 0);
	assert_true(vsw_hugepages_explain(&h, 256, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "only 20 MiB are free (10 of 100 2048 kB pages reserved)"));
	assert_non_null(strstr(msg, "echo 218 > /proc/sys/vm/nr_hugepages"));
	assert_non_null(strstr(msg, "-- --no-huge"));
	/* Another default size: its own sysfs knob. */
	assert_int_equal(vsw_hugepages_read(fake_sysfs("hugepages-1048576kB", 0, 0, 0), &h), 0);
	assert_true(vsw_hugepages_explain(&h, 1500, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "echo 2 > " VSW_HUGEPAGES_SYSFS
				    "/hugepages-1048576kB/nr_hugepages"));
}

static void rm_rf(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
	assert_int_equal(system(cmd), 0);
}

static long pid_in(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	long pid = -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return pid;
}

static void test_runlock_made_again(void **state)
{
	(void)state;
	char run[512], err[512];
	snprintf(run, sizeof(run), "%s/run/a", dir);
	struct vsw_runlock l, l2;
	assert_int_equal(vsw_runlock_acquire(&l, run, err, sizeof(err)), 0);
	assert_int_equal(vsw_runlock_check(&l), VSW_PATH_OK);
	rm_rf(run);
	assert_int_equal(vsw_runlock_check(&l), VSW_PATH_RESTORED);
	assert_int_equal(pid_in(l.path), (long)getpid());
	assert_int_equal(vsw_runlock_check(&l), VSW_PATH_OK);
	/* Locked again: a second daemon is refused. */
	assert_int_equal(vsw_runlock_acquire(&l2, run, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another vswd"));
	/* The directory was made by us (again): it goes with the lock. */
	vsw_runlock_release(&l);
	assert_int_equal(access(run, F_OK), -1);
}

static void test_runlock_taken_meanwhile(void **state)
{
	(void)state;
	char run[512], err[512];
	snprintf(run, sizeof(run), "%s/run/b", dir);
	struct vsw_runlock l, l2;
	assert_int_equal(vsw_runlock_acquire(&l, run, err, sizeof(err)), 0);
	rm_rf(run);
	/* Another daemon starts on the directory before our check. */
	assert_int_equal(vsw_runlock_acquire(&l2, run, err, sizeof(err)), 0);
	assert_int_equal(vsw_runlock_check(&l), VSW_PATH_TAKEN);
	assert_int_equal(vsw_runlock_check(&l), VSW_PATH_TAKEN);
	/* Ours goes without removing theirs. */
	vsw_runlock_release(&l);
	assert_int_equal(access(l2.path, F_OK), 0);
	vsw_runlock_release(&l2);
	assert_int_equal(access(l2.path, F_OK), -1);
}

static bool has_arg(const struct vsw_eal_args *a, const char *arg)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], arg) == 0)
			return true;
	return false;
}

static void test_eal_args_no_huge(void **state)
{
	(void)state;
	static struct vsw_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.run_dir, sizeof(cfg.run_dir), "/run/vsw");
	cfg.memory_mb = 256;
	cfg.ncores = 1;
	cfg.cores[0] = 0;
	struct vsw_eal_args a;
	char err[256];
	assert_int_equal(vsw_eal_args_build(&a, &cfg, 0, NULL, err, sizeof(err)), 0);
	assert_true(has_arg(&a, "--in-memory"));
	assert_false(has_arg(&a, "--no-shconf"));
	/* EAL refuses --in-memory with --no-huge: the no-files option instead. */
	char *extra[] = { "--no-huge", "--log-level=lib.eal:debug" };
	assert_int_equal(vsw_eal_args_build(&a, &cfg, 2, extra, err, sizeof(err)), 0);
	assert_false(has_arg(&a, "--in-memory"));
	assert_true(has_arg(&a, "--no-shconf"));
	assert_string_equal(a.argv[a.argc - 2], "--no-huge");
	assert_string_equal(a.argv[a.argc - 1], "--log-level=lib.eal:debug");
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hugepages_read),
		cmocka_unit_test(test_hugepages_enough),
		cmocka_unit_test(test_hugepages_none_reserved),
		cmocka_unit_test(test_hugepages_too_few_free),
		cmocka_unit_test(test_runlock_made_again),
		cmocka_unit_test(test_runlock_taken_meanwhile),
		cmocka_unit_test(test_eal_args_no_huge),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
