/*
 * The raw IPPROTO_VRRP socket of one instance, and the AF_PACKET socket its
 * gratuitous ARPs leave by. Both need CAP_NET_RAW when opened, and only
 * then: they are opened before pgfront switches user.
 *
 * The raw socket is not bound to an address: a bound raw socket receives
 * only datagrams to that address, and adverts go to 224.0.0.18. The source
 * is set per datagram with IP_PKTINFO instead.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "vrrp/net.h"
#include "vrrp/packet.h"

static int fail(int fd, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int join_group(int fd, const struct vrrp_iface *ifc)
{
	struct ip_mreqn mreq = {
		.imr_multiaddr.s_addr = htonl(VRRP_GROUP),
		.imr_address = ifc->primary,
		.imr_ifindex = ifc->index,
	};
	int zero = 0;

	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
		return -1;
	/* Leaving by our interface, from our address; not looped back to us. */
	mreq.imr_multiaddr.s_addr = 0;
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero) < 0)
		return -1;
	return 0;
}

int vrrp_sock_open(const struct conf_vrrp *c, const struct vrrp_iface *ifc,
                   char *err, size_t errlen)
{
	int ttl = VRRP_TTL;
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PROTO);

	if (fd < 0)
		return fail(-1, "raw VRRP socket", err, errlen);
	/* Only this link's adverts: the same VRID may mean another router elsewhere. */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->interface,
	               (socklen_t)strlen(c->interface)) < 0)
		return fail(fd, "SO_BINDTODEVICE", err, errlen);
	/* RFC 3768 5.2.3: sent with TTL 255, so a receiver can tell it is on-link. */
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) < 0)
		return fail(fd, "IP_TTL", err, errlen);
	if (c->npeers == 0 && join_group(fd, ifc) < 0)
		return fail(fd, "joining 224.0.0.18", err, errlen);
	return fd;
}

int vrrp_sock_send(int fd, const struct vrrp_iface *ifc, struct in_addr dst,
                   const uint8_t *msg, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = dst };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} control;
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof to,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof control.buf,
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct in_pktinfo *pi = (struct in_pktinfo *)(void *)CMSG_DATA(cm);

	memset(control.buf, 0, sizeof control.buf);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof *pi);
	pi->ipi_ifindex = ifc->index;
	pi->ipi_spec_dst = ifc->primary;
	if (sendmsg(fd, &mh, 0) < 0)
		return -errno;
	return 0;
}

int vrrp_arp_open(char *err, size_t errlen)
{
	/* Protocol 0 and never bound: it only sends, and must not queue every
	 * frame of the link. Each sendto() names the interface. */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return fail(-1, "AF_PACKET socket", err, errlen);
	return fd;
}

int vrrp_arp_send(int fd, int ifindex, const uint8_t *arp, size_t len)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex,
		.sll_halen = ETH_ALEN,
		.sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};

	if (sendto(fd, arp, len, 0, (struct sockaddr *)&to, sizeof to) < 0)
		return -errno;
	return 0;
}
