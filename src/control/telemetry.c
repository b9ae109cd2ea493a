/* Owns vsw's DPDK telemetry commands and the snapshot they read (see
 * telemetry.h). */
#include <stdlib.h>
#include <string.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "control/telemetry.h"

static rte_spinlock_t lock = RTE_SPINLOCK_INITIALIZER;
static struct vsw_tele_port snap_ports[VSW_MAX_PORTS + VSW_MAX_NETWORKS];
static unsigned int snap_nports;
static struct vsw_tele_core snap_cores[VSW_MAX_CORES];
static unsigned int snap_ncores;
static struct vsw_tele_nat snap_nats[VSW_MAX_NETWORKS];
static unsigned int snap_nnats;

void vsw_telemetry_publish(const struct vsw_tele_port *ports, unsigned int nports,
			   const struct vsw_tele_core *cores, unsigned int ncores)
{
	rte_spinlock_lock(&lock);
	snap_nports = RTE_MIN(nports, (unsigned int)RTE_DIM(snap_ports));
	memcpy(snap_ports, ports, snap_nports * sizeof(*ports));
	snap_ncores = RTE_MIN(ncores, (unsigned int)RTE_DIM(snap_cores));
	memcpy(snap_cores, cores, snap_ncores * sizeof(*cores));
	rte_spinlock_unlock(&lock);
}

void vsw_telemetry_publish_nat(const struct vsw_tele_nat *nats, unsigned int n)
{
	rte_spinlock_lock(&lock);
	snap_nnats = RTE_MIN(n, (unsigned int)RTE_DIM(snap_nats));
	memcpy(snap_nats, nats, snap_nnats * sizeof(*nats));
	rte_spinlock_unlock(&lock);
}

static int cmd_nat(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	if (params == NULL || params[0] == '\0')
		return -1;
	int rc = -1;
	rte_spinlock_lock(&lock);
	for (unsigned int i = 0; i < snap_nnats; i++) {
		const struct vsw_tele_nat *n = &snap_nats[i];
		if (strcmp(n->network, params) != 0)
			continue;
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "network", n->network);
		rte_tel_data_add_dict_u64(d, "translated_out", n->translated_out);
		rte_tel_data_add_dict_u64(d, "translated_in", n->translated_in);
		rte_tel_data_add_dict_u64(d, "drops", n->drops);
		rte_tel_data_add_dict_u64(d, "sessions", n->sessions);
		rte_tel_data_add_dict_u64(d, "max_sessions", n->max_sessions);
		rte_tel_data_add_dict_u64(d, "sessions_created", n->sessions_created);
		rte_tel_data_add_dict_u64(d, "sessions_expired", n->sessions_expired);
		rte_tel_data_add_dict_u64(d, "leases", n->leases);
		rte_tel_data_add_dict_u64(d, "dhcp_acks", n->dhcp_acks);
		rc = 0;
		break;
	}
	rte_spinlock_unlock(&lock);
	return rc;
}

static int cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	rte_spinlock_lock(&lock);
	for (unsigned int i = 0; i < snap_nports; i++)
		rte_tel_data_add_array_string(d, snap_ports[i].name);
	rte_spinlock_unlock(&lock);
	return 0;
}

static int cmd_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	if (params == NULL || params[0] == '\0')
		return -1;
	int rc = -1;
	rte_spinlock_lock(&lock);
	for (unsigned int i = 0; i < snap_nports; i++) {
		const struct vsw_tele_port *p = &snap_ports[i];
		if (strcmp(p->name, params) != 0)
			continue;
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "name", p->name);
		rte_tel_data_add_dict_string(d, "type", p->type);
		rte_tel_data_add_dict_string(d, "network", p->network);
		rte_tel_data_add_dict_string(d, "link", p->link_up ? "up" : "down");
		rte_tel_data_add_dict_u64(d, "rx_packets", p->rx_packets);
		rte_tel_data_add_dict_u64(d, "rx_bytes", p->rx_bytes);
		rte_tel_data_add_dict_u64(d, "tx_packets", p->tx_packets);
		rte_tel_data_add_dict_u64(d, "tx_bytes", p->tx_bytes);
		rte_tel_data_add_dict_u64(d, "drops", p->drops);
		rc = 0;
		break;
	}
	rte_spinlock_unlock(&lock);
	return rc;
}

static int cmd_cores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&lock);
	for (unsigned int i = 0; i < snap_ncores; i++) {
		const struct vsw_tele_core *c = &snap_cores[i];
		struct rte_tel_data *cd = rte_tel_data_alloc();
		if (cd == NULL)
			break;
		rte_tel_data_start_dict(cd);
		rte_tel_data_add_dict_u64(cd, "packets", c->packets);
		rte_tel_data_add_dict_u64(cd, "busy_cycles", c->busy_cycles);
		rte_tel_data_add_dict_u64(cd, "idle_cycles", c->idle_cycles);
		rte_tel_data_add_dict_u64(cd, "cycles_per_packet",
					  c->packets ? c->busy_cycles / c->packets : 0);
		char key[16];
		snprintf(key, sizeof(key), "core%u", c->cpu);
		rte_tel_data_add_dict_container(d, key, cd, 0);
	}
	rte_spinlock_unlock(&lock);
	return 0;
}

int vsw_telemetry_init(void)
{
	int rc = 0;
	rc |= rte_telemetry_register_cmd("/vsw/ports", cmd_ports, "vsw port names");
	rc |= rte_telemetry_register_cmd("/vsw/port", cmd_port,
					 "one vsw port's counters. Parameters: port name");
	rc |= rte_telemetry_register_cmd("/vsw/cores", cmd_cores,
					 "vsw worker cores: packets, busy and idle cycles");
	rc |= rte_telemetry_register_cmd("/vsw/nat", cmd_nat,
					 "a NAT network's translations, sessions and leases. "
					 "Parameters: network name");
	return rc;
}
