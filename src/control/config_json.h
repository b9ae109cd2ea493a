/* The configuration as a JSON tree and back (see config_json.c). */
#ifndef VSW_CONFIG_JSON_H
#define VSW_CONFIG_JSON_H

#include <jansson.h>

#include "control/config.h"

/* The whole configuration as JSON (new reference), NULL when out of memory. */
json_t *vsw_config_to_json(const struct vsw_config *cfg);
/* The item called name in root's "networks" or "ports" list (borrowed), and its index. */
json_t *vsw_config_json_item(json_t *root, const char *section, const char *name, size_t *index);
/* Parses a JSON tree with the configuration file's rules. */
int vsw_config_from_json(struct vsw_config *cfg, const json_t *root,
			 const struct vsw_config_env *env, struct vsw_config_error *err);

#endif
