/* Unit tests for src/common/sockhold.c and sockkeeper.c: which inherited
 * socket may serve a path, the LISTEN_FDS rule, and the keeper's handoff
 * (the keeper runs in a forked child, as vswd's re-executed self would). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/sockhold.h"

static char top[64];  /* made and removed per test */
static char dir[96];  /* the run directory: top, or a directory in it */

static int listener(int type, const char *path, bool do_listen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void in_dir(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);
	assert_true(n > 0 && (size_t)n < size);
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/vsw-sockhold.XXXXXX");
	assert_non_null(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s", top);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) == 0 ? 0 : -1;
}

static void expect_refused(int fd, int type, const char *path, const char *reason)
{
	char why[256] = "";
	assert_int_equal(vsw_sockhold_check(fd, type, path, why, sizeof(why)), -1);
	if (strstr(why, reason) == NULL)
		fail_msg("expected '%s' in '%s'", reason, why);
}

static void test_check(void **state)
{
	(void)state;
	char a[96], b[96], why[256];
	in_dir(a, sizeof(a), "a.sock");
	in_dir(b, sizeof(b), "b.sock");
	int fa = listener(SOCK_STREAM, a, true);
	assert_int_equal(vsw_sockhold_check(fa, SOCK_STREAM, a, why, sizeof(why)), 0);
	expect_refused(fa, SOCK_STREAM, b, "bound to");
	expect_refused(fa, SOCK_SEQPACKET, a, "not a seqpacket socket");

	int fb = listener(SOCK_STREAM, b, false);
	expect_refused(fb, SOCK_STREAM, b, "not listening");
	close(fb);
	unlink(b);
	fb = listener(SOCK_DGRAM, b, false);
	expect_refused(fb, SOCK_STREAM, b, "not a stream socket");
	close(fb);
	unlink(b);

	/* Another socket now at a's path: a's socket no longer serves it. */
	unlink(a);
	expect_refused(fa, SOCK_STREAM, a, "its file is gone");
	int fa2 = listener(SOCK_STREAM, a, true);
	expect_refused(fa, SOCK_STREAM, a, "replaced");
	assert_int_equal(vsw_sockhold_check(fa2, SOCK_STREAM, a, why, sizeof(why)), 0);
	close(fa2);
	unlink(a);

	int p[2];
	assert_int_equal(pipe(p), 0);
	expect_refused(p[0], SOCK_STREAM, a, "not a Unix socket");
	close(p[0]);
	close(p[1]);
	close(fa);
}

static void test_listen_fds(void **state)
{
	(void)state;
	assert_int_equal(vsw_sockhold_listen_fds("1234", "2", 1234), 2);
	assert_int_equal(vsw_sockhold_listen_fds("1234", "2", 999), 0); /* another process's */
	assert_int_equal(vsw_sockhold_listen_fds(NULL, "2", 1234), 0);
	assert_int_equal(vsw_sockhold_listen_fds("1234", NULL, 1234), 0);
	assert_int_equal(vsw_sockhold_listen_fds("1234", "0", 1234), 0);
	assert_int_equal(vsw_sockhold_listen_fds("1234", "-1", 1234), 0);
	assert_int_equal(vsw_sockhold_listen_fds("1234x", "2", 1234), 0);
	assert_int_equal(vsw_sockhold_listen_fds("1234", "2x", 1234), 0);
	assert_int_equal(vsw_sockhold_listen_fds("", "2", 0), 0);
}

static void write_pid_file(long pid)
{
	char path[96];
	in_dir(path, sizeof(path), "vswd.pid");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%ld\n", pid);
	fclose(f);
}

/* A keeper (in a child) holding the socket at sock with hold_s. The
 * handoff socket is made here, as vswd makes it before it starts one. */
static pid_t start_keeper(const char *sock, int lfd, unsigned int hold_s)
{
	char hpath[108], hold[16], hfd[16], fd[16];
	assert_int_equal(vsw_sockhold_handoff_path(dir, hpath, sizeof(hpath)), 0);
	int h = listener(SOCK_SEQPACKET, hpath, true);
	snprintf(hold, sizeof(hold), "%u", hold_s);
	snprintf(hfd, sizeof(hfd), "%d", h);
	snprintf(fd, sizeof(fd), "%d", lfd);
	char *argv[] = { "vswd", VSW_KEEPER_OPTION, hold, "6", hfd, dir, "1", fd, (char *)sock, NULL };
	/* As in vswd, the stop signals are blocked when the keeper starts: one
	 * that comes early waits for the keeper's signalfd. */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(vsw_sockhold_keeper_main(9, argv));
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(h);
	close(lfd);
	return pid;
}

static int wait_exit(pid_t pid)
{
	int st = -1;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_handoff(void **state)
{
	(void)state;
	char sock[96], hpath[96];
	in_dir(sock, sizeof(sock), "vm1.sock");
	in_dir(hpath, sizeof(hpath), "vswd.handoff");
	write_pid_file((long)getpid());
	pid_t keeper = start_keeper(sock, listener(SOCK_STREAM, sock, true), 10);
	/* A frontend connecting while no vswd runs: it waits in the backlog. */
	int c = connect_to(sock);

	bool created = false;
	vsw_sockhold_inherit(dir, &created);
	assert_int_equal(wait_exit(keeper), 0);
	assert_true(created);
	assert_true(vsw_sockhold_inherited(sock));
	bool owned = false;
	int fd = vsw_sockhold_take(sock, &owned);
	assert_true(fd >= 0);
	assert_true(owned);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_false(vsw_sockhold_inherited(sock));
	/* The frontend that came during the downtime is there to accept. */
	int a = accept(fd, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(write(c, "x", 1), 1);
	char b = 0;
	assert_int_equal(read(a, &b, 1), 1);
	assert_int_equal(b, 'x');
	struct stat st;
	assert_int_equal(lstat(sock, &st), 0); /* the keeper left the file to us */
	assert_int_equal(lstat(hpath, &st), -1);
	close(a);
	close(c);
	close(fd);
	unlink(sock);
	vsw_sockhold_close_unused();
}

static void test_unused_closed_and_removed(void **state)
{
	(void)state;
	char sock[96], other[96];
	in_dir(sock, sizeof(sock), "gone.sock");
	in_dir(other, sizeof(other), "kept.sock");
	write_pid_file((long)getpid());
	pid_t keeper = start_keeper(sock, listener(SOCK_STREAM, sock, true), 10);
	bool created = false;
	vsw_sockhold_inherit(dir, &created);
	assert_int_equal(wait_exit(keeper), 0);
	bool owned;
	assert_int_equal(vsw_sockhold_take(other, &owned), -1); /* not inherited */
	assert_true(vsw_sockhold_inherited(sock));
	vsw_sockhold_close_unused();
	assert_false(vsw_sockhold_inherited(sock));
	struct stat st;
	assert_int_equal(lstat(sock, &st), -1);
}

static void test_keeper_gives_up(void **state)
{
	(void)state;
	char sub[96], sock[128], hpath[128];
	/* The run directory a vswd made: the keeper removes it when it gives up. */
	in_dir(sub, sizeof(sub), "run");
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(dir, sizeof(dir), "%s", sub);
	in_dir(sock, sizeof(sock), "vm1.sock");
	in_dir(hpath, sizeof(hpath), "vswd.handoff");
	pid_t keeper = start_keeper(sock, listener(SOCK_STREAM, sock, true), 1);
	struct stat st;
	assert_int_equal(lstat(sock, &st), 0);
	assert_int_equal(wait_exit(keeper), 0);
	assert_int_equal(lstat(sock, &st), -1);
	assert_int_equal(lstat(hpath, &st), -1);
	assert_int_equal(lstat(dir, &st), -1);
}

static void test_keeper_only_for_lock_holder(void **state)
{
	(void)state;
	char sock[96], hpath[96];
	in_dir(sock, sizeof(sock), "vm1.sock");
	in_dir(hpath, sizeof(hpath), "vswd.handoff");
	write_pid_file(1); /* somebody else holds the lock */
	pid_t keeper = start_keeper(sock, listener(SOCK_STREAM, sock, true), 10);
	bool created = false;
	vsw_sockhold_inherit(dir, &created);
	assert_false(vsw_sockhold_inherited(sock));
	assert_int_equal(kill(keeper, 0), 0); /* still holding */
	assert_int_equal(kill(keeper, SIGTERM), 0);
	assert_int_equal(wait_exit(keeper), 0);
	struct stat st;
	assert_int_equal(lstat(sock, &st), -1);
	assert_int_equal(lstat(hpath, &st), -1);
}

static void test_keeper_leaves_a_replaced_file(void **state)
{
	(void)state;
	char sock[96];
	in_dir(sock, sizeof(sock), "vm1.sock");
	pid_t keeper = start_keeper(sock, listener(SOCK_STREAM, sock, true), 10);
	unlink(sock);
	int other = listener(SOCK_STREAM, sock, true);
	assert_int_equal(kill(keeper, SIGTERM), 0);
	assert_int_equal(wait_exit(keeper), 0);
	struct stat st;
	assert_int_equal(lstat(sock, &st), 0); /* not the keeper's to remove */
	close(other);
	unlink(sock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test(test_listen_fds),
		cmocka_unit_test_setup_teardown(test_handoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unused_closed_and_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeper_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeper_only_for_lock_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeper_leaves_a_replaced_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
