/*
 * Sessions that came through a VIP: when this balancer stops being MASTER
 * for it, its clients' packets go to the peer, which answers them with
 * resets; the sessions here would only hold their PostgreSQL backends until
 * timeout_client. They are closed at once instead.
 *
 * Which address a client connected to is its socket's local address, kept
 * from accept (session_new): the socket itself may be a relay thread's.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "proxy/internal.h"

static bool came_through(const struct session *s, const void *arg)
{
	const struct sockaddr *addr = arg;

	if (s->local_family != addr->sa_family)
		return false;
	if (addr->sa_family == AF_INET)
		return !memcmp(s->local_host, &((const struct sockaddr_in *)(const void *)addr)->sin_addr,
		               sizeof(struct in_addr));
	if (addr->sa_family == AF_INET6)
		return !memcmp(s->local_host,
		               &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr,
		               sizeof(struct in6_addr));
	return false;
}

/* Ends the sessions of one list that came through addr; session_end() unlinks
 * only the session it ends, so the next node stays valid. */
static int close_on_list(struct proxy *proxy, struct list *list, size_t node_offset,
                         const struct sockaddr *addr)
{
	struct list_node *n;
	int closed = 0;

	threads_reclaim_list(proxy, list, node_offset, came_through, addr);
	n = list->first;
	while (n) {
		struct list_node *next = n->next;
		struct session *s = list_item_at(n, node_offset);

		if (came_through(s, addr)) {
			s->listener->c.vip_lost++;
			session_end(s, SESSION_END_VIP_LOST);
			closed++;
		}
		n = next;
	}
	return closed;
}

int proxy_close_sessions_on_addr(struct proxy *proxy, const struct sockaddr *addr)
{
	int total = 0;

	for (int i = 0; i < proxy->nlisteners; i++) {
		struct proxy_listener *l = proxy->listeners[i];
		int closed = 0;

		if (!l)
			continue;
		closed += close_on_list(proxy, &l->queue, offsetof(struct session, queue_node), addr);
		closed += close_on_list(proxy, &l->paused, offsetof(struct session, queue_node), addr);
		for (int m = 0; m < l->conf->nmembers; m++)
			closed += close_on_list(proxy, &l->members[m].sessions,
			                        offsetof(struct session, member_node), addr);
		if (closed)
			log_notice("%s: closed %d session(s): %s", l->conf->name, closed,
			           session_end_name(SESSION_END_VIP_LOST));
		total += closed;
	}
	return total;
}
