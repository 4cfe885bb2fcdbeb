/*
 * Adding and removing the VIPs with rtnetlink, as `ip addr add/del` would,
 * without running it: no fork on the way to MASTER, and an errno to log
 * instead of a command's stderr. The socket is non-blocking: requests are
 * sent here, and their acknowledgements read when the loop says the socket
 * is readable (vrrp/nlq.c), so that a slow answer never stalls relaying.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vrrp/net.h"

struct addr_request {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[64];
};

int vrrp_nl_open(char *err, size_t errlen)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
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

int vrrp_nl_request(int fd, uint32_t seq, bool add, int ifindex, const struct conf_vip *vip)
{
	struct addr_request req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifa);
	req.nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.nh.nlmsg_seq = seq;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = (unsigned char)vip->prefix;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = (unsigned)ifindex;
	add_attr(&req.nh, IFA_LOCAL, &vip->addr.s_addr, 4);
	/* Without IFA_ADDRESS a removal matches the address under any prefix:
	 * one left by hand with another prefix goes too. */
	if (add)
		add_attr(&req.nh, IFA_ADDRESS, &vip->addr.s_addr, 4);
	for (;;) {
		if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		           sizeof kernel) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int vrrp_nl_read_acks(int fd, vrrp_nl_ack_fn *fn, void *arg)
{
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		struct nlmsghdr *nh;
		int len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		len = (int)n;
		for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			/* 0 is the acknowledgement, else -errno */
			if (nh->nlmsg_type == NLMSG_ERROR && nh->nlmsg_len >= NLMSG_LENGTH(sizeof *e))
				fn(arg, nh->nlmsg_seq, e->error);
		}
	}
}
