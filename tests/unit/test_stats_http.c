/*
 * stats: the HTTP request parser, Basic auth, the same-origin rule and the
 * admin form, fed the requests a hostile or sloppy client could send. Each
 * refusal is checked for its status, since that is what the client sees.
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

static struct stats_request req;

static enum stats_parse parse(const char *text)
{
	size_t scanned = 0;

	return stats_http_parse(text, strlen(text), &scanned, &req);
}

static void expect_status(const char *text, int status)
{
	enum stats_parse rc = parse(text);

	if (rc != STATS_PARSE_ERROR || req.status != status)
		print_message("request %s: rc %d status %d (%s)\n", text, rc, req.status,
		              req.error ? req.error : "");
	assert_int_equal(rc, STATS_PARSE_ERROR);
	assert_int_equal(req.status, status);
	assert_non_null(req.error);
}

static void test_simple_get(void **state)
{
	(void)state;
	assert_int_equal(parse("GET /;csv HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n"
	                       "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"), STATS_PARSE_DONE);
	assert_int_equal(req.method, STATS_METHOD_GET);
	assert_int_equal(req.minor, 1);
	assert_string_equal(req.target, "/;csv");
	assert_string_equal(req.host, "127.0.0.1:5000");
	assert_false(req.has_origin);
	assert_int_equal(req.content_length, -1);
	assert_int_equal(req.body_len, 0);
}

static void test_bare_lf_and_http10(void **state)
{
	(void)state;
	/* HTTP/1.0 needs no Host; LF alone ends lines (RFC 9112 2.2). */
	assert_int_equal(parse("HEAD /metrics HTTP/1.0\nX-A:  b  \n\n"), STATS_PARSE_DONE);
	assert_int_equal(req.method, STATS_METHOD_HEAD);
	assert_int_equal(req.minor, 0);
	assert_false(req.has_host);
}

static void test_incomplete(void **state)
{
	static const char full[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: "
	                           "application/x-www-form-urlencoded\r\nContent-Length: 26\r\n"
	                           "\r\naction=drain&target=l%2Fs1";
	size_t scanned = 0;

	(void)state;
	/* Every prefix is incomplete, fed the way a slow client sends it. */
	for (size_t n = 0; n < sizeof full - 1; n++)
		assert_int_equal(stats_http_parse(full, n, &scanned, &req), STATS_PARSE_MORE);
	assert_int_equal(stats_http_parse(full, sizeof full - 1, &scanned, &req), STATS_PARSE_DONE);
	assert_int_equal(req.body_len, 26);
	assert_memory_equal(req.body, "action=drain&target=l%2Fs1", 26);
}

static void test_oversized(void **state)
{
	char *big = malloc(STATS_HEAD_MAX + 64);
	size_t scanned = 0;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', STATS_HEAD_MAX + 64);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	/* No blank line within the limit: refused, not waited for. */
	assert_int_equal(stats_http_parse(big, STATS_HEAD_MAX, &scanned, &req), STATS_PARSE_ERROR);
	assert_int_equal(req.status, 431);
	assert_int_equal(stats_http_parse(big, STATS_HEAD_MAX - 1, &scanned, &req),
	                 STATS_PARSE_MORE);
	free(big);

	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4097\r\n\r\n", 413);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999\r\n\r\n", 413);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\n\r\n", 411);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
}

static void test_long_target(void **state)
{
	char line[STATS_TARGET_MAX + 64];

	(void)state;
	memset(line, 'x', sizeof line);
	memcpy(line, "GET /", 5);
	snprintf(line + STATS_TARGET_MAX + 5, 40, " HTTP/1.0\r\n\r\n");
	expect_status(line, 414);
}

static void test_bad_methods(void **state)
{
	(void)state;
	expect_status("PUT / HTTP/1.1\r\nHost: h\r\n\r\n", 405);
	expect_status("DELETE /metrics HTTP/1.1\r\nHost: h\r\n\r\n", 405);
	expect_status("get / HTTP/1.1\r\nHost: h\r\n\r\n", 405);
	expect_status("G(ET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	/* A TLS ClientHello on the plain port is refused at its first byte. */
	assert_int_equal(parse("\x16\x03\x01\x02"), STATS_PARSE_ERROR);
	assert_int_equal(req.status, 400);
}

static void test_bad_request_lines(void **state)
{
	(void)state;
	expect_status("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
	expect_status("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505);
	expect_status("GET / FTP/1.1\r\n\r\n", 400);
	expect_status("GET /\r\n\r\n", 400);
	expect_status("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	expect_status("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	expect_status("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	expect_status("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	expect_status(" GET / HTTP/1.1\r\n\r\n", 400);
}

static void test_bad_headers(void **state)
{
	(void)state;
	expect_status("GET / HTTP/1.1\r\n\r\n", 400);                      /* no Host */
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", 400);
	expect_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
	              "Content-Length: 1\r\n\r\na", 400);
}

static void test_too_many_headers(void **state)
{
	char text[STATS_HEAD_MAX];
	size_t n = (size_t)snprintf(text, sizeof text, "GET / HTTP/1.1\r\nHost: h\r\n");

	(void)state;
	for (int i = 0; i < 120; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "X%d: y\r\n", i);
	snprintf(text + n, sizeof text - n, "\r\n");
	expect_status(text, 431);
}

static void test_header_values(void **state)
{
	(void)state;
	assert_int_equal(parse("POST /stats HTTP/1.1\r\nhOsT:\t198.18.145.1:5000 \r\n"
	                       "origin: http://198.18.145.1:5000\r\nReferer: http://198.18.145.1:5000/stats\r\n"
	                       "AUTHORIZATION: Basic YWRtaW46c2VjcmV0\r\n"
	                       "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"),
	                 STATS_PARSE_DONE);
	assert_string_equal(req.host, "198.18.145.1:5000");
	assert_string_equal(req.origin, "http://198.18.145.1:5000");
	assert_string_equal(req.authorization, "Basic YWRtaW46c2VjcmV0");
	assert_string_equal(req.content_type, "application/json");
	assert_true(req.has_origin && req.has_referer && req.has_authorization);
	assert_int_equal(req.content_length, 2);
}

static void test_base64(void **state)
{
	unsigned char out[16];
	size_t n;

	(void)state;
	assert_int_equal(stats_base64_decode("YWRtaW46c2VjcmV0", 16, out, sizeof out, &n), 0);
	assert_int_equal(n, 12);
	assert_memory_equal(out, "admin:secret", 12);
	assert_int_equal(stats_base64_decode("YQ==", 4, out, sizeof out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(stats_base64_decode("YWI=", 4, out, sizeof out, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(stats_base64_decode("YQ", 2, out, sizeof out, &n), -1);
	assert_int_equal(stats_base64_decode("Y===", 4, out, sizeof out, &n), -1);
	assert_int_equal(stats_base64_decode("YQ=a", 4, out, sizeof out, &n), -1);
	assert_int_equal(stats_base64_decode("YQ==YQ==", 8, out, sizeof out, &n), -1);
	assert_int_equal(stats_base64_decode("YW*t", 4, out, sizeof out, &n), -1);
	assert_int_equal(stats_base64_decode("YWRtaW46c2VjcmV0YWRtaW46", 24, out, 16, &n), -1);
}

static void test_basic_auth(void **state)
{
	(void)state;
	assert_true(stats_auth_ok("Basic YWRtaW46c2VjcmV0", "admin", "secret"));
	assert_true(stats_auth_ok("basic   YWRtaW46c2VjcmV0 ", "admin", "secret"));
	/* admin:secreT, admin:secret2, admin:, adminx:secret, no colon */
	assert_false(stats_auth_ok("Basic YWRtaW46c2VjcmVU", "admin", "secret"));
	assert_false(stats_auth_ok("Basic YWRtaW46c2VjcmV0Mg==", "admin", "secret"));
	assert_false(stats_auth_ok("Basic YWRtaW46", "admin", "secret"));
	assert_false(stats_auth_ok("Basic YWRtaW54OnNlY3JldA==", "admin", "secret"));
	assert_false(stats_auth_ok("Basic YWRtaW4=", "admin", "secret"));
	assert_false(stats_auth_ok("Bearer YWRtaW46c2VjcmV0", "admin", "secret"));
	assert_false(stats_auth_ok("BasicYWRtaW46c2VjcmV0", "admin", "secret"));
	assert_false(stats_auth_ok("Basic !!!!", "admin", "secret"));
	assert_false(stats_auth_ok("", "admin", "secret"));
	/* A password with ':' in it: only the first ':' splits (RFC 7617). */
	assert_true(stats_auth_ok("Basic dTpwOnE=", "u", "p:q"));
}

static void origin_case(const char *host, const char *origin, const char *referer, bool ok)
{
	memset(&req, 0, sizeof req);
	if (host) {
		req.has_host = true;
		snprintf(req.host, sizeof req.host, "%s", host);
	}
	if (origin) {
		req.has_origin = true;
		snprintf(req.origin, sizeof req.origin, "%s", origin);
	}
	if (referer) {
		req.has_referer = true;
		snprintf(req.referer, sizeof req.referer, "%s", referer);
	}
	assert_int_equal(stats_same_origin(&req), ok);
}

static void test_same_origin(void **state)
{
	(void)state;
	origin_case("127.0.0.1:5000", NULL, NULL, true);                    /* curl, ctl */
	origin_case("127.0.0.1:5000", "http://127.0.0.1:5000", NULL, true);
	origin_case("127.0.0.1:5000", "https://127.0.0.1:5000", NULL, true);
	origin_case("127.0.0.1:5000", NULL, "http://127.0.0.1:5000/?x=1", true);
	origin_case("LB1:5000", "http://lb1:5000", "http://lb1:5000/", true);
	origin_case("127.0.0.1:5000", "http://evil.example", NULL, false);
	origin_case("127.0.0.1:5000", "http://127.0.0.1:5001", NULL, false);
	origin_case("127.0.0.1:5000", "http://127.0.0.1:50000", NULL, false);
	origin_case("127.0.0.1:5000", "http://127.0.0.1:5000.evil", NULL, false);
	origin_case("127.0.0.1:5000", "null", NULL, false);
	origin_case("127.0.0.1:5000", "", NULL, false);
	origin_case("127.0.0.1:5000", NULL, "http://evil.example/127.0.0.1:5000", false);
	origin_case("127.0.0.1:5000", "http://127.0.0.1:5000", "http://evil/", false);
	origin_case(NULL, "http://127.0.0.1:5000", NULL, false);           /* nothing to match */
}

static int admin(const char *type, const char *body, struct stats_admin_request *a)
{
	const char *why = NULL;
	int rc = stats_admin_parse(type, body, strlen(body), a, &why);

	if (rc)
		assert_non_null(why);
	return rc;
}

static void test_admin_form(void **state)
{
	struct stats_admin_request a;
	const char *form = "application/x-www-form-urlencoded";

	(void)state;
	assert_int_equal(admin(form, "target=postgres_write%2Fubn-pgsql-1&action=drain", &a), 0);
	assert_int_equal(a.action, STATS_ACTION_DRAIN);
	assert_string_equal(a.listener, "postgres_write");
	assert_string_equal(a.server, "ubn-pgsql-1");
	assert_false(a.json);
	assert_int_equal(admin("application/x-www-form-urlencoded; charset=UTF-8",
	                       "action=kill&target=l/s&submit=Kill+sessions", &a), 0);
	assert_int_equal(a.action, STATS_ACTION_KILL);
	assert_int_equal(admin(form, "action=maint&target=a.b-c_d/e", &a), 0);
	assert_int_equal(a.action, STATS_ACTION_MAINT);

	assert_int_equal(admin(form, "action=reboot&target=l/s", &a), 400);
	assert_int_equal(admin(form, "action=DRAIN&target=l/s", &a), 400);
	assert_int_equal(admin(form, "action=drain", &a), 400);
	assert_int_equal(admin(form, "action=drain&target=l", &a), 400);
	assert_int_equal(admin(form, "action=drain&target=l/", &a), 400);
	assert_int_equal(admin(form, "action=drain&target=/s", &a), 400);
	assert_int_equal(admin(form, "action=drain&target=l/s/t", &a), 400);
	assert_int_equal(admin(form, "action=drain&target=l%2", &a), 400);
	assert_int_equal(admin(form, "action=drain&target=l%00/s", &a), 400);
	assert_int_equal(admin(form, "action=drain&target=l/s%3Cscript", &a), 400);
	assert_int_equal(admin("text/plain", "action=drain&target=l/s", &a), 415);
	assert_int_equal(admin("", "action=drain&target=l/s", &a), 415);
}

static void test_admin_json(void **state)
{
	struct stats_admin_request a;
	const char *json = "application/json";

	(void)state;
	assert_int_equal(admin(json, " { \"action\" : \"ready\", \"target\":\"l\\/s\" } ", &a), 0);
	assert_int_equal(a.action, STATS_ACTION_READY);
	assert_string_equal(a.listener, "l");
	assert_string_equal(a.server, "s");
	assert_true(a.json);
	assert_int_equal(admin(json, "{\"target\":\"l/s\",\"action\":\"dr\\u0061in\",\"x\":\"y\"}",
	                       &a), 0);
	assert_int_equal(a.action, STATS_ACTION_DRAIN);

	assert_int_equal(admin(json, "{\"action\":\"drain\",\"target\":\"l/s\"", &a), 400);
	assert_int_equal(admin(json, "{\"action\":\"drain\",\"target\":\"l/s\"}x", &a), 400);
	assert_int_equal(admin(json, "{\"action\":1,\"target\":\"l/s\"}", &a), 400);
	assert_int_equal(admin(json, "{\"action\":\"drain\",\"target\":{\"a\":1}}", &a), 400);
	assert_int_equal(admin(json, "[\"drain\"]", &a), 400);
	assert_int_equal(admin(json, "{\"action\":\"drain\\u0000\",\"target\":\"l/s\"}", &a), 400);
	assert_int_equal(admin(json, "{\"action\":\"dr\\qain\",\"target\":\"l/s\"}", &a), 400);
	assert_int_equal(admin(json, "{}", &a), 400);
	assert_int_equal(admin(json, "", &a), 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_bare_lf_and_http10),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_long_target),
		cmocka_unit_test(test_bad_methods),
		cmocka_unit_test(test_bad_request_lines),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_too_many_headers),
		cmocka_unit_test(test_header_values),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_same_origin),
		cmocka_unit_test(test_admin_form),
		cmocka_unit_test(test_admin_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
