/*
 * The operator's commands on one (listener, server): READY, DRAIN, MAINT, and
 * killing its sessions. They come from the stats page or `pgfront ctl`.
 */
#include "common/events.h"
#include "common/log.h"
#include "proxy/internal.h"

static const char *const admin_names[] = {
	[PROXY_ADMIN_READY] = "READY",
	[PROXY_ADMIN_DRAIN] = "DRAIN",
	[PROXY_ADMIN_MAINT] = "MAINT",
};

const char *proxy_admin_name(enum proxy_admin admin)
{
	return admin_names[admin];
}

static const char *server_name(const struct proxy_listener *l, int member)
{
	return l->proxy->conf->servers[l->conf->members[member].server].name;
}

void proxy_set_admin(struct proxy *proxy, int listener, int member, enum proxy_admin admin)
{
	struct proxy_listener *l = proxy->listeners[listener];
	struct proxy_member *m = &l->members[member];
	enum proxy_admin from = m->admin;

	if (from == admin)
		return;
	m->admin = admin;
	event_log(LOG_LEVEL_NOTICE, EVENT_ADMIN, "%s/%s: %s -> %s by the operator (%d open session(s) kept)", l->conf->name,
	           server_name(l, member), proxy_admin_name(from), proxy_admin_name(admin),
	           m->c.sessions);
	hc_set_paused(proxy->health, listener, member, admin == PROXY_ADMIN_MAINT);
	if (l->conf->balance == CONF_BALANCE_SINGLE)
		listener_track_primaries(l);
	if (admin == PROXY_ADMIN_READY)
		listener_slot_freed(l);
}

enum proxy_admin proxy_admin_state(const struct proxy *proxy, int listener, int member)
{
	return proxy->listeners[listener]->members[member].admin;
}

int proxy_kill_sessions(struct proxy *proxy, int listener, int member)
{
	struct proxy_listener *l = proxy->listeners[listener];
	struct proxy_member *m = &l->members[member];
	int killed = 0;

	/* Freed slots only schedule the queue: no new session joins this list meanwhile. */
	threads_reclaim_list(proxy, &m->sessions, offsetof(struct session, member_node), NULL, NULL);
	while (!list_empty(&m->sessions)) {
		session_end(member_first(m), SESSION_END_KILLED);
		killed++;
	}
	event_log(LOG_LEVEL_NOTICE, EVENT_ADMIN, "%s/%s: %d session(s) killed by the operator", l->conf->name,
	           server_name(l, member), killed);
	return killed;
}
