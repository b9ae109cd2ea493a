/* Param checking shared by the control socket's methods (rpc_params.c).
 * Each returns NULL/false with e filled in when the request is wrong. */
#ifndef VSW_RPC_PARAMS_H
#define VSW_RPC_PARAMS_H

#include <stdbool.h>

#include "daemon/daemon.h"

json_t *rpc_fail(struct vsw_rpc_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool rpc_check_params(json_t *params, const char *const *allowed, struct vsw_rpc_error *e);
const char *rpc_str_param(json_t *params, const char *key, bool required,
			     struct vsw_rpc_error *e);
struct vsw_port *rpc_port_param(struct vswd *d, json_t *params, struct vsw_rpc_error *e);
struct vsw_network *rpc_network_param(struct vswd *d, json_t *params, const char *key,
					 struct vsw_rpc_error *e);
/* For methods whose one parameter, "name", names a port (a network). */
struct vsw_port *rpc_named_port(struct vswd *d, json_t *params, struct vsw_rpc_error *e);
struct vsw_network *rpc_named_network(struct vswd *d, json_t *params, struct vsw_rpc_error *e);
/* The running configuration with item appended to its section ("networks"
 * or "ports"), parsed by the file's rules into out. */
bool rpc_config_with(struct vswd *d, const char *section, json_t *item,
		     struct vsw_config *out, struct vsw_rpc_error *e);
/* Parses root, the running configuration as a JSON tree edited by the
 * caller (consumed), by the file's rules into out. */
bool rpc_config_parse_tree(struct vswd *d, json_t *root, const char *section,
			   struct vsw_config *out, struct vsw_rpc_error *e);
void rpc_config_error(struct vsw_rpc_error *e, const char *section,
		      const struct vsw_config_error *err);

#endif
