/*
 * Adding and removing the VIPs with rtnetlink, as `ip addr add/del` would,
 * without running it: no fork on the way to MASTER, and an errno to log
 * instead of a command's stderr. One request, one acknowledgement; the
 * socket is blocking with a short timeout, as the kernel answers at once.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "vrrp/net.h"

#define NL_TIMEOUT_S 1

struct addr_request {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[64];
};

static uint32_t next_seq;

int vrrp_nl_open(char *err, size_t errlen)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void add_attr(struct nlmsghdr *nh, unsigned short type, const void *data,
                     unsigned short len)
{
	struct rtattr *rta = (struct rtattr *)(void *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Reads until the acknowledgement of seq: 0, or -errno. */
static int read_ack(int fd, uint32_t seq)
{
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		struct nlmsghdr *nh;
		int len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			if (nh->nlmsg_seq != seq || nh->nlmsg_type != NLMSG_ERROR)
				continue;
			return e->error;   /* 0 is the acknowledgement, else -errno */
		}
	}
}

int vrrp_nl_addr(int fd, bool add, int ifindex, const struct conf_vip *vip)
{
	struct addr_request req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifa);
	req.nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.nh.nlmsg_seq = ++next_seq;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = (unsigned char)vip->prefix;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = (unsigned)ifindex;
	add_attr(&req.nh, IFA_LOCAL, &vip->addr.s_addr, 4);
	/* Without IFA_ADDRESS a removal matches the address under any prefix:
	 * one left by hand with another prefix goes too. */
	if (add)
		add_attr(&req.nh, IFA_ADDRESS, &vip->addr.s_addr, 4);
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -errno;
	return read_ack(fd, req.nh.nlmsg_seq);
}
