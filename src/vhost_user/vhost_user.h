/* vsw's vhost-user backend for virtio-net devices: one struct vsw_vhost_dev
 * per configured port. It owns the connection (server or client socket),
 * the protocol state machine, the guest memory mappings and the virtqueues'
 * set-up; it never forwards packets. Workers poll a queue only while its
 * `running` flag is set; every change clears the flag and waits, through
 * the sync callback (the switch's RCU), until no worker is inside. */
#ifndef VSW_VHOST_USER_H
#define VSW_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/evloop.h"
#include "common/runlock.h"
#include "vring/vring.h"

#define VSW_VHOST_MAX_QUEUE_PAIRS 16
#define VSW_VHOST_MAX_VQS (2 * VSW_VHOST_MAX_QUEUE_PAIRS)
#define VSW_VHOST_MAX_MEM_SLOTS 32

struct vsw_vhost_vq {
	struct vsw_vq vq;   /* the engine's state; touched by one worker */
	bool running;       /* workers may use vq (atomic; see vhost_user.h) */
	/* protocol state, control thread only */
	uint16_t num;
	uint64_t desc, avail, used;
	uint32_t addr_flags;     /* SET_VRING_ADDR's flags (VHOST_VRING_F_LOG) */
	uint64_t log_guest_addr; /* the used ring's guest-physical address, for the log */
	bool has_num, has_addr, kicked, enabled;
	bool has_call;      /* SET_VRING_CALL seen (an fd, or "no fd": the driver polls) */
	uint32_t base;      /* SET_VRING_BASE, or where the queue was when it stopped */
	int kick_fd, call_fd, err_fd;
	struct vsw_vq_stats saved; /* carried over when the queue is set up again */
} __rte_cache_aligned;

struct vsw_vhost_ops {
	/* Returns once no worker can still be using a queue it saw running. */
	void (*sync)(void *ctx);
	/* Link up: at least one queue pair runs. */
	void (*link)(void *ctx, bool up);
	/* SEND_RARP (the guest arrived here by live migration): make mac
	 * known on this port now. Optional. */
	void (*announce)(void *ctx, const uint8_t mac[6]);
};

struct vsw_vhost_settings {
	const char *name;     /* port name, for log lines */
	const char *path;     /* socket path */
	bool client;          /* vsw connects; else vsw listens */
	uint16_t queue_pairs; /* 1-16 */
	uint64_t disabled_features; /* virtio feature bits not to offer */
	uint16_t mtu;
	uint32_t max_pkt_len;
	bool has_owner, has_group;
	uid_t owner;
	gid_t group;
	int socket_mode; /* -1: leave */
};

struct vsw_vhost_dev;

/* Creates the device and its socket (listening, or connecting with
 * back-off). Returns NULL with a message in err (e.g. the path is in use). */
struct vsw_vhost_dev *vsw_vhost_create(const struct vsw_vhost_settings *s,
				       struct vsw_evloop *loop, const struct vsw_vhost_ops *ops,
				       void *ctx, char *err, size_t errlen);
/* Stops the queues (through sync), closes everything, removes a server
 * socket file. */
void vsw_vhost_destroy(struct vsw_vhost_dev *dev);

/* Server: if the socket file was removed, makes it again (owner and mode
 * too) and logs it; leaves a path another process has taken since. */
enum vsw_path_check vsw_vhost_check_socket(struct vsw_vhost_dev *dev);

/* Changes a server socket's owner, group and mode (kept for a client). */
int vsw_vhost_set_socket_access(struct vsw_vhost_dev *dev, bool has_owner, uid_t owner,
				bool has_group, gid_t group, int mode, char *err, size_t errlen);

/* The queue pair's guest RX (we enqueue) and TX (we dequeue) queues. */
struct vsw_vhost_vq *vsw_vhost_rxq(struct vsw_vhost_dev *dev, uint16_t pair);
struct vsw_vhost_vq *vsw_vhost_txq(struct vsw_vhost_dev *dev, uint16_t pair);
/* How many queue pairs, from 0, have a running guest RX queue. */
uint16_t vsw_vhost_running_rx_pairs(const struct vsw_vhost_dev *dev);
bool vsw_vhost_connected(const struct vsw_vhost_dev *dev);
uint64_t vsw_vhost_features(const struct vsw_vhost_dev *dev);

/* Offered virtio features before per-port masking. */
uint64_t vsw_vhost_supported_features(void);

/* For tests and the fuzzer: serve an already connected socket (as if
 * accepted); the device then behaves as in server mode. */
struct vsw_vhost_dev *vsw_vhost_create_on_fd(const struct vsw_vhost_settings *s,
					     struct vsw_evloop *loop,
					     const struct vsw_vhost_ops *ops, void *ctx, int fd);
/* Handles whatever is readable on the connection now; false once the
 * connection was closed (by the peer or for an error). */
bool vsw_vhost_poll(struct vsw_vhost_dev *dev);

#endif
