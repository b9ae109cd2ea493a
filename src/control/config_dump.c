/* Owns writing a configuration back as YAML that vsw_config_parse reads to
 * the same values: `config.dump` and the runtime add methods use it. */
#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/config.h"

static const char *ip(uint32_t a, char *buf)
{
	struct in_addr in = { .s_addr = htonl(a) };
	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static void dump_network(FILE *f, const struct vsw_cfg_network *n)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	fprintf(f, "  - name: %s\n    mode: %s\n    mac_aging: %u\n    mac_table_size: %u\n",
		n->name, vsw_net_mode_name(n->mode), n->mac_aging_s, n->mac_table_size);
	if (n->mode == VSW_NET_HOST_ONLY) {
		fprintf(f, "    interface: %s\n", n->interface);
		if (n->has_address)
			fprintf(f, "    address: %s/%u\n", ip(n->address.addr, a), n->address.len);
	}
	if (n->mode == VSW_NET_NAT) {
		fprintf(f, "    subnet: %s/%u\n", ip(n->subnet.addr, a), n->subnet.len);
		fprintf(f, "    dhcp_start: %s\n    dhcp_end: %s\n", ip(n->dhcp_start, a),
			ip(n->dhcp_end, b));
		fprintf(f, "    uplink: %s\n    uplink_address: %s/%u\n", n->uplink,
			ip(n->uplink_address.addr, a), n->uplink_address.len);
		if (n->uplink_gateway)
			fprintf(f, "    uplink_gateway: %s\n", ip(n->uplink_gateway, a));
		if (n->nforwards)
			fprintf(f, "    forwards:\n");
		for (unsigned int i = 0; i < n->nforwards; i++) {
			const struct vsw_cfg_forward *fw = &n->forwards[i];
			fprintf(f, "      - { proto: %s, port: %u, to: %s, to_port: %u }\n",
				fw->proto == IPPROTO_TCP ? "tcp" : "udp", fw->port, ip(fw->to_addr, a),
				fw->to_port);
		}
		/* No dns: the host's nameservers, which the file says by leaving it out. */
		if (n->ndns) {
			fprintf(f, "    dns: [");
			for (unsigned int i = 0; i < n->ndns; i++)
				fprintf(f, "%s%s", i ? ", " : "", ip(n->dns[i], a));
			fprintf(f, "]\n");
		}
		fprintf(f, "    lease_time: %u\n    mtu: %u\n", n->lease_s, n->dhcp_mtu);
		if (n->nstatic_leases)
			fprintf(f, "    static_leases:\n");
		for (unsigned int i = 0; i < n->nstatic_leases; i++) {
			const struct vsw_cfg_static_lease *l = &n->static_leases[i];
			fprintf(f,
				"      - { mac: \"%02x:%02x:%02x:%02x:%02x:%02x\", ip: %s }\n",
				l->mac[0], l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5],
				ip(l->ip, a));
		}
		fprintf(f, "    max_sessions: %u\n", n->max_sessions);
		fprintf(f,
			"    timeouts: { tcp_established: %u, tcp_transitory: %u, udp: %u, "
			"icmp: %u }\n",
			n->tcp_est_s, n->tcp_trans_s, n->udp_s, n->icmp_s);
		fprintf(f, "    spoof_check: %s\n", n->spoof_check ? "true" : "false");
	}
}

static void dump_port(FILE *f, const struct vsw_cfg_port *p)
{
	fprintf(f, "  - name: %s\n    type: %s\n    network: %s\n    mtu: %u\n", p->name,
		vsw_port_type_name(p->type), p->network, p->mtu);
	if (p->vlan)
		fprintf(f, "    vlan: %u\n", p->vlan);
	if (p->ntrunk) {
		fprintf(f, "    trunk: [");
		for (unsigned int i = 0; i < p->ntrunk; i++)
			fprintf(f, "%s%u", i ? ", " : "", p->trunk[i]);
		fprintf(f, "]\n");
	}
	if (p->nmacs) {
		fprintf(f, "    macs: [");
		for (unsigned int i = 0; i < p->nmacs; i++)
			fprintf(f, "%s\"%02x:%02x:%02x:%02x:%02x:%02x\"", i ? ", " : "", p->macs[i][0],
				p->macs[i][1], p->macs[i][2], p->macs[i][3], p->macs[i][4],
				p->macs[i][5]);
		fprintf(f, "]\n");
	}
	if (p->core >= 0)
		fprintf(f, "    core: %d\n", p->core);
	if (p->type == VSW_PORT_VHOST_USER) {
		fprintf(f, "    path: \"%s\"\n    mode: %s\n    queues: %u\n", p->path,
			p->client ? "client" : "server", p->queues);
		if (p->disabled_features) {
			fprintf(f, "    disable_features: [");
			int first = 1;
			for (unsigned int i = 0; vsw_feature_names[i] != NULL; i++)
				if (p->disabled_features & (1u << i)) {
					fprintf(f, "%s%s", first ? "" : ", ", vsw_feature_names[i]);
					first = 0;
				}
			fprintf(f, "]\n");
		}
		if (p->has_owner) {
			struct passwd *pw = getpwuid(p->owner);
			if (pw != NULL)
				fprintf(f, "    owner: \"%s\"\n", pw->pw_name);
			else
				fprintf(f, "    owner: \"#%u\"\n", (unsigned int)p->owner);
		}
		if (p->has_group) {
			struct group *gr = getgrgid(p->group);
			if (gr != NULL)
				fprintf(f, "    group: \"%s\"\n", gr->gr_name);
			else
				fprintf(f, "    group: \"#%u\"\n", (unsigned int)p->group);
		}
		if (p->socket_mode >= 0)
			fprintf(f, "    socket_mode: \"%04o\"\n", (unsigned int)p->socket_mode);
	} else {
		fprintf(f, "    devargs: \"%s\"\n    rx_queues: %u\n    tx_queues: %u\n"
			   "    rx_desc: %u\n    tx_desc: %u\n",
			p->devargs, p->rx_queues, p->tx_queues, p->rx_desc, p->tx_desc);
	}
}

char *vsw_config_dump_yaml(const struct vsw_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fprintf(f, "# vsw configuration, written by vswd %s\ncores: [", VSW_VERSION);
	for (unsigned int i = 0; i < cfg->ncores; i++)
		fprintf(f, "%s%u", i ? ", " : "", cfg->cores[i]);
	fprintf(f, "]\nmemory: %u\nrun_dir: \"%s\"\ncontrol_socket: \"%s\"\n"
		   "control_socket_mode: \"%04o\"\nlog_level: %s\nsocket_hold: %u\n",
		cfg->memory_mb, cfg->run_dir, cfg->control_socket,
		(unsigned int)cfg->control_socket_mode, vsw_log_level_name(cfg->log_level),
		cfg->socket_hold_s);
	fprintf(f, "networks:%s\n", cfg->nnetworks ? "" : " []");
	for (unsigned int i = 0; i < cfg->nnetworks; i++)
		dump_network(f, &cfg->networks[i]);
	fprintf(f, "ports:%s\n", cfg->nports ? "" : " []");
	for (unsigned int i = 0; i < cfg->nports; i++)
		dump_port(f, &cfg->ports[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
