/* Owns the control socket's method table: what operators and vswctl can ask
 * the running daemon. Each method validates its params itself. */
#include <string.h>

#include <rte_version.h>

#include "common/log.h"
#include "daemon.h"

static json_t *m_version(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	(void)ctx;
	(void)params;
	(void)e;
	return json_pack("{s:s, s:s}", "vsw", VSW_VERSION, "dpdk", rte_version());
}

static json_t *m_shutdown(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	struct vswd *d = ctx;
	(void)params;
	(void)e;
	VSW_LOG(NOTICE, control, "shutdown requested on the control socket");
	d->stop = true;
	return json_true();
}

static json_t *m_help(void *ctx, json_t *params, struct vsw_rpc_error *e)
{
	(void)ctx;
	(void)params;
	(void)e;
	json_t *r = json_object();
	for (const struct vsw_rpc_method *m = vsw_rpc_methods; m->name != NULL; m++)
		json_object_set_new(r, m->name, json_string(m->help));
	return r;
}

const struct vsw_rpc_method vsw_rpc_methods[] = {
	{ "version", m_version, "vsw and DPDK versions" },
	{ "shutdown", m_shutdown, "stop the daemon cleanly" },
	{ "help", m_help, "list the methods" },
	{ NULL, NULL, NULL },
};
