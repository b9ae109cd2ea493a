/* One daemon per run directory and control socket: an flock'ed pid file in
 * the run directory, and a probe of the control socket for a live listener. */
#ifndef VSW_RUNLOCK_H
#define VSW_RUNLOCK_H

#include <stddef.h>

struct vsw_runlock {
	int fd;
	char path[4096];
	int created_dir; /* run_dir was made by us: remove it when empty */
	char dir[4096];
};

/* Returns 0 and holds the lock, or -1 with a message for the user in err. */
int vsw_runlock_acquire(struct vsw_runlock *l, const char *run_dir, const char *control_socket,
			char *err, size_t errlen);
void vsw_runlock_release(struct vsw_runlock *l);
/* 1 if something accepts connections on the Unix socket at path, else 0. */
int vsw_unix_socket_alive(const char *path);

#endif
