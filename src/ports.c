/* Owns the choice of port implementation for a configured port: each type
 * module builds a struct vsw_port with its ops, and the switch attaches it. */
#include <stdio.h>

#include "common/log.h"
#include "daemon.h"

int vswd_port_create(struct vswd *d, const struct vsw_cfg_port *cfg, char *err, size_t errlen)
{
	(void)d;
	snprintf(err, errlen, "port %s: %s ports are not implemented yet", cfg->name,
		 vsw_port_type_name(cfg->type));
	return -1;
}

void vswd_port_info(const struct vsw_port *p, json_t *out)
{
	(void)p;
	(void)out;
}
