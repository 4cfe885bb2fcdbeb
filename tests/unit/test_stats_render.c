/*
 * stats: rendering a made-up cluster in every format. The status strings an
 * operator reads, HAProxy's CSV columns (by name, as scripts read them),
 * JSON, Prometheus lines and the HTML page, including what must be escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/internal.h"

/* HAProxy 2.6's static columns, as Debian's haproxy prints them (the
 * integration test compares this with a capture from the real thing). */
static const char haproxy_header[] =
	"# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
	"wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,"
	"throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,"
	"check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,"
	"req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,"
	"last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,"
	"check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,"
	"agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,"
	"dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,"
	"rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,"
	"uweight,agg_server_status,agg_server_check_status,agg_check_status,\n";

static struct stats_snapshot *snap;
static struct stats_buf out;

static struct stats_member *member(struct stats_listener *l, const char *name,
                                   enum hc_status status, int streak)
{
	struct stats_member *m = &l->members[l->nmembers++];

	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	snprintf(m->address, sizeof m->address, "198.18.145.%d:5432", l->nmembers);
	m->sid = l->nmembers;
	m->rise = 2;
	m->fall = 3;
	m->health.status = status;
	m->health.streak = streak;
	if (status != HC_STATUS_INIT) {
		m->last.reason = status == HC_STATUS_UP ? HC_REASON_PASSED : HC_REASON_STATUS;
		m->last.http_status = status == HC_STATUS_UP ? 200 : 503;
		m->last.duration_ms = 3.4;
		snprintf(m->last.detail, sizeof m->last.detail, "HTTP %d", m->last.http_status);
	}
	return m;
}

/* Two listeners: every status a server can show. */
static int setup(void **state)
{
	struct stats_listener *w, *r;
	struct stats_member *m;

	(void)state;
	snap = calloc(1, sizeof *snap);
	if (!snap)
		return -1;
	snap->version = "9.8.7";
	snap->pid = 4242;
	snap->now = 1700000000.0;
	snap->uptime = 3725;
	snap->maxconn = 200;
	snap->connections = 7;
	snap->nthreads = 2;
	snap->thread_sessions[0] = 3;
	snap->thread_sessions[1] = 4;
	snap->thread_sessions_total[0] = 30;
	snap->thread_sessions_total[1] = 7;
	snap->thread_bulk_deferrals[0] = 2;
	snap->thread_bulk_deferrals[1] = 5;
	strcpy(snap->uri, "/");
	snap->refresh_s = 5;
	snap->admin = true;
	snap->nlisteners = 2;
	w = &snap->listeners[0];
	strcpy(w->name, "postgres_write");
	strcpy(w->binds[0], "*:5432");
	w->nbinds = 1;
	w->balance = CONF_BALANCE_SINGLE;
	strcpy(w->check, "HEAD /primary");
	w->maxconn = 200;
	w->c = (struct proxy_listener_counters){ .sessions = 3, .sessions_max = 9,
		.sessions_total = 1234, .queued = 1, .queued_max = 4, .bytes_in = 5000,
		.bytes_out = 7000000 };
	w->c.refused[PROXY_REFUSED_NO_SERVER] = 11;
	w->c.logins = 2;
	w->c.login_timeouts = 5;
	w->c.login_invalid = 6;
	w->c.login_dropped = 7;
	w->c.cancels_forwarded = 8;
	m = member(w, "pg1", HC_STATUS_UP, 0);
	m->c = (struct proxy_server_counters){ .sessions = 3, .sessions_max = 9,
		.sessions_total = 1200, .bytes_in = 5000, .bytes_out = 7000000,
		.connect_errors = 2, .retries = 1 };
	m->maxconn = 90;
	m->failures = 4;
	m->down_transitions = 1;
	m->since_change = 65.7;
	m->downtime = 12.2;
	member(w, "pg2", HC_STATUS_UP, 1);                        /* UP 1/3 */
	m = member(w, "pg3", HC_STATUS_DOWN, 1);                  /* DOWN 1/2 */
	m->last.reason = HC_REASON_REFUSED;
	m->last.http_status = 0;
	strcpy(m->last.detail, "connection refused, \"port\" 8008");
	r = &snap->listeners[1];
	strcpy(r->name, "postgres_read");
	strcpy(r->binds[0], "*:5433");
	strcpy(r->binds[1], "[::]:5433");
	r->nbinds = 2;
	r->balance = CONF_BALANCE_ROUNDROBIN;
	strcpy(r->check, "HEAD /replica");
	member(r, "pg1", HC_STATUS_DOWN, 0);
	member(r, "pg2", HC_STATUS_UP, 0)->admin = PROXY_ADMIN_DRAIN;
	member(r, "pg3", HC_STATUS_UP, 0)->admin = PROXY_ADMIN_MAINT;
	m = member(r, "pg4", HC_STATUS_INIT, 0);
	m->backup = true;
	strcpy(m->last.detail, "<script>alert(1)</script>");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(snap);
	stats_buf_free(&out);
	return 0;
}

static const char *render(void (*fn)(struct stats_buf *, const struct stats_snapshot *))
{
	stats_buf_free(&out);
	fn(&out, snap);
	assert_false(out.failed);
	return out.data;
}

static void test_status_strings(void **state)
{
	static const char *const want[2][4] = {
		{ "UP", "UP 1/3", "DOWN 1/2" },
		{ "DOWN", "DRAIN", "MAINT", "INIT" },
	};
	static const char *const want_csv[2][4] = {
		{ "UP", "UP 1/3", "DOWN 1/2" },
		{ "DOWN", "DRAIN", "MAINT", "DOWN" },
	};
	char buf[STATS_STATUS_MAX];

	(void)state;
	for (int l = 0; l < 2; l++) {
		for (int i = 0; i < snap->listeners[l].nmembers; i++) {
			const struct stats_member *m = &snap->listeners[l].members[i];
			assert_string_equal(stats_status(m, buf, sizeof buf), want[l][i]);
			assert_string_equal(stats_status_csv(m, buf, sizeof buf), want_csv[l][i]);
		}
	}
}

static void test_drained_server_that_fails_shows_down(void **state)
{
	struct stats_member m = snap->listeners[1].members[1];
	char buf[STATS_STATUS_MAX];

	(void)state;
	m.health.status = HC_STATUS_DOWN;
	assert_string_equal(stats_status(&m, buf, sizeof buf), "DOWN");
	m.admin = PROXY_ADMIN_MAINT;
	assert_string_equal(stats_status(&m, buf, sizeof buf), "MAINT");
}

static void test_check_health_scale(void **state)
{
	struct stats_member m = { .rise = 2, .fall = 3 };

	(void)state;
	/* HAProxy's 0..rise+fall-1: DOWN 0, DOWN 1/2 is 1, UP from rise (2) to 4. */
	m.health = (struct hc_health){ .status = HC_STATUS_DOWN };
	assert_int_equal(stats_check_health(&m), 0);
	m.health = (struct hc_health){ .status = HC_STATUS_DOWN, .streak = 1 };
	assert_int_equal(stats_check_health(&m), 1);
	m.health = (struct hc_health){ .status = HC_STATUS_UP, .streak = 0 };
	assert_int_equal(stats_check_health(&m), 4);
	m.health = (struct hc_health){ .status = HC_STATUS_UP, .streak = 2 };
	assert_int_equal(stats_check_health(&m), 2);
}

static void test_name_tables_complete(void **state)
{
	(void)state;
	/* A reason added to proxy.h or vrrp.h needs its key here, or it is not shown. */
	for (int r = 0; r < PROXY_REFUSAL_COUNT; r++)
		assert_non_null(stats_refusal_key((enum proxy_refusal)r));
	for (int d = 0; d < VRRP_DISCARD_COUNT; d++)
		assert_non_null(vrrp_discard_name((enum vrrp_discard)d));
	for (int a = 0; a < STATS_ACTION_COUNT; a++) {
		enum stats_action back;
		assert_int_equal(stats_action_parse(stats_action_name((enum stats_action)a), &back), 0);
		assert_int_equal(back, a);
	}
}

/* Splits one CSV line (HAProxy's quoting) into fields; returns how many. */
static int split_csv(const char *line, char fields[][160], int max)
{
	int n = 0;
	const char *p = line;

	while (*p && *p != '\n' && n < max) {
		size_t k = 0;
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				if (k < 159)
					fields[n][k++] = *p;
			}
			p++;
		} else {
			for (; *p && *p != ',' && *p != '\n'; p++)
				if (k < 159)
					fields[n][k++] = *p;
		}
		fields[n++][k] = '\0';
		if (*p == ',')
			p++;
	}
	return n;
}

static int col(const char *name)
{
	static char names[128][160];
	static int n;

	if (!n)
		n = split_csv(haproxy_header + 2, names, 128);
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	fail_msg("no column %s", name);
	return -1;
}

/* Finds the row pxname,svname and checks one column by name. */
static void expect_field(const char *csv, const char *px, const char *sv, const char *column,
                         const char *want)
{
	char fields[128][160], prefix[160];
	const char *line;
	int n;

	snprintf(prefix, sizeof prefix, "\n%s,%s,", px, sv);
	line = strstr(csv, prefix);
	if (!line)
		fail_msg("no row %s,%s", px, sv);
	n = split_csv(line + 1, fields, 128);
	assert_int_equal(n, 103);
	if (strcmp(fields[col(column)], want) != 0)
		fail_msg("%s,%s %s: '%s', want '%s'", px, sv, column, fields[col(column)], want);
}

static void test_csv(void **state)
{
	const char *csv = render(stats_render_csv);
	int lines = 0;

	(void)state;
	assert_memory_equal(csv, haproxy_header, sizeof haproxy_header - 1);
	for (const char *p = csv; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1 + (1 + 3 + 1) + (1 + 4 + 1));
	expect_field(csv, "postgres_write", "FRONTEND", "status", "OPEN");
	expect_field(csv, "postgres_write", "FRONTEND", "scur", "3");
	expect_field(csv, "postgres_write", "FRONTEND", "slim", "200");
	expect_field(csv, "postgres_write", "FRONTEND", "type", "0");
	expect_field(csv, "postgres_write", "FRONTEND", "ereq", "18");    /* 5 + 6 + 7 */
	expect_field(csv, "postgres_write", "pg1", "status", "UP");
	expect_field(csv, "postgres_write", "pg1", "stot", "1200");
	expect_field(csv, "postgres_write", "pg1", "bout", "7000000");
	expect_field(csv, "postgres_write", "pg1", "slim", "90");
	expect_field(csv, "postgres_write", "pg1", "econ", "2");
	expect_field(csv, "postgres_write", "pg1", "wretr", "1");
	expect_field(csv, "postgres_write", "pg1", "chkfail", "4");
	expect_field(csv, "postgres_write", "pg1", "chkdown", "1");
	expect_field(csv, "postgres_write", "pg1", "lastchg", "65");
	expect_field(csv, "postgres_write", "pg1", "downtime", "12");
	expect_field(csv, "postgres_write", "pg1", "check_status", "L7OK");
	expect_field(csv, "postgres_write", "pg1", "check_code", "200");
	expect_field(csv, "postgres_write", "pg1", "check_duration", "3");
	expect_field(csv, "postgres_write", "pg1", "addr", "198.18.145.1:5432");
	expect_field(csv, "postgres_write", "pg1", "type", "2");
	expect_field(csv, "postgres_write", "pg1", "sid", "1");
	expect_field(csv, "postgres_write", "pg1", "dreq", "");
	expect_field(csv, "postgres_write", "pg2", "status", "UP 1/3");
	expect_field(csv, "postgres_write", "pg3", "status", "DOWN 1/2");
	expect_field(csv, "postgres_write", "pg3", "check_status", "L4CON");
	expect_field(csv, "postgres_write", "pg3", "check_code", "");
	/* A comma and quotes in a field: quoted, quotes doubled. */
	expect_field(csv, "postgres_write", "pg3", "last_chk", "connection refused, \"port\" 8008");
	assert_non_null(strstr(csv, ",\"connection refused, \"\"port\"\" 8008\","));
	expect_field(csv, "postgres_write", "BACKEND", "status", "UP");
	expect_field(csv, "postgres_write", "BACKEND", "act", "2");
	expect_field(csv, "postgres_write", "BACKEND", "qcur", "1");
	expect_field(csv, "postgres_write", "BACKEND", "qmax", "4");
	expect_field(csv, "postgres_write", "BACKEND", "econ", "13");
	expect_field(csv, "postgres_write", "BACKEND", "algo", "single");
	expect_field(csv, "postgres_read", "pg2", "status", "DRAIN");
	expect_field(csv, "postgres_read", "pg2", "weight", "0");
	expect_field(csv, "postgres_read", "pg3", "status", "MAINT");
	expect_field(csv, "postgres_read", "pg4", "status", "DOWN");
	expect_field(csv, "postgres_read", "pg4", "check_status", "INI");
	expect_field(csv, "postgres_read", "pg4", "bck", "1");
	expect_field(csv, "postgres_read", "BACKEND", "status", "DOWN");
	expect_field(csv, "postgres_read", "BACKEND", "weight", "0");
}

static void test_json(void **state)
{
	const char *json = render(stats_render_json);
	int depth = 0;

	(void)state;
	assert_non_null(strstr(json, "{\"pgfront\":{\"version\":\"9.8.7\",\"pid\":4242,"
	                              "\"uptime_s\":3725.000,\"maxconn\":200,\"connections\":7,"
	                              "\"threads\":[{\"sessions\":3,\"sessions_total\":30,"
	                              "\"bulk_deferrals\":2},"
	                              "{\"sessions\":4,\"sessions_total\":7,\"bulk_deferrals\":5}]}"));
	assert_non_null(strstr(json, "\"name\":\"postgres_read\",\"binds\":[\"*:5433\","
	                             "\"[::]:5433\"],\"balance\":\"roundrobin\""));
	assert_non_null(strstr(json, "\"name\":\"pg2\",\"address\":\"198.18.145.2:5432\","
	                             "\"backup\":false,\"status\":\"UP 1/3\",\"health\":\"UP\","
	                             "\"streak\":1,\"rise\":2,\"fall\":3,\"admin\":\"READY\""));
	assert_non_null(strstr(json, "\"refused\":{\"no_server\":11,"));
	assert_non_null(strstr(json, "\"logins\":2,\"login_timeouts\":5,\"login_invalid\":6,"
	                             "\"login_dropped\":7,\"cancels_forwarded\":8"));
	assert_non_null(strstr(json, "\"detail\":\"connection refused, \\\"port\\\" 8008\""));
	assert_non_null(strstr(json, "\"result\":\"not checked yet\",\"code\":\"INI\""));
	assert_non_null(strstr(json, "\"vrrp\":[],\"cluster\":["));
	for (const char *p = json; *p; p++) {
		if (*p == '"')
			for (p++; *p != '"'; p++)
				if (*p == '\\')
					p++;
		depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
		assert_true(depth >= 0);
	}
	assert_int_equal(depth, 0);
}

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void test_metrics(void **state)
{
	const char *text = render(stats_render_metrics);

	(void)state;
	assert_non_null(strstr(text, "pgfront_info{version=\"9.8.7\"} 1\n"));
	assert_non_null(strstr(text, "pgfront_thread_sessions{thread=\"0\"} 3\n"
	                             "pgfront_thread_sessions{thread=\"1\"} 4\n"));
	assert_non_null(strstr(text, "pgfront_thread_sessions_total{thread=\"0\"} 30\n"
	                             "pgfront_thread_sessions_total{thread=\"1\"} 7\n"));
	assert_non_null(strstr(text, "# TYPE pgfront_thread_bulk_deferrals_total counter\n"
	                             "pgfront_thread_bulk_deferrals_total{thread=\"0\"} 2\n"
	                             "pgfront_thread_bulk_deferrals_total{thread=\"1\"} 5\n"));
	assert_non_null(strstr(text, "pgfront_server_up{listener=\"postgres_write\","
	                             "server=\"pg1\"} 1\n"));
	assert_non_null(strstr(text, "pgfront_server_up{listener=\"postgres_write\","
	                             "server=\"pg3\"} 0\n"));
	assert_non_null(strstr(text, "pgfront_server_check_duration_seconds{listener="
	                             "\"postgres_write\",server=\"pg1\"} 0.0034"));
	assert_non_null(strstr(text, "pgfront_server_sent_bytes_total{listener=\"postgres_write\","
	                             "server=\"pg1\"} 7000000\n"));
	assert_non_null(strstr(text, "pgfront_listener_queue{listener=\"postgres_write\"} 1\n"));
	assert_non_null(strstr(text, "pgfront_listener_refused_total{listener=\"postgres_write\","
	                             "reason=\"no_server\"} 11\n"));
	assert_non_null(strstr(text, "pgfront_server_admin_state{listener=\"postgres_read\","
	                             "server=\"pg2\",state=\"DRAIN\"} 1\n"));
	assert_non_null(strstr(text, "pgfront_server_admin_state{listener=\"postgres_read\","
	                             "server=\"pg2\",state=\"READY\"} 0\n"));
	assert_non_null(strstr(text, "# TYPE pgfront_server_sessions_total counter\n"));
	assert_non_null(strstr(text, "pgfront_listener_login_timeouts_total{listener="
	                             "\"postgres_write\"} 5\n"));
	assert_non_null(strstr(text, "pgfront_listener_cancels_forwarded_total{listener="
	                             "\"postgres_write\"} 8\n"));
	assert_null(strstr(text, "pgfront_vrrp"));             /* no instance, no family */
	/* A family is written whole: its TYPE once, its samples right after. */
	assert_int_equal(count(text, "# TYPE pgfront_server_up "), 1);
	assert_int_equal(count(text, "pgfront_server_up{"), 7);
	assert_int_equal(count(text, "# TYPE "), count(text, "# HELP "));
}

static void test_vrrp(void **state)
{
	const char *text;

	(void)state;
	snap->nvrrp = 1;
	snap->has_vrrp = true;
	snap->vrrp[0] = (struct vrrp_view){ .name = "VI_01", .interface = "eth0", .vrid = 51,
		.state = VRRP_STATE_MASTER, .priority_configured = 101, .priority_advertised = 91,
		.since = snap->now - 30, .transitions = 2, .master = "192.0.2.1" };
	snap->vrrp[0].discards[VRRP_DISCARD_AUTH] = 5;
	strcpy(snap->vips[0][0], "192.0.2.100/24");
	strcpy(snap->vips[0][1], "192.0.2.101/32");
	snap->nvips[0] = 2;
	text = render(stats_render_metrics);
	assert_non_null(strstr(text, "pgfront_vrrp_state{vrrp_instance=\"VI_01\",state=\"MASTER\"} 1\n"));
	assert_non_null(strstr(text, "pgfront_vrrp_state{vrrp_instance=\"VI_01\",state=\"BACKUP\"} 0\n"));
	assert_non_null(strstr(text, "pgfront_vrrp_priority{vrrp_instance=\"VI_01\"} 91\n"));
	assert_non_null(strstr(text, "pgfront_vrrp_discards_total{vrrp_instance=\"VI_01\","
	                             "reason=\"auth\"} 5\n"));
	text = render(stats_render_json);
	assert_non_null(strstr(text, "\"state\":\"MASTER\",\"vips\":[\"192.0.2.100/24\","
	                             "\"192.0.2.101/32\"],\"priority_configured\":101,"
	                             "\"priority_advertised\":91,\"since_change_s\":30.000"));
	stats_buf_free(&out);
	stats_render_html(&out, snap, true);
	assert_non_null(strstr(out.data, "VI_01"));
	assert_non_null(strstr(out.data, "192.0.2.1<"));
	assert_non_null(strstr(out.data, "192.0.2.100/24<br>192.0.2.101/32"));
	assert_non_null(strstr(out.data, "auth 5"));
	assert_null(strstr(out.data, "no [vrrp] instance"));
	snap->nvrrp = 0;
	snap->has_vrrp = false;
}

static void test_html(void **state)
{
	const char *html;

	(void)state;
	stats_buf_free(&out);
	stats_render_html(&out, snap, true);
	html = out.data;
	assert_non_null(strstr(html, "<meta http-equiv=\"refresh\" content=\"5\">"));
	assert_non_null(strstr(html, "<span class=\"st going\">UP 1/3</span>"));
	assert_non_null(strstr(html, "<span class=\"st going\">DOWN 1/2</span>"));
	assert_non_null(strstr(html, "<span class=\"st drain\">DRAIN</span>"));
	assert_non_null(strstr(html, "<span class=\"st maint\">MAINT</span>"));
	assert_non_null(strstr(html, "<span class=\"st init\">INIT</span>"));
	assert_non_null(strstr(html, "not checked yet"));
	assert_non_null(strstr(html, "name=\"target\" value=\"postgres_read/pg2\""));
	assert_non_null(strstr(html, "no [vrrp] instance"));
	assert_non_null(strstr(html, "connection refused, &quot;port&quot; 8008"));
	assert_null(strstr(html, "<script"));                 /* INIT hides the detail anyway */
	assert_null(strstr(html, "http://"));                  /* nothing external */
	assert_null(strstr(html, "https://"));

	snap->admin = false;
	snap->listeners[0].members[0].last.reason = HC_REASON_MALFORMED;
	strcpy(snap->listeners[0].members[0].last.detail, "<script>x</script>");
	stats_buf_free(&out);
	stats_render_html(&out, snap, false);
	html = out.data;
	assert_null(strstr(html, "http-equiv"));
	assert_null(strstr(html, "<form"));
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "&lt;script&gt;x&lt;/script&gt;"));
	snap->admin = true;
}

static void test_texts(void **state)
{
	char buf[32];

	(void)state;
	stats_duration_text(42.9, buf, sizeof buf);
	assert_string_equal(buf, "42s");
	stats_duration_text(3725, buf, sizeof buf);
	assert_string_equal(buf, "1h 2m");
	stats_duration_text(90061, buf, sizeof buf);
	assert_string_equal(buf, "1d 1h");
	stats_duration_text(-3, buf, sizeof buf);
	assert_string_equal(buf, "0s");
	stats_bytes_text(1023, buf, sizeof buf);
	assert_string_equal(buf, "1023 B");
	stats_bytes_text(7000000, buf, sizeof buf);
	assert_string_equal(buf, "6.7 MiB");
}

static void test_buf_escapes(void **state)
{
	(void)state;
	stats_buf_free(&out);
	stats_buf_json(&out, "a\"b\\c\n\x01\xc3");
	assert_string_equal(out.data, "\"a\\\"b\\\\c\\u000a\\u0001?\"");
	stats_buf_free(&out);
	stats_buf_html(&out, "<a href='x'>&</a>");
	assert_string_equal(out.data, "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
	stats_buf_free(&out);
	stats_buf_csv(&out, "plain");
	stats_buf_csv(&out, "a,b");
	stats_buf_csv(&out, "q\"q");
	assert_string_equal(out.data, "plain\"a,b\"\"q\"\"q\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_strings),
		cmocka_unit_test(test_drained_server_that_fails_shows_down),
		cmocka_unit_test(test_check_health_scale),
		cmocka_unit_test(test_name_tables_complete),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_vrrp),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_buf_escapes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
