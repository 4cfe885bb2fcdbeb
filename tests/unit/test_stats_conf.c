/*
 * conf: the [stats] section, read back field by field, and each of its
 * errors with the exact line `pgfront -c` prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

/* Four valid lines; a case's own lines start at line 5. */
#define HEAD_OK \
	"[server a]\n" \
	"address = 198.18.145.1:5432\n" \
	"[listen l]\n" \
	"bind = *:5432\n" \
	"check = HEAD /primary\n"

static struct conf *conf;
static struct conf_errors *errs;

static int setup(void **state)
{
	(void)state;
	conf = calloc(1, sizeof *conf);
	errs = calloc(1, sizeof *errs);
	return conf && errs ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(conf);
	free(errs);
	return 0;
}

static void dump_errors(void)
{
	for (int i = 0; i < errs->count && i < CONF_MAX_ERRORS; i++)
		print_message("    got: %s\n", errs->lines[i]);
}

static int load(const char *text)
{
	return conf_load_string("t.ini", text, conf, errs);
}

static void expect_ok(const char *text)
{
	if (load(text) != 0)
		dump_errors();
	assert_int_equal(errs->count, 0);
}

static void expect_error(const char *text, const char *want)
{
	int rc = load(text);

	if (rc == 0 || errs->count != 1 || strcmp(errs->lines[0], want) != 0) {
		dump_errors();
		print_message("   want: %s\n", want);
	}
	assert_int_equal(rc, -1);
	assert_int_equal(errs->count, 1);
	assert_string_equal(errs->lines[0], want);
}

static void test_no_section(void **state)
{
	(void)state;
	expect_ok(HEAD_OK);
	assert_false(conf->stats.enabled);
}

static void test_full_section(void **state)
{
	(void)state;
	expect_ok(HEAD_OK
	          "[stats]\n"
	          "bind = 127.0.0.1:5000\n"
	          "uri = /haproxy/stats\n"
	          "refresh = 5s\n"
	          "auth = admin:s3cr:et\n"
	          "admin = yes\n");
	assert_true(conf->stats.enabled);
	assert_string_equal(conf->stats.bind.host, "127.0.0.1");
	assert_int_equal(conf->stats.bind.port, 5000);
	assert_string_equal(conf->stats.uri, "/haproxy/stats");
	assert_int_equal(conf->stats.refresh_s, 5);
	assert_string_equal(conf->stats.user, "admin");
	assert_string_equal(conf->stats.password, "s3cr:et");
	assert_true(conf->stats.admin);
	assert_int_equal(conf->stats.line, 6);
}

static void test_defaults(void **state)
{
	(void)state;
	expect_ok("[stats]\nbind = *:5000\n" HEAD_OK);
	assert_string_equal(conf->stats.uri, "/");
	assert_int_equal(conf->stats.refresh_s, 0);
	assert_string_equal(conf->stats.user, "");
	assert_false(conf->stats.admin);
	assert_string_equal(conf->stats.bind.host, "*");
	expect_ok(HEAD_OK "[stats]\nbind = [::1]:5000\nrefresh = 0\n");
	assert_int_equal(conf->stats.refresh_s, 0);
	expect_ok(HEAD_OK "[stats]\nbind = *:5000\nrefresh = 1m\nadmin = no\n");
	assert_int_equal(conf->stats.refresh_s, 60);
}

static void test_tls_files(void **state)
{
	char text[512];

	(void)state;
	/* Any readable file will do for conf: OpenSSL reads it when stats start. */
	snprintf(text, sizeof text, HEAD_OK "[stats]\nbind = *:5000\n"
	         "tls_cert_file = /etc/hostname\ntls_key_file = /etc/hostname\n");
	expect_ok(text);
	assert_string_equal(conf->stats.tls_cert_file, "/etc/hostname");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\ntls_cert_file = /etc/hostname\n",
	             "t.ini:8: [stats] tls_cert_file: given without tls_key_file");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\ntls_key_file = /etc/hostname\n",
	             "t.ini:8: [stats] tls_key_file: given without tls_cert_file");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\ntls_cert_file = /nonexistent/c.pem\n"
	             "tls_key_file = /etc/hostname\n",
	             "t.ini:8: [stats] tls_cert_file: cannot read /nonexistent/c.pem: "
	             "No such file or directory");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\ntls_cert_file = c.pem\n"
	             "tls_key_file = /etc/hostname\n",
	             "t.ini:8: [stats] tls_cert_file: invalid value 'c.pem': expected an "
	             "absolute path");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(HEAD_OK "[stats]\nbind = *:5000\nadmin = yes\n",
	             "t.ini:8: [stats] admin: admin = yes needs auth = USER:PASSWORD: without it "
	             "anyone who reaches the port could drain servers and kill sessions");
	expect_error(HEAD_OK "[stats]\nuri = /\n", "t.ini:6: [stats]: bind is required, "
	             "e.g. 'bind = *:5000'");
	expect_error(HEAD_OK "[stats]\nbind = *:5432\n",
	             "t.ini:7: [stats] bind: '*:5432' clashes with '*:5432' of [listen l]");
	expect_error(HEAD_OK "[stats]\nbind = 198.18.145.9:5432\n",
	             "t.ini:7: [stats] bind: '198.18.145.9:5432' clashes with '*:5432' of [listen l]");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\n[stats]\nbind = *:5001\n",
	             "t.ini:8: [stats]: duplicate section: [stats] may appear once (first at line 6)");
	expect_error(HEAD_OK "[stats web]\nbind = *:5000\n",
	             "t.ini:6: [stats web]: [stats] takes no name, got 'web'");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\nbind = *:5001\n",
	             "t.ini:8: [stats] bind: duplicate key (first at line 7)");
	expect_error(HEAD_OK "[stats]\nbind = localhost:5000\n",
	             "t.ini:7: [stats] bind: invalid value 'localhost:5000': host must be a "
	             "numeric IPv4 or IPv6 address (names are not resolved)");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\nmaxconn = 10\n",
	             "t.ini:8: [stats] maxconn: 'maxconn' belongs in [global]");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\nstats_uri = /\n",
	             "t.ini:8: [stats] stats_uri: unknown key");
	expect_error(HEAD_OK "uri = /stats\n", "t.ini:6: [listen l] uri: 'uri' belongs in [stats]");
	expect_error(HEAD_OK "[stats]\nbind = *:5000\nadmin = maybe\n",
	             "t.ini:8: [stats] admin: invalid value 'maybe': expected yes or no");
}

static void test_uri_errors(void **state)
{
	static const char *const bad[] = { "stats", "/a b", "/a;csv", "/a?x", "/a#b", "/%41",
	                                   "/a\"b", "/<b>" };
	static const char expected[] = "expected a path starting with '/', of printable "
	                               "characters other than ; ? # % \" < > \\";
	char text[256], want[512];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, HEAD_OK "[stats]\nbind = *:5000\nuri = %s\n", bad[i]);
		snprintf(want, sizeof want, "t.ini:8: [stats] uri: invalid value '%s': %s", bad[i],
		         expected);
		expect_error(text, want);
	}
	expect_error(HEAD_OK "[stats]\nbind = *:5000\nuri = /metrics\n",
	             "t.ini:8: [stats] uri: invalid value '/metrics': /metrics is where the "
	             "Prometheus metrics are");
}

static void test_refresh_errors(void **state)
{
	static const char *const bad[] = { "1500ms", "500ms", "2d", "-1s" };
	char text[256], want[512];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, HEAD_OK "[stats]\nbind = *:5000\nrefresh = %s\n", bad[i]);
		assert_int_equal(load(text), -1);
		assert_int_equal(errs->count, 1);
		snprintf(want, sizeof want, "t.ini:8: [stats] refresh: invalid value '%s': ", bad[i]);
		assert_memory_equal(errs->lines[0], want, strlen(want));
	}
	expect_error(HEAD_OK "[stats]\nbind = *:5000\nrefresh = 5\n",
	             "t.ini:8: [stats] refresh: invalid value '5': a duration needs a unit "
	             "(us, ms, s, m, h, d), e.g. '3s'");
}

static void test_auth_errors(void **state)
{
	static const char *const bad[] = { "admin", "admin:", ":secret", "ad min:secret" };
	static const char want[] = "t.ini:8: [stats] auth: invalid value: expected USER:PASSWORD, "
	                           "both non-empty, of printable characters without spaces";
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, HEAD_OK "[stats]\nbind = *:5000\nauth = %s\n", bad[i]);
		expect_error(text, want);
		/* The password is never quoted back to a terminal or a log. */
		assert_null(strstr(errs->lines[0], "secret"));
	}
	/* An auth in error is not "no auth": admin = yes gives no second error. */
	expect_error(HEAD_OK "[stats]\nbind = *:5000\nauth = admin:\nadmin = yes\n", want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_section),
		cmocka_unit_test(test_full_section),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_tls_files),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_uri_errors),
		cmocka_unit_test(test_refresh_errors),
		cmocka_unit_test(test_auth_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
