/* The configuration loader's parse context and typed YAML accessors
 * (config_yaml.c), shared by config.c and config_nat.c; private to the
 * loader. Every accessor returns 0, or -1 with the context's msg set to
 * "file:line:column: key: message"; key is the dotted path of the value
 * (parent plus name). An optional key that is absent leaves *out as it was,
 * so callers set defaults first. */
#ifndef VSW_CONFIG_YAML_H
#define VSW_CONFIG_YAML_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "common/cfg_types.h"

struct vsw_config_env;

struct pctx {
	yaml_document_t *doc;
	const char *file;
	const struct vsw_config_env *env;
	cpu_set_t own_cpus;
	/* Where cy_fail writes: a struct vsw_config_error's msg, kept as bytes so
	 * that this layer needs nothing of config.h. */
	char *msg;
	size_t msg_size;
};

/* Runs the statement after it once for each item of the list seq (none when
 * seq is NULL, an absent list), with item naming the item's node. The inner
 * loop runs once; item##_more (an int: libyaml's yaml_node_item_t) ends the
 * outer one too when the body breaks. */
#define FOR_EACH_ITEM(p, seq, item)                                                     \
	for (yaml_node_item_t *item##_at = (seq) ? (seq)->data.sequence.items.start : NULL,  \
			      item##_more = 1;                                            \
	     item##_more && item##_at != NULL && item##_at < (seq)->data.sequence.items.top;  \
	     item##_more = !item##_more, item##_at++)                                       \
		for (yaml_node_t *item = cy_node_at(p, *item##_at); item##_more; item##_more = 0)

/* Reports a problem at node (line 1 when NULL); always returns -1. */
int cy_fail(struct pctx *p, const yaml_node_t *node, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Nodes and keys. */
yaml_node_t *cy_node_at(struct pctx *p, int id);
const char *cy_scalar(const yaml_node_t *n);
const char *cy_node_kind(const yaml_node_t *n);
int cy_check_keys(struct pctx *p, yaml_node_t *map, const char *key, const char *const *allowed);
yaml_node_t *cy_get(struct pctx *p, yaml_node_t *map, const char *name);
void cy_sub_key(char *out, size_t size, const char *parent, const char *child);
/* The key name of map (NULL when absent), with key set to its dotted path
 * parent.name either way: the prologue of every accessor. */
yaml_node_t *cy_member(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		       char *key, size_t key_size);
int cy_require(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
	       const char *why);

/* Typed values: cy_get_uint reads node n itself, the others the key name
 * of map (reported as parent.name). */
int cy_get_uint(struct pctx *p, yaml_node_t *n, const char *key, unsigned long min,
		unsigned long max, unsigned long *out);
int cy_get_u32(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
	       unsigned long min, unsigned long max, uint32_t *out);
int cy_get_u16(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
	       unsigned long min, unsigned long max, uint16_t *out);
int cy_get_bool(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		bool *out);
int cy_get_str(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
	       char *out, size_t size);
int cy_get_name(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		char *out);
int cy_get_ipv4(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		uint32_t *out);
int cy_get_prefix(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		  struct vsw_ipv4_prefix *out, bool *present);
int cy_get_enum(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		const char *const *names, int *out);
/* The list key name of map in *out (NULL when absent, which FOR_EACH_ITEM
 * takes as empty) and its dotted path in key. */
int cy_get_list(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		char *key, size_t key_size, yaml_node_t **out);

/* Text checks without a node: 1 when s is a valid vsw name, 0 when not;
 * the parsers return 0, or -1 when s is not an address. */
int cy_valid_name(const char *s);
int cy_parse_ipv4(const char *s, uint32_t *out);
int cy_parse_mac(const char *s, uint8_t mac[6]);

#endif
