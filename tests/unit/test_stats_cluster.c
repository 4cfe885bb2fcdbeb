/*
 * stats: the cluster panel (what Patroni's bodies say of each node, and the
 * replicas' lag) and the recent-events panel, from a made-up snapshot whose
 * bodies are real ones captured from scripts/cluster (Patroni 3.0.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/events.h"
#include "stats/internal.h"

static const char primary_body[] =
	"{\"state\": \"running\", \"role\": \"master\", \"server_version\": 150018, "
	"\"xlog\": {\"location\": 67108864}, \"timeline\": 2, \"replication\": []}";
static const char replica_body[] =
	"{\"state\": \"running\", \"role\": \"replica\", \"server_version\": 150018, "
	"\"xlog\": {\"received_location\": 67100000, \"replayed_location\": 67000000, "
	"\"replayed_timestamp\": null, \"paused\": false}, \"timeline\": 2}";
static const char stopped_body[] =
	"{\"state\": \"stopped\", \"role\": \"demoted\"}";

static struct stats_snapshot *snap;
static struct conf *conf;
static struct stats_buf out;

static void server(const char *name, int octet)
{
	struct conf_server *s = &conf->servers[conf->nservers++];

	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->address.host, sizeof s->address.host, "198.18.145.%d", octet);
	s->address.port = 5432;
}

static void member(struct stats_listener *l, const char *name, const char *body)
{
	struct stats_member *m = &l->members[l->nmembers++];

	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	if (body)
		assert_int_equal(hc_patroni_parse(body, strlen(body), &m->last.patroni), 0);
}

static int setup(void **state)
{
	(void)state;
	snap = calloc(1, sizeof *snap);
	conf = calloc(1, sizeof *conf);
	if (!snap || !conf)
		return -1;
	snap->version = "9.8.7";
	strcpy(snap->uri, "/");
	server("pg1", 1);
	server("pg2", 2);
	server("pg3", 3);
	server("pg4", 4);
	snap->nlisteners = 2;
	/* The read port first: its HEAD checks have no body; the write port's have. */
	strcpy(snap->listeners[0].name, "postgres_read");
	member(&snap->listeners[0], "pg2", NULL);
	strcpy(snap->listeners[1].name, "postgres_write");
	snap->listeners[1].writes = true;
	member(&snap->listeners[1], "pg1", primary_body);
	member(&snap->listeners[1], "pg2", replica_body);
	member(&snap->listeners[1], "pg3", stopped_body);
	member(&snap->listeners[1], "pg4", NULL);      /* timed out: no body */
	log_set_level(LOG_LEVEL_ERR);
	events_clear();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stats_buf_free(&out);
	free(snap);
	free(conf);
	return 0;
}

static void test_nodes_and_lag(void **state)
{
	(void)state;
	stats_collect_nodes(snap, conf);
	assert_int_equal(snap->nnodes, 4);
	assert_true(snap->any_node_known);
	assert_true(snap->nodes[0].primary);
	assert_string_equal(stats_node_role(&snap->nodes[0]), "primary");
	assert_int_equal(snap->nodes[0].patroni.timeline, 2);
	assert_int_equal(snap->nodes[0].lag_bytes, -1);
	assert_string_equal(snap->nodes[1].seen_by, "postgres_write");
	assert_string_equal(stats_node_role(&snap->nodes[1]), "replica");
	assert_int_equal(snap->nodes[1].lag_bytes, 67108864 - 67000000);
	assert_string_equal(stats_node_role(&snap->nodes[2]), "demoted");
	assert_int_equal(snap->nodes[2].lag_bytes, -1);
	assert_false(snap->nodes[3].known);
	assert_string_equal(stats_node_role(&snap->nodes[3]), "unknown");
}

/* With two running primaries, which one a replica follows is unknown: no lag. */
static void test_no_lag_with_two_primaries(void **state)
{
	(void)state;
	assert_int_equal(hc_patroni_parse(primary_body, strlen(primary_body),
	                                  &snap->listeners[1].members[2].last.patroni), 0);
	stats_collect_nodes(snap, conf);
	assert_int_equal(snap->nodes[1].lag_bytes, -1);
	assert_int_equal(hc_patroni_parse(stopped_body, strlen(stopped_body),
	                                  &snap->listeners[1].members[2].last.patroni), 0);
}

static void test_events_ring(void **state)
{
	struct event e[EVENTS_KEPT + 5];

	(void)state;
	events_clear();
	for (int i = 0; i < EVENTS_KEPT + 10; i++)
		event_log(LOG_LEVEL_INFO, i % 2 ? EVENT_VRRP : EVENT_HEALTH, "event %d", i);
	assert_int_equal(events_recent(e, EVENTS_KEPT + 5), EVENTS_KEPT);
	assert_string_equal(e[0].text, "event 59");
	assert_string_equal(e[EVENTS_KEPT - 1].text, "event 10");
	assert_int_equal(e[0].kind, EVENT_VRRP);
	assert_true(e[0].time >= e[EVENTS_KEPT - 1].time);
	assert_int_equal(events_total(EVENT_HEALTH), 30);
	assert_int_equal(events_total(EVENT_VRRP), 30);
	assert_int_equal(events_total(EVENT_RELOAD), 0);
	assert_int_equal(events_recent(e, 3), 3);
}

static const char *render(void (*fn)(struct stats_buf *, const struct stats_snapshot *))
{
	stats_buf_free(&out);
	fn(&out, snap);
	stats_buf_add(&out, "", 1);
	assert_false(out.failed);
	return out.data;
}

static void html_page(struct stats_buf *b, const struct stats_snapshot *s)
{
	stats_render_html(b, s, false);
}

static void test_rendering(void **state)
{
	const char *text;

	(void)state;
	events_clear();
	event_log(LOG_LEVEL_NOTICE, EVENT_PRIMARY,
	          "postgres_write: pg2 is the primary after 1.40 s <without> one");
	stats_collect_nodes(snap, conf);
	stats_collect_events(snap);
	text = render(stats_render_json);
	assert_non_null(strstr(text, "\"cluster\":[{\"name\":\"pg1\",\"address\":\"198.18.145.1:5432\","
	                             "\"known\":true,\"seen_by\":\"postgres_write\",\"role\":\"master\","
	                             "\"state\":\"running\",\"primary\":true,\"timeline\":2,"
	                             "\"wal_position\":67108864"));
	assert_non_null(strstr(text, "\"lag_bytes\":108864}"));
	assert_non_null(strstr(text, "{\"name\":\"pg4\",\"address\":\"198.18.145.4:5432\","
	                             "\"known\":false,\"lag_bytes\":null}"));
	assert_non_null(strstr(text, "\"kind\":\"primary\",\"text\":\"postgres_write: pg2 is the "
	                             "primary after 1.40 s <without> one\"}]}"));
	text = render(stats_render_metrics);
	assert_non_null(strstr(text, "pgfront_patroni_info{server=\"pg3\",role=\"demoted\","
	                             "state=\"stopped\"} 1\n"));
	assert_non_null(strstr(text, "pgfront_patroni_primary{server=\"pg1\"} 1\n"));
	assert_non_null(strstr(text, "pgfront_patroni_timeline{server=\"pg2\"} 2\n"));
	assert_non_null(strstr(text, "pgfront_patroni_replication_lag_bytes{server=\"pg2\"} 108864\n"));
	assert_null(strstr(text, "pgfront_patroni_replication_lag_bytes{server=\"pg1\"}"));
	assert_null(strstr(text, "server=\"pg4\",role"));
	assert_non_null(strstr(text, "pgfront_events_total{kind=\"primary\"} 1\n"));
	text = render(html_page);
	assert_non_null(strstr(text, "<h2>Cluster"));
	assert_non_null(strstr(text, "lag <b>106.3 KiB</b></span> <small>replayed 0/3FE56C0</small>"));
	assert_non_null(strstr(text, "at 0/4000000"));
	assert_non_null(strstr(text, "<h2>Recent events"));
	assert_non_null(strstr(text, "after 1.40 s &lt;without&gt; one"));
	assert_null(strstr(text, "<without>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes_and_lag),
		cmocka_unit_test(test_no_lag_with_two_primaries),
		cmocka_unit_test(test_events_ring),
		cmocka_unit_test(test_rendering),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
