/*
 * Sessions that came through a VIP: when this balancer stops being MASTER
 * for it, its clients' packets go to the peer, which answers them with
 * resets; the sessions here would only hold their PostgreSQL backends until
 * timeout_client. They are closed at once instead.
 *
 * Which address a client connected to is its socket's local address,
 * asked when needed rather than kept per session: it never changes, and
 * the question is asked once per VIP move.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "proxy/internal.h"

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	if (b->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
		               &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
		               sizeof(struct in6_addr));
	return false;
}

static bool came_through(const struct session *s, const struct sockaddr *addr)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof local;

	if (getsockname(s->client_fd, (struct sockaddr *)&local, &len) < 0)
		return false;
	return same_host(&local, addr);
}

/* Ends the sessions of one list that came through addr; session_end() unlinks
 * only the session it ends, so the next node stays valid. */
static int close_on_list(struct list *list, size_t node_offset, const struct sockaddr *addr)
{
	struct list_node *n = list->first;
	int closed = 0;

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
		closed += close_on_list(&l->queue, offsetof(struct session, queue_node), addr);
		closed += close_on_list(&l->paused, offsetof(struct session, queue_node), addr);
		for (int m = 0; m < l->conf->nmembers; m++)
			closed += close_on_list(&l->members[m].sessions,
			                        offsetof(struct session, member_node), addr);
		if (closed)
			log_notice("%s: closed %d session(s): %s", l->conf->name, closed,
			           session_end_name(SESSION_END_VIP_LOST));
		total += closed;
	}
	return total;
}
