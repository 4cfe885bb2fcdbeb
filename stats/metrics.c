/*
 * GET /metrics: Prometheus' text exposition format (version 0.0.4). Every
 * family is written whole (HELP, TYPE, then all its samples), as the format
 * requires; the tables below say which families there are, so adding one is
 * one line. Names follow Prometheus' conventions (base units, _total on
 * counters) so that `promtool check metrics` has nothing to say.
 */
#include <stdio.h>

#include "stats/internal.h"

struct family {
	const char *name;
	const char *type;                   /* "gauge" or "counter" */
	const char *help;
	double (*value)(const void *obj, const struct stats_snapshot *snap);
};

static void header(struct stats_buf *b, const struct family *f)
{
	stats_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
}

/* A label value: backslash, quote and newline escaped. */
static void label(struct stats_buf *b, const char *name, const char *value, bool first)
{
	stats_buf_printf(b, "%s%s=\"", first ? "" : ",", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			stats_buf_printf(b, "\\%c", *value);
		else if (*value == '\n')
			stats_buf_puts(b, "\\n");
		else
			stats_buf_add(b, value, 1);
	}
	stats_buf_add(b, "\"", 1);
}

/* Integers as integers (exact up to 2^53); others to the microsecond, no trailing zeros. */
static void value(struct stats_buf *b, double v)
{
	char text[64];
	size_t n;

	if (v == (double)(long long)v && v < 9007199254740992.0 && v > -9007199254740992.0) {
		stats_buf_printf(b, "} %lld\n", (long long)v);
		return;
	}
	n = (size_t)snprintf(text, sizeof text, "%.6f", v);
	while (n > 1 && text[n - 1] == '0' && text[n - 2] != '.')
		text[--n] = '\0';
	stats_buf_printf(b, "} %s\n", text);
}

/* ---- per server */
#define M(field) ((const struct stats_member *)obj)->field
#define UNUSED (void)snap

static double srv_up(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return M(health.status) == HC_STATUS_UP; }
static double srv_check_duration(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return M(last.duration_ms) / 1000.0; }
static double srv_check_status(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return M(last.http_status); }
static double srv_checks(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(checks); }
static double srv_failures(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(failures); }
static double srv_downs(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(down_transitions); }
static double srv_downtime(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return M(downtime); }
static double srv_last_change(const void *obj, const struct stats_snapshot *snap)
{ return snap->now - M(since_change); }
static double srv_sessions(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return M(c.sessions); }
static double srv_sessions_max(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return M(c.sessions_max); }
static double srv_sessions_limit(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return M(maxconn); }
static double srv_sessions_total(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(c.sessions_total); }
static double srv_bytes_in(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(c.bytes_in); }
static double srv_bytes_out(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(c.bytes_out); }
static double srv_connect_errors(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(c.connect_errors); }
static double srv_retries(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(c.retries); }
static double srv_killed(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)M(c.killed_on_down); }
#undef M

static const struct family server_families[] = {
	{ "pgfront_server_up", "gauge", "1 when the server's health checks say UP", srv_up },
	{ "pgfront_server_check_duration_seconds", "gauge",
	  "Duration of the last health check", srv_check_duration },
	{ "pgfront_server_check_http_status", "gauge",
	  "HTTP status of the last health check, 0 without a reply", srv_check_status },
	{ "pgfront_server_checks_total", "counter", "Health checks done", srv_checks },
	{ "pgfront_server_check_failures_total", "counter", "Health checks failed", srv_failures },
	{ "pgfront_server_down_transitions_total", "counter", "Transitions to DOWN", srv_downs },
	{ "pgfront_server_downtime_seconds_total", "counter",
	  "Time spent not UP (DOWN or not checked yet)", srv_downtime },
	{ "pgfront_server_last_change_timestamp_seconds", "gauge",
	  "When the health status last changed (or pgfront started)", srv_last_change },
	{ "pgfront_server_sessions", "gauge", "Sessions now, connecting ones included",
	  srv_sessions },
	{ "pgfront_server_sessions_max", "gauge", "Most sessions at once", srv_sessions_max },
	{ "pgfront_server_sessions_limit", "gauge", "maxconn of the server, 0 for none",
	  srv_sessions_limit },
	{ "pgfront_server_sessions_total", "counter", "Sessions sent to the server",
	  srv_sessions_total },
	{ "pgfront_server_received_bytes_total", "counter", "Bytes from clients to the server",
	  srv_bytes_in },
	{ "pgfront_server_sent_bytes_total", "counter", "Bytes from the server to clients",
	  srv_bytes_out },
	{ "pgfront_server_connect_errors_total", "counter", "Failed connects to the server",
	  srv_connect_errors },
	{ "pgfront_server_retries_total", "counter", "Connect retries", srv_retries },
	{ "pgfront_server_killed_sessions_total", "counter",
	  "Sessions closed because the server went DOWN", srv_killed },
};

/* ---- per listener */
#define L(field) ((const struct stats_listener *)obj)->field

static double l_sessions(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return L(c.sessions); }
static double l_sessions_max(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return L(c.sessions_max); }
static double l_sessions_total(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(c.sessions_total); }
static double l_queue(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return L(c.queued); }
static double l_queue_max(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return L(c.queued_max); }
static double l_bytes_in(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(c.bytes_in); }
static double l_bytes_out(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(c.bytes_out); }
static double l_logins(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return L(c.logins); }
static double l_login_timeouts(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(c.login_timeouts); }
static double l_login_invalid(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(c.login_invalid); }
static double l_login_dropped(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(c.login_dropped); }
static double l_cancels(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(c.cancels_forwarded); }
static double l_vip_lost(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(c.vip_lost); }
#undef L

static const struct family listener_families[] = {
	{ "pgfront_listener_sessions", "gauge", "Client sessions now: queued, connecting, relaying",
	  l_sessions },
	{ "pgfront_listener_sessions_max", "gauge", "Most client sessions at once", l_sessions_max },
	{ "pgfront_listener_sessions_total", "counter", "Client sessions accepted",
	  l_sessions_total },
	{ "pgfront_listener_queue", "gauge", "Clients waiting for a server with room", l_queue },
	{ "pgfront_listener_queue_max", "gauge", "Most clients waiting at once", l_queue_max },
	{ "pgfront_listener_received_bytes_total", "counter", "Bytes from clients", l_bytes_in },
	{ "pgfront_listener_sent_bytes_total", "counter", "Bytes to clients", l_bytes_out },
	{ "pgfront_listener_logins", "gauge",
	  "Clients connected that have not sent their whole first packet yet", l_logins },
	{ "pgfront_listener_login_timeouts_total", "counter",
	  "Clients closed for sending no whole first packet within timeout_login",
	  l_login_timeouts },
	{ "pgfront_listener_login_invalid_total", "counter",
	  "Clients closed for a first packet that is not PostgreSQL's nor TLS", l_login_invalid },
	{ "pgfront_listener_login_dropped_total", "counter",
	  "Clients logging in closed, the oldest first, to make room for new ones",
	  l_login_dropped },
	{ "pgfront_listener_cancels_forwarded_total", "counter",
	  "CancelRequests passed on to the servers that may run the query", l_cancels },
	{ "pgfront_listener_vip_lost_sessions_total", "counter",
	  "Sessions closed because the VIP they came through moved to another balancer",
	  l_vip_lost },
};

/* ---- per write port (balance single) */
#define L(field) ((const struct stats_listener *)obj)->field

static double w_gaps(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(gaps); }
static double w_gap_seconds(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return L(gap_seconds); }
static double w_last_gap(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return L(last_gap); }
static double w_timeline(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)L(timeline); }
static double w_hunting(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return L(hunting); }
#undef L

static const struct family write_families[] = {
	{ "pgfront_listener_primary_lost_total", "counter",
	  "Times a balance=single listener lost its one primary", w_gaps },
	{ "pgfront_listener_without_primary_seconds_total", "counter",
	  "Seconds a balance=single listener spent without one primary", w_gap_seconds },
	{ "pgfront_listener_last_without_primary_seconds", "gauge",
	  "Length of the last ended stretch without one primary", w_last_gap },
	{ "pgfront_listener_primary_timeline", "gauge",
	  "Timeline of the last proven primary, 0 before the first", w_timeline },
	{ "pgfront_listener_hunting", "gauge",
	  "1 while every server is checked at hunt_interval", w_hunting },
};

/* ---- per VRRP instance */
#define V(field) ((const struct vrrp_view *)obj)->field

static double v_priority(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return V(priority_advertised); }
static double v_priority_conf(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return V(priority_configured); }
static double v_transitions(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)V(transitions); }
static double v_sent(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)V(adverts_sent); }
static double v_received(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)V(adverts_received); }
#undef V

static const struct family vrrp_families[] = {
	{ "pgfront_vrrp_priority", "gauge", "Priority advertised, after tracked listeners",
	  v_priority },
	{ "pgfront_vrrp_priority_configured", "gauge", "Priority configured", v_priority_conf },
	{ "pgfront_vrrp_transitions_total", "counter", "State transitions", v_transitions },
	{ "pgfront_vrrp_adverts_sent_total", "counter", "Advertisements sent", v_sent },
	{ "pgfront_vrrp_adverts_received_total", "counter", "Advertisements received", v_received },
};

/* ---- per node, as Patroni describes it (only nodes whose body is known) */
#define N(field) ((const struct stats_node *)obj)->field

static double n_timeline(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)N(patroni.timeline); }
static double n_primary(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return N(primary); }
static double n_wal_position(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)(N(primary) ? N(patroni.wal_position) : N(patroni.wal_replayed)); }
static double n_lag(const void *obj, const struct stats_snapshot *snap)
{ UNUSED; return (double)N(lag_bytes); }

static const struct family node_families[] = {
	{ "pgfront_patroni_primary", "gauge",
	  "1 if Patroni's body says the node is a running primary", n_primary },
	{ "pgfront_patroni_timeline", "gauge", "The node's timeline, per Patroni", n_timeline },
	{ "pgfront_patroni_wal_position_bytes", "gauge",
	  "A primary's WAL write position, a replica's replayed position, per Patroni",
	  n_wal_position },
};
#undef N
#undef UNUSED

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void servers(struct stats_buf *b, const struct stats_snapshot *snap)
{
	for (size_t f = 0; f < COUNT(server_families); f++) {
		header(b, &server_families[f]);
		for (int i = 0; i < snap->nlisteners; i++) {
			const struct stats_listener *l = &snap->listeners[i];
			for (int j = 0; j < l->nmembers; j++) {
				stats_buf_printf(b, "%s{", server_families[f].name);
				label(b, "listener", l->name, true);
				label(b, "server", l->members[j].name, false);
				value(b, server_families[f].value(&l->members[j], snap));
			}
		}
	}
}

/* A state set: one sample per possible state, 1 for the current one. */
static void admin_states(struct stats_buf *b, const struct stats_snapshot *snap)
{
	static const struct family f = { "pgfront_server_admin_state", "gauge",
		"The operator's state of the server: READY, DRAIN or MAINT", NULL };

	header(b, &f);
	for (int i = 0; i < snap->nlisteners; i++) {
		const struct stats_listener *l = &snap->listeners[i];
		for (int j = 0; j < l->nmembers; j++) {
			for (int a = PROXY_ADMIN_READY; a <= PROXY_ADMIN_MAINT; a++) {
				stats_buf_printf(b, "%s{", f.name);
				label(b, "listener", l->name, true);
				label(b, "server", l->members[j].name, false);
				label(b, "state", stats_admin_text((enum proxy_admin)a), false);
				value(b, l->members[j].admin == (enum proxy_admin)a);
			}
		}
	}
}

static void listeners(struct stats_buf *b, const struct stats_snapshot *snap)
{
	static const struct family refused = { "pgfront_listener_refused_total", "counter",
		"Clients refused, by reason", NULL };

	for (size_t f = 0; f < COUNT(listener_families); f++) {
		header(b, &listener_families[f]);
		for (int i = 0; i < snap->nlisteners; i++) {
			stats_buf_printf(b, "%s{", listener_families[f].name);
			label(b, "listener", snap->listeners[i].name, true);
			value(b, listener_families[f].value(&snap->listeners[i], snap));
		}
	}
	for (size_t f = 0; f < COUNT(write_families); f++) {
		header(b, &write_families[f]);
		for (int i = 0; i < snap->nlisteners; i++) {
			if (!snap->listeners[i].writes)
				continue;
			stats_buf_printf(b, "%s{", write_families[f].name);
			label(b, "listener", snap->listeners[i].name, true);
			value(b, write_families[f].value(&snap->listeners[i], snap));
		}
	}
	header(b, &refused);
	for (int i = 0; i < snap->nlisteners; i++) {
		for (int r = 0; r < PROXY_REFUSAL_COUNT; r++) {
			const char *key = stats_refusal_key((enum proxy_refusal)r);
			if (!key)
				continue;
			stats_buf_printf(b, "%s{", refused.name);
			label(b, "listener", snap->listeners[i].name, true);
			label(b, "reason", key, false);
			value(b, (double)snap->listeners[i].c.refused[r]);
		}
	}
}

/*
 * The VRRP instance's label is vrrp_instance: Prometheus gives every scraped
 * series an `instance` label of its own (the target), and would rename ours.
 */
static void vrrp_state_set(struct stats_buf *b, const struct stats_snapshot *snap)
{
	static const struct family f = { "pgfront_vrrp_state", "gauge",
		"VRRP state of the instance: INIT, BACKUP or MASTER", NULL };

	header(b, &f);
	for (int i = 0; i < snap->nvrrp; i++) {
		for (int s = VRRP_STATE_INIT; s <= VRRP_STATE_MASTER; s++) {
			stats_buf_printf(b, "%s{", f.name);
			label(b, "vrrp_instance", snap->vrrp[i].name ? snap->vrrp[i].name : "", true);
			label(b, "state", vrrp_state_name((enum vrrp_state)s), false);
			value(b, snap->vrrp[i].state == (enum vrrp_state)s);
		}
	}
}

static void vrrp(struct stats_buf *b, const struct stats_snapshot *snap)
{
	static const struct family discards = { "pgfront_vrrp_discards_total", "counter",
		"Advertisements discarded, by reason (RFC 3768 section 7.1)", NULL };

	if (snap->nvrrp == 0)
		return;
	vrrp_state_set(b, snap);
	for (size_t f = 0; f < COUNT(vrrp_families); f++) {
		header(b, &vrrp_families[f]);
		for (int i = 0; i < snap->nvrrp; i++) {
			stats_buf_printf(b, "%s{", vrrp_families[f].name);
			label(b, "vrrp_instance", snap->vrrp[i].name ? snap->vrrp[i].name : "", true);
			value(b, vrrp_families[f].value(&snap->vrrp[i], snap));
		}
	}
	header(b, &discards);
	for (int i = 0; i < snap->nvrrp; i++) {
		for (int d = 0; d < VRRP_DISCARD_COUNT; d++) {
			const char *key = vrrp_discard_name((enum vrrp_discard)d);
			if (!key)
				continue;
			stats_buf_printf(b, "%s{", discards.name);
			label(b, "vrrp_instance", snap->vrrp[i].name ? snap->vrrp[i].name : "", true);
			label(b, "reason", key, false);
			value(b, (double)snap->vrrp[i].discards[d]);
		}
	}
}

static void node_role(struct stats_buf *b, const struct stats_node *n, bool first)
{
	static const struct family f = { "pgfront_patroni_info", "gauge",
		"Always 1: the node's role and state as Patroni's last body said", NULL };

	if (first)
		header(b, &f);
	stats_buf_printf(b, "%s{", f.name);
	label(b, "server", n->name, true);
	label(b, "role", n->patroni.role, false);
	label(b, "state", n->patroni.state, false);
	value(b, 1);
}

static void nodes(struct stats_buf *b, const struct stats_snapshot *snap)
{
	static const struct family lag = { "pgfront_patroni_replication_lag_bytes", "gauge",
		"A replica's replay lag behind the primary's position (from the last checks)", n_lag };
	bool first = true;

	for (int i = 0; i < snap->nnodes; i++) {
		if (snap->nodes[i].known) {
			node_role(b, &snap->nodes[i], first);
			first = false;
		}
	}
	if (first)
		return;  /* no body: no Patroni families at all */
	for (size_t f = 0; f < COUNT(node_families); f++) {
		header(b, &node_families[f]);
		for (int i = 0; i < snap->nnodes; i++) {
			if (!snap->nodes[i].known)
				continue;
			stats_buf_printf(b, "%s{", node_families[f].name);
			label(b, "server", snap->nodes[i].name, true);
			value(b, node_families[f].value(&snap->nodes[i], snap));
		}
	}
	header(b, &lag);
	for (int i = 0; i < snap->nnodes; i++) {
		if (snap->nodes[i].lag_bytes < 0)
			continue;
		stats_buf_printf(b, "%s{", lag.name);
		label(b, "server", snap->nodes[i].name, true);
		value(b, lag.value(&snap->nodes[i], snap));
	}
}

static void events(struct stats_buf *b, const struct stats_snapshot *snap)
{
	static const struct family f = { "pgfront_events_total", "counter",
		"Events of the recent-events panel since start, by kind", NULL };

	header(b, &f);
	for (int k = 0; k < EVENT_KIND_COUNT; k++) {
		stats_buf_printf(b, "%s{", f.name);
		label(b, "kind", event_kind_name((enum event_kind)k), true);
		value(b, (double)snap->event_totals[k]);
	}
}

/* The stats page's own connections: what its limits turned away. */
static void page(struct stats_buf *b, const struct stats_snapshot *snap)
{
	static const struct family conns = { "pgfront_stats_connections_total", "counter",
		"Connections to the stats page, by outcome", NULL };

	header(b, &conns);
	for (int o = 0; o < STATS_CONN_OUTCOME_COUNT; o++) {
		stats_buf_printf(b, "%s{", conns.name);
		label(b, "outcome", stats_conn_outcome_name((enum stats_conn_outcome)o), true);
		value(b, (double)snap->page.conns[o]);
	}
	stats_buf_printf(b, "# HELP pgfront_stats_rate_limited_total Times the stats page "
	                 "stopped accepting for a while: new connections came faster than its "
	                 "rate\n# TYPE pgfront_stats_rate_limited_total counter\n"
	                 "pgfront_stats_rate_limited_total %lu\n", snap->page.rate_limited);
}

/* A counter with one value per relaying loop (thread 0: the main loop). */
static void thread_counter(struct stats_buf *b, const struct stats_snapshot *snap,
                           const char *name, const char *help, const uint64_t *values)
{
	stats_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (int t = 0; t < snap->nthreads; t++)
		stats_buf_printf(b, "%s{thread=\"%d\"} %llu\n", name, t,
		                 (unsigned long long)values[t]);
}

void stats_render_metrics(struct stats_buf *b, const struct stats_snapshot *snap)
{
	stats_buf_puts(b, "# HELP pgfront_info The running pgfront's version\n"
	                  "# TYPE pgfront_info gauge\npgfront_info{");
	label(b, "version", snap->version, true);
	value(b, 1);
	stats_buf_printf(b, "# HELP pgfront_start_time_seconds When pgfront started, "
	                 "in seconds since the epoch\n# TYPE pgfront_start_time_seconds gauge\n"
	                 "pgfront_start_time_seconds %.3f\n", snap->now - snap->uptime);
	stats_buf_printf(b, "# HELP pgfront_maxconn [global] maxconn: client connections "
	                 "allowed\n# TYPE pgfront_maxconn gauge\npgfront_maxconn %d\n",
	                 snap->maxconn);
	stats_buf_printf(b, "# HELP pgfront_connections Client connections now\n"
	                 "# TYPE pgfront_connections gauge\npgfront_connections %d\n",
	                 snap->connections);
	stats_buf_puts(b, "# HELP pgfront_thread_sessions Sessions each relaying loop "
	                  "relays now (thread 0: the main loop)\n"
	                  "# TYPE pgfront_thread_sessions gauge\n");
	for (int t = 0; t < snap->nthreads; t++)
		stats_buf_printf(b, "pgfront_thread_sessions{thread=\"%d\"} %d\n", t,
		                 snap->thread_sessions[t]);
	thread_counter(b, snap, "pgfront_thread_sessions_total",
	               "Sessions that started relaying on each loop: new ones on the main loop "
	               "(thread 0), those that lasted and moved on a relay thread",
	               snap->thread_sessions_total);
	thread_counter(b, snap, "pgfront_thread_bulk_deferrals_total",
	               "One-way streams (COPY, large results) each loop read per 64 KiB instead "
	               "of per chunk", snap->thread_bulk_deferrals);
	listeners(b, snap);
	servers(b, snap);
	admin_states(b, snap);
	vrrp(b, snap);
	nodes(b, snap);
	events(b, snap);
	page(b, snap);
}
