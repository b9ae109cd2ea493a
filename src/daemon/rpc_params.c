/* Owns the checking of control-socket params shared by the methods: names
 * of ports and networks with helpful lists, unknown keys, and loading the
 * running configuration with a change through the file's rules. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control/config_json.h"
#include "daemon/rpc_params.h"

json_t *rpc_fail(struct vsw_rpc_error *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->code = code;
	return NULL;
}

/* Params must be among allowed (NULL-terminated); unknown ones are errors,
 * so that a typo is not silently ignored. */
bool rpc_check_params(json_t *params, const char *const *allowed, struct vsw_rpc_error *e)
{
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v) {
		bool ok = false;
		for (int i = 0; allowed[i] != NULL; i++)
			ok |= strcmp(key, allowed[i]) == 0;
		if (!ok) {
			char hint[256] = "";
			for (int i = 0; allowed[i] != NULL; i++) {
				strncat(hint, i ? ", " : "", sizeof(hint) - strlen(hint) - 1);
				strncat(hint, allowed[i], sizeof(hint) - strlen(hint) - 1);
			}
			rpc_fail(e, VSW_RPC_INVALID_PARAMS, "unknown parameter '%s' (allowed: %s)", key,
			     hint[0] ? hint : "none");
			return false;
		}
	}
	return true;
}

const char *rpc_str_param(json_t *params, const char *key, bool required,
			     struct vsw_rpc_error *e)
{
	json_t *v = json_object_get(params, key);
	if (v == NULL) {
		if (required)
			rpc_fail(e, VSW_RPC_INVALID_PARAMS, "missing parameter '%s'", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		rpc_fail(e, VSW_RPC_INVALID_PARAMS, "parameter '%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

/* "a, b, c" (or "none"): the configured ports' or networks' names, for
 * messages that say what exists. */
static void names(const struct vswd *d, bool ports, char *buf, size_t size)
{
	unsigned int n = ports ? d->cfg.nports : d->cfg.nnetworks;
	buf[0] = '\0';
	for (unsigned int i = 0; i < n; i++) {
		strncat(buf, i ? ", " : "", size - strlen(buf) - 1);
		strncat(buf, ports ? d->cfg.ports[i].name : d->cfg.networks[i].name,
			size - strlen(buf) - 1);
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "none");
}

struct vsw_port *rpc_port_param(struct vswd *d, json_t *params, struct vsw_rpc_error *e)
{
	const char *name = rpc_str_param(params, "name", true, e);
	if (name == NULL)
		return NULL;
	struct vsw_port *p = vsw_switch_find_port(&d->sw, name);
	if (p == NULL) {
		char list[1024];
		names(d, true, list, sizeof(list));
		rpc_fail(e, VSW_RPC_FAILED, "no port named %s; ports are: %s", name, list);
	}
	return p;
}

struct vsw_network *rpc_network_param(struct vswd *d, json_t *params, const char *key,
					 struct vsw_rpc_error *e)
{
	const char *name = rpc_str_param(params, key, true, e);
	if (name == NULL)
		return NULL;
	struct vsw_network *n = vsw_switch_find_network(&d->sw, name);
	if (n == NULL) {
		char list[1024];
		names(d, false, list, sizeof(list));
		rpc_fail(e, VSW_RPC_FAILED, "no network named %s; networks are: %s", name, list);
	}
	return n;
}

/* Reports a configuration error in e, without "request:line:col: " and the
 * list index: they point into text the operator never saw. */
void rpc_config_error(struct vsw_rpc_error *e, const char *section,
		      const struct vsw_config_error *err)
{
	const char *msg = err->msg;
	for (int colons = 0; colons < 3 && strchr(msg, ':'); colons++)
		msg = strchr(msg, ':') + 1;
	while (*msg == ' ')
		msg++;
	const char *dot = strchr(msg, ']');
	if (section[0] != '\0' && strncmp(msg, section, strlen(section)) == 0 && dot != NULL)
		msg = dot[1] == '.' ? dot + 2 : dot[1] == ':' ? dot + 3 : dot + 1;
	rpc_fail(e, VSW_RPC_INVALID_PARAMS, "%s", msg);
}

/* Parses root (the running configuration as a JSON tree, edited by the
 * caller; consumed here) with the configuration file's rules and messages,
 * so the socket accepts and refuses exactly what the file does. */
bool rpc_config_parse_tree(struct vswd *d, json_t *root, const char *section,
			   struct vsw_config *out, struct vsw_rpc_error *e)
{
	struct vsw_config_error err;
	const struct vsw_config_env env = { .cpus = &d->cpus };
	int rc = vsw_config_from_json(out, root, &env, &err);
	json_decref(root);
	if (rc < 0) {
		rpc_config_error(e, section, &err);
		return false;
	}
	snprintf(out->source, sizeof(out->source), "%s", d->cfg.source);
	return true;
}

bool rpc_config_with(struct vswd *d, const char *section, json_t *item,
		     struct vsw_config *out, struct vsw_rpc_error *e)
{
	json_t *root = vsw_config_to_json(&d->cfg);
	if (root == NULL || json_array_append(json_object_get(root, section), item) < 0) {
		json_decref(root);
		rpc_fail(e, VSW_RPC_INTERNAL_ERROR, "out of memory");
		return false;
	}
	return rpc_config_parse_tree(d, root, section, out, e);
}

struct vsw_port *rpc_named_port(struct vswd *d, json_t *params, struct vsw_rpc_error *e)
{
	if (!rpc_check_params(params, (const char *const[]){ "name", NULL }, e))
		return NULL;
	return rpc_port_param(d, params, e);
}

struct vsw_network *rpc_named_network(struct vswd *d, json_t *params, struct vsw_rpc_error *e)
{
	if (!rpc_check_params(params, (const char *const[]){ "name", NULL }, e))
		return NULL;
	return rpc_network_param(d, params, "name", e);
}
