/* Owns the checking of control-socket params shared by the methods: names
 * of ports and networks with helpful lists, unknown keys, and loading the
 * running configuration with a change through the file's rules. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_params.h"

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

void rpc_port_names(const struct vswd *d, char *buf, size_t size)
{
	buf[0] = '\0';
	for (unsigned int i = 0; i < d->cfg.nports; i++) {
		strncat(buf, i ? ", " : "", size - strlen(buf) - 1);
		strncat(buf, d->cfg.ports[i].name, size - strlen(buf) - 1);
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "none");
}

void rpc_network_names(const struct vswd *d, char *buf, size_t size)
{
	buf[0] = '\0';
	for (unsigned int i = 0; i < d->cfg.nnetworks; i++) {
		strncat(buf, i ? ", " : "", size - strlen(buf) - 1);
		strncat(buf, d->cfg.networks[i].name, size - strlen(buf) - 1);
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
		char names[1024];
		rpc_port_names(d, names, sizeof(names));
		rpc_fail(e, VSW_RPC_FAILED, "no port named %s; ports are: %s", name, names);
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
		char names[1024];
		rpc_network_names(d, names, sizeof(names));
		rpc_fail(e, VSW_RPC_FAILED, "no network named %s; networks are: %s", name, names);
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

/* Loads the running configuration with one more network or port, through
 * the file parser, so the same rules and messages apply. On success *out
 * holds the new configuration. */
bool rpc_config_with(struct vswd *d, const char *section, json_t *item,
			struct vsw_config *out, struct vsw_rpc_error *e)
{
	char *js = json_dumps(item, 0);
	bool is_net = strcmp(section, "networks") == 0;
	char *text = js ? vsw_config_dump_yaml_with(&d->cfg, is_net ? js : NULL, is_net ? NULL : js)
			: NULL;
	free(js);
	if (text == NULL) {
		rpc_fail(e, VSW_RPC_INTERNAL_ERROR, "out of memory");
		return false;
	}
	struct vsw_config_error err;
	const struct vsw_config_env env = { .cpus = &d->cpus };
	int rc = vsw_config_parse(out, text, strlen(text), "request", &env, &err);
	free(text);
	if (rc < 0) {
		rpc_config_error(e, section, &err);
		return false;
	}
	snprintf(out->source, sizeof(out->source), "%s", d->cfg.source);
	return true;
}

