/* port.set, network.set and config.set (rpc_set.c), listed in rpc_methods.c's table. */
#ifndef VSW_RPC_SET_H
#define VSW_RPC_SET_H

#include "control/rpc.h"

json_t *vswd_m_port_set(void *ctx, json_t *params, struct vsw_rpc_error *e);
json_t *vswd_m_network_set(void *ctx, json_t *params, struct vsw_rpc_error *e);
json_t *vswd_m_config_set(void *ctx, json_t *params, struct vsw_rpc_error *e);

#endif
