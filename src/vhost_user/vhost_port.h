/* A vhost-user device as a switch port (the switch's ops table over
 * src/vhost_user and src/vring). */
#ifndef VSW_VHOST_PORT_H
#define VSW_VHOST_PORT_H

#include <rte_mempool.h>

#include "common/evloop.h"
#include "common/runlock.h"
#include "switch/port.h"
#include "vring/vring.h"

/* Fills port->ops/priv for the configured vhost-user port and creates its
 * socket. sync must wait until no worker uses what it saw before the call
 * (the switch's RCU). Returns 0, or -1 with a message in err. */
int vsw_vhost_port_open(struct vsw_port *port, struct vsw_evloop *loop, struct rte_mempool *pool,
			void (*sync)(void *), void *sync_ctx, char *err, size_t errlen);
/* Applies a changed owner, group and socket_mode of the port's socket file. */
int vsw_vhost_port_set_access(struct vsw_port *port, const struct vsw_cfg_port *c, char *err,
			      size_t errlen);
/* A server port's socket file made again if it was removed (see
 * vsw_vhost_check_socket); OK for other ports. */
enum vsw_path_check vsw_vhost_port_check_socket(struct vsw_port *port);
/* What the frontend negotiated and its queues' counters summed, for
 * port.show; -1 if not a vhost-user port. */
int vsw_vhost_port_state(const struct vsw_port *port, bool *connected, uint64_t *features,
			 uint16_t *running_pairs, struct vsw_vq_stats *st);

#endif
