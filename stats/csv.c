/*
 * HAProxy's `show stat` CSV, so that scripts and monitoring templates written
 * for the seed's HAProxy keep working: the same header (the static fields of
 * HAProxy 2.6, in their order), and per listener a FRONTEND row, one row per
 * server, and a BACKEND row. A field pgfront has no value for stays empty, as
 * HAProxy leaves fields that do not apply.
 *
 * What pgfront's numbers mean in HAProxy's columns:
 *   qcur/qmax    the listener's queue (BACKEND); servers have no queue of their own: 0
 *   slim         FRONTEND: [global] maxconn; server: its maxconn (empty: no limit)
 *   ereq         FRONTEND: clients closed before their first packet was whole or
 *                valid (login_timeouts, login_invalid, login_dropped): HAProxy's
 *                request errors, which count early ends and client timeouts
 *   econ         server: failed connects; BACKEND: theirs plus clients refused
 *                for want of a server
 *   wretr        connect retries
 *   status       UP, DOWN, "UP 1/3", "DOWN 1/2", DRAIN, MAINT; INIT is DOWN
 *                with check_status INI
 *   weight       1 for a READY server, 0 in DRAIN or MAINT; BACKEND: servers serving
 *   lastchg/downtime, chkfail/chkdown, check_*   from the health checks
 */
#include <stdio.h>
#include <string.h>

#include "stats/internal.h"

static const char *const columns[] = {
	"pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout",
	"dreq", "dresp", "ereq", "econ", "eresp", "wretr", "wredis", "status", "weight", "act",
	"bck", "chkfail", "chkdown", "lastchg", "downtime", "qlimit", "pid", "iid", "sid",
	"throttle", "lbtot", "tracked", "type", "rate", "rate_lim", "rate_max", "check_status",
	"check_code", "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
	"hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt",
	"srv_abrt", "comp_in", "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk",
	"last_agt", "qtime", "ctime", "rtime", "ttime", "agent_status", "agent_code",
	"agent_duration", "check_desc", "agent_desc", "check_rise", "check_fall", "check_health",
	"agent_rise", "agent_fall", "agent_health", "addr", "cookie", "mode", "algo",
	"conn_rate", "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses", "wrew",
	"connect", "reuse", "cache_lookups", "cache_hits", "srv_icur", "src_ilim", "qtime_max",
	"ctime_max", "rtime_max", "ttime_max", "eint", "idle_conn_cur", "safe_conn_cur",
	"used_conn_cur", "need_conn_est", "uweight", "agg_server_status",
	"agg_server_check_status", "agg_check_status",
};

#define NCOLUMNS (sizeof columns / sizeof columns[0])
#define ROW_STORE 2048

/* HAProxy's "type" column. */
enum { TYPE_FRONTEND = 0, TYPE_BACKEND = 1, TYPE_SERVER = 2 };

struct row {
	const char *v[NCOLUMNS];
	char store[ROW_STORE];
	size_t used;
};

static int column(const char *name)
{
	for (size_t i = 0; i < NCOLUMNS; i++)
		if (strcmp(columns[i], name) == 0)
			return (int)i;
	return -1;
}

static void set(struct row *r, const char *name, const char *value)
{
	int c = column(name);
	size_t n = strlen(value) + 1;

	/* A name not in the table is a typo here: the unit test renders every row. */
	if (c < 0 || r->used + n > sizeof r->store)
		return;
	memcpy(r->store + r->used, value, n);
	r->v[c] = r->store + r->used;
	r->used += n;
}

static void set_u(struct row *r, const char *name, unsigned long long value)
{
	char text[24];

	snprintf(text, sizeof text, "%llu", value);
	set(r, name, text);
}

static void emit(struct stats_buf *b, const struct row *r)
{
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (r->v[i])
			stats_buf_csv(b, r->v[i]);
		stats_buf_add(b, ",", 1);
	}
	stats_buf_add(b, "\n", 1);
}

static void start_row(struct row *r, const struct stats_listener *l, const char *svname,
                      int iid, int type)
{
	memset(r->v, 0, sizeof r->v);
	r->used = 0;
	set(r, "pxname", l->name);
	set(r, "svname", svname);
	set_u(r, "pid", 1);
	set_u(r, "iid", (unsigned)iid);
	set_u(r, "type", (unsigned)type);
	set(r, "mode", "tcp");
}

static void frontend_row(struct stats_buf *b, struct row *r, const struct stats_listener *l,
                         int iid)
{
	start_row(r, l, "FRONTEND", iid, TYPE_FRONTEND);
	set_u(r, "scur", (unsigned)l->c.sessions);
	set_u(r, "smax", (unsigned)l->c.sessions_max);
	set_u(r, "slim", (unsigned)l->maxconn);
	set_u(r, "stot", l->c.sessions_total);
	set_u(r, "bin", l->c.bytes_in);
	set_u(r, "bout", l->c.bytes_out);
	set_u(r, "ereq", l->c.login_timeouts + l->c.login_invalid + l->c.login_dropped);
	set(r, "status", "OPEN");
	set_u(r, "sid", 0);
	set_u(r, "conn_tot", l->c.sessions_total);
	emit(b, r);
}

static void check_fields(struct row *r, const struct stats_member *m)
{
	const struct hc_result *last = &m->last;

	set(r, "check_status", stats_check_code(last));
	set(r, "check_desc", stats_check_desc(last));
	if (last->reason != HC_REASON_NONE) {
		set_u(r, "check_duration", (unsigned long long)(last->duration_ms + 0.5));
		set(r, "last_chk", last->detail);
	}
	if (last->http_status > 0)
		set_u(r, "check_code", (unsigned)last->http_status);
	set_u(r, "check_rise", (unsigned)m->rise);
	set_u(r, "check_fall", (unsigned)m->fall);
	set_u(r, "check_health", (unsigned)stats_check_health(m));
}

static void server_row(struct stats_buf *b, struct row *r, const struct stats_listener *l,
                       const struct stats_member *m, int iid)
{
	char status[STATS_STATUS_MAX];

	start_row(r, l, m->name, iid, TYPE_SERVER);
	set_u(r, "qcur", 0);
	set_u(r, "qmax", 0);
	set_u(r, "scur", (unsigned)m->c.sessions);
	set_u(r, "smax", (unsigned)m->c.sessions_max);
	if (m->maxconn > 0)
		set_u(r, "slim", (unsigned)m->maxconn);
	set_u(r, "stot", m->c.sessions_total);
	set_u(r, "bin", m->c.bytes_in);
	set_u(r, "bout", m->c.bytes_out);
	set_u(r, "econ", m->c.connect_errors);
	set_u(r, "wretr", m->c.retries);
	set(r, "status", stats_status_csv(m, status, sizeof status));
	set_u(r, "weight", m->admin == PROXY_ADMIN_READY);
	set_u(r, "act", !m->backup);
	set_u(r, "bck", m->backup);
	set_u(r, "chkfail", m->failures);
	set_u(r, "chkdown", m->down_transitions);
	set_u(r, "lastchg", (unsigned long long)(m->since_change < 0 ? 0 : m->since_change));
	set_u(r, "downtime", (unsigned long long)(m->downtime < 0 ? 0 : m->downtime));
	set_u(r, "sid", (unsigned)m->sid);
	set_u(r, "lbtot", m->c.sessions_total);
	check_fields(r, m);
	set(r, "addr", m->address);
	set_u(r, "uweight", 1);
	emit(b, r);
}

static void backend_row(struct stats_buf *b, struct row *r, const struct stats_listener *l,
                        int iid)
{
	unsigned long long econ = l->c.refused[PROXY_REFUSED_NO_SERVER] +
	                          l->c.refused[PROXY_REFUSED_AMBIGUOUS];
	unsigned long long retries = 0, lbtot = 0;
	unsigned act = 0, bck = 0;

	for (int i = 0; i < l->nmembers; i++) {
		const struct stats_member *m = &l->members[i];
		econ += m->c.connect_errors;
		retries += m->c.retries;
		lbtot += m->c.sessions_total;
		if (stats_member_serving(m))
			m->backup ? bck++ : act++;
	}
	start_row(r, l, "BACKEND", iid, TYPE_BACKEND);
	set_u(r, "qcur", (unsigned)l->c.queued);
	set_u(r, "qmax", (unsigned)l->c.queued_max);
	set_u(r, "scur", (unsigned)l->c.sessions);
	set_u(r, "smax", (unsigned)l->c.sessions_max);
	set_u(r, "stot", l->c.sessions_total);
	set_u(r, "bin", l->c.bytes_in);
	set_u(r, "bout", l->c.bytes_out);
	set_u(r, "econ", econ);
	set_u(r, "wretr", retries);
	set(r, "status", act + bck > 0 ? "UP" : "DOWN");
	set_u(r, "weight", act + bck);
	set_u(r, "act", act);
	set_u(r, "bck", bck);
	set_u(r, "sid", 0);
	set_u(r, "lbtot", lbtot);
	set(r, "algo", conf_balance_name(l->balance));
	set_u(r, "uweight", (unsigned)l->nmembers);
	emit(b, r);
}

void stats_render_csv(struct stats_buf *b, const struct stats_snapshot *snap)
{
	struct row r;

	stats_buf_puts(b, "# ");
	for (size_t i = 0; i < NCOLUMNS; i++) {
		stats_buf_puts(b, columns[i]);
		stats_buf_add(b, ",", 1);
	}
	stats_buf_add(b, "\n", 1);
	for (int i = 0; i < snap->nlisteners; i++) {
		const struct stats_listener *l = &snap->listeners[i];
		frontend_row(b, &r, l, i + 1);
		for (int j = 0; j < l->nmembers; j++)
			server_row(b, &r, l, &l->members[j], i + 1);
		backend_row(b, &r, l, i + 1);
	}
}
