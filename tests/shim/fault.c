/*
 * fault — an LD_PRELOAD shim that makes a few libc calls fail on demand, so
 * that integration tests can drive the real pgfront binary down the error
 * paths a healthy machine never takes. Driven by the environment:
 *
 *   PGFRONT_FAULT_SETSOCKOPT=TCP_NODELAY,IPV6_V6ONLY,...
 *       setsockopt() of these options fails with ENOPROTOOPT
 *   PGFRONT_FAULT_MALLOC_SIZE=N
 *       malloc(N) (that exact size) returns NULL with ENOMEM
 *   PGFRONT_FAULT_SOCKET=1
 *       socket() of a TCP socket fails with EMFILE
 *   PGFRONT_FAULT_WHILE=PATH
 *       faults apply only while PATH exists (without it: always), so a test
 *       can set up its sessions first and then pull the rug
 *
 * Test code only: it is never linked into pgfront.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct { const char *name; int level, opt; } options[] = {
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE },
	{ "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY },
	{ "IP_FREEBIND", IPPROTO_IP, IP_FREEBIND },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY },
	{ "TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE },
};

static bool active(void)
{
	const char *path = getenv("PGFRONT_FAULT_WHILE");

	return !path || access(path, F_OK) == 0;
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	const char *list = getenv("PGFRONT_FAULT_SETSOCKOPT");

	if (!real)
		real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	for (size_t i = 0; list && i < sizeof options / sizeof options[0]; i++) {
		if (options[i].level == level && options[i].opt == opt &&
		    listed(list, options[i].name) && active()) {
			errno = ENOPROTOOPT;
			return -1;
		}
	}
	return real(fd, level, opt, val, len);
}

int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	const char *fault = getenv("PGFRONT_FAULT_SOCKET");

	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	if (fault && (domain == AF_INET || domain == AF_INET6) &&
	    (type & 0xf) == SOCK_STREAM && active()) {
		errno = EMFILE;
		return -1;
	}
	return real(domain, type, protocol);
}

/* glibc's own allocator entry: dlsym may call malloc, so it is not used here. */
extern void *__libc_malloc(size_t size);

void *malloc(size_t size)
{
	static long fault_size = -2;

	if (fault_size == -2) {
		const char *s = getenv("PGFRONT_FAULT_MALLOC_SIZE");
		fault_size = s ? atol(s) : -1;
	}
	if ((long)size == fault_size && active()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(size);
}
