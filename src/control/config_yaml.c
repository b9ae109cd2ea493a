/* Owns the typed reading of YAML nodes for the configuration loader: each
 * accessor checks one value against what vsw allows and, when it is wrong,
 * says where and why as "file:line:column: key: message (allowed: ...)",
 * so that config.c and config_nat.c state only the schema and its limits. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/config_yaml.h"

int cy_fail(struct pctx *p, const yaml_node_t *node, const char *key, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	unsigned long line = node ? node->start_mark.line + 1 : 1;
	unsigned long col = node ? node->start_mark.column + 1 : 1;
	if (key != NULL && key[0] != '\0')
		snprintf(p->msg, p->msg_size, "%s:%lu:%lu: %s: %s", p->file, line, col, key, what);
	else
		snprintf(p->msg, p->msg_size, "%s:%lu:%lu: %s", p->file, line, col, what);
	return -1;
}

yaml_node_t *cy_node_at(struct pctx *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

const char *cy_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

const char *cy_node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

/* Checks that a mapping has only allowed keys, each once. allowed is a
 * NULL-terminated list; its text also forms the "allowed:" hint. */
int cy_check_keys(struct pctx *p, yaml_node_t *map, const char *key, const char *const *allowed)
{
	if (map->type != YAML_MAPPING_NODE)
		return cy_fail(p, map, key, "must be a mapping of keys to values, not %s",
			       cy_node_kind(map));
	char hint[512] = "";
	for (int i = 0; allowed[i] != NULL; i++) {
		strncat(hint, i ? ", " : "", sizeof(hint) - strlen(hint) - 1);
		strncat(hint, allowed[i], sizeof(hint) - strlen(hint) - 1);
	}
	for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
	     a++) {
		yaml_node_t *k = cy_node_at(p, a->key);
		const char *name = cy_scalar(k);
		if (name == NULL)
			return cy_fail(p, k, key, "keys must be plain words (allowed: %s)", hint);
		bool known = false;
		for (int i = 0; allowed[i] != NULL; i++)
			known |= strcmp(allowed[i], name) == 0;
		if (!known)
			return cy_fail(p, k, key, "unknown key '%s' (allowed: %s)", name, hint);
		for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < a; b++)
			if (strcmp(cy_scalar(cy_node_at(p, b->key)) ?: "", name) == 0)
				return cy_fail(p, k, key, "key '%s' appears twice", name);
	}
	return 0;
}

yaml_node_t *cy_get(struct pctx *p, yaml_node_t *map, const char *name)
{
	for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
	     a++) {
		const char *k = cy_scalar(cy_node_at(p, a->key));
		if (k != NULL && strcmp(k, name) == 0)
			return cy_node_at(p, a->value);
	}
	return NULL;
}

void cy_sub_key(char *out, size_t size, const char *parent, const char *child)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, size, "%s", child);
	else
		snprintf(out, size, "%s.%s", parent, child);
}

yaml_node_t *cy_member(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		       char *key, size_t key_size)
{
	cy_sub_key(key, key_size, parent, name);
	return cy_get(p, map, name);
}

int cy_get_uint(struct pctx *p, yaml_node_t *n, const char *key, unsigned long min,
		unsigned long max, unsigned long *out)
{
	const char *s = cy_scalar(n);
	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !isdigit((unsigned char)s[0]))
		return cy_fail(p, n, key, "must be a whole number (allowed: %lu-%lu)", min, max);
	errno = 0;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end != '\0')
		return cy_fail(p, n, key, "'%s' is not a whole number (allowed: %lu-%lu)", s, min,
			       max);
	if (errno == ERANGE || v < min || v > max)
		return cy_fail(p, n, key, "%s is out of range (allowed: %lu-%lu)", s, min, max);
	*out = v;
	return 0;
}

int cy_get_u32(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
	       unsigned long min, unsigned long max, uint32_t *out)
{
	char key[128];
	unsigned long v;
	yaml_node_t *n = cy_member(p, map, parent, name, key, sizeof(key));
	if (n == NULL)
		return 0;
	if (cy_get_uint(p, n, key, min, max, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int cy_get_u16(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
	       unsigned long min, unsigned long max, uint16_t *out)
{
	uint32_t v = *out;
	if (cy_get_u32(p, map, parent, name, min, max, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Plain true or false only: YAML 1.1's yes/no/on/off would make "no"
 * (a name, a country code) silently mean false. */
int cy_get_bool(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		bool *out)
{
	char key[128];
	yaml_node_t *n = cy_member(p, map, parent, name, key, sizeof(key));
	if (n == NULL)
		return 0;
	const char *s = cy_scalar(n);
	if (s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
		*out = s[0] == 't';
		return 0;
	}
	return cy_fail(p, n, key, "'%s' is not allowed (allowed: true, false)", s ? s : cy_node_kind(n));
}

/* A non-empty string scalar that fits in size bytes with its NUL. */
int cy_get_str(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
	       char *out, size_t size)
{
	char key[128];
	yaml_node_t *n = cy_member(p, map, parent, name, key, sizeof(key));
	if (n == NULL)
		return 0;
	const char *s = cy_scalar(n);
	if (s == NULL)
		return cy_fail(p, n, key, "must be a text value, not %s", cy_node_kind(n));
	if (s[0] == '\0')
		return cy_fail(p, n, key, "must not be empty");
	if (strlen(s) >= size)
		return cy_fail(p, n, key, "'%s' is too long (at most %zu characters)", s, size - 1);
	/* Zero-filled, so configurations compare whole (memcmp) and dumps
	 * never carry a default's leftover bytes. */
	memset(out, 0, size);
	memcpy(out, s, strlen(s));
	return 0;
}

int cy_valid_name(const char *s)
{
	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

int cy_get_name(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		char *out)
{
	if (cy_get_str(p, map, parent, name, out, VSW_NAME_MAX) < 0)
		return -1;
	if (out[0] != '\0' && !cy_valid_name(out)) {
		char key[128];
		yaml_node_t *n = cy_member(p, map, parent, name, key, sizeof(key));
		return cy_fail(p, n, key,
			       "'%s' is not a valid name (allowed: letters, digits, '-', '_', '.'; "
			       "starting with a letter or digit)",
			       out);
	}
	return 0;
}

int cy_require(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
	       const char *why)
{
	if (cy_get(p, map, name) != NULL)
		return 0;
	return cy_fail(p, map, parent, "missing required key '%s' (%s)", name, why);
}

int cy_parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

int cy_get_ipv4(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		uint32_t *out)
{
	char buf[64] = "";
	if (cy_get_str(p, map, parent, name, buf, sizeof(buf)) < 0)
		return -1;
	if (buf[0] == '\0')
		return 0;
	if (cy_parse_ipv4(buf, out) < 0) {
		char key[128];
		yaml_node_t *n = cy_member(p, map, parent, name, key, sizeof(key));
		return cy_fail(p, n, key,
			       "'%s' is not an IPv4 address (allowed: dotted quad, e.g. 192.0.2.1)",
			       buf);
	}
	return 0;
}

/* "192.0.2.1/24": an address with its prefix length (1-30, so that a
 * network has room for a host besides the one named). */
int cy_get_prefix(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		  struct vsw_ipv4_prefix *out, bool *present)
{
	char buf[64] = "";
	if (cy_get_str(p, map, parent, name, buf, sizeof(buf)) < 0)
		return -1;
	if (buf[0] == '\0')
		return 0;
	char key[128];
	yaml_node_t *n = cy_member(p, map, parent, name, key, sizeof(key));
	char *slash = strchr(buf, '/');
	char *end = NULL;
	unsigned long len = 0;
	if (slash != NULL) {
		*slash = '\0';
		len = strtoul(slash + 1, &end, 10);
	}
	if (slash == NULL || end == slash + 1 || *end != '\0' || len < 1 || len > 30 ||
	    cy_parse_ipv4(buf, &out->addr) < 0) {
		if (slash)
			*slash = '/';
		return cy_fail(p, n, key,
			       "'%s' is not an IPv4 address with prefix length "
			       "(allowed: A.B.C.D/1-30, e.g. 192.168.100.1/24)",
			       buf);
	}
	uint32_t host = out->addr & ~(UINT32_MAX << (32 - len));
	if (host == 0 || host == ~(UINT32_MAX << (32 - len))) {
		*slash = '/';
		return cy_fail(p, n, key,
			       "'%s' is the network or broadcast address; give a host address "
			       "(e.g. the .1 of the network)",
			       buf);
	}
	out->len = (uint8_t)len;
	if (present)
		*present = true;
	return 0;
}

int cy_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -1;
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

int cy_get_enum(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		const char *const *names, int *out)
{
	char key[128], hint[256] = "";
	yaml_node_t *n = cy_member(p, map, parent, name, key, sizeof(key));
	if (n == NULL)
		return 0;
	for (int i = 0; names[i] != NULL; i++) {
		strncat(hint, i ? ", " : "", sizeof(hint) - strlen(hint) - 1);
		strncat(hint, names[i], sizeof(hint) - strlen(hint) - 1);
	}
	const char *s = cy_scalar(n);
	if (s == NULL)
		return cy_fail(p, n, key, "must be one of: %s", hint);
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return cy_fail(p, n, key, "'%s' is not allowed (allowed: %s)", s, hint);
}

int cy_get_list(struct pctx *p, yaml_node_t *map, const char *parent, const char *name,
		char *key, size_t key_size, yaml_node_t **out)
{
	yaml_node_t *n = cy_member(p, map, parent, name, key, key_size);
	*out = NULL;
	if (n == NULL)
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return cy_fail(p, n, key, "must be a list, not %s", cy_node_kind(n));
	*out = n;
	return 0;
}
