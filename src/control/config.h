/* vsw's configuration: its YAML loader (libyaml) and dumper over the data
 * model of common/cfg_types.h. Loading validates everything up front so that a bad file
 * never half-starts the daemon: the first problem is reported as
 * "file:line:column: key: what is wrong (allowed: ...)". */
#ifndef VSW_CONFIG_H
#define VSW_CONFIG_H

#include <sched.h>
#include <stddef.h>

#include "common/cfg_types.h"

struct vsw_config_error {
	char msg[1024];
};

/* The CPUs configs may name; NULL means this process's affinity set. */
struct vsw_config_env {
	const cpu_set_t *cpus;
};

/* Parse YAML text; name is used in messages. Returns 0, or -1 with err set. */
int vsw_config_parse(struct vsw_config *cfg, const char *text, size_t len, const char *name,
		     const struct vsw_config_env *env, struct vsw_config_error *err);
int vsw_config_load_file(struct vsw_config *cfg, const char *path,
			 const struct vsw_config_env *env, struct vsw_config_error *err);
/* The built-in default: one host-only network with two vhost-user sockets. */
int vsw_config_load_default(struct vsw_config *cfg, const struct vsw_config_env *env,
			    struct vsw_config_error *err);
/* Writes the default's YAML text (for --check and docs) into buf. */
int vsw_config_default_yaml(char *buf, size_t size, const struct vsw_config_env *env);

/* The configuration as YAML that vsw_config_parse reads back to the same
 * values (malloc'ed; NULL when out of memory). */
char *vsw_config_dump_yaml(const struct vsw_config *cfg);
const struct vsw_cfg_network *vsw_config_find_network(const struct vsw_config *cfg,
						      const char *name);
const struct vsw_cfg_port *vsw_config_find_port(const struct vsw_config *cfg, const char *name);
const char *vsw_net_mode_name(enum vsw_net_mode mode);
const char *vsw_port_type_name(enum vsw_port_type type);
/* What disable_features: may name, NULL-terminated; bit i of a port's
 * disabled_features is the i-th name. */
extern const char *const vsw_feature_names[];

#endif
