/* A NAT network's part of the configuration loader (config_nat.c), and
 * the IPv4 prefix helpers config.c's cross-network checks share with it;
 * private to the loader. */
#ifndef VSW_CONFIG_NAT_H
#define VSW_CONFIG_NAT_H

#include <netinet/in.h>
#include <stdbool.h>

#include "control/config_yaml.h"

/* Room for "255.255.255.255/32". */
#define PREFIX_TEXT_LEN (INET_ADDRSTRLEN + 3)

bool cn_prefixes_overlap(const struct vsw_ipv4_prefix *a, const struct vsw_ipv4_prefix *b);
/* "A.B.C.D/len" in buf, which it returns. */
const char *cn_prefix_text(const struct vsw_ipv4_prefix *pfx, char buf[PREFIX_TEXT_LEN]);
/* The keys of a NAT network (mode: nat) at n, after the common ones:
 * defaults first, then each value checked against the subnet and uplink. */
int cn_parse_nat(struct pctx *p, yaml_node_t *n, const char *key, struct vsw_cfg_network *net);

#endif
