/*
 * One instant of every source, copied into a snapshot that the renderers
 * read. Only accessors are used: the proxy, the health engine and the VRRP
 * speaker stay the single writers of their state.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/version.h"
#include "stats/internal.h"

static void format_addr(const struct conf_addr *a, char *buf, size_t size)
{
	if (strchr(a->host, ':'))
		snprintf(buf, size, "[%s]:%u", a->host, (unsigned)a->port);
	else
		snprintf(buf, size, "%s:%u", a->host, (unsigned)a->port);
}

static void collect_health(struct stats_member *m, const struct stats_sources *src,
                           int li, int mi, double now)
{
	const struct hc_view *v = src->health ? hc_view(src->health, li, mi) : NULL;
	double since;

	if (!v) {
		m->health.status = HC_STATUS_INIT;
		m->since_change = m->downtime = now - src->started;
		return;
	}
	m->health = v->health;
	m->last = v->last;
	m->checks = v->checks;
	m->failures = v->failures;
	m->down_transitions = v->down_transitions;
	m->checks_not_run = v->local_failures;
	since = v->last_change > 0 ? v->last_change : src->started;
	m->since_change = now - since;
	/* The engine adds a stretch only when it ends: add the one under way. */
	m->downtime = v->downtime + (v->health.status != HC_STATUS_UP ? now - since : 0);
}

static void collect_member(struct stats_member *m, const struct stats_sources *src,
                           int li, int mi, double now)
{
	const struct conf *conf = src->conf;
	const struct conf_member *cm = &conf->listeners[li].members[mi];
	const struct conf_server *srv = &conf->servers[cm->server];
	const struct proxy_server_counters *c;

	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", srv->name);
	format_addr(&srv->address, m->address, sizeof m->address);
	m->sid = mi + 1;
	m->backup = cm->backup;
	m->rise = cm->t.rise;
	m->fall = cm->t.fall;
	m->maxconn = cm->t.maxconn;
	collect_health(m, src, li, mi, now);
	if (src->proxy) {
		m->admin = proxy_admin_state(src->proxy, li, mi);
		c = proxy_server_counters(src->proxy, li, mi);
		if (c)
			m->c = *c;
	}
}

static void collect_gaps(struct stats_listener *l, const struct hc_listener_view *v, double now)
{
	l->writes = true;
	l->hunting = v->hunting;
	l->timeline = v->timeline;
	l->gaps = v->gaps;
	l->last_gap = v->last_gap;
	/* The engine adds a gap only when it ends: add the one under way. */
	l->gap_now = v->gap_since > 0 ? now - v->gap_since : 0;
	l->gap_seconds = v->gap_seconds + l->gap_now;
}

static void collect_listener(struct stats_listener *l, const struct stats_sources *src,
                             int li, double now)
{
	const struct conf_listener *cl = &src->conf->listeners[li];
	const struct proxy_listener_counters *c;

	memset(l, 0, offsetof(struct stats_listener, members));
	snprintf(l->name, sizeof l->name, "%s", cl->name);
	l->nbinds = cl->nbinds;
	for (int i = 0; i < cl->nbinds; i++)
		format_addr(&cl->binds[i], l->binds[i], sizeof l->binds[i]);
	l->balance = cl->balance;
	snprintf(l->check, sizeof l->check, "%s %s", cl->check_method, cl->check_path);
	l->maxconn = src->conf->global.maxconn;
	if (src->proxy && (c = proxy_listener_counters(src->proxy, li)))
		l->c = *c;
	if (cl->balance == CONF_BALANCE_SINGLE && src->health)
		collect_gaps(l, hc_listener_view(src->health, li), now);
	l->nmembers = cl->nmembers;
	for (int i = 0; i < cl->nmembers; i++)
		collect_member(&l->members[i], src, li, i, now);
}

/* The view has no VIPs: they are the instance's [vrrp] section's, found by name. */
static void collect_vips(struct stats_snapshot *snap, int i, const struct conf *conf)
{
	const char *name = snap->vrrp[i].name;

	snap->nvips[i] = 0;
	for (int j = 0; name && j < conf->nvrrps; j++) {
		const struct conf_vrrp *cv = &conf->vrrps[j];
		if (strcmp(cv->name, name) != 0)
			continue;
		for (int k = 0; k < cv->nvips && k < CONF_VRRP_MAX_VIPS; k++) {
			char addr[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &cv->vips[k].addr, addr, sizeof addr);
			snprintf(snap->vips[i][k], sizeof snap->vips[i][k], "%s/%d", addr,
			         cv->vips[k].prefix);
			snap->nvips[i]++;
		}
		return;
	}
}

static void collect_vrrp(struct stats_snapshot *snap, const struct stats_sources *src)
{
	int n;

	snap->nvrrp = 0;
	snap->has_vrrp = src->vrrp != NULL;
	if (!src->vrrp)
		return;
	n = vrrp_count(src->vrrp);
	for (int i = 0; i < n && i < STATS_VRRP_MAX; i++) {
		const struct vrrp_view *v = vrrp_view(src->vrrp, i);
		if (!v)
			continue;
		snap->vrrp[snap->nvrrp] = *v;
		collect_vips(snap, snap->nvrrp++, src->conf);
	}
}

void stats_collect(struct stats_snapshot *snap, const struct stats_sources *src, double now)
{
	const struct conf *conf = src->conf;

	snap->version = PGFRONT_VERSION;
	snap->pid = (long)getpid();
	snap->now = now;
	snap->uptime = now - src->started;
	snap->maxconn = conf->global.maxconn;
	snap->connections = src->proxy ? proxy_current_connections(src->proxy) : 0;
	snap->nthreads = src->proxy ? proxy_thread_count(src->proxy) : 0;
	for (int t = 0; t < snap->nthreads; t++) {
		snap->thread_sessions[t] = proxy_thread_sessions(src->proxy, t);
		snap->thread_sessions_total[t] = proxy_thread_sessions_total(src->proxy, t);
		snap->thread_bulk_deferrals[t] = proxy_thread_bulk_deferrals(src->proxy, t);
	}
	snprintf(snap->uri, sizeof snap->uri, "%s", conf->stats.uri);
	snap->refresh_s = conf->stats.refresh_s;
	snap->admin = conf->stats.admin && conf->stats.user[0];
	snap->tls = conf->stats.tls_cert_file[0] != '\0';
	snap->nlisteners = conf->nlisteners;
	for (int i = 0; i < conf->nlisteners; i++)
		collect_listener(&snap->listeners[i], src, i, now);
	collect_vrrp(snap, src);
	stats_collect_nodes(snap, conf);
	stats_collect_events(snap);
}
