/* Owns the running configuration as a JSON tree, for run-time changes: the
 * tree is the YAML dump read back, so a change is "edit one item, parse the
 * whole document again" and goes through exactly the file's rules. Plain
 * scalars that are integers or booleans become JSON numbers and booleans
 * (the parser wants those plain); everything else stays a string. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "control/config_json.h"

static json_t *scalar(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
			return json_boolean(s[0] == 't');
		const char *c = s;
		while (*c && isdigit((unsigned char)*c))
			c++;
		/* Canonical digits only: "007" stays text, as the parser saw it. */
		if (c != s && *c == '\0' && c - s < 18 && (s[0] != '0' || s[1] == '\0'))
			return json_integer(strtoll(s, NULL, 10));
	}
	return json_string(s);
}

static json_t *convert(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	if (n == NULL || depth > 16)
		return NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return scalar(n);
	case YAML_SEQUENCE_NODE: {
		json_t *a = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     a != NULL && i < n->data.sequence.items.top; i++) {
			json_t *v = convert(doc, yaml_document_get_node(doc, *i), depth + 1);
			if (v == NULL || json_array_append_new(a, v) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case YAML_MAPPING_NODE: {
		json_t *o = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     o != NULL && p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			json_t *v = convert(doc, yaml_document_get_node(doc, p->value), depth + 1);
			if (k == NULL || k->type != YAML_SCALAR_NODE || v == NULL ||
			    json_object_set_new(o, (const char *)k->data.scalar.value, v) < 0) {
				json_decref(v);
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	default:
		return NULL;
	}
}

json_t *vsw_config_to_json(const struct vsw_config *cfg)
{
	char *text = vsw_config_dump_yaml(cfg);
	if (text == NULL)
		return NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	json_t *out = NULL;
	if (yaml_parser_initialize(&parser)) {
		yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
		if (yaml_parser_load(&parser, &doc)) {
			out = convert(&doc, yaml_document_get_root_node(&doc), 0);
			yaml_document_delete(&doc);
		}
		yaml_parser_delete(&parser);
	}
	free(text);
	return out;
}

json_t *vsw_config_json_item(json_t *root, const char *section, const char *name, size_t *index)
{
	json_t *list = json_object_get(root, section);
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		const char *n = json_string_value(json_object_get(item, "name"));
		if (n != NULL && strcmp(n, name) == 0) {
			if (index != NULL)
				*index = i;
			return item;
		}
	}
	return NULL;
}

int vsw_config_from_json(struct vsw_config *cfg, const json_t *root,
			 const struct vsw_config_env *env, struct vsw_config_error *err)
{
	char *text = json_dumps(root, JSON_PRESERVE_ORDER);
	if (text == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	int rc = vsw_config_parse(cfg, text, strlen(text), "request", env, err);
	free(text);
	return rc;
}
