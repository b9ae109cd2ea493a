/* The running daemon: what vswd builds from its configuration at start and
 * tears down at stop. main.c drives it; the control socket changes it. */
#ifndef VSW_DAEMON_H
#define VSW_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include "common/evloop.h"
#include "common/runlock.h"
#include "control/config.h"
#include "control/rpc.h"

struct vswd {
	struct vsw_config cfg;
	struct vsw_runlock lock;
	struct vsw_evloop *loop;
	int sigfd;
	volatile bool stop;
	struct vsw_rpc_server *rpc;
};

/* The control socket's methods (rpc_methods.c); ctx is the struct vswd. */
extern const struct vsw_rpc_method vsw_rpc_methods[];

/* Creates sockets, ports and workers. On failure returns -1 with a message
 * in err; whatever was created is left for vswd_stop to remove. */
int vswd_start(struct vswd *d, char *err, size_t errlen);
void vswd_stop(struct vswd *d);
/* Where the sockets are and how to connect QEMU to them. */
void vswd_print_banner(const struct vswd *d, FILE *out);

#endif
