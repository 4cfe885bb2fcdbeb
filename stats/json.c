/*
 * GET <uri>;json: the page's content as one JSON document, for scripts that
 * would rather not parse CSV. Durations in seconds, check durations in
 * milliseconds, counters as integers; names are pgfront's, not HAProxy's.
 */
#include <stdio.h>

#include "stats/internal.h"

static void key(struct stats_buf *b, const char *name, bool first)
{
	if (!first)
		stats_buf_add(b, ",", 1);
	stats_buf_json(b, name);
	stats_buf_add(b, ":", 1);
}

static void num(struct stats_buf *b, const char *name, unsigned long long v)
{
	key(b, name, false);
	stats_buf_printf(b, "%llu", v);
}

static void str(struct stats_buf *b, const char *name, const char *v)
{
	key(b, name, false);
	stats_buf_json(b, v);
}

static void secs(struct stats_buf *b, const char *name, double v)
{
	key(b, name, false);
	stats_buf_printf(b, "%.3f", v < 0 ? 0 : v);
}

static void last_check(struct stats_buf *b, const struct hc_result *r)
{
	key(b, "last_check", false);
	stats_buf_puts(b, "{");
	key(b, "result", true);
	stats_buf_json(b, r->reason == HC_REASON_NONE ? "not checked yet" : hc_reason_name(r->reason));
	str(b, "code", stats_check_code(r));
	num(b, "http_status", (unsigned)(r->http_status > 0 ? r->http_status : 0));
	key(b, "duration_ms", false);
	stats_buf_printf(b, "%.1f", r->duration_ms);
	str(b, "detail", r->detail);
	stats_buf_puts(b, "}");
}

static void member(struct stats_buf *b, const struct stats_member *m, bool first)
{
	char status[STATS_STATUS_MAX];

	if (!first)
		stats_buf_add(b, ",", 1);
	stats_buf_puts(b, "{");
	key(b, "name", true);
	stats_buf_json(b, m->name);
	str(b, "address", m->address);
	key(b, "backup", false);
	stats_buf_puts(b, m->backup ? "true" : "false");
	str(b, "status", stats_status(m, status, sizeof status));
	str(b, "health", hc_status_name(m->health.status));
	num(b, "streak", (unsigned)m->health.streak);
	num(b, "rise", (unsigned)m->rise);
	num(b, "fall", (unsigned)m->fall);
	str(b, "admin", stats_admin_text(m->admin));
	last_check(b, &m->last);
	num(b, "checks", m->checks);
	num(b, "check_failures", m->failures);
	num(b, "down_transitions", m->down_transitions);
	num(b, "checks_not_run", m->checks_not_run);
	secs(b, "downtime_s", m->downtime);
	secs(b, "since_change_s", m->since_change);
	num(b, "sessions", (unsigned)m->c.sessions);
	num(b, "sessions_max", (unsigned)m->c.sessions_max);
	num(b, "sessions_limit", (unsigned)m->maxconn);
	num(b, "sessions_total", m->c.sessions_total);
	num(b, "queue", 0);
	num(b, "queue_max", 0);
	num(b, "bytes_in", m->c.bytes_in);
	num(b, "bytes_out", m->c.bytes_out);
	num(b, "connect_errors", m->c.connect_errors);
	num(b, "retries", m->c.retries);
	num(b, "killed_on_down", m->c.killed_on_down);
	stats_buf_puts(b, "}");
}

static void listener(struct stats_buf *b, const struct stats_listener *l, bool first)
{
	bool none = true;

	if (!first)
		stats_buf_add(b, ",", 1);
	stats_buf_puts(b, "{");
	key(b, "name", true);
	stats_buf_json(b, l->name);
	key(b, "binds", false);
	stats_buf_puts(b, "[");
	for (int i = 0; i < l->nbinds; i++) {
		if (i)
			stats_buf_add(b, ",", 1);
		stats_buf_json(b, l->binds[i]);
	}
	stats_buf_puts(b, "]");
	str(b, "balance", conf_balance_name(l->balance));
	str(b, "check", l->check);
	num(b, "sessions", (unsigned)l->c.sessions);
	num(b, "sessions_max", (unsigned)l->c.sessions_max);
	num(b, "sessions_total", l->c.sessions_total);
	num(b, "queue", (unsigned)l->c.queued);
	num(b, "queue_max", (unsigned)l->c.queued_max);
	num(b, "queue_abandoned", l->c.abandoned);
	num(b, "logins", (unsigned)l->c.logins);
	num(b, "login_timeouts", l->c.login_timeouts);
	num(b, "login_invalid", l->c.login_invalid);
	num(b, "login_dropped", l->c.login_dropped);
	num(b, "cancels_forwarded", l->c.cancels_forwarded);
	num(b, "sessions_vip_lost", l->c.vip_lost);
	if (l->writes) {
		key(b, "primary", false);
		stats_buf_printf(b, "{\"hunting\":%s,\"timeline\":%lld,\"gaps\":%llu,"
		                 "\"gap_seconds_total\":%.3f,\"last_gap_seconds\":%.3f,"
		                 "\"current_gap_seconds\":%.3f}", l->hunting ? "true" : "false",
		                 l->timeline, (unsigned long long)l->gaps, l->gap_seconds,
		                 l->last_gap, l->gap_now);
	}
	num(b, "bytes_in", l->c.bytes_in);
	num(b, "bytes_out", l->c.bytes_out);
	key(b, "refused", false);
	stats_buf_puts(b, "{");
	for (int r = 0; r < PROXY_REFUSAL_COUNT; r++) {
		const char *k = stats_refusal_key((enum proxy_refusal)r);
		if (!k)
			continue;
		key(b, k, none);
		stats_buf_printf(b, "%llu", (unsigned long long)l->c.refused[r]);
		none = false;
	}
	stats_buf_puts(b, "}");
	key(b, "servers", false);
	stats_buf_puts(b, "[");
	for (int i = 0; i < l->nmembers; i++)
		member(b, &l->members[i], i == 0);
	stats_buf_puts(b, "]}");
}

static void vrrp_instance(struct stats_buf *b, const struct vrrp_view *v, double now,
                          const char (*vips)[STATS_VIP_MAX], int nvips, bool first)
{
	bool none = true;

	if (!first)
		stats_buf_add(b, ",", 1);
	stats_buf_puts(b, "{");
	key(b, "name", true);
	stats_buf_json(b, v->name ? v->name : "");
	str(b, "interface", v->interface ? v->interface : "");
	num(b, "vrid", (unsigned)v->vrid);
	str(b, "state", vrrp_state_name(v->state));
	key(b, "vips", false);
	stats_buf_puts(b, "[");
	for (int k = 0; k < nvips; k++) {
		if (k)
			stats_buf_add(b, ",", 1);
		stats_buf_json(b, vips[k]);
	}
	stats_buf_puts(b, "]");
	num(b, "priority_configured", (unsigned)v->priority_configured);
	num(b, "priority_advertised", (unsigned)v->priority_advertised);
	secs(b, "since_change_s", v->since > 0 ? now - v->since : 0);
	num(b, "transitions", v->transitions);
	str(b, "master", v->master);
	num(b, "adverts_sent", v->adverts_sent);
	num(b, "adverts_received", v->adverts_received);
	key(b, "discards", false);
	stats_buf_puts(b, "{");
	for (int d = 0; d < VRRP_DISCARD_COUNT; d++) {
		const char *k = vrrp_discard_name((enum vrrp_discard)d);
		if (!k)
			continue;
		key(b, k, none);
		stats_buf_printf(b, "%llu", (unsigned long long)v->discards[d]);
		none = false;
	}
	stats_buf_puts(b, "}");
	key(b, "vip_mismatch", false);
	stats_buf_puts(b, v->vip_mismatch ? "true" : "false");
	stats_buf_puts(b, "}");
}

static void node(struct stats_buf *b, const struct stats_node *n, bool first)
{
	const struct hc_patroni *p = &n->patroni;

	if (!first)
		stats_buf_add(b, ",", 1);
	stats_buf_puts(b, "{");
	key(b, "name", true);
	stats_buf_json(b, n->name);
	str(b, "address", n->address);
	key(b, "known", false);
	stats_buf_puts(b, n->known ? "true" : "false");
	if (n->known) {
		str(b, "seen_by", n->seen_by);
		str(b, "role", p->role);
		str(b, "state", p->state);
		key(b, "primary", false);
		stats_buf_puts(b, n->primary ? "true" : "false");
		num(b, "timeline", (unsigned long long)p->timeline);
		num(b, "wal_position", (unsigned long long)p->wal_position);
		num(b, "wal_received", (unsigned long long)p->wal_received);
		num(b, "wal_replayed", (unsigned long long)p->wal_replayed);
	}
	key(b, "lag_bytes", false);
	if (n->lag_bytes >= 0)
		stats_buf_printf(b, "%lld", n->lag_bytes);
	else
		stats_buf_puts(b, "null");
	stats_buf_puts(b, "}");
}

static void event(struct stats_buf *b, const struct event *e, bool first)
{
	if (!first)
		stats_buf_add(b, ",", 1);
	stats_buf_puts(b, "{");
	key(b, "time", true);
	stats_buf_printf(b, "%.3f", e->time);
	str(b, "kind", event_kind_name(e->kind));
	str(b, "text", e->text);
	stats_buf_puts(b, "}");
}

void stats_render_json(struct stats_buf *b, const struct stats_snapshot *snap)
{
	stats_buf_puts(b, "{\"pgfront\":{");
	key(b, "version", true);
	stats_buf_json(b, snap->version);
	num(b, "pid", (unsigned long long)snap->pid);
	secs(b, "uptime_s", snap->uptime);
	num(b, "maxconn", (unsigned)snap->maxconn);
	num(b, "connections", (unsigned)snap->connections);
	stats_buf_puts(b, ",\"threads\":[");
	for (int t = 0; t < snap->nthreads; t++)
		stats_buf_printf(b, "%s{\"sessions\":%d,\"sessions_total\":%llu,"
		                 "\"bulk_deferrals\":%llu}", t ? "," : "",
		                 snap->thread_sessions[t],
		                 (unsigned long long)snap->thread_sessions_total[t],
		                 (unsigned long long)snap->thread_bulk_deferrals[t]);
	stats_buf_puts(b, "]},\"listeners\":[");
	for (int i = 0; i < snap->nlisteners; i++)
		listener(b, &snap->listeners[i], i == 0);
	stats_buf_puts(b, "],\"vrrp\":[");
	for (int i = 0; i < snap->nvrrp; i++)
		vrrp_instance(b, &snap->vrrp[i], snap->now, snap->vips[i], snap->nvips[i], i == 0);
	stats_buf_puts(b, "],\"cluster\":[");
	for (int i = 0; i < snap->nnodes; i++)
		node(b, &snap->nodes[i], i == 0);
	stats_buf_puts(b, "],\"events\":[");
	for (int i = 0; i < snap->nevents; i++)
		event(b, &snap->events[i], i == 0);
	stats_buf_puts(b, "]}\n");
}
