/* One vhost-user virtio-net device (the back-end side of one port): the
 * protocol state machine of its current connection, the guest memory it maps
 * and the virtqueues it sets up for the switch. It tells the switch when a
 * queue may be polled and when it must be left alone (struct vsw_vhost_ops)
 * and never moves packets itself. Main lcore only, like every syscall. */
#ifndef VSW_VHOST_DEVICE_H
#define VSW_VHOST_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "vring/vring.h"

#define VSW_VHOST_MAX_QUEUE_PAIRS 16

/* Virtio features a device offers unless the port disables them. */
#define VSW_VHOST_OFFERED_FEATURES                                                    \
	((1ull << VSW_VIRTIO_F_VERSION_1) | (1ull << VSW_VIRTIO_NET_F_MRG_RXBUF) |    \
	 (1ull << VSW_VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VSW_VIRTIO_RING_F_EVENT_IDX) | \
	 (1ull << VSW_VIRTIO_F_RING_PACKED) | (1ull << VSW_VIRTIO_NET_F_MQ) |          \
	 (1ull << VSW_VIRTIO_NET_F_MTU))

/* What the switch does when the device changes state. All are called on the
 * main lcore, from inside vsw_vhost_dev_process() or _detach(). */
struct vsw_vhost_ops {
	/* Queue qid (even: guest RX, we enqueue; odd: guest TX, we dequeue)
	 * is set up: workers may poll vsw_vhost_dev_vq(dev, qid) from now on. */
	void (*queue_start)(void *ctx, uint16_t qid);
	/* Workers must leave queue qid alone. Must return only once no worker
	 * touches it any more (RCU quiescence): the device then rewrites or
	 * unmaps what the queue points into. */
	void (*queue_stop)(void *ctx, uint16_t qid);
	/* Link up: the first queue started; down: the last one stopped. Optional. */
	void (*link)(void *ctx, bool up);
	/* SEND_RARP after a migration: broadcast a RARP for mac. Optional. */
	void (*send_rarp)(void *ctx, const uint8_t mac[6]);
};

struct vsw_vhost_settings {
	const char *name;            /* port name, for log lines (copied) */
	uint16_t queue_pairs;        /* 1..VSW_VHOST_MAX_QUEUE_PAIRS (0: 1) */
	uint64_t disabled_features;  /* virtio feature bits (1ull << bit) not offered */
	uint32_t max_pkt_len;        /* per queue, see vsw_vq_setup (0: default) */
};

struct vsw_vhost_dev;

/* NULL on bad settings or no memory. */
struct vsw_vhost_dev *vsw_vhost_dev_create(const struct vsw_vhost_settings *s,
					   const struct vsw_vhost_ops *ops, void *ctx);
/* Detaches (stopping queues through ops) and frees. */
void vsw_vhost_dev_destroy(struct vsw_vhost_dev *dev);

/* A frontend connected on fd (a connected AF_UNIX stream socket; made
 * non-blocking here). The device owns fd from now on. -EBUSY if attached. */
int vsw_vhost_dev_attach(struct vsw_vhost_dev *dev, int fd);
/* Reads and handles the messages waiting on the connection. Returns 0 to
 * keep it, or -1: the frontend left or broke the protocol (logged, error
 * reply sent); the caller must then call vsw_vhost_dev_detach(). */
int vsw_vhost_dev_process(struct vsw_vhost_dev *dev);
/* Ends the connection: stops every queue (ops->queue_stop), unmaps guest
 * memory, closes every fd, forgets the negotiation. The device waits for
 * the next attach. Safe when not attached. */
void vsw_vhost_dev_detach(struct vsw_vhost_dev *dev);

/* The connection fd, -1 when detached. */
int vsw_vhost_dev_fd(const struct vsw_vhost_dev *dev);
const char *vsw_vhost_dev_name(const struct vsw_vhost_dev *dev);

/* 2 * queue_pairs: valid qids are below this. */
uint16_t vsw_vhost_dev_num_queues(const struct vsw_vhost_dev *dev);
/* The queue's engine state; the pointer is stable for the device's life,
 * but workers may only use it between queue_start and queue_stop. */
struct vsw_vq *vsw_vhost_dev_vq(struct vsw_vhost_dev *dev, uint16_t qid);
bool vsw_vhost_dev_queue_running(const struct vsw_vhost_dev *dev, uint16_t qid);

uint64_t vsw_vhost_dev_offered_features(const struct vsw_vhost_dev *dev);
uint64_t vsw_vhost_dev_features(const struct vsw_vhost_dev *dev); /* negotiated */
uint64_t vsw_vhost_dev_protocol_features(const struct vsw_vhost_dev *dev);
/* From NET_SET_MTU; 0 if the frontend sent none. */
uint16_t vsw_vhost_dev_mtu(const struct vsw_vhost_dev *dev);

/* The config's VSW_FEAT_* bits (control/config.h) as virtio feature bits,
 * for vsw_vhost_settings.disabled_features. */
uint64_t vsw_vhost_features_from_cfg(uint32_t vsw_feat_bits);

#endif
