/*
 * sockopt — each option pgfront sets, set and checked in one place.
 */
#include "common/sockopt.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int set_int(int fd, int level, int name, const char *what, int value,
                   char *err, size_t errlen)
{
	if (setsockopt(fd, level, name, &value, sizeof value) == 0)
		return 0;
	snprintf(err, errlen, "setsockopt %s: %s", what, strerror(errno));
	return -1;
}

int sockopt_listening(int fd, int family, bool freebind, char *err, size_t errlen)
{
	if (set_int(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1, err, errlen) < 0)
		return -1;
	if (family == AF_INET6 &&
	    set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1, err, errlen) < 0)
		return -1;
	if (freebind && set_int(fd, IPPROTO_IP, IP_FREEBIND, "IP_FREEBIND", 1, err, errlen) < 0)
		return -1;
	return 0;
}

int sockopt_nodelay(int fd, char *err, size_t errlen)
{
	return set_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1, err, errlen);
}

int sockopt_keepalive(int fd, const struct sockopt_keepalive *ka, char *err, size_t errlen)
{
	if (set_int(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", ka->on, err, errlen) < 0)
		return -1;
	if (!ka->on)
		return 0;
	if (set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", ka->idle_s, err, errlen) < 0 ||
	    set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", ka->intvl_s, err, errlen) < 0 ||
	    set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", ka->cnt, err, errlen) < 0)
		return -1;
	return 0;
}

int sockopt_session(int fd, const struct sockopt_keepalive *ka, char *err, size_t errlen)
{
	if (sockopt_nodelay(fd, err, errlen) < 0 || sockopt_keepalive(fd, ka, err, errlen) < 0)
		return -1;
	return 0;
}
