/* The copy-once path between guests (see direct.c). */
#ifndef VSW_DIRECT_H
#define VSW_DIRECT_H

#include <stdbool.h>
#include <stdint.h>

#include "switch/bridge.h"

/* Forwards the run of frames at the head of in's rx queue q that can go
 * from guest to guest without an mbuf; returns how many. *rest: frames
 * are waiting that must be received the usual way (or the port has no
 * such path); false when the queue was simply drained. */
uint16_t vsw_direct_input(struct vsw_fwd_ctx *c, struct vsw_port *in, uint16_t q, bool *rest);

#endif
