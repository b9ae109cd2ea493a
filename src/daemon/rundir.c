/* Owns keeping vswd reachable when its files are removed under it (an
 * rm -rf of the run directory while it runs): once a second the pid file,
 * the control socket and the vhost-user server sockets are checked, and
 * what is gone is made again, so vswctl and new frontends can connect and a
 * second vswd still cannot start there. Forwarding never depended on the
 * files: open sockets and connections keep working meanwhile. If another
 * vswd has taken the run directory since, it is left to that one. */
#include "common/log.h"
#include "daemon/daemon.h"
#include "vhost_user/vhost_port.h"

void vswd_rundir_check(struct vswd *d)
{
	if (vsw_runlock_check(&d->lock) == VSW_PATH_TAKEN)
		return;
	if (d->rpc != NULL)
		vsw_rpc_server_check(d->rpc);
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++)
		if (d->sw.ports[i] != NULL)
			vsw_vhost_port_check_socket(d->sw.ports[i]);
}
