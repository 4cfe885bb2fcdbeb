/* pgload's command line (bench/pgload/opts.c) and the SQL it builds (sql.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "opts.h"
#include "sql.h"

static struct pgl_opts o;
static char err[256];

#define PARSE(...) parse((char *[]){ "pgload", __VA_ARGS__, NULL })

static enum pgl_opts_result parse(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return pgl_opts_parse(&o, argc, argv, err, sizeof(err));
}

static void defaults(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-q"), PGL_OPTS_RUN);
	assert_int_equal(o.writers, 1);
	assert_int_equal(o.readers, 0);
	assert_string_equal(o.write_conninfo, "");
	assert_float_equal(o.duration, 10, 1e-9);
	assert_float_equal(o.backoff, 0.1, 1e-9);
	assert_float_equal(o.connect_timeout, 2, 1e-9);
	assert_float_equal(o.query_timeout, 5, 1e-9);
	assert_float_equal(o.outage_min, 0.5, 1e-9);
	assert_false(o.reconnect);
	assert_true(o.verify);
	assert_true(o.setup);
	assert_false(o.run_id_set);
	assert_int_equal(o.mode, PGL_MODE_INSERT);
}

static void everything_given(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-W", "50", "-R", "150", "-w", "host=a port=5432", "--read",
	                       "host=a port=5433", "--verify", "host=b", "-d", "2.5", "--mode",
	                       "tpcb", "--backoff", "250", "--connect-timeout", "1500",
	                       "--query-timeout", "3000", "--think", "10", "--outage-min", "200",
	                       "--run-id", "42", "--json", "/tmp/x.json", "--acked", "/tmp/a",
	                       "--rows", "500", "--no-setup", "--label", "drill 1", "--reconnect"),
	                 PGL_OPTS_RUN);
	assert_true(o.reconnect);
	assert_int_equal(o.writers, 50);
	assert_int_equal(o.readers, 150);
	assert_string_equal(pgl_opts_read_conninfo(&o), "host=a port=5433");
	assert_string_equal(pgl_opts_verify_conninfo(&o), "host=b");
	assert_string_equal(pgl_opts_setup_conninfo(&o), "host=a port=5432");
	assert_float_equal(o.duration, 2.5, 1e-9);
	assert_int_equal(o.mode, PGL_MODE_TPCB);
	assert_float_equal(o.backoff, 0.25, 1e-9);
	assert_float_equal(o.connect_timeout, 1.5, 1e-9);
	assert_float_equal(o.query_timeout, 3, 1e-9);
	assert_float_equal(o.think, 0.01, 1e-9);
	assert_float_equal(o.outage_min, 0.2, 1e-9);
	assert_int_equal(o.run_id, 42);
	assert_true(o.run_id_set);
	assert_int_equal(o.rows, 500);
	assert_false(o.setup);
	assert_string_equal(o.json_path, "/tmp/x.json");
	assert_string_equal(o.label, "drill 1");
}

static void read_and_verify_default_to_write(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-w", "host=x"), PGL_OPTS_RUN);
	assert_string_equal(pgl_opts_read_conninfo(&o), "host=x");
	assert_string_equal(pgl_opts_verify_conninfo(&o), "host=x");
}

static void bad_values_are_named(void **state)
{
	static const struct { char *opt, *val, *msg; } cases[] = {
		{ "-W", "-1", "--writers: '-1'" },
		{ "-R", "10001", "--readers: '10001'" },
		{ "-W", "5x", "--writers: '5x'" },
		{ "-d", "0", "--duration: '0'" },
		{ "-d", "nan", "--duration: 'nan'" },
		{ "--mode", "tpcc", "--mode: 'tpcc'" },
		{ "--backoff", "-5", "--backoff: '-5'" },
		{ "--connect-timeout", "0", "--connect-timeout: '0'" },
		{ "--query-timeout", "", "--query-timeout: ''" },
		{ "--run-id", "-3", "--run-id: '-3'" },
		{ "--rows", "0", "--rows: '0'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(PARSE(cases[i].opt, cases[i].val), PGL_OPTS_ERROR);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
	}
}

static void usage_errors(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--frobnicate"), PGL_OPTS_ERROR);
	assert_non_null(strstr(err, "unknown option '--frobnicate'"));
	assert_int_equal(PARSE("-W"), PGL_OPTS_ERROR);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(PARSE("extra"), PGL_OPTS_ERROR);
	assert_non_null(strstr(err, "unexpected argument 'extra'"));
	assert_int_equal(PARSE("-W", "0"), PGL_OPTS_ERROR);
	assert_non_null(strstr(err, "no clients"));
	assert_int_equal(PARSE("-W", "6000", "-R", "5000"), PGL_OPTS_ERROR);
	assert_int_equal(PARSE("--verify-only", "f", "--no-verify"), PGL_OPTS_ERROR);
	assert_int_equal(PARSE("--verify-only", "f", "-W", "0"), PGL_OPTS_RUN);
	assert_int_equal(PARSE("-h"), PGL_OPTS_HELP);
	assert_int_equal(PARSE("--version"), PGL_OPTS_VERSION);
}

static void sql_texts(void **state)
{
	char buf[PGL_SQL_MAX];

	(void)state;
	assert_true(pgl_sql_write(buf, sizeof(buf), PGL_MODE_INSERT, 7, 3, 99, 1, 0) > 0);
	assert_string_equal(buf, "INSERT INTO pgload_rows (run_id, client, seq) VALUES (7, 3, 99)");
	assert_true(pgl_sql_write(buf, sizeof(buf), PGL_MODE_TPCB, 7, 3, 99, 12, -40) > 0);
	assert_non_null(strstr(buf, "BEGIN;UPDATE pgload_accounts SET balance = balance + -40 "
	                             "WHERE aid = 12;INSERT"));
	assert_non_null(strstr(buf, "(7, 3, 99);COMMIT"));
	assert_true(pgl_sql_read(buf, sizeof(buf), 5) > 0);
	assert_string_equal(buf, "SELECT balance FROM pgload_accounts WHERE aid = 5");
	assert_int_equal(pgl_sql_read(buf, 10, 5), -1);    /* does not fit */
	assert_int_equal(pgl_sql_setup(buf, 100, 10000), -1);   /* does not fit */
	{
		char big[1024];
		assert_true(pgl_sql_setup(big, sizeof(big), 10000) > 0);
		assert_non_null(strstr(big, "generate_series(1, 10000)"));
	}
}

static void redact(const char *in, const char *want)
{
	char out[256];

	pgl_conninfo_redact(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void passwords_do_not_reach_the_report(void **state)
{
	(void)state;
	redact("host=a user=u password=secret dbname=d", "host=a user=u password=*** dbname=d");
	redact("password = 'a b\\' c' host=x", "password = *** host=x");
	redact("host=a passwordx=1 mypassword=2", "host=a passwordx=1 mypassword=2");
	redact("host=a", "host=a");
	redact("", "");
	redact("postgresql://u:secret@h:5432/db", "postgresql://u:***@h:5432/db");
	redact("postgres://u@h/db?password=s&sslmode=off", "postgres://u@h/db?password=***&sslmode=off");
	redact("postgresql://h/db?x=1", "postgresql://h/db?x=1");
	{
		char small[8];
		pgl_conninfo_redact("host=abcdefgh", small, sizeof(small));
		assert_string_equal(small, "host=ab");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(everything_given),
		cmocka_unit_test(read_and_verify_default_to_write),
		cmocka_unit_test(bad_values_are_named),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(sql_texts),
		cmocka_unit_test(passwords_do_not_reach_the_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
