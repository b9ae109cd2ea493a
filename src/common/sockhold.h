/* Listening sockets that outlive one vswd. A starting vswd adopts the ones it
 * inherits (systemd socket activation's LISTEN_FDS, or the socket keeper a
 * previous vswd left behind); a stopping vswd may hand its own to a keeper
 * (vswd re-executed with --keep-sockets) that holds them for a while, so a
 * frontend that connects while no vswd runs waits in the backlog instead of
 * finding no socket. sockhold.c is the vswd side, sockkeeper.c the keeper. */
#ifndef VSW_SOCKHOLD_H
#define VSW_SOCKHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#define VSW_SOCKHOLD_MAX 300 /* ports and the control socket */
#define VSW_SOCKHOLD_MAX_S 600
#define VSW_KEEPER_OPTION "--keep-sockets"

/* 0 when fd is a listening AF_UNIX socket of the given type (SOCK_STREAM,
 * SOCK_SEQPACKET) bound to exactly path, and the file at path is still that
 * socket's (not replaced since); else -1 with the reason in why. */
int vsw_sockhold_check(int fd, int type, const char *path, char *why, size_t whylen);
/* sd_listen_fds' rule: how many fds (from 3) systemd passed to process self,
 * from the LISTEN_PID and LISTEN_FDS values (NULL when unset); 0 if none. */
int vsw_sockhold_listen_fds(const char *listen_pid, const char *listen_fds, pid_t self);

/* At start, with the run-directory lock held: takes systemd's sockets
 * (LISTEN_FDS) and then the keeper's (<run_dir>/vswd.handoff; a second at
 * most). *created_dir is set when the keeper says a vswd made run_dir. */
void vsw_sockhold_inherit(const char *run_dir, bool *created_dir);
/* Whether an inherited socket claims path (before it is taken). */
bool vsw_sockhold_inherited(const char *path);
/* The inherited listening socket for path, checked (non-blocking,
 * close-on-exec), or -1: bind anew. *owned: the file is vswd's to remove
 * (false for systemd's, which systemd owns). */
int vsw_sockhold_take(const char *path, bool *owned);
/* Closes the inherited sockets nothing took, with a log line each; a
 * keeper's file is removed too (its socket is gone now). */
void vsw_sockhold_close_unused(void);

/* A listening socket vswd owns the file of: one a keeper would hold. */
void vsw_sockhold_add(const char *path, int fd);
/* Forgets fd; true when a keeper holds its socket now, so the file stays. */
bool vsw_sockhold_remove(int fd);

/* At stop: starts a keeper holding every added socket for hold_s seconds
 * (its pid is logged). created_dir: vswd made run_dir, the keeper removes
 * it when it gives up. Returns 0, or -1 (logged) and nothing is held. */
int vsw_sockhold_keep(const char *run_dir, unsigned int hold_s, bool created_dir,
		      int log_level);
/* main() of "vswd --keep-sockets ...": never returns to vswd's own main. */
int vsw_sockhold_keeper_main(int argc, char **argv);

/* What travels on the handoff socket (SOCK_SEQPACKET, one per message): a
 * record per socket with its fd (SCM_RIGHTS), then an end record. */
enum { VSW_HANDOFF_SOCKET = 1, VSW_HANDOFF_END = 2 };
enum { VSW_HANDOFF_CREATED_DIR = 1 };
struct vsw_handoff_rec {
	unsigned int kind;
	unsigned int flags;
	int keeper_pid; /* for log lines: the handoff socket's creds are vswd's */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};
/* <run_dir>/vswd.handoff into buf; -1 when it does not fit a socket path. */
int vsw_sockhold_handoff_path(const char *run_dir, char *buf, size_t size);

#endif
