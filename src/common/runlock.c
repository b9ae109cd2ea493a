/* Owns the single-instance rule: the run directory's pid file, held with
 * flock so that a crashed daemon's file never blocks the next start; and
 * putting that file back, locked, when the run directory is removed under a
 * running daemon, so a second daemon still cannot start on it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/runlock.h"

int vsw_unix_socket_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int alive = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return alive;
}

static int mkdir_p(const char *dir, int *created)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(tmp, 0755) == 0) {
		*created = 1;
		return 0;
	}
	return errno == EEXIST ? 0 : -1;
}

/* Writes our pid and remembers which file holds it. */
static int write_pid(struct vsw_runlock *l)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	struct stat st;
	if (fstat(l->fd, &st) < 0)
		return -1;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return ftruncate(l->fd, 0) < 0 || pwrite(l->fd, pid, (size_t)n, 0) != n ? -1 : 0;
}

int vsw_runlock_acquire(struct vsw_runlock *l, const char *run_dir, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	snprintf(l->dir, sizeof(l->dir), "%s", run_dir);
	if (mkdir_p(run_dir, &l->created_dir) < 0) {
		snprintf(err, errlen, "cannot create run directory %s: %s", run_dir,
			 strerror(errno));
		return -1;
	}
	snprintf(l->path, sizeof(l->path), "%s/vswd.pid", run_dir);
	l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", l->path, strerror(errno));
		return -1;
	}
	if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "?";
		ssize_t n = pread(l->fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 1] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen,
			 "another vswd (pid %s) is running on run directory %s; stop it first "
			 "or give this one a different run_dir",
			 pid, run_dir);
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	/* Ours now (release may remove it); the pid in it is what a socket
	 * keeper checks before it hands its sockets over. */
	if (write_pid(l) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", l->path, strerror(errno));
		vsw_runlock_release(l);
		return -1;
	}
	return 0;
}

bool vsw_path_is(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	return lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

enum vsw_path_check vsw_runlock_check(struct vsw_runlock *l)
{
	if (l->fd < 0 || vsw_path_is(l->path, l->dev, l->ino)) {
		l->lost_logged = false;
		return VSW_PATH_OK;
	}
	int created = 0;
	if (mkdir_p(l->dir, &created) < 0) {
		if (!l->lost_logged)
			VSW_LOG(ERR, main, "pid file %s was removed and cannot be made again: %s",
				l->path, strerror(errno));
		l->lost_logged = true;
		return VSW_PATH_FAILED;
	}
	l->created_dir |= created;
	int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		bool taken = fd >= 0 && errno == EWOULDBLOCK;
		char other[32] = "?";
		if (taken) {
			ssize_t n = pread(fd, other, sizeof(other) - 1, 0);
			other[n > 0 ? n : 1] = '\0';
			other[strcspn(other, "\n")] = '\0';
		}
		if (!l->lost_logged && taken)
			VSW_LOG(ERR, main,
				"pid file %s was removed and another vswd (pid %s) has locked a new "
				"one: leaving the run directory to it (this one, pid %ld, keeps "
				"forwarding; stop it with SIGTERM)",
				l->path, other, (long)getpid());
		else if (!l->lost_logged)
			VSW_LOG(ERR, main, "pid file %s was removed and cannot be made again: %s",
				l->path, strerror(errno));
		l->lost_logged = true;
		if (fd >= 0)
			close(fd);
		return taken ? VSW_PATH_TAKEN : VSW_PATH_FAILED;
	}
	/* The old file's lock goes with its descriptor: that file is gone. */
	close(l->fd);
	l->fd = fd;
	l->lost_logged = false;
	if (write_pid(l) < 0)
		VSW_LOG(WARNING, main, "cannot write %s: %s", l->path, strerror(errno));
	VSW_LOG(WARNING, main, "pid file %s was removed (run directory deleted?): made it again "
			       "and locked it", l->path);
	return VSW_PATH_RESTORED;
}

int vsw_runlock_check_control(const char *control_socket, char *err, size_t errlen)
{
	if (!vsw_unix_socket_alive(control_socket))
		return 0;
	snprintf(err, errlen,
		 "control socket %s is in use by another vswd; stop it first or give "
		 "this one a different control_socket",
		 control_socket);
	return -1;
}

void vsw_runlock_release(struct vsw_runlock *l)
{
	if (l->fd < 0)
		return;
	/* Unlink while still holding the lock, so a starting daemon never
	 * locks a file that is about to disappear; and only our own file, not
	 * one another daemon made after ours was removed. */
	if (vsw_path_is(l->path, l->dev, l->ino))
		unlink(l->path);
	close(l->fd);
	l->fd = -1;
	if (l->created_dir)
		rmdir(l->dir); /* fails harmlessly if something else lives there */
}
