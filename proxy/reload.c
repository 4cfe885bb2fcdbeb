/*
 * Applying a new configuration without dropping sessions (SIGHUP).
 *
 * Listeners are matched by name and servers by name and address. A kept
 * listener keeps its struct (sessions point to it), its counters, its queue
 * and every listening socket whose address is unchanged; a kept server keeps
 * its sessions, counters and operator state. Sessions whose listener or
 * server is gone are closed. New addresses are bound first: if one fails,
 * nothing has changed and the old configuration runs on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sockopt.h"
#include "proxy/internal.h"

struct plan {
	struct proxy_listener *from[CONF_MAX_LISTENERS];          /* old listener kept, or NULL */
	struct proxy_listener *fresh[CONF_MAX_LISTENERS];         /* allocated for a new one */
	int fds[CONF_MAX_LISTENERS][CONF_MAX_BINDS];               /* new sockets, -1 = reuse */
	int member_from[CONF_MAX_LISTENERS][CONF_MAX_SERVERS];     /* old member index, or -1 */
};

static bool same_addr(const struct conf_addr *a, const struct conf_addr *b)
{
	return a->len == b->len && !memcmp(&a->ss, &b->ss, a->len);
}

static const struct conf_server *member_server(const struct conf *conf,
                                               const struct conf_listener *l, int m)
{
	return &conf->servers[l->members[m].server];
}

static struct proxy_listener *old_listener(struct proxy *proxy, const char *name)
{
	for (int i = 0; i < proxy->nlisteners; i++)
		if (!strcmp(proxy->listeners[i]->conf->name, name))
			return proxy->listeners[i];
	return NULL;
}

/* An old socket bound to addr, in any listener: sockets may move between them. */
static int *old_fd(struct proxy *proxy, const struct conf_addr *addr)
{
	for (int i = 0; i < proxy->nlisteners; i++) {
		struct proxy_listener *l = proxy->listeners[i];

		for (int b = 0; b < l->conf->nbinds; b++)
			if (l->fds[b] >= 0 && same_addr(&l->conf->binds[b], addr))
				return &l->fds[b];
	}
	return NULL;
}

static void plan_members(struct plan *plan, int i, const struct conf *old_conf,
                         const struct conf *conf)
{
	const struct conf_listener *nl = &conf->listeners[i];
	const struct conf_listener *ol = plan->from[i] ? plan->from[i]->conf : NULL;

	for (int m = 0; m < nl->nmembers; m++) {
		const struct conf_server *ns = member_server(conf, nl, m);

		plan->member_from[i][m] = -1;
		for (int k = 0; ol && k < ol->nmembers; k++) {
			const struct conf_server *os = member_server(old_conf, ol, k);

			if (!strcmp(os->name, ns->name) && same_addr(&os->address, &ns->address))
				plan->member_from[i][m] = k;
		}
	}
}

static void unbind_plan(struct plan *plan, const struct conf *conf)
{
	for (int i = 0; i < conf->nlisteners; i++) {
		for (int b = 0; b < conf->listeners[i].nbinds; b++)
			if (plan->fds[i][b] >= 0)
				close(plan->fds[i][b]);
		free(plan->fresh[i]);
	}
}

/* Everything that can fail, before anything changes. */
static int prepare(struct proxy *proxy, const struct conf *conf, struct plan *plan,
                   char *err, size_t errlen)
{
	char why[128];

	memset(plan->fds, -1, sizeof plan->fds);
	for (int i = 0; i < conf->nlisteners; i++) {
		const struct conf_listener *nl = &conf->listeners[i];

		plan->from[i] = old_listener(proxy, nl->name);
		if (!plan->from[i] && !(plan->fresh[i] = calloc(1, sizeof *plan->fresh[i]))) {
			snprintf(err, errlen, "out of memory");
			unbind_plan(plan, conf);
			return -1;
		}
		plan_members(plan, i, proxy->conf, conf);
		for (int b = 0; b < nl->nbinds; b++) {
			if (old_fd(proxy, &nl->binds[b]))
				continue;
			plan->fds[i][b] = listener_bind_addr(&nl->binds[b], &nl->keepalive, why,
			                                     sizeof why);
			if (plan->fds[i][b] < 0) {
				snprintf(err, errlen, "cannot bind %s to %s:%u: %s", nl->name,
				         nl->binds[b].host, nl->binds[b].port, why);
				unbind_plan(plan, conf);
				return -1;
			}
		}
	}
	return 0;
}

static bool kept(const struct plan *plan, const struct conf *conf,
                 const struct proxy_listener *l, int member)
{
	for (int i = 0; i < conf->nlisteners; i++)
		if (plan->from[i] == l)
			for (int m = 0; m < conf->listeners[i].nmembers; m++)
				if (plan->member_from[i][m] == member)
					return true;
	return false;
}

static bool listener_kept(const struct plan *plan, const struct conf *conf,
                          const struct proxy_listener *l)
{
	for (int i = 0; i < conf->nlisteners; i++)
		if (plan->from[i] == l)
			return true;
	return false;
}

/* Under the old configuration still, so every session ends consistently. */
static void close_removed(struct proxy *proxy, const struct conf *conf, struct plan *plan)
{
	for (int i = 0; i < proxy->nlisteners; i++) {
		struct proxy_listener *l = proxy->listeners[i];
		bool keep_listener = listener_kept(plan, conf, l);

		for (int m = 0; m < l->conf->nmembers; m++) {
			struct list *sessions = &l->members[m].sessions;

			if (keep_listener && kept(plan, conf, l, m))
				continue;
			threads_reclaim_list(proxy, sessions, offsetof(struct session, member_node),
			                     NULL, NULL);
			while (!list_empty(sessions))
				session_end(member_first(&l->members[m]), SESSION_END_RELOADED);
		}
		if (!keep_listener) {
			while (queue_first(l))
				session_end(queue_first(l), SESSION_END_RELOADED);
			login_close_listener(proxy, l, SESSION_END_RELOADED);
		}
	}
}

/* A socket that stays gives its new listener's keepalive to the clients it
 * accepts from now on. Failing here cannot undo the reload: it is said, and
 * those clients go without (as a server connection would). */
static void renew_client_sockopts(int fd, const struct conf_listener *l,
                                  const struct conf_addr *addr)
{
	char err[96];

	if (sockopt_session(fd, &l->keepalive, err, sizeof err) < 0)
		log_warning("reload: %s: %s:%u: %s; its new clients go without it", l->name,
		            addr->host, addr->port, err);
}

/* Moves the sockets that stay into the plan, and closes those that go. */
static void hand_over_sockets(struct proxy *proxy, const struct conf *conf, struct plan *plan)
{
	/* Every watcher is set up anew for its (maybe new) listener. */
	for (int i = 0; i < proxy->nlisteners; i++)
		for (int b = 0; b < CONF_MAX_BINDS; b++)
			ev_io_stop(proxy->loop, &proxy->listeners[i]->accept_watchers[b]);
	for (int i = 0; i < conf->nlisteners; i++) {
		for (int b = 0; b < conf->listeners[i].nbinds; b++) {
			int *fd = plan->fds[i][b] < 0 ? old_fd(proxy, &conf->listeners[i].binds[b]) : NULL;

			if (fd) {
				plan->fds[i][b] = *fd;
				*fd = -1;   /* no longer the old listener's to close */
				renew_client_sockopts(plan->fds[i][b], &conf->listeners[i],
				                      &conf->listeners[i].binds[b]);
			}
		}
	}
	for (int i = 0; i < proxy->nlisteners; i++)
		listener_close_binds(proxy->listeners[i]);
}

static void remap_members(struct proxy_listener *l, const int *member_from, int nmembers)
{
	struct proxy_member old[CONF_MAX_SERVERS];

	memcpy(old, l->members, sizeof old);
	memset(l->members, 0, sizeof l->members);
	for (int m = 0; m < nmembers; m++) {
		if (member_from[m] < 0)
			continue;
		l->members[m] = old[member_from[m]];   /* a list head moves by copy */
		for (struct list_node *n = l->members[m].sessions.first; n; n = n->next)
			LIST_ITEM(n, struct session, member_node)->member = m;
	}
	/* Indices changed: what a queued client had tried means nothing now. */
	for (struct list_node *n = l->queue.first; n; n = n->next)
		LIST_ITEM(n, struct session, queue_node)->tried = 0;
	for (struct list_node *n = l->paused.first; n; n = n->next)
		LIST_ITEM(n, struct session, queue_node)->tried = 0;
}

static void commit(struct proxy *proxy, const struct conf *conf, struct plan *plan)
{
	struct proxy_listener *next[CONF_MAX_LISTENERS] = { 0 };

	for (int i = 0; i < proxy->nlisteners; i++)
		if (!listener_kept(plan, conf, proxy->listeners[i]))
			listener_free(proxy->listeners[i]);
	for (int i = 0; i < conf->nlisteners; i++) {
		struct proxy_listener *l = plan->from[i] ? plan->from[i] : plan->fresh[i];

		l->proxy = proxy;
		l->index = i;
		l->conf = &conf->listeners[i];
		if (!plan->from[i])
			queue_init(l);
		remap_members(l, plan->member_from[i], l->conf->nmembers);
		for (int b = 0; b < CONF_MAX_BINDS; b++)
			l->fds[b] = b < l->conf->nbinds ? plan->fds[i][b] : -1;
		listener_init_watchers(l);
		next[i] = l;
	}
	memcpy(proxy->listeners, next, sizeof next);
	proxy->nlisteners = conf->nlisteners;
	proxy->conf = conf;
}

int proxy_reload(struct proxy *proxy, const struct conf *conf, struct hc_engine *health,
                 char *err, size_t errlen)
{
	struct plan *plan = calloc(1, sizeof *plan);

	if (!plan) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (prepare(proxy, conf, plan, err, errlen) < 0) {
		free(plan);
		return -1;
	}
	close_removed(proxy, conf, plan);
	hand_over_sockets(proxy, conf, plan);
	commit(proxy, conf, plan);
	free(plan);
	proxy->health = health;
	for (int i = 0; i < proxy->nlisteners; i++) {
		struct proxy_listener *l = proxy->listeners[i];

		for (int m = 0; m < l->conf->nmembers; m++)
			hc_set_paused(health, i, m, l->members[m].admin == PROXY_ADMIN_MAINT);
		if (!proxy->shutting_down && !proxy->draining)
			listener_start_accepting(l);
		if (l->conf->balance == CONF_BALANCE_SINGLE)
			listener_track_primaries(l);
		listener_slot_freed(l);
	}
	return 0;
}
