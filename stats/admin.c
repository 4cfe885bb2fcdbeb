/*
 * An admin action, already authenticated and parsed, applied to the proxy.
 * The proxy owns the admin state and logs its change; this file only finds
 * the (listener, server) pair by name and says what happened.
 */
#include <stdio.h>
#include <string.h>

#include "stats/internal.h"

static int find_listener(const struct conf *conf, const char *name)
{
	for (int i = 0; i < conf->nlisteners; i++)
		if (strcmp(conf->listeners[i].name, name) == 0)
			return i;
	return -1;
}

static int find_member(const struct conf *conf, int li, const char *name)
{
	const struct conf_listener *l = &conf->listeners[li];

	for (int i = 0; i < l->nmembers; i++)
		if (strcmp(conf->servers[l->members[i].server].name, name) == 0)
			return i;
	return -1;
}


int stats_admin_apply(const struct stats_sources *src, const struct stats_admin_request *a,
                      char *msg, size_t msglen)
{
	int li, mi, killed;

	if (!src->proxy) {
		snprintf(msg, msglen, "the proxy is not running");
		return 503;
	}
	li = find_listener(src->conf, a->listener);
	if (li < 0) {
		snprintf(msg, msglen, "no listener '%s'", a->listener);
		return 404;
	}
	mi = find_member(src->conf, li, a->server);
	if (mi < 0) {
		snprintf(msg, msglen, "listener '%s' has no server '%s'", a->listener, a->server);
		return 404;
	}
	if (a->action == STATS_ACTION_KILL) {
		killed = proxy_kill_sessions(src->proxy, li, mi);
		snprintf(msg, msglen, "%s/%s: %d session(s) killed", a->listener, a->server, killed);
		return 200;
	}
	proxy_set_admin(src->proxy, li, mi, stats_action_admin(a->action));
	snprintf(msg, msglen, "%s/%s: %s", a->listener, a->server,
	         stats_admin_text(proxy_admin_state(src->proxy, li, mi)));
	return 200;
}
