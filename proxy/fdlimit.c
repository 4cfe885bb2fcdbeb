/*
 * The proxy's share of the process' descriptors. Each client session holds
 * two (client and server); beside them the proxy holds its binds, the
 * clients being told why they are refused, its epoll set of queued
 * clients, and each relay thread's epoll set and eventfd. When the open-files limit cannot cover global maxconn, main
 * lowers the number of sessions the proxy takes at once, so that clients
 * past it are refused in PostgreSQL's protocol instead of the process
 * running out of descriptors (where accept() stalls, health checks cannot
 * open their sockets and servers are wrongly marked DOWN).
 */
#include "proxy/internal.h"

int proxy_fds_reserved(const struct conf *conf)
{
	int binds = 0;

	for (int i = 0; i < conf->nlisteners; i++)
		binds += conf->listeners[i].nbinds;
	/* +1 gone_fd, +1 a client accepted before it is counted or refused */
	return binds + REFUSALS_MAX + 2 + 2 * (proxy_threads_wanted(conf) - 1);
}

void proxy_set_session_limit(struct proxy *proxy, int limit)
{
	proxy->session_limit = limit;
}

int proxy_client_limit(const struct proxy *proxy)
{
	int maxconn = proxy->conf->global.maxconn;

	return proxy->session_limit >= 0 && proxy->session_limit < maxconn
	       ? proxy->session_limit : maxconn;
}
