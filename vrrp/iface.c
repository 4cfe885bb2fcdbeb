/*
 * The interface an instance runs on: its index, its MAC (gratuitous ARPs
 * carry it) and its own IPv4 address, which adverts come from and which
 * breaks a tie of priorities (RFC 3768 6.4.3). A VIP may already sit on the
 * interface at start (left by a crash): it is never taken as the primary.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "vrrp/net.h"

static bool is_vip(const struct conf_vrrp *c, struct in_addr a)
{
	for (int i = 0; i < c->nvips; i++)
		if (c->vips[i].addr.s_addr == a.s_addr)
			return true;
	return false;
}

static int read_mac(const char *name, uint8_t mac[6], char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		snprintf(err, errlen, "interface %s: %s", name, strerror(errno));
		rc = -1;
	} else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		snprintf(err, errlen, "interface %s is not Ethernet (ARP hardware type %d)", name,
		         ifr.ifr_hwaddr.sa_family);
		rc = -1;
	} else {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	close(fd);
	return rc;
}

/* The interface's addresses: whether want is one, and the first that is not a VIP. */
static int scan_addresses(const struct conf_vrrp *c, struct in_addr want, bool *has_want,
                          struct in_addr *first, char *err, size_t errlen)
{
	struct ifaddrs *list, *ifa;

	if (getifaddrs(&list) < 0) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	*has_want = false;
	first->s_addr = 0;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		struct in_addr a;

		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET ||
		    strcmp(ifa->ifa_name, c->interface) != 0)
			continue;
		a = ((const struct sockaddr_in *)(const void *)ifa->ifa_addr)->sin_addr;
		if (a.s_addr == want.s_addr)
			*has_want = true;
		if (first->s_addr == 0 && !is_vip(c, a))
			*first = a;
	}
	freeifaddrs(list);
	return 0;
}

int vrrp_iface_lookup(const struct conf_vrrp *c, struct vrrp_iface *out,
                      char *err, size_t errlen)
{
	char text[INET_ADDRSTRLEN];
	bool has_src;

	memset(out, 0, sizeof *out);
	out->index = (int)if_nametoindex(c->interface);
	if (out->index == 0) {
		snprintf(err, errlen, "interface %s: %s", c->interface, strerror(errno));
		return -1;
	}
	if (read_mac(c->interface, out->mac, err, errlen) < 0 ||
	    scan_addresses(c, c->unicast_src, &has_src, &out->primary, err, errlen) < 0)
		return -1;
	if (c->unicast_src.s_addr) {
		if (!has_src) {
			inet_ntop(AF_INET, &c->unicast_src, text, sizeof text);
			snprintf(err, errlen, "unicast_src %s is not an address of %s", text,
			         c->interface);
			return -1;
		}
		out->primary = c->unicast_src;
	} else if (out->primary.s_addr == 0) {
		snprintf(err, errlen, "interface %s has no IPv4 address of its own (besides the "
		         "VIPs) to send advertisements from", c->interface);
		return -1;
	}
	return 0;
}
