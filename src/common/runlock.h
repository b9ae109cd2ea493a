/* One daemon per run directory and control socket: an flock'ed pid file in
 * the run directory, and a probe of the control socket for a live listener.
 * Also what a check of a file the daemon made can find, for the files that
 * are made again when someone removes them (the run directory's rm -rf). */
#ifndef VSW_RUNLOCK_H
#define VSW_RUNLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vsw_runlock {
	int fd;
	char path[4096];
	int created_dir; /* run_dir was made by us: remove it when empty */
	char dir[4096];
	dev_t dev;       /* the pid file we lock, to tell it from a new one */
	ino_t ino;
	bool lost_logged;
};

enum vsw_path_check {
	VSW_PATH_OK,       /* still there */
	VSW_PATH_RESTORED, /* was removed and is made again */
	VSW_PATH_TAKEN,    /* was removed and something else is there now: left alone */
	VSW_PATH_FAILED,   /* was removed and cannot be made again now (tried again later) */
};

/* Returns 0 and holds the lock (its pid file names us), or -1 with a
 * message for the user in err. */
int vsw_runlock_acquire(struct vsw_runlock *l, const char *run_dir, char *err, size_t errlen);
/* -1 with a message in err when another daemon answers on control_socket. */
int vsw_runlock_check_control(const char *control_socket, char *err, size_t errlen);
/* Removes the pid file (if still ours) and a run directory we made. */
void vsw_runlock_release(struct vsw_runlock *l);
/* Puts back a removed pid file (and run directory) and locks it again,
 * unless another vswd has locked a new one: then TAKEN, logged once. */
enum vsw_path_check vsw_runlock_check(struct vsw_runlock *l);
/* true if path is the file identified by dev and ino. */
bool vsw_path_is(const char *path, dev_t dev, ino_t ino);
/* 1 if something accepts connections on the Unix socket at path, else 0. */
int vsw_unix_socket_alive(const char *path);

#endif
