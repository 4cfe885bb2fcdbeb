/* Error classification (bench/pgload/errkind.c), on libpq 15's own texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errkind.h"

static enum pgl_err kind(const char *sqlstate, const char *msg, char found[6])
{
	return pgl_err_classify(sqlstate, msg, found);
}

static void result_sqlstates(void **state)
{
	char f[6];

	(void)state;
	assert_int_equal(kind("25006", "ERROR:  cannot execute INSERT in a read-only transaction", f),
	                 PGL_ERR_READ_ONLY);
	assert_string_equal(f, "25006");
	assert_int_equal(kind("57P03", "", f), PGL_ERR_CANNOT_CONNECT);
	assert_int_equal(kind("57P01", "", f), PGL_ERR_SHUTDOWN);
	assert_int_equal(kind("57P02", "", f), PGL_ERR_SHUTDOWN);
	assert_int_equal(kind("42P01", "relation does not exist", f), PGL_ERR_SQLSTATE);
	assert_string_equal(f, "42P01");
	assert_int_equal(kind("40001", NULL, f), PGL_ERR_SQLSTATE);
}

static void verbose_connection_messages_carry_the_sqlstate(void **state)
{
	char f[6];

	(void)state;
	assert_int_equal(kind(NULL,
		"connection to server at \"127.0.0.52\", port 5432 failed: FATAL:  57P03: "
		"pgfront: no server available for postgres_write\n", f), PGL_ERR_CANNOT_CONNECT);
	assert_string_equal(f, "57P03");
	assert_int_equal(kind(NULL,
		"connection to server at \"127.0.0.41\", port 5432 failed: FATAL:  57P03: the "
		"database system is starting up\nLOCATION:  ProcessStartupPacket, postmaster.c:2415\n",
		f), PGL_ERR_CANNOT_CONNECT);
	assert_int_equal(kind(NULL,
		"connection to server at \"h\", port 5432 failed: FATAL:  28P01: password "
		"authentication failed for user \"x\"\n", f), PGL_ERR_SQLSTATE);
	assert_string_equal(f, "28P01");
	/* Two hosts tried: the last attempt's SQLSTATE is the one kept. */
	assert_int_equal(kind(NULL,
		"connection to server at \"a\", port 5432 failed: FATAL:  57P03: starting up\n"
		"connection to server at \"b\", port 5432 failed: FATAL:  53300: too many clients\n",
		f), PGL_ERR_SQLSTATE);
	assert_string_equal(f, "53300");
}

static void texts_without_sqlstate(void **state)
{
	char f[6];

	(void)state;
	assert_int_equal(kind(NULL,
		"connection to server at \"127.0.0.41\", port 5432 failed: Connection refused\n"
		"\tIs the server running on that host and accepting TCP/IP connections?\n", f),
		PGL_ERR_REFUSED);
	assert_string_equal(f, "");
	assert_int_equal(kind(NULL, "server closed the connection unexpectedly\n\tThis probably "
		"means the server terminated abnormally\n\tbefore or while processing the request.\n",
		f), PGL_ERR_CLOSED);
	assert_int_equal(kind(NULL, "could not receive data from server: Connection reset by peer\n",
		f), PGL_ERR_CLOSED);
	assert_int_equal(kind(NULL, "could not send data to server: Broken pipe\n", f),
	                 PGL_ERR_CLOSED);
	assert_int_equal(kind(NULL, "no connection to the server\n", f), PGL_ERR_CLOSED);
	assert_int_equal(kind(NULL, "connection to server at \"x\", port 1 failed: Connection "
		"timed out\n", f), PGL_ERR_TIMEOUT);
	assert_int_equal(kind(NULL, "connection to server at \"198.18.145.9\", port 5432 failed: "
		"No route to host\n", f), PGL_ERR_OTHER);
	assert_int_equal(kind(NULL, "invalid connection option \"hots\"\n", f), PGL_ERR_OTHER);
	assert_int_equal(kind(NULL, NULL, f), PGL_ERR_OTHER);
	assert_int_equal(kind(NULL, "", f), PGL_ERR_OTHER);
}

static void things_that_look_like_a_sqlstate_but_are_not(void **state)
{
	char f[6];

	(void)state;
	/* lower case, too short, no colon after, a bad result field */
	assert_int_equal(pgl_err_find_sqlstate("FATAL:  57p03: x", f), -1);
	assert_int_equal(pgl_err_find_sqlstate("FATAL:  57P0: x", f), -1);
	assert_int_equal(pgl_err_find_sqlstate("FATAL:  57P03 x", f), -1);
	assert_int_equal(pgl_err_find_sqlstate("LOCATION:  quickdie, postgres.c:2907", f), -1);
	assert_int_equal(pgl_err_find_sqlstate("", f), -1);
	assert_int_equal(pgl_err_find_sqlstate(":  ", f), -1);
	assert_int_equal(pgl_err_find_sqlstate(":  57P03", f), -1);
	assert_int_equal(kind("5700", "server closed the connection unexpectedly", f),
	                 PGL_ERR_CLOSED);
	assert_int_equal(kind("570011", "x", f), PGL_ERR_OTHER);
}

/* A multi-host connection string with target_session_attrs, as the
 * drill's direct mode uses: libpq 15 lists every host it tried. */
static void no_host_with_the_role_asked_for(void **state)
{
	char f[6];

	(void)state;
	assert_int_equal(kind(NULL,
		"connection to server at \"198.18.145.201\", port 5432 failed: Connection refused\n"
		"\tIs the server running on that host and accepting TCP/IP connections?\n"
		"connection to server at \"198.18.145.202\", port 5432 failed: session is read-only\n"
		"connection to server at \"198.18.145.203\", port 5432 failed: session is read-only\n",
		f), PGL_ERR_WRONG_ROLE);
	assert_string_equal(f, "");
	/* One host starting up, the others standbys: no primary, and the
	 * 57P03 is still counted. */
	assert_int_equal(kind(NULL,
		"connection to server at \"198.18.145.201\", port 5432 failed: FATAL:  57P03: the "
		"database system is starting up\n"
		"connection to server at \"198.18.145.202\", port 5432 failed: session is read-only\n",
		f), PGL_ERR_WRONG_ROLE);
	assert_string_equal(f, "57P03");
	assert_int_equal(kind(NULL,
		"connection to server at \"a\", port 5432 failed: server is not in hot standby mode\n",
		f), PGL_ERR_WRONG_ROLE);
	assert_int_equal(kind(NULL,
		"connection to server at \"a\", port 5432 failed: server is in hot standby mode\n",
		f), PGL_ERR_WRONG_ROLE);
	/* A query's 25006 stays read_only: it is a result's field. */
	assert_int_equal(kind("25006", "ERROR:  25006: cannot execute INSERT in a read-only "
		"transaction\n", f), PGL_ERR_READ_ONLY);
}

static void every_kind_has_a_name(void **state)
{
	(void)state;
	for (int k = 0; k < PGL_ERR_COUNT; k++)
		assert_string_not_equal(pgl_err_name(k), "?");
	assert_string_equal(pgl_err_name(PGL_ERR_COUNT), "?");
	assert_string_equal(pgl_err_name(PGL_ERR_CANNOT_CONNECT), "cannot_connect_now");
	assert_string_equal(pgl_err_name(PGL_ERR_WRONG_ROLE), "wrong_role");
	assert_string_equal(pgl_phase_name(PGL_PHASE_QUERY), "query");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(result_sqlstates),
		cmocka_unit_test(verbose_connection_messages_carry_the_sqlstate),
		cmocka_unit_test(texts_without_sqlstate),
		cmocka_unit_test(things_that_look_like_a_sqlstate_but_are_not),
		cmocka_unit_test(no_host_with_the_role_asked_for),
		cmocka_unit_test(every_kind_has_a_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
