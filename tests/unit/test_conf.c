/*
 * conf: the seed cluster's file read back field by field, inheritance at
 * every level, and each kind of error with its exact line and text, since
 * `pgfront -c` output is what a user reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

#define S 1000000ULL
#define MS 1000ULL

/* Big structs (half a megabyte): allocated once for the whole run. */
static struct conf *conf;
static struct conf_errors *errs;

static int group_setup(void **state)
{
	(void)state;
	conf = calloc(1, sizeof *conf);
	errs = calloc(1, sizeof *errs);
	return conf && errs ? 0 : -1;
}

static int group_teardown(void **state)
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
	int rc = load(text);

	if (rc != 0 || errs->count != 0)
		dump_errors();
	assert_int_equal(rc, 0);
	assert_int_equal(errs->count, 0);
}

static void check_errors(const char *text, const char *const *want, int n)
{
	int rc = load(text);
	bool same = rc == -1 && errs->count == n;

	for (int i = 0; same && i < n; i++)
		same = strcmp(errs->lines[i], want[i]) == 0;
	if (!same) {
		print_message("  file:\n%s\n", text);
		for (int i = 0; i < n; i++)
			print_message("   want: %s\n", want[i]);
		dump_errors();
	}
	assert_true(same);
}

#define expect_errors(text, ...) do { \
		static const char *const want_[] = { __VA_ARGS__ }; \
		check_errors(text, want_, (int)(sizeof want_ / sizeof want_[0])); \
	} while (0)

/* Adds to a text being built in a buffer of size bytes. */
__attribute__((format(printf, 3, 4)))
static void append(char *text, size_t size, const char *fmt, ...)
{
	size_t n = strlen(text);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text + n, size - n, fmt, ap);
	va_end(ap);
}

static const struct conf_member *member(int listener, const char *server)
{
	const struct conf_listener *l = &conf->listeners[listener];

	for (int i = 0; i < l->nmembers; i++)
		if (strcmp(conf->servers[l->members[i].server].name, server) == 0)
			return &l->members[i];
	fail_msg("%s is not a member of %s", server, l->name);
	return NULL;
}

/* ---- the seed cluster ---- */

static const char seed[] =
	"[global]\n"                                                           /* 1 */
	"maxconn = 200              ; process-wide\n"
	"log_level = info           ; err | warning | notice | info | debug\n"
	"user = pgfront             ; optional\n"
	"\n"                                                                   /* 5 */
	"[defaults]                 ; any [listen] or [server] key, inherited\n"
	"retries = 2\n"
	"timeout_connect = 4s\n"
	"timeout_client = 30m\n"
	"timeout_server = 30m\n"                                               /* 10 */
	"timeout_check = 5s\n"
	"timeout_queue = 4s\n"
	"inter = 3s\n"
	"fall = 3\n"
	"rise = 2\n"                                                           /* 15 */
	"on_marked_down = shutdown-sessions   ; or none\n"
	"check_port = 8008\n"
	"maxconn = 90               ; per server, per listener\n"
	"\n"
	"[server ubn-pgsql-1]\n"                                               /* 20 */
	"address = 198.18.145.201:5432\n"
	"; check_address = ...      ; default: the host of address\n"
	"[server ubn-pgsql-2]\n"
	"address = 198.18.145.202:5432\n"
	"[server ubn-pgsql-3]\n"                                               /* 25 */
	"address = 198.18.145.203:5432\n"
	"\n"
	"[listen postgres_write]\n"
	"bind = *:5432              ; repeatable\n"
	"balance = single\n"                                                   /* 30 */
	"check = HEAD /primary\n"
	"expect_status = 200\n"
	"; servers = ubn-pgsql-1, ubn-pgsql-2   ; default: every [server]\n"
	"\n"
	"[listen postgres_read]\n"                                             /* 35 */
	"bind = *:5433\n"
	"balance = roundrobin       ; also leastconn, first\n"
	"check = HEAD /replica\n"
	"; backup = ubn-pgsql-1\n";

static void assert_v4(const struct conf_addr *a, const char *host, const char *ip,
                      uint16_t port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;

	assert_string_equal(a->host, host);
	assert_int_equal(a->port, port);
	assert_int_equal(a->len, sizeof *in);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(in->sin_port, htons(port));
	assert_int_equal(in->sin_addr.s_addr, inet_addr(ip));
}

static void assert_seed_tunables(const struct conf_tunables *t)
{
	assert_int_equal(t->retries, 2);
	assert_int_equal(t->timeout_connect_us, 4 * S);
	assert_int_equal(t->timeout_client_us, 30 * 60 * S);
	assert_int_equal(t->timeout_server_us, 30 * 60 * S);
	assert_int_equal(t->timeout_check_us, 5 * S);
	assert_int_equal(t->timeout_queue_us, 4 * S);
	assert_int_equal(t->inter_us, 3 * S);
	assert_int_equal(t->fastinter_us, 3 * S);
	assert_int_equal(t->downinter_us, 3 * S);
	assert_int_equal(t->fall, 3);
	assert_int_equal(t->rise, 2);
	assert_int_equal(t->on_marked_down, CONF_ON_DOWN_SHUTDOWN_SESSIONS);
	assert_int_equal(t->check_port, 8008);
	assert_int_equal(t->maxconn, 90);
	assert_false(t->check_tls);
	assert_string_equal(t->check_ca_file, "");
	assert_string_equal(t->check_cert_file, "");
	assert_string_equal(t->check_key_file, "");
}

static void test_seed_cluster(void **state)
{
	static const char *const ips[] = { "198.18.145.201", "198.18.145.202", "198.18.145.203" };
	static const int lines[] = { 20, 23, 25 };

	(void)state;
	expect_ok(seed);
	assert_string_equal(conf->path, "t.ini");
	assert_int_equal(conf->global.maxconn, 200);
	assert_int_equal(conf->global.log_level, LOG_LEVEL_INFO);
	assert_string_equal(conf->global.user, "pgfront");

	assert_int_equal(conf->nservers, 3);
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "ubn-pgsql-%d", i + 1);
		assert_string_equal(conf->servers[i].name, name);
		assert_v4(&conf->servers[i].address, ips[i], ips[i], 5432);
		assert_string_equal(conf->servers[i].check_host, ips[i]);
		assert_int_equal(conf->servers[i].line, lines[i]);
	}

	assert_int_equal(conf->nlisteners, 2);
	for (int li = 0; li < 2; li++) {
		const struct conf_listener *l = &conf->listeners[li];
		assert_int_equal(l->nbinds, 1);
		assert_v4(&l->binds[0], "*", "0.0.0.0", li == 0 ? 5432 : 5433);
		assert_string_equal(l->check_method, "HEAD");
		assert_int_equal(l->expect_status, 200);
		assert_int_equal(l->nmembers, 3);
		for (int m = 0; m < 3; m++) {
			assert_int_equal(l->members[m].server, m);
			assert_false(l->members[m].backup);
			assert_seed_tunables(&l->members[m].t);
		}
		assert_seed_tunables(&l->t);
	}
	assert_string_equal(conf->listeners[0].name, "postgres_write");
	assert_int_equal(conf->listeners[0].line, 28);
	assert_int_equal(conf->listeners[0].balance, CONF_BALANCE_SINGLE);
	assert_string_equal(conf->listeners[0].check_path, "/primary");
	assert_string_equal(conf->listeners[1].name, "postgres_read");
	assert_int_equal(conf->listeners[1].line, 35);
	assert_int_equal(conf->listeners[1].balance, CONF_BALANCE_ROUNDROBIN);
	assert_string_equal(conf->listeners[1].check_path, "/replica");
}

static void test_example_file_loads(void **state)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 0;
	int rc;

	(void)state;
	/* Beside this file's directory, wherever the test is run from. */
	snprintf(path, sizeof path, "%.*s%s../../examples/pgfront.ini", dir, __FILE__,
	         slash ? "/" : "");
	rc = conf_load(path, conf, errs);
	if (rc != 0)
		dump_errors();
	assert_int_equal(rc, 0);
	assert_int_equal(errs->count, 0);
	assert_int_equal(conf->nservers, 3);
	assert_int_equal(conf->nlisteners, 2);
	assert_int_equal(conf->global.maxconn, 200);
	assert_int_equal(conf->listeners[0].balance, CONF_BALANCE_SINGLE);
	assert_string_equal(conf->listeners[1].check_path, "/replica");
	assert_seed_tunables(&conf->listeners[1].members[2].t);
}

/* ---- built-in values, inheritance, precedence ---- */

static const char minimal[] =
	"[server a]\n"
	"address = 198.18.145.1:5432\n"
	"[listen l]\n"
	"bind = 127.0.0.1:6000\n"
	"check = GET /health\n";

static void test_builtin_defaults(void **state)
{
	const struct conf_tunables *t;

	(void)state;
	expect_ok(minimal);
	assert_int_equal(conf->global.maxconn, 4096);
	assert_int_equal(conf->global.threads, 0);     /* one per CPU, decided at start */
	assert_int_equal(conf->global.log_level, LOG_LEVEL_INFO);
	assert_string_equal(conf->global.user, "");
	assert_int_equal(conf->listeners[0].balance, CONF_BALANCE_ROUNDROBIN);
	assert_int_equal(conf->listeners[0].expect_status, 200);
	assert_string_equal(conf->listeners[0].check_method, "GET");
	assert_string_equal(conf->listeners[0].check_path, "/health");
	t = &conf->listeners[0].members[0].t;
	assert_int_equal(t->retries, 3);
	assert_int_equal(t->timeout_connect_us, 5 * S);
	assert_int_equal(t->timeout_client_us, 30 * 60 * S);
	assert_int_equal(t->timeout_server_us, 30 * 60 * S);
	assert_int_equal(t->timeout_check_us, 5 * S);
	assert_int_equal(t->timeout_queue_us, 5 * S);
	assert_int_equal(t->inter_us, 2 * S);
	assert_int_equal(t->fastinter_us, 2 * S);
	assert_int_equal(t->downinter_us, 2 * S);
	assert_int_equal(t->fall, 3);
	assert_int_equal(t->rise, 2);
	assert_int_equal(t->on_marked_down, CONF_ON_DOWN_SHUTDOWN_SESSIONS);
	assert_int_equal(t->check_port, 8008);
	assert_int_equal(t->maxconn, 0);
	assert_false(t->check_tls);
	assert_memory_equal(t, &conf->listeners[0].t, sizeof *t);
}

static const char layered[] =
	"[defaults]\n"                 /* 1 */
	"inter = 3s\n"
	"fastinter = 1s\n"
	"retries = 1\n"
	"maxconn = 10\n"               /* 5 */
	"timeout_client = 1h\n"
	"[server a]\n"
	"address = 198.18.145.1:5432\n"
	"inter = 5s\n"
	"maxconn = 30\n"               /* 10 */
	"on_marked_down = none\n"
	"[server b]\n"
	"address = 198.18.145.2:5432\n"
	"[listen l1]\n"
	"bind = 127.0.0.1:6000\n"      /* 15 */
	"check = GET /health\n"
	"inter = 4s\n"
	"maxconn = 20\n"
	"timeout_client = 2h\n"
	"downinter = 10s\n"            /* 20 */
	"check_port = 8443\n"
	"[listen l2]\n"
	"bind = 127.0.0.1:6001\n"
	"check = OPTIONS /replica\n";

static void test_precedence_server_listen_defaults(void **state)
{
	const struct conf_member *m;

	(void)state;
	expect_ok(layered);

	m = member(0, "a");    /* [server] over [listen] over [defaults] */
	assert_int_equal(m->t.inter_us, 5 * S);
	assert_int_equal(m->t.maxconn, 30);
	assert_int_equal(m->t.on_marked_down, CONF_ON_DOWN_NONE);
	assert_int_equal(m->t.timeout_client_us, 2 * 3600 * S);
	assert_int_equal(m->t.downinter_us, 10 * S);
	assert_int_equal(m->t.fastinter_us, 1 * S);
	assert_int_equal(m->t.retries, 1);
	assert_int_equal(m->t.check_port, 8443);
	assert_int_equal(m->t.fall, 3);

	m = member(0, "b");    /* [listen] over [defaults] */
	assert_int_equal(m->t.inter_us, 4 * S);
	assert_int_equal(m->t.maxconn, 20);
	assert_int_equal(m->t.on_marked_down, CONF_ON_DOWN_SHUTDOWN_SESSIONS);
	assert_int_equal(m->t.downinter_us, 10 * S);
	assert_int_equal(m->t.fastinter_us, 1 * S);

	m = member(1, "a");    /* [server] over [defaults]; downinter follows its inter */
	assert_int_equal(m->t.inter_us, 5 * S);
	assert_int_equal(m->t.maxconn, 30);
	assert_int_equal(m->t.downinter_us, 5 * S);
	assert_int_equal(m->t.fastinter_us, 1 * S);
	assert_int_equal(m->t.timeout_client_us, 3600 * S);
	assert_int_equal(m->t.check_port, 8008);

	m = member(1, "b");    /* [defaults] alone */
	assert_int_equal(m->t.inter_us, 3 * S);
	assert_int_equal(m->t.maxconn, 10);
	assert_int_equal(m->t.downinter_us, 3 * S);
	assert_int_equal(m->t.timeout_client_us, 3600 * S);

	/* The listener's own: [listen] over [defaults], no [server]. */
	assert_int_equal(conf->listeners[0].t.inter_us, 4 * S);
	assert_int_equal(conf->listeners[0].t.timeout_client_us, 2 * 3600 * S);
	assert_int_equal(conf->listeners[0].t.maxconn, 20);
	assert_int_equal(conf->listeners[1].t.inter_us, 3 * S);
	assert_int_equal(conf->listeners[1].t.downinter_us, 3 * S);
	assert_int_equal(conf->listeners[1].t.timeout_client_us, 3600 * S);
}

static void test_listen_keys_from_defaults(void **state)
{
	(void)state;
	expect_ok("[listen l1]\n"
	          "bind = *:6000\n"
	          "[listen l2]\n"
	          "bind = *:6001\n"
	          "balance = first\n"
	          "check = GET /leader\n"
	          "expect_status = 204\n"
	          "[server a]\n"
	          "address = 198.18.145.1:5432\n"
	          "[defaults]\n"
	          "balance = leastconn\n"
	          "check = HEAD /replica\n"
	          "expect_status = 299\n");
	assert_int_equal(conf->listeners[0].balance, CONF_BALANCE_LEASTCONN);
	assert_string_equal(conf->listeners[0].check_method, "HEAD");
	assert_string_equal(conf->listeners[0].check_path, "/replica");
	assert_int_equal(conf->listeners[0].expect_status, 299);
	assert_int_equal(conf->listeners[1].balance, CONF_BALANCE_FIRST);
	assert_string_equal(conf->listeners[1].check_method, "GET");
	assert_string_equal(conf->listeners[1].check_path, "/leader");
	assert_int_equal(conf->listeners[1].expect_status, 204);
}

static void test_servers_and_backup(void **state)
{
	const struct conf_listener *l;

	(void)state;
	/* The [listen] comes before the servers it names. */
	expect_ok("[listen w]\n"
	          "bind = *:6000\n"
	          "check = HEAD /primary\n"
	          "servers = c, a\n"
	          "backup = a\n"
	          "[listen r]\n"
	          "bind = *:6001\n"
	          "check = HEAD /replica\n"
	          "backup = b ,c\n"
	          "[server a]\n"
	          "address = 198.18.145.1:5432\n"
	          "[server b]\n"
	          "address = 198.18.145.2:5432\n"
	          "[server c]\n"
	          "address = 198.18.145.3:5432\n");
	l = &conf->listeners[0];
	assert_int_equal(l->nmembers, 2);
	assert_int_equal(l->members[0].server, 2);
	assert_false(l->members[0].backup);
	assert_int_equal(l->members[1].server, 0);
	assert_true(l->members[1].backup);
	l = &conf->listeners[1];
	assert_int_equal(l->nmembers, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(l->members[i].server, i);
	assert_false(l->members[0].backup);
	assert_true(l->members[1].backup);
	assert_true(l->members[2].backup);
}

static void test_ipv6_and_several_binds(void **state)
{
	const struct conf_listener *l;
	const struct sockaddr_in6 *in6;
	struct in6_addr any = IN6ADDR_ANY_INIT;

	(void)state;
	expect_ok("[server a]\n"
	          "address = [::1]:5432\n"
	          "[server b]\n"
	          "address = 198.18.145.2:5432\n"
	          "check_address = [fd00::2]\n"
	          "[server c]\n"
	          "address = 198.18.145.3:5432\n"
	          "check_address = 198.18.145.33\n"
	          "[listen l]\n"
	          "bind = [::]:6000\n"
	          "bind = *:6000\n"
	          "bind = [::1]:6001\n"
	          "bind = 127.0.0.1:6001\n"
	          "check = HEAD /x\n");
	assert_string_equal(conf->servers[0].address.host, "::1");
	assert_int_equal(conf->servers[0].address.ss.ss_family, AF_INET6);
	assert_int_equal(conf->servers[0].address.len, sizeof(struct sockaddr_in6));
	assert_string_equal(conf->servers[0].check_host, "::1");
	assert_string_equal(conf->servers[1].check_host, "fd00::2");
	assert_string_equal(conf->servers[2].check_host, "198.18.145.33");
	l = &conf->listeners[0];
	assert_int_equal(l->nbinds, 4);
	in6 = (const struct sockaddr_in6 *)&l->binds[0].ss;
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(in6->sin6_port, htons(6000));
	assert_memory_equal(&in6->sin6_addr, &any, sizeof any);
	assert_string_equal(l->binds[0].host, "::");
	assert_v4(&l->binds[1], "*", "0.0.0.0", 6000);
	assert_string_equal(l->binds[2].host, "::1");
	assert_v4(&l->binds[3], "127.0.0.1", "127.0.0.1", 6001);
}

/* Files for the TLS keys: they must exist and be readable at load. */
static void make_file(char *path)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
}

static void test_check_tls(void **state)
{
	char ca[] = "/tmp/test_conf_ca.XXXXXX", cert[] = "/tmp/test_conf_cert.XXXXXX";
	char key[] = "/tmp/test_conf_key.XXXXXX", text[1024];
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof text, "%s[defaults]\ncheck_tls = %s\n", minimal, yes[i]);
		expect_ok(text);
		assert_true(conf->listeners[0].members[0].t.check_tls);
		snprintf(text, sizeof text, "%s[defaults]\ncheck_tls = %s\n", minimal, no[i]);
		expect_ok(text);
		assert_false(conf->listeners[0].members[0].t.check_tls);
	}
	make_file(ca);
	make_file(cert);
	make_file(key);
	/* A certificate from [defaults] and its key from the [server] make a pair. */
	snprintf(text, sizeof text,
	         "[defaults]\ncheck_tls = yes\ncheck_ca_file = %s\ncheck_cert_file = %s\n"
	         "%scheck_key_file = %s\n", ca, cert, minimal, key);
	expect_ok(text);
	assert_string_equal(conf->listeners[0].members[0].t.check_ca_file, ca);
	assert_string_equal(conf->listeners[0].members[0].t.check_cert_file, cert);
	assert_string_equal(conf->listeners[0].members[0].t.check_key_file, key);
	assert_string_equal(conf->listeners[0].t.check_key_file, key);

	/* The lone certificate is reported once, where it was given. */
	snprintf(text, sizeof text,
	         "[defaults]\ncheck_cert_file = %s\n"
	         "[server b]\naddress = 198.18.145.2:5432\n%s"
	         "[listen m]\nbind = *:7000\ncheck = HEAD /x\n", cert, minimal);
	expect_errors(text, "t.ini:2: [defaults] check_cert_file: given without check_key_file");
	snprintf(text, sizeof text, "%scheck_key_file = %s\n", minimal, key);
	expect_errors(text, "t.ini:6: [listen l] check_key_file: given without check_cert_file");
	unlink(ca);
	unlink(cert);
	unlink(key);
}

/* ---- the reader: lines, comments, continuation ---- */

static void test_long_names_kept_whole(void **state)
{
	/* inih cuts section names at 49 characters; these are 63. */
	static const char name[] =
		"a23456789012345678901234567890123456789012345678901234567890123";

	(void)state;
	expect_ok("[server a23456789012345678901234567890123456789012345678901234567890123]\n"
	          "address = 198.18.145.1:5432\n"
	          "[listen a23456789012345678901234567890123456789012345678901234567890123]\n"
	          "bind = *:6000\n"
	          "check = HEAD /x\n"
	          "servers = a23456789012345678901234567890123456789012345678901234567890123\n");
	assert_string_equal(conf->servers[0].name, name);
	assert_string_equal(conf->listeners[0].name, name);
	assert_int_equal(conf->listeners[0].nmembers, 1);
}

static void test_continuation_is_not_glued(void **state)
{
	(void)state;
	expect_errors("[server a]\n"
	              "address = 198.18.145.1:5432\n"
	              "[listen l]\n"
	              "bind = *:5432\n"
	              "check = HEAD\n"
	              "    /primary\n",
	              "t.ini:5: [listen l] check: invalid value 'HEAD': expected METHOD /PATH with "
	              "METHOD HEAD, GET or OPTIONS and a PATH of printable characters, e.g. "
	              "'HEAD /primary'",
	              "t.ini:6: expected 'key = value', got '/primary'");
	/* An indented key is just a key. */
	expect_ok("[server a]\n"
	          "    address = 198.18.145.1:5432\n"
	          "[listen l]\n"
	          "\tbind = *:5432\n"
	          "  check = HEAD /primary\n"
	          "     ; an indented comment\n");
	assert_string_equal(conf->servers[0].address.host, "198.18.145.1");
	assert_string_equal(conf->listeners[0].check_path, "/primary");
}

static void test_comments(void **state)
{
	(void)state;
	expect_ok("# hash comment\n"
	          "; semicolon comment\n"
	          "[server a] ; after a header\n"
	          "address = 198.18.145.1:5432\n"
	          "[listen l];x\n"
	          "bind = *:5432 ; inline\n"
	          "check = GET /a;b\n"
	          "expect_status = 200\t; tab before\n");
	/* ';' starts a comment only after a blank: this one is in the path. */
	assert_string_equal(conf->listeners[0].check_path, "/a;b");
	assert_int_equal(conf->listeners[0].expect_status, 200);
}

/* A key line of exactly n characters: "x = " then padding in a comment. */
static void line_of(char *out, size_t n)
{
	memcpy(out, "retries = 1 ;", 13);
	memset(out + 13, 'x', n - 13);
	out[n] = '\0';
}

static void test_long_lines(void **state)
{
	char line[400], text[1024];

	(void)state;
	line_of(line, 198);
	snprintf(text, sizeof text, "%s%s\n", minimal, line);
	expect_ok(text);
	snprintf(text, sizeof text, "%s%s\r\n", minimal, line);
	expect_ok(text);

	line_of(line, 199);
	snprintf(text, sizeof text, "%s%s\nbogus = 1\n", minimal, line);
	expect_errors(text, "t.ini:6: line is longer than 198 characters",
	              "t.ini:7: [listen l] bogus: unknown key");
	/* Far longer, and without a final newline: still one line, consumed whole. */
	line_of(line, 399);
	snprintf(text, sizeof text, "%sbogus = 1\n%s", minimal, line);
	expect_errors(text, "t.ini:6: [listen l] bogus: unknown key",
	              "t.ini:7: line is longer than 198 characters");
}

static void test_crlf_and_bom(void **state)
{
	(void)state;
	expect_ok("\xEF\xBB\xBF[server a]\r\n"
	          "address = 198.18.145.1:5432\r\n"
	          "\r\n"
	          "[listen l]\r\n"
	          "bind = *:5432\r\n"
	          "check = HEAD /primary\r\n");
	assert_string_equal(conf->servers[0].name, "a");
	assert_string_equal(conf->listeners[0].check_path, "/primary");
	expect_errors("[server a]\r\nbogus = 1\r\n",
	              "t.ini:0: no [listen] section: nothing to serve",
	              "t.ini:1: [server a]: address is required",
	              "t.ini:2: [server a] bogus: unknown key");
}

static void test_nul_byte_in_file(void **state)
{
	static const char text[] = "[server a]\naddress = 198.18.145.1:5432\n"
	                           "[listen l]\nbind = *:5432\x00junk\ncheck = HEAD /x\n";
	char path[] = "/tmp/test_conf_nul.XXXXXX";
	char want[2][128];
	const char *w[2] = { want[0], want[1] };
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	assert_int_equal(conf_load(path, conf, errs), -1);
	unlink(path);
	/* Line 3's error is found only after the file is read, yet comes first. */
	snprintf(want[0], sizeof want[0], "%s:3: [listen l]: bind is required, e.g. 'bind = *:5432'", path);
	snprintf(want[1], sizeof want[1], "%s:4: line contains a NUL byte", path);
	assert_int_equal(errs->count, 2);
	assert_string_equal(errs->lines[0], w[0]);
	assert_string_equal(errs->lines[1], w[1]);
}

static void test_server_without_keys(void **state)
{
	(void)state;
	expect_errors("[server a]\n"
	              "[server b]\n"
	              "address = 198.18.145.2:5432\n"
	              "[server c]\n"
	              "[listen l]\n"
	              "bind = *:5432\n"
	              "check = HEAD /primary\n",
	              "t.ini:1: [server a]: address is required",
	              "t.ini:4: [server c]: address is required");
}

static void test_open_and_read_failures(void **state)
{
	(void)state;
	assert_int_equal(conf_load("/nonexistent/pgfront.ini", conf, errs), -1);
	assert_int_equal(errs->count, 1);
	assert_string_equal(errs->lines[0],
	                    "/nonexistent/pgfront.ini:0: cannot open: No such file or directory");
	assert_int_equal(conf_load("/", conf, errs), -1);
	assert_int_equal(errs->count, 1);
	assert_string_equal(errs->lines[0], "/:1: cannot read: Is a directory");
}

/* ---- every kind of error, one at a time ---- */

#include "tests/unit/conf/error_cases.inc"

static void test_each_error(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		const char *want = error_cases[i].error;
		check_errors(error_cases[i].text, &want, 1);
	}
}

/* ---- many errors in one run ---- */

static void test_every_error_in_one_run(void **state)
{
	(void)state;
	expect_errors("[listen write]\n"          /* 1: check missing, found at the end */
	              "bind = *:5432\n"
	              "servers = pg1, pg9\n"      /* 3: pg9 unknown, found at the end */
	              "[server pg1]\n"
	              "address = 198.18.145.1\n"      /* 5 */
	              "inter = 2\n"
	              "[server pg2]\n"            /* 7: no address */
	              "[defaults]\n"
	              "retries = many\n"
	              "balance = single\n"        /* 10 */
	              "bind = *:5433\n"
	              "[global]\n"
	              "maxconn = 0\n"
	              "[listen read]\n"
	              "bind = *:5432\n"           /* 15 */
	              "check = HEAD /replica\n",
	              "t.ini:1: [listen write]: check is required, e.g. 'check = HEAD /primary'",
	              "t.ini:3: [listen write] servers: unknown server 'pg9'",
	              "t.ini:5: [server pg1] address: invalid value '198.18.145.1': expected HOST:PORT, "
	              "e.g. '192.0.2.10:5432'",
	              "t.ini:6: [server pg1] inter: invalid value '2': " NEED_UNIT,
	              "t.ini:7: [server pg2]: address is required",
	              "t.ini:9: [defaults] retries: invalid value 'many': expected an integer in 0..100",
	              "t.ini:11: [defaults] bind: 'bind' belongs in a [listen] section",
	              "t.ini:13: [global] maxconn: invalid value '0': expected an integer in 1..1000000",
	              "t.ini:15: [listen read] bind: '*:5432' is already bound at line 2");
}

static void test_error_count_past_the_limit(void **state)
{
	static char text[100 * 8 + 1];

	(void)state;
	text[0] = '\0';
	for (int i = 0; i < 100; i++)
		append(text, sizeof text, "junk%02d\n", i);
	assert_int_equal(load(text), -1);
	/* 100 bad lines and no [listen]; the earliest lines are the ones kept. */
	assert_int_equal(errs->count, 101);
	assert_string_equal(errs->lines[0], "t.ini:0: no [listen] section: nothing to serve");
	assert_string_equal(errs->lines[1], "t.ini:1: expected 'key = value', got 'junk00'");
	assert_string_equal(errs->lines[CONF_MAX_ERRORS - 1],
	                    "t.ini:63: expected 'key = value', got 'junk62'");
}

static void test_limits(void **state)
{
	static char text[16384];

	(void)state;
	text[0] = '\0';
	for (int i = 0; i <= CONF_MAX_SERVERS; i++)        /* lines 1..66 */
		append(text, sizeof text, "[server s%d]\naddress = 10.0.1.%d:5432\n", i, i + 1);
	for (int i = 0; i < CONF_MAX_LISTENERS; i++)       /* lines 67..114 */
		append(text, sizeof text, "[listen l%d]\nbind = *:%d\ncheck = HEAD /x\n", i, 6000 + i);
	for (int i = 1; i <= CONF_MAX_BINDS; i++)          /* lines 115..122 */
		append(text, sizeof text, "bind = 127.0.0.1:%d\n", 7000 + i);
	append(text, sizeof text, "[listen l16]\nbind = *:8000\n");    /* lines 123..124 */
	expect_errors(text,
	              "t.ini:65: [server s32]: too many [server] sections (at most 32)",
	              "t.ini:122: [listen l15] bind: too many binds (at most 8)",
	              "t.ini:123: [listen l16]: too many [listen] sections (at most 16)");

	snprintf(text, sizeof text, "%sservers = s0", HEAD_OK);
	for (int i = 1; i <= CONF_MAX_SERVERS; i++)
		append(text, sizeof text, ",s%d", i);
	append(text, sizeof text, "\n");
	expect_errors(text, "t.ini:6: [listen l] servers: more than 32 names");
}

/* A second load leaves nothing of the first. */
static void test_reload_overwrites(void **state)
{
	(void)state;
	expect_errors("bogus\n", "t.ini:0: no [listen] section: nothing to serve",
	              "t.ini:1: expected 'key = value', got 'bogus'");
	expect_ok(minimal);
	assert_int_equal(conf->nservers, 1);
	expect_ok(seed);
	expect_ok(minimal);
	assert_int_equal(conf->nservers, 1);
	assert_int_equal(conf->global.maxconn, 4096);
	assert_string_equal(conf->global.user, "");
}

/* ---- durations and names ---- */

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		uint64_t us;
	} good[] = {
		{ "1us", 1 }, { "250ms", 250 * MS }, { "4s", 4 * S }, { "30m", 1800 * S },
		{ "2h", 7200 * S }, { "1d", 86400 * S }, { "0s", 0 }, { "1.5s", 1500 * MS },
		{ "0.25ms", 250 }, { "1.000001s", S + 1 }, { "007s", 7 * S },
		{ "18446744073709551615us", UINT64_MAX },
	};
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "3", "a duration needs a unit (us, ms, s, m, h, d), e.g. '3s'" },
		{ "1.5", "a duration needs a unit (us, ms, s, m, h, d), e.g. '3s'" },
		{ "", "a duration cannot be empty" },
		{ "-3s", "a duration cannot be negative" },
		{ "s", "a duration is a number and a unit, e.g. '3s'" },
		{ ".5s", "a duration is a number and a unit, e.g. '3s'" },
		{ " 3s", "a duration is a number and a unit, e.g. '3s'" },
		{ "3x", "unknown unit: use us, ms, s, m, h or d" },
		{ "3S", "unknown unit: use us, ms, s, m, h or d" },
		{ "3 s", "unknown unit: use us, ms, s, m, h or d" },
		{ "3s ", "unknown unit: use us, ms, s, m, h or d" },
		{ "3ms5", "unknown unit: use us, ms, s, m, h or d" },
		{ "1.s", "expected 1 to 6 decimals after '.', e.g. '1.5s'" },
		{ "1.1234567s", "expected 1 to 6 decimals after '.', e.g. '1.5s'" },
		{ "1.5us", "a duration cannot be finer than 1us" },
		{ "18446744073709551616us", "the duration is too large" },
		{ "213503982336d", "the duration is too large" },
		{ "300000000d", "the duration is too large" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t us = 12345;
		const char *why = "unset";
		int rc = conf_parse_duration(good[i].text, &us, &why);
		if (rc != 0 || us != good[i].us || why != NULL)
			fail_msg("'%s': rc %d, %llu us, why %s", good[i].text, rc,
			         (unsigned long long)us, why ? why : "NULL");
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t us = 12345;
		const char *why = NULL;
		int rc = conf_parse_duration(bad[i].text, &us, &why);
		if (rc != -1 || us != 12345 || why == NULL || strcmp(why, bad[i].why) != 0)
			fail_msg("'%s': rc %d, %llu us, why %s", bad[i].text, rc,
			         (unsigned long long)us, why ? why : "NULL");
	}
	assert_int_equal(conf_parse_duration("3", &(uint64_t){ 0 }, NULL), -1);
}

static void test_hold_when_down(void **state)
{
	char text[2048];

	(void)state;
	expect_ok(minimal);
	assert_int_equal(conf->listeners[0].t.hold_when_down_us, 0);   /* off unless asked */
	snprintf(text, sizeof text, "%s[defaults]\nhold_when_down = 4s\n", minimal);
	expect_ok(text);
	assert_int_equal(conf->listeners[0].t.hold_when_down_us, 4 * S);
	snprintf(text, sizeof text, "%s[defaults]\nhold_when_down = 0s\n", minimal);
	expect_ok(text);
	assert_int_equal(conf->listeners[0].t.hold_when_down_us, 0);
	snprintf(text, sizeof text, "[defaults]\nhold_when_down = 4\n%s", minimal);
	assert_int_equal(load(text), -1);
	assert_non_null(strstr(errs->lines[0], "t.ini:2: [defaults] hold_when_down: invalid value '4': "
	                        "a duration needs a unit"));
	snprintf(text, sizeof text, "[defaults]\nhold_when_down = 25d\n%s", minimal);
	assert_int_equal(load(text), -1);
	assert_non_null(strstr(errs->lines[0], "expected 0s (off) or a duration in 1ms..24d"));
}

static void test_timeout_login(void **state)
{
	char text[2048];

	(void)state;
	expect_ok(minimal);
	assert_int_equal(conf->listeners[0].t.timeout_login_us, 60 * S);   /* as PgBouncer */
	snprintf(text, sizeof text, "%s[defaults]\ntimeout_login = 1500ms\n", minimal);
	expect_ok(text);
	assert_int_equal(conf->listeners[0].t.timeout_login_us, 1500 * 1000);
	snprintf(text, sizeof text, "[defaults]\ntimeout_login = 0s\n%s", minimal);
	assert_int_equal(load(text), -1);
	assert_non_null(strstr(errs->lines[0], "t.ini:2: [defaults] timeout_login: invalid value "
	                        "'0s': expected a duration in 1ms..24d"));
	snprintf(text, sizeof text, "[global]\ntimeout_login = 5s\n%s", minimal);
	assert_int_equal(load(text), -1);
	assert_non_null(strstr(errs->lines[0], "t.ini:2: [global] timeout_login: 'timeout_login' "
	                        "belongs in a [listen] or [defaults] section: it acts per listener"));
}

static void test_tcp_keepalive(void **state)
{
	char text[2048];
	const struct sockopt_keepalive *ka;

	(void)state;
	expect_ok(minimal);           /* on by default, a dead peer found in 2 minutes */
	ka = &conf->listeners[0].keepalive;
	assert_true(ka->on);
	assert_int_equal(ka->idle_s, 60);
	assert_int_equal(ka->intvl_s, 10);
	assert_int_equal(ka->cnt, 6);
	snprintf(text, sizeof text, "[global]\ntcp_keepidle = 2m\ntcp_keepcnt = 3\n%s"
	         "tcp_keepintvl = 5s\n"
	         "[listen other]\nbind = *:6001\ncheck = HEAD /replica\n"
	         "tcp_keepalive = off\ntcp_keepcnt = 9\n", minimal);
	expect_ok(text);
	ka = &conf->listeners[0].keepalive;   /* [listen] > [global] > built-in, key by key */
	assert_true(ka->on);
	assert_int_equal(ka->idle_s, 120);
	assert_int_equal(ka->intvl_s, 5);
	assert_int_equal(ka->cnt, 3);
	ka = &conf->listeners[1].keepalive;
	assert_false(ka->on);
	assert_int_equal(ka->idle_s, 120);
	assert_int_equal(ka->intvl_s, 10);
	assert_int_equal(ka->cnt, 9);
	assert_int_equal(conf->global.keepalive.idle_s, 120);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(conf_balance_name(CONF_BALANCE_SINGLE), "single");
	assert_string_equal(conf_balance_name(CONF_BALANCE_ROUNDROBIN), "roundrobin");
	assert_string_equal(conf_balance_name(CONF_BALANCE_LEASTCONN), "leastconn");
	assert_string_equal(conf_balance_name(CONF_BALANCE_FIRST), "first");
	assert_string_equal(conf_balance_name((enum conf_balance)42), "unknown");
	assert_string_equal(conf_log_level_name(LOG_LEVEL_ERR), "err");
	assert_string_equal(conf_log_level_name(LOG_LEVEL_WARNING), "warning");
	assert_string_equal(conf_log_level_name(LOG_LEVEL_NOTICE), "notice");
	assert_string_equal(conf_log_level_name(LOG_LEVEL_INFO), "info");
	assert_string_equal(conf_log_level_name(LOG_LEVEL_DEBUG), "debug");
	assert_string_equal(conf_log_level_name((enum log_level)0), "unknown");
	assert_string_equal(conf_on_marked_down_name(CONF_ON_DOWN_NONE), "none");
	assert_string_equal(conf_on_marked_down_name(CONF_ON_DOWN_SHUTDOWN_SESSIONS),
	                    "shutdown-sessions");
	/* Every level name parses back to its level. */
	for (int level = LOG_LEVEL_ERR; level <= LOG_LEVEL_DEBUG; level++) {
		char text[128];
		snprintf(text, sizeof text, "%s[global]\nlog_level = %s\n", minimal,
		         conf_log_level_name((enum log_level)level));
		expect_ok(text);
		assert_int_equal(conf->global.log_level, level);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_cluster),
		cmocka_unit_test(test_hold_when_down),
		cmocka_unit_test(test_timeout_login),
		cmocka_unit_test(test_tcp_keepalive),
		cmocka_unit_test(test_example_file_loads),
		cmocka_unit_test(test_builtin_defaults),
		cmocka_unit_test(test_precedence_server_listen_defaults),
		cmocka_unit_test(test_listen_keys_from_defaults),
		cmocka_unit_test(test_servers_and_backup),
		cmocka_unit_test(test_ipv6_and_several_binds),
		cmocka_unit_test(test_check_tls),
		cmocka_unit_test(test_long_names_kept_whole),
		cmocka_unit_test(test_continuation_is_not_glued),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_crlf_and_bom),
		cmocka_unit_test(test_nul_byte_in_file),
		cmocka_unit_test(test_server_without_keys),
		cmocka_unit_test(test_open_and_read_failures),
		cmocka_unit_test(test_each_error),
		cmocka_unit_test(test_every_error_in_one_run),
		cmocka_unit_test(test_error_count_past_the_limit),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_reload_overwrites),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
