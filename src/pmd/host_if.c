/* Owns the host-only network's host interface: the net_tap port's devargs
 * and the kernel-side setup (IPv4 address, netmask, up) through ioctls on
 * an AF_INET socket. The control thread runs this, so syscalls are fine. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "pmd/ethdev_port.h"
#include "pmd/host_if.h"

void vsw_host_if_port_cfg(const struct vsw_cfg_network *net, struct vsw_cfg_port *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", net->interface);
	out->type = VSW_PORT_ETHDEV;
	snprintf(out->network, sizeof(out->network), "%s", net->name);
	out->mtu = 1500;
	out->core = -1;
	out->socket_mode = -1;
	/* A vdev name must be unique and start with its driver's name; the
	 * network name makes it unique, as a network has one host interface. */
	snprintf(out->devargs, sizeof(out->devargs), "net_tap_vsw_%s,iface=%s", net->name,
		 net->interface);
	out->rx_queues = out->tx_queues = 1;
	out->rx_desc = out->tx_desc = 1024;
}

static int set_addr(int fd, const char *ifname, unsigned long req, uint32_t addr)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr) };
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(fd, req, &ifr);
}

static int configure_kernel_if(const struct vsw_cfg_network *net, char *err, size_t errlen)
{
	const char *ifname = net->interface;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "network %s: host interface %s: socket: %s", net->name,
			 ifname, strerror(errno));
		return -1;
	}
	char a[INET_ADDRSTRLEN] = "";
	if (net->has_address) {
		struct in_addr ia = { .s_addr = htonl(net->address.addr) };
		inet_ntop(AF_INET, &ia, a, sizeof(a));
		uint32_t mask = net->address.len ? ~0u << (32 - net->address.len) : 0;
		if (set_addr(fd, ifname, SIOCSIFADDR, net->address.addr) < 0 ||
		    set_addr(fd, ifname, SIOCSIFNETMASK, mask) < 0) {
			snprintf(err, errlen, "network %s: host interface %s: setting address %s/%u: %s",
				 net->name, ifname, a, net->address.len, strerror(errno));
			close(fd);
			return -1;
		}
	}
	/* net_tap brings the interface up when the port starts; do it again in
	 * case it changed, since the host must be able to use it right away. */
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    ((ifr.ifr_flags & IFF_UP) == 0 &&
	     (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0))) {
		snprintf(err, errlen, "network %s: host interface %s: setting it up: %s", net->name,
			 ifname, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (net->has_address)
		VSW_LOG(INFO, pmd, "port %s: host interface of network %s has address %s/%u",
			ifname, net->name, a, net->address.len);
	return 0;
}

int vsw_host_if_open(struct vsw_port *port, const struct vsw_cfg_network *net,
		     unsigned int nb_workers, struct rte_mempool *mp, char *err, size_t errlen)
{
	struct vsw_cfg_port pc;
	vsw_host_if_port_cfg(net, &pc);
	if (port->cfg.mtu != 0)
		pc.mtu = port->cfg.mtu;
	if (net->interface[0] == '\0') {
		snprintf(err, errlen, "network %s: no host interface name", net->name);
		return -1;
	}
	/* net_tap would fail with a vaguer message on a name clash. */
	if (if_nametoindex(net->interface) != 0) {
		snprintf(err, errlen,
			 "network %s: host interface %s: an interface of that name exists already",
			 net->name, net->interface);
		return -1;
	}
	if (vsw_ethdev_port_open(port, &pc, nb_workers, mp, err, errlen) != 0)
		return -1;
	if (configure_kernel_if(net, err, errlen) != 0) {
		port->ops->destroy(port);
		port->ops = NULL;
		return -1;
	}
	return 0;
}
