/* The vhost-user device's private state, shared by device.c (protocol) and
 * conn.c (sockets and framing). Not for other modules. */
#ifndef VSW_VHOST_DEVICE_PRIV_H
#define VSW_VHOST_DEVICE_PRIV_H

#include <stdarg.h>
#include <sys/un.h>

#include "vhost_user/proto.h"
#include "vhost_user/vhost_user.h"

/* A shared mapping of part of a file the frontend sent (device.c). */
struct vsw_file_map {
	uint8_t *at; /* our pointer to the part's first byte */
	void *addr;  /* the mapping (NULL: none) */
	size_t len;
	int guard;   /* its SIGBUS guard slot (mem_guard.h) */
};

struct vsw_vhost_dev {
	struct vsw_vhost_settings s;
	char name[32];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vsw_evloop *loop;
	const struct vsw_vhost_ops *ops;
	void *ctx;
	/* Ends the connection for why (set by conn.c, which owns it): what the
	 * protocol side calls when guest memory fails under it. */
	void (*fail)(struct vsw_vhost_dev *dev, const char *why);
	/* connection */
	int listen_fd, conn_fd;
	bool owns_path;        /* server: we created the socket file */
	dev_t sock_dev;        /* server: that file, to tell it from another one */
	ino_t sock_ino;
	bool lost_logged;      /* server: its removal and what came of it was logged */
	uint64_t retry_timer;  /* client: reconnect timer id */
	uint32_t backoff_ms;
	bool waiting_logged;
	/* the message being received */
	uint8_t rx[sizeof(struct vhost_user_hdr) + VHOST_USER_MAX_PAYLOAD];
	size_t rx_got;
	int rx_fds[VHOST_USER_MAX_FDS];
	int rx_nfds;
	/* protocol state */
	uint64_t offered; /* virtio features offered: supported minus the port's disabled ones */
	uint64_t offered_protocol;
	uint64_t features, protocol_features;
	bool features_set, owner, link_up;
	bool owner_reset;      /* RESET_OWNER seen: SET_OWNER may come again */
	unsigned int nrunning; /* queues with running set */
	uint8_t status;
	uint16_t mtu;
	struct vsw_guest_mem mem;
	/* The dirty log for live migration (SET_LOG_BASE): log_size bytes at
	 * log.at; the queues use it while LOG_ALL is negotiated. */
	struct vsw_file_map log;
	uint64_t log_size;
	int log_fd; /* SET_LOG_FD's eventfd, kept until replaced (-1: none) */
	struct vsw_vhost_vq *vqs[VSW_VHOST_MAX_VQS];
};

const char *vsw_vhost_req_name(uint32_t req);
/* Handles one complete message; fds not consumed stay in fds for the
 * caller to close. Returns -1 when the connection must close. */
int vsw_vhost_handle(struct vsw_vhost_dev *dev, const struct vhost_user_hdr *hdr,
		     const uint8_t *payload, int *fds, int nfds);
struct vsw_vhost_dev *vsw_vhost_alloc(const struct vsw_vhost_settings *s,
				      struct vsw_evloop *loop, const struct vsw_vhost_ops *ops,
				      void *ctx);
void vsw_vhost_reset(struct vsw_vhost_dev *dev);
void vsw_vhost_free(struct vsw_vhost_dev *dev);
void vsw_vhost_unmap_all(struct vsw_vhost_dev *dev);

#endif
