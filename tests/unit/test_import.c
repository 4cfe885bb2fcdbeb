/*
 * pgfront import's pure layer: haproxy.cfg and keepalived.conf texts in, a
 * pgfront.ini and findings out. Every result is also loaded with
 * conf_load_string(), as `pgfront -c` would; and mangled inputs must neither
 * crash nor give a file pgfront refuses without a finding to say why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "conf/import.h"

static struct conf conf;
static struct conf_errors errors;
static bool quiet;       /* the mangled inputs' errors are expected */

static struct conf_import_result translate(const char *hap, const char *ka)
{
	struct conf_import_result r;

	assert_int_equal(conf_import("haproxy.cfg", hap, "keepalived.conf", ka, &r), 0);
	return r;
}

static bool loads(const struct conf_import_result *r)
{
	int rc = conf_load_string("out.ini", r->ini, &conf, &errors);

	for (int i = 0; rc && !quiet && i < errors.count && i < CONF_MAX_ERRORS; i++)
		fprintf(stderr, "%s\n", errors.lines[i]);
	return rc == 0;
}

/* "key = value" on a line of its own (a comment may follow). */
static bool has(const struct conf_import_result *r, const char *key_value)
{
	size_t n = strlen(key_value);

	for (const char *p = r->ini; (p = strstr(p, key_value)); p += n)
		if ((p == r->ini || p[-1] == '\n') && (p[n] == '\n' || p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* A finding at LINE of FILE whose text contains WHAT; its routing flag. */
static int finding(const struct conf_import_result *r, enum conf_import_file file, int line,
                   const char *what)
{
	for (int i = 0; i < r->nfindings; i++)
		if (r->findings[i].file == file && r->findings[i].line == line &&
		    strstr(r->findings[i].text, what))
			return r->findings[i].routing ? 2 : 1;
	return 0;
}

static void test_timeouts_in_haproxy_units(void **state)
{
	(void)state;
	struct conf_import_result r = translate(
		"defaults\n"
		"  timeout connect 4000\n"          /* a bare number: milliseconds */
		"  timeout client 2m\n"
		"  timeout server 1500ms\n"
		"  timeout queue 250000us\n"
		"listen l\n"
		"  bind 127.0.0.1:6000\n"
		"  option httpchk GET /replica\n"
		"  server a 127.0.0.21:5432 check port 8008 inter 1h\n", NULL);

	assert_true(loads(&r));
	assert_true(has(&r, "timeout_connect = 4s"));
	assert_true(has(&r, "timeout_client = 2m"));
	assert_true(has(&r, "timeout_server = 1500ms"));
	assert_true(has(&r, "timeout_queue = 250ms"));
	assert_true(has(&r, "inter = 1h"));
	/* no timeout check: HAProxy waits inter */
	assert_true(has(&r, "timeout_check = 1h"));
	/* no on-marked-down: HAProxy keeps the sessions */
	assert_true(has(&r, "on_marked_down = none"));
	assert_false(r.routing_left_out);
	conf_import_free(&r);
}

static void test_last_defaults_before_the_proxy_applies(void **state)
{
	(void)state;
	struct conf_import_result r = translate(
		"defaults\n"
		"  mode http\n"
		"  timeout connect 9s\n"
		"defaults named\n"
		"  mode tcp\n"
		"  retries 7\n"
		"defaults\n"
		"  mode tcp\n"
		"  retries 1\n"
		"listen a\n"
		"  bind :6000\n"
		"  option httpchk HEAD /primary\n"
		"  server s 127.0.0.21:5432 check port 8008\n"
		"listen b from named\n"
		"  bind :6001\n"
		"  option httpchk HEAD /replica\n"
		"  server s 127.0.0.21:5432 check port 8008\n", NULL);

	assert_true(loads(&r));
	assert_string_equal(conf.listeners[0].name, "a");
	assert_int_equal(conf.listeners[0].members[0].t.retries, 1);
	assert_int_equal(conf.listeners[1].members[0].t.retries, 7);
	assert_int_equal(conf.listeners[0].balance, CONF_BALANCE_SINGLE);
	/* the first defaults section serves no proxy: its mode http is said so */
	assert_int_equal(finding(&r, CONF_IMPORT_HAPROXY, 1, "no proxy uses"), 1);
	assert_int_equal(finding(&r, CONF_IMPORT_HAPROXY, 2, "mode http"), 1);
	conf_import_free(&r);
}

static void test_httpchk_forms(void **state)
{
	(void)state;
	static const struct {
		const char *lines;
		const char *check;
		enum conf_balance balance;
	} cases[] = {
		{ "option httpchk\n", "check = GET /", CONF_BALANCE_SINGLE },
		{ "option httpchk /replica\n", "check = OPTIONS /replica", CONF_BALANCE_ROUNDROBIN },
		{ "option httpchk OPTIONS /master\n", "check = GET /master", CONF_BALANCE_SINGLE },
		{ "option httpchk GET /primary HTTP/1.1\\r\\nHost:\\ www\n", "check = GET /primary",
		  CONF_BALANCE_SINGLE },
		{ "option httpchk \"GET\" '/read-write'\n", "check = GET /read-write", CONF_BALANCE_SINGLE },
		{ "option httpchk\nhttp-check send meth HEAD uri /primary\n", "check = HEAD /primary",
		  CONF_BALANCE_SINGLE },
		{ "http-check send meth GET uri /replica?lag=1MB ver HTTP/1.1 hdr Host x\n",
		  "check = GET /replica?lag=1MB", CONF_BALANCE_ROUNDROBIN },
		{ "option httpchk GET /leader\n", "check_body = none", CONF_BALANCE_SINGLE },
		{ "http-check send meth HEAD uri /replica\noption httpchk GET /primary\n",
		  "check = HEAD /replica", CONF_BALANCE_ROUNDROBIN },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[1024];
		snprintf(text, sizeof text, "listen l\n bind :6000\n %s"
		         " server s 127.0.0.21:5432 check port 8008\n", cases[i].lines);
		struct conf_import_result r = translate(text, NULL);
		if (!has(&r, cases[i].check))
			fail_msg("case %zu: no '%s' in:\n%s", i, cases[i].check, r.ini);
		assert_true(loads(&r));
		assert_int_equal(conf.listeners[0].balance, cases[i].balance);
		conf_import_free(&r);
	}
}

static void test_expect_and_other_checks(void **state)
{
	(void)state;
	struct conf_import_result r = translate(
		"listen l\n bind :6000\n option httpchk GET /replica\n"
		" http-check expect string running\n"
		" server s 127.0.0.21:5432 check port 8008\n"
		"listen m\n bind :6001\n option pgsql-check user postgres\n"
		" server s 127.0.0.21:5432 check\n", NULL);

	assert_true(loads(&r));
	assert_int_equal(finding(&r, CONF_IMPORT_HAPROXY, 4, "expect string"), 2);
	assert_int_equal(finding(&r, CONF_IMPORT_HAPROXY, 8, "GET /health instead"), 2);
	assert_true(has(&r, "check = GET /health"));
	assert_true(r.routing_left_out);
	conf_import_free(&r);
}

static void test_servers_binds_and_names(void **state)
{
	(void)state;
	struct conf_import_result r = translate(
		"listen w:rite\n"
		" bind ipv4@127.0.0.1:6000,[::1]:6000\n"
		" bind :7000-7001\n"
		" option httpchk HEAD /replica\n"
		" default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions\n"
		" server p/1 127.0.0.21:5432 check port 8008 addr 127.0.0.31 maxconn 5\n"
		" server p2 [::1]:5432 check port 8008 backup\n"
		" server p3 db.example.com:5432 check\n"
		" server p4 127.0.0.24:5432 check send-proxy\n", NULL);

	assert_true(loads(&r));
	assert_string_equal(conf.listeners[0].name, "w_rite");
	assert_int_equal(conf.listeners[0].nbinds, 4);
	assert_true(has(&r, "[server p_1]"));
	assert_true(has(&r, "check_address = 127.0.0.31"));
	assert_true(has(&r, "address = [::1]:5432"));
	assert_true(has(&r, "backup = p2"));
	assert_int_equal(finding(&r, CONF_IMPORT_HAPROXY, 8, "host name"), 2);
	assert_int_equal(finding(&r, CONF_IMPORT_HAPROXY, 9, "send-proxy"), 2);
	conf_import_free(&r);
}

static void test_stats_section(void **state)
{
	(void)state;
	struct conf_import_result r = translate(
		"listen stats\n mode http\n bind *:5000\n stats enable\n stats uri /st\n"
		" stats refresh 10s\n stats auth admin:secret\n stats admin if TRUE\n"
		"listen l\n bind :6000\n option httpchk HEAD /primary\n"
		" server s 127.0.0.21:5432 check port 8008\n", NULL);

	assert_true(loads(&r));
	assert_true(conf.stats.enabled);
	assert_string_equal(conf.stats.uri, "/st");
	assert_int_equal(conf.stats.refresh_s, 10);
	assert_string_equal(conf.stats.user, "admin");
	assert_true(conf.stats.admin);
	assert_false(r.routing_left_out);
	conf_import_free(&r);
}

static const char SEED[] =
	"global\n\tmaxconn 200\n\ndefaults\n    log    global\n    mode    tcp\n"
	"    retries 2\n    timeout client 30m\n    timeout connect 4s\n"
	"    timeout server 30m\n    timeout check 5s\n\nlisten stats\n    mode http\n"
	"    bind *:5000\n    stats enable\n    stats uri /\n\nlisten postgres_write\n"
	"    bind *:5432\n    option httpchk HEAD /primary\n    http-check expect status 200\n"
	"    default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions\n"
	"    server ubn-pgsql-1 192.168.145.201:5432 maxconn 90 check port 8008\n"
	"    server ubn-pgsql-2 192.168.145.202:5432 maxconn 90 check port 8008\n"
	"listen postgres_read\n    balance roundrobin\n    bind *:5433\n"
	"    option httpchk HEAD /replica\n    http-check expect status 200\n"
	"    default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions\n"
	"    server ubn-pgsql-1 192.168.145.201:5432 maxconn 90 check port 8008\n"
	"    server ubn-pgsql-2 192.168.145.202:5432 maxconn 90 check port 8008\n";

static void test_keepalived_instance_and_tracking(void **state)
{
	(void)state;
	struct conf_import_result r = translate(SEED,
		"vrrp_script chk { script \"pidof haproxy\"\n weight 20 reverse\n}\n"
		"vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 7\n"
		" priority 90\n advert_int 2\n nopreempt\n unicast_src_ip 10.1.1.1\n"
		" unicast_peer {\n  10.1.1.2\n  10.1.1.3\n }\n"
		" authentication { auth_type PASS\n auth_pass 123456789 }\n"
		" virtual_ipaddress { 10.1.1.100/24 }\n"
		" track_script { chk }\n notify_master /bin/true\n}\n");

	assert_true(loads(&r));
	assert_int_equal(conf.nvrrps, 1);
	assert_string_equal(conf.vrrps[0].name, "VI_1");
	assert_int_equal(conf.vrrps[0].vrid, 7);
	assert_int_equal(conf.vrrps[0].priority, 90);
	assert_int_equal(conf.vrrps[0].advert_int, 2);
	assert_false(conf.vrrps[0].preempt);
	assert_int_equal(conf.vrrps[0].npeers, 2);
	assert_int_equal(conf.vrrps[0].vips[0].prefix, 24);
	assert_string_equal(conf.vrrps[0].auth_pass, "12345678");
	assert_string_equal(conf.vrrps[0].track_listener_name, "postgres_write");
	assert_int_equal(conf.vrrps[0].track_weight, -20);
	assert_int_equal(finding(&r, CONF_IMPORT_KEEPALIVED, 20, "notify_master"), 1);
	assert_false(r.routing_left_out);
	conf_import_free(&r);
}

static void test_keepalived_what_it_cannot_do(void **state)
{
	(void)state;
	struct conf_import_result r = translate(SEED,
		"vrrp_script chk_pg {\n script \"/usr/local/bin/is_primary.sh\"\n weight -30\n}\n"
		"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n"
		" virtual_ipaddress {\n 10.1.1.100\n 2001:db8::5\n }\n"
		" authentication {\n auth_type AH\n auth_pass x\n }\n"
		" track_script {\n chk_pg\n }\n}\n");

	assert_true(loads(&r));
	assert_int_equal(finding(&r, CONF_IMPORT_KEEPALIVED, 10, "IPv6"), 2);
	assert_int_equal(finding(&r, CONF_IMPORT_KEEPALIVED, 13, "AH"), 2);
	assert_int_equal(finding(&r, CONF_IMPORT_KEEPALIVED, 17, "is_primary.sh"), 2);
	assert_int_equal(conf.vrrps[0].auth_type, CONF_VRRP_AUTH_NONE);
	assert_int_equal(conf.vrrps[0].track_listener, -1);
	assert_true(r.routing_left_out);
	conf_import_free(&r);
}

static void test_keepalived_track_process(void **state)
{
	(void)state;
	struct conf_import_result r = translate(SEED,
		"vrrp_track_process haproxy_up {\n process haproxy\n weight 10\n quorum 1\n}\n"
		"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n"
		" virtual_ipaddress {\n 10.1.1.100\n }\n track_process {\n haproxy_up\n }\n}\n");

	assert_true(loads(&r));
	assert_string_equal(conf.vrrps[0].track_listener_name, "postgres_write");
	assert_int_equal(conf.vrrps[0].track_weight, 10);
	assert_int_equal(finding(&r, CONF_IMPORT_KEEPALIVED, 4, "quorum"), 1);
	assert_false(r.routing_left_out);
	conf_import_free(&r);
}

/* Mangled inputs: no crash, and a result pgfront refuses comes with a finding
 * that changes routing (exit status 2). */
static void test_mangled_inputs(void **state)
{
	(void)state;
	static const char ka[] =
		"vrrp_script c {\n script \"killall -0 haproxy\"\n weight 2\n}\n"
		"vrrp_instance V {\n state MASTER\n interface e0\n virtual_router_id 1\n"
		" priority 101\n virtual_ipaddress {\n 10.0.0.1\n }\n track_script {\n c\n }\n}\n";
	size_t n = strlen(SEED), m = strlen(ka);
	char *hap = malloc(n + 1), *k = malloc(m + 1);
	uint32_t x = 12345;

	assert_non_null(hap);
	assert_non_null(k);
	for (int round = 0; round < 3000; round++) {
		memcpy(hap, SEED, n + 1);
		memcpy(k, ka, m + 1);
		for (int j = 0; j < 1 + round % 8; j++) {
			x = x * 1103515245u + 12345u;
			char c = "{}\"'\\# :\n\t0-/x"[(x >> 8) % 15];
			hap[(x >> 12) % n] = c;
			k[(x >> 4) % m] = c;
		}
		if (round % 5 == 0)
			hap[(x >> 3) % n] = '\0';
		struct conf_import_result r = translate(hap, k);
		quiet = true;
		if (!loads(&r) && !r.routing_left_out && (quiet = false, !loads(&r)))
			fail_msg("round %d: refused, and no finding said that routing changed:\n%s",
			         round, r.ini);
		quiet = false;
		conf_import_free(&r);
	}
	free(hap);
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeouts_in_haproxy_units),
		cmocka_unit_test(test_last_defaults_before_the_proxy_applies),
		cmocka_unit_test(test_httpchk_forms),
		cmocka_unit_test(test_expect_and_other_checks),
		cmocka_unit_test(test_servers_binds_and_names),
		cmocka_unit_test(test_stats_section),
		cmocka_unit_test(test_keepalived_instance_and_tracking),
		cmocka_unit_test(test_keepalived_what_it_cannot_do),
		cmocka_unit_test(test_keepalived_track_process),
		cmocka_unit_test(test_mangled_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
