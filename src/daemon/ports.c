/* Owns the choice of port implementation for a configured port: each type
 * module fills a struct vsw_port with its ops, and the switch attaches it. */
#include <stdio.h>

#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/rpc_nat.h"
#include "pmd/ethdev_port.h"
#include "pmd/host_if.h"
#include "vhost_user/vhost_port.h"
#include "vhost_user/vhost_user.h"

static void switch_sync(void *ctx)
{
	vsw_switch_sync(ctx);
}

int vswd_port_create(struct vswd *d, const struct vsw_cfg_port *cfg, char *err, size_t errlen)
{
	if (vsw_switch_find_port(&d->sw, cfg->name) != NULL) {
		snprintf(err, errlen, "port %s exists already", cfg->name);
		return -1;
	}
	const struct vsw_cfg_network *nat = vswd_nat_uplink_of(d, cfg);
	if (nat != NULL)
		return vswd_gateway_create(d, cfg, nat, err, errlen);
	struct rte_mempool *mp = vswd_pool_for(d, cfg, err, errlen);
	if (mp == NULL)
		return -1;
	struct vsw_port *p = vsw_switch_port_alloc(&d->sw, cfg, err, errlen);
	if (p == NULL)
		return -1;
	int rc = -1;
	switch (cfg->type) {
	case VSW_PORT_VHOST_USER:
		rc = vsw_vhost_port_open(p, d->loop, mp, switch_sync, &d->sw, err, errlen);
		break;
	case VSW_PORT_ETHDEV:
		rc = vsw_ethdev_port_open(p, cfg, d->sw.nworkers, mp, err, errlen);
		break;
	}
	if (rc < 0) {
		vsw_switch_port_free(&d->sw, p);
		return -1;
	}
	vsw_switch_port_attach(&d->sw, p);
	return 0;
}

static const struct {
	int bit;
	const char *name;
} virtio_features[] = {
	{ VSW_VIRTIO_F_VERSION_1, "version_1" },
	{ VSW_VIRTIO_NET_F_MRG_RXBUF, "mrg_rxbuf" },
	{ VSW_VIRTIO_RING_F_INDIRECT_DESC, "indirect_desc" },
	{ VSW_VIRTIO_RING_F_EVENT_IDX, "event_idx" },
	{ VSW_VIRTIO_F_RING_PACKED, "ring_packed" },
	{ VSW_VIRTIO_NET_F_MQ, "mq" },
	{ VSW_VIRTIO_NET_F_MTU, "mtu" },
	{ VSW_VIRTIO_F_IN_ORDER, "in_order" },
	{ VSW_VIRTIO_NET_F_CSUM, "csum" },
	{ VSW_VIRTIO_NET_F_GUEST_CSUM, "guest_csum" },
	{ VSW_VIRTIO_NET_F_HOST_TSO4, "host_tso4" },
	{ VSW_VIRTIO_NET_F_HOST_TSO6, "host_tso6" },
	{ VSW_VIRTIO_NET_F_HOST_ECN, "host_ecn" },
	{ VSW_VIRTIO_NET_F_GUEST_TSO4, "guest_tso4" },
	{ VSW_VIRTIO_NET_F_GUEST_TSO6, "guest_tso6" },
	{ VSW_VIRTIO_NET_F_GUEST_ECN, "guest_ecn" },
	{ VSW_VHOST_F_LOG_ALL, "log_all" },
};

/* The guest's queues' own drops: what vsw refused of what it sent, and
 * what it could not be given. */
static json_t *guest_drops_json(const struct vsw_vq_stats *st)
{
	json_t *hdr = json_object();
	for (int e = VSW_HDR_OK + 1; e < VSW_HDR__MAX; e++)
		json_object_set_new(hdr, vsw_hdr_err_name(e), json_integer((json_int_t)st->drop_bad_hdr[e]));
	json_t *o = json_object();
	json_object_set_new(o, "bad_offload_header", hdr);
	json_object_set_new(o, "bad_packet", json_integer((json_int_t)st->drop_bad_pkt));
	json_object_set_new(o, "too_big", json_integer((json_int_t)st->drop_too_big));
	json_object_set_new(o, "no_mbuf", json_integer((json_int_t)st->drop_no_mbuf));
	json_object_set_new(o, "no_rx_buffer", json_integer((json_int_t)st->drop_no_buf));
	json_object_set_new(o, "queue_broken", json_integer((json_int_t)st->broken));
	return o;
}

static json_t *offload_names(uint8_t off)
{
	static const char *const names[] = { "csum", "tso4", "tso6", "ecn" };
	json_t *a = json_array();
	for (unsigned int i = 0; i < RTE_DIM(names); i++)
		if (off & (1u << i))
			json_array_append_new(a, json_string(names[i]));
	return a;
}

void vswd_port_info(const struct vsw_port *p, json_t *out)
{
	bool connected;
	uint64_t f;
	uint16_t pairs;
	struct vsw_vq_stats st;
	if (vsw_vhost_port_state(p, &connected, &f, &pairs, &st) == 0) {
		json_object_set_new(out, "connected", json_boolean(connected));
		json_t *names = json_array();
		for (size_t i = 0; i < RTE_DIM(virtio_features); i++)
			if (connected && (f & (1ull << virtio_features[i].bit)))
				json_array_append_new(names, json_string(virtio_features[i].name));
		json_object_set_new(out, "features", names);
		json_object_set_new(out, "running_queue_pairs", json_integer(pairs));
		json_object_set_new(out, "guest_drops", guest_drops_json(&st));
		return;
	}
	json_t *nat = vswd_nat_port_json(p);
	if (nat != NULL) {
		json_object_set_new(out, "nat_gateway", nat);
		return;
	}
	struct vsw_ethdev_info ei;
	if (vsw_ethdev_port_info(p, &ei) == 0) {
		json_object_set_new(out, "driver", json_string(ei.driver));
		json_object_set_new(out, "socket", json_integer(ei.socket));
		json_object_set_new(out, "link_speed_mbps", json_integer(ei.link_speed));
		json_object_set_new(out, "rx_missed", json_integer((json_int_t)ei.rx_missed));
		json_object_set_new(out, "rx_nombuf", json_integer((json_int_t)ei.rx_nombuf));
		json_object_set_new(out, "hw_offloads", offload_names(ei.hw_offloads));
	}
}

int vswd_host_if_create(struct vswd *d, const struct vsw_cfg_network *net, char *err,
			size_t errlen)
{
	struct vsw_cfg_port pcfg;
	vsw_host_if_port_cfg(net, &pcfg);
	if (vsw_switch_find_port(&d->sw, pcfg.name) != NULL) {
		snprintf(err, errlen, "network %s: its host interface %s clashes with a port of that name",
			 net->name, pcfg.name);
		return -1;
	}
	struct rte_mempool *mp = vswd_pool_for(d, &pcfg, err, errlen);
	if (mp == NULL)
		return -1;
	struct vsw_port *p = vsw_switch_port_alloc(&d->sw, &pcfg, err, errlen);
	if (p == NULL)
		return -1;
	if (vsw_host_if_open(p, net, d->sw.nworkers, mp, err, errlen) < 0) {
		vsw_switch_port_free(&d->sw, p);
		return -1;
	}
	vsw_switch_port_attach(&d->sw, p);
	VSW_LOG(INFO, pmd, "network %s: host interface %s is up", net->name, pcfg.name);
	return 0;
}

void vswd_poll_links(struct vswd *d)
{
	for (unsigned int i = 0; i < VSW_MAX_PORTS; i++)
		if (d->sw.ports[i] != NULL)
			vsw_ethdev_port_poll_link(d->sw.ports[i]);
}
