/*
 * sockopt — the socket options pgfront sets, each result checked.
 *
 * Low level, as Redis' anet: nothing here logs. Each call returns 0, or -1
 * with err naming the option and errno's words; the caller decides whether
 * that ends a bind (a failed IPV6_V6ONLY would silently change what the
 * address covers) or is logged and lived with (TCP_NODELAY on one session).
 */
#ifndef PGFRONT_SOCKOPT_H
#define PGFRONT_SOCKOPT_H

#include <stdbool.h>
#include <stddef.h>

/* TCP keepalive as the kernel takes it: whole seconds and a probe count. */
struct sockopt_keepalive {
	bool on;
	int idle_s;              /* TCP_KEEPIDLE: idle time before the first probe */
	int intvl_s;             /* TCP_KEEPINTVL: between unanswered probes */
	int cnt;                 /* TCP_KEEPCNT: unanswered probes that end it */
};

/* A socket about to listen: SO_REUSEADDR, IPV6_V6ONLY on AF_INET6 (so
 * that [::]:P and *:P are two binds), and IP_FREEBIND if freebind. */
int sockopt_listening(int fd, int family, bool freebind, char *err, size_t errlen);

/* A TCP session socket: TCP_NODELAY (PostgreSQL's messages are small and
 * latency-bound). */
int sockopt_nodelay(int fd, char *err, size_t errlen);

/* SO_KEEPALIVE, and with it the three timers; off clears SO_KEEPALIVE. */
int sockopt_keepalive(int fd, const struct sockopt_keepalive *ka, char *err, size_t errlen);

/* Both of the above: what a session's socket carries, set on a server
 * connection, or on a listening socket for the clients it accepts (Linux
 * copies them into every accepted socket). */
int sockopt_session(int fd, const struct sockopt_keepalive *ka, char *err, size_t errlen);

#endif
