/* Owns the daemon's start and stop sequence over the modules: control socket,
 * vhost-user ports, workers. Stop undoes start in reverse order and removes
 * every file the daemon created. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "control/rpc.h"
#include "control/telemetry.h"
#include "daemon/daemon.h"

static void publish_telemetry(struct vswd *d)
{
	static struct vsw_tele_port tp[VSW_MAX_PORTS];
	struct vsw_tele_core tc[VSW_MAX_CORES];
	unsigned int np = 0;
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++) {
		const struct vsw_port *p = d->sw.ports[i];
		if (p == NULL)
			continue;
		struct vsw_port_counters c;
		vsw_port_counters_sum(p, &c);
		struct vsw_tele_port *t = &tp[np++];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", p->name);
		snprintf(t->network, sizeof(t->network), "%s", p->net->cfg.name);
		snprintf(t->type, sizeof(t->type), "%s", vsw_port_type_name(p->cfg.type));
		t->link_up = p->link_up;
		t->rx_packets = c.rx_packets;
		t->rx_bytes = c.rx_bytes;
		t->tx_packets = c.tx_packets;
		t->tx_bytes = c.tx_bytes;
		for (int r = 0; r < VSW_DROP__MAX; r++)
			t->drops += c.drops[r];
	}
	for (unsigned int i = 0; i < d->sw.nworkers; i++)
		tc[i] = (struct vsw_tele_core){ .cpu = d->sw.workers[i]->cpu,
						.packets = d->sw.workers[i]->stats.packets,
						.busy_cycles = d->sw.workers[i]->stats.busy_cycles,
						.idle_cycles = d->sw.workers[i]->stats.idle_cycles };
	vsw_telemetry_publish(tp, np, tc, d->sw.nworkers);
	struct vsw_tele_nat tn[VSW_MAX_NETWORKS];
	vsw_telemetry_publish_nat(tn, vswd_nat_telemetry(d, tn, VSW_MAX_NETWORKS));
}

static void on_tick(void *arg)
{
	struct vswd *d = arg;
	vsw_switch_tick(&d->sw);
	vswd_poll_links(d);
	vswd_nat_tick(d);
	vswd_rundir_check(d);
	publish_telemetry(d);
	d->tick_timer = vsw_ev_timer_add(d->loop, 1000, on_tick, d);
}

int vswd_start(struct vswd *d, char *err, size_t errlen)
{
	if (vswd_pools_create(d, err, errlen) < 0)
		return -1;
	if (vsw_switch_init(&d->sw, &d->cfg, err, errlen) < 0)
		return -1;
	d->sw_up = true;
	for (unsigned int i = 0; i < d->cfg.nnetworks; i++)
		if (d->cfg.networks[i].mode == VSW_NET_HOST_ONLY &&
		    vswd_host_if_create(d, &d->cfg.networks[i], err, errlen) < 0)
			return -1;
	for (unsigned int i = 0; i < d->cfg.nports; i++)
		if (vswd_port_create(d, &d->cfg.ports[i], err, errlen) < 0)
			return -1;
	d->tick_timer = vsw_ev_timer_add(d->loop, 1000, on_tick, d);
	if (vsw_telemetry_init() != 0)
		VSW_LOG(WARNING, control, "cannot register /vsw telemetry commands");
	publish_telemetry(d);
	d->rpc = vsw_rpc_server_start(d->loop, d->cfg.control_socket, d->cfg.control_socket_mode,
				      vsw_rpc_methods, d, err, errlen);
	if (d->rpc == NULL)
		return -1;
	VSW_LOG(INFO, control, "control socket %s", d->cfg.control_socket);
	return 0;
}

void vswd_stop(struct vswd *d)
{
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++)
		vswd_capture_forget(d, (uint16_t)i);
	if (d->capture_timer)
		vsw_ev_timer_cancel(d->loop, d->capture_timer);
	vsw_rpc_server_stop(d->rpc);
	d->rpc = NULL;
	if (d->tick_timer)
		vsw_ev_timer_cancel(d->loop, d->tick_timer);
	if (d->sw_up)
		vsw_switch_fini(&d->sw);
	d->sw_up = false;
	vswd_pools_free(d); /* the ports gave their mbufs back */
}

void vswd_print_banner(const struct vswd *d, FILE *out)
{
	const struct vsw_config *cfg = &d->cfg;
	fprintf(out, "vswd %s running (configuration %s), control socket %s\n", VSW_VERSION,
		cfg->source, cfg->control_socket);
	for (unsigned int i = 0; i < cfg->nports; i++) {
		const struct vsw_cfg_port *p = &cfg->ports[i];
		if (p->type != VSW_PORT_VHOST_USER)
			continue;
		fprintf(out, "port %s (network %s): vhost-user %s %s\n", p->name, p->network,
			p->client ? "client, connecting to" : "server socket", p->path);
	}
	for (unsigned int i = 0; i < cfg->nports; i++) {
		const struct vsw_cfg_port *p = &cfg->ports[i];
		if (p->type != VSW_PORT_VHOST_USER)
			continue;
		char mq_netdev[32] = "", mq_dev[48] = "";
		if (p->queues > 1) {
			snprintf(mq_netdev, sizeof(mq_netdev), ",queues=%u", p->queues);
			snprintf(mq_dev, sizeof(mq_dev), ",mq=on,vectors=%u", 2 * p->queues + 2);
		}
		fprintf(out,
			"\nConnect a QEMU guest to port %s:\n"
			"  qemu-system-x86_64 -machine q35,accel=kvm:tcg -m 1G \\\n"
			"    -object memory-backend-memfd,id=mem0,size=1G,share=on -numa node,memdev=mem0 \\\n"
			"    -chardev socket,id=chr0,path=%s%s \\\n"
			"    -netdev vhost-user,id=net0,chardev=chr0%s \\\n"
			"    -device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:%02x%s \\\n"
			"    -drive file=guest.qcow2,if=virtio\n",
			p->name, p->path, p->client ? ",server=on,wait=off" : ",reconnect=1",
			mq_netdev, (i + 1) & 0xff, mq_dev);
	}
}
