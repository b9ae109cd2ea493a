/* The control socket's NAT methods (rpc_nat.c). */
#ifndef VSW_RPC_NAT_H
#define VSW_RPC_NAT_H

#include "control/rpc.h"

json_t *vswd_m_nat_show(void *ctx, json_t *params, struct vsw_rpc_error *e);
json_t *vswd_m_nat_leases(void *ctx, json_t *params, struct vsw_rpc_error *e);
json_t *vswd_m_nat_sessions(void *ctx, json_t *params, struct vsw_rpc_error *e);
json_t *vswd_m_nat_forwards(void *ctx, json_t *params, struct vsw_rpc_error *e);
json_t *vswd_m_nat_forward_add(void *ctx, json_t *params, struct vsw_rpc_error *e);
json_t *vswd_m_nat_forward_del(void *ctx, json_t *params, struct vsw_rpc_error *e);
/* The "nat" part of port.show for a gateway port; NULL for other ports. */
json_t *vswd_nat_port_json(const struct vsw_port *p);

#endif
