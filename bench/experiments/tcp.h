/*
 * What the experiments' proxies share: failing loudly, an IPv4 address
 * from the command line, and the listening socket.
 */
#ifndef EXPERIMENTS_TCP_H
#define EXPERIMENTS_TCP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static inline void die(const char *what)
{
	perror(what);
	exit(1);
}

static inline struct sockaddr_in ipv4_address(const char *host, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "%s: not an IPv4 address\n", host);
		exit(2);
	}
	return a;
}

static inline int listen_on(const char *host, const char *port)
{
	struct sockaddr_in a = ipv4_address(host, port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1024))
		die("listen");
	return fd;
}

#endif
