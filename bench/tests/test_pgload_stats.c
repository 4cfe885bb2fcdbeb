/* The per-second timeline and totals (bench/pgload/stats.c), with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "stats.h"

static const int both[PGL_ROLE_COUNT] = { 2, 3 };

static int setup(void **state)
{
	struct pgl_stats *st = malloc(sizeof(*st));

	if (!st || pgl_stats_init(st, 1000.0, 0.5, both) < 0)
		return -1;
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	pgl_stats_free(*state);
	free(*state);
	return 0;
}

static void events_land_in_their_second(void **state)
{
	struct pgl_stats *st = *state;

	pgl_stats_ok(st, PGL_ROLE_WRITE, 1000.10, 0.001);
	pgl_stats_ok(st, PGL_ROLE_WRITE, 1000.99, 0.002);
	pgl_stats_ok(st, PGL_ROLE_READ, 1001.00, 0.0005);
	pgl_stats_error(st, PGL_ROLE_READ, 1001.50, PGL_ERR_REFUSED, PGL_PHASE_CONNECT, "");
	pgl_stats_ok(st, PGL_ROLE_WRITE, 1003.20, 0.004);   /* second 2 stays empty */
	pgl_stats_finish(st, 1003.5, 1003.5);
	assert_int_equal(st->nsecs, 4);
	assert_int_equal(st->secs[0].r[PGL_ROLE_WRITE].ok, 2);
	assert_int_equal(st->secs[0].r[PGL_ROLE_READ].ok, 0);
	assert_int_equal(st->secs[1].r[PGL_ROLE_READ].ok, 1);
	assert_int_equal(st->secs[1].r[PGL_ROLE_READ].err[PGL_ERR_REFUSED], 1);
	assert_int_equal(st->secs[2].r[PGL_ROLE_WRITE].ok, 0);
	assert_int_equal(st->secs[3].r[PGL_ROLE_WRITE].ok, 1);
	/* per-second latency: second 0 had 1 ms and 2 ms */
	assert_in_range(st->secs[0].r[PGL_ROLE_WRITE].p50_us, 1000, 1031);
	assert_in_range(st->secs[0].r[PGL_ROLE_WRITE].p99_us, 2000, 2000);
	assert_int_equal(st->secs[0].r[PGL_ROLE_WRITE].max_us, 2000);
	assert_int_equal(st->secs[2].r[PGL_ROLE_WRITE].p50_us, 0);
	assert_int_equal(st->role[PGL_ROLE_WRITE].ok, 3);
	assert_int_equal(st->role[PGL_ROLE_READ].phase_err[PGL_PHASE_CONNECT], 1);
	/* the write outage: 1000.99 .. 1003.20 */
	assert_float_equal(pgl_gap_len(&st->role[PGL_ROLE_WRITE].outage.longest), 2.21, 1e-9);
}

static void an_empty_last_second_is_dropped(void **state)
{
	struct pgl_stats *st = *state;

	pgl_stats_ok(st, PGL_ROLE_WRITE, 1000.5, 0.001);
	pgl_stats_ok(st, PGL_ROLE_WRITE, 1001.5, 0.001);
	pgl_stats_finish(st, 1002.0005, 1002.0005);
	assert_int_equal(st->nsecs, 2);
	/* nothing counts after the finish */
	pgl_stats_ok(st, PGL_ROLE_WRITE, 1002.5, 0.001);
	assert_int_equal(st->role[PGL_ROLE_WRITE].ok, 2);
	assert_int_equal(st->nsecs, 2);
}

/* The drain starts no transaction: the last outage ends when the load
 * stopped, not when the last transaction in flight came back. */
static void the_last_outage_ends_with_the_load_not_the_drain(void **state)
{
	struct pgl_stats *st = *state;
	const struct pgl_outage *w = &st->role[PGL_ROLE_WRITE].outage;
	const struct pgl_outage *r = &st->role[PGL_ROLE_READ].outage;

	pgl_stats_ok(st, PGL_ROLE_WRITE, 1000.2, 0.001);
	pgl_stats_ok(st, PGL_ROLE_WRITE, 1029.0, 0.001);
	pgl_stats_ok(st, PGL_ROLE_READ, 1000.2, 0.001);
	pgl_stats_ok(st, PGL_ROLE_READ, 1029.0, 0.001);
	pgl_stats_ok(st, PGL_ROLE_READ, 1030.4, 1.0);       /* in flight at 1030 */
	pgl_stats_finish(st, 1031.0, 1030.0);
	assert_true(w->list[w->nlist - 1].to_end);
	assert_float_equal(pgl_gap_len(&w->list[w->nlist - 1]), 1.0, 1e-9);
	/* a success during the drain leaves no last interval to speak of */
	assert_false(r->list[r->nlist - 1].to_end);
	assert_int_equal(r->successes, 3);
}

static void advance_closes_quiet_seconds_with_the_clients_up(void **state)
{
	struct pgl_stats *st = *state;

	pgl_stats_set_up(st, PGL_ROLE_READ, 3);
	pgl_stats_advance(st, 1002.2);
	assert_int_equal(st->nsecs, 2);
	assert_int_equal(st->secs[1].r[PGL_ROLE_READ].up, 3);
	pgl_stats_set_up(st, PGL_ROLE_READ, 1);
	pgl_stats_advance(st, 1002.9);   /* same second: nothing closes */
	assert_int_equal(st->nsecs, 2);
	pgl_stats_advance(st, 1003.0);
	assert_int_equal(st->secs[2].r[PGL_ROLE_READ].up, 1);
}

static void a_long_run_grows_the_timeline(void **state)
{
	struct pgl_stats *st = *state;

	for (int i = 0; i < 1000; i++)
		pgl_stats_ok(st, PGL_ROLE_READ, 1000.5 + i, 0.001);
	pgl_stats_finish(st, 2000.0, 2000.0);
	assert_int_equal(st->nsecs, 1000);
	assert_int_equal(st->secs[999].r[PGL_ROLE_READ].ok, 1);
}

static void sqlstates_are_counted_each(void **state)
{
	struct pgl_stats *st = *state;
	struct pgl_role_stats *w = &st->role[PGL_ROLE_WRITE];

	pgl_stats_error(st, PGL_ROLE_WRITE, 1000.1, PGL_ERR_READ_ONLY, PGL_PHASE_QUERY, "25006");
	pgl_stats_error(st, PGL_ROLE_WRITE, 1000.2, PGL_ERR_READ_ONLY, PGL_PHASE_QUERY, "25006");
	pgl_stats_error(st, PGL_ROLE_WRITE, 1000.3, PGL_ERR_CANNOT_CONNECT, PGL_PHASE_CONNECT,
	                "57P03");
	pgl_stats_error(st, PGL_ROLE_WRITE, 1000.4, PGL_ERR_CLOSED, PGL_PHASE_QUERY, "");
	assert_int_equal(w->nsqlstates, 2);
	assert_string_equal(w->sqlstates[0].code, "25006");
	assert_int_equal(w->sqlstates[0].n, 2);
	assert_int_equal(w->sqlstates[1].n, 1);
	assert_int_equal(w->err[PGL_ERR_READ_ONLY], 2);
	assert_int_equal(w->phase_err[PGL_PHASE_QUERY], 3);
	assert_int_equal(w->phase_err[PGL_PHASE_CONNECT], 1);
	/* beyond the table's room: counted as dropped, nothing overflows */
	for (int i = 0; i < PGL_SQLSTATES_MAX + 5; i++) {
		char code[16];
		snprintf(code, sizeof(code), "X%04d", i);
		pgl_stats_error(st, PGL_ROLE_WRITE, 1000.5, PGL_ERR_SQLSTATE, PGL_PHASE_QUERY, code);
	}
	assert_int_equal(w->nsqlstates, PGL_SQLSTATES_MAX);
	assert_int_equal(w->sqlstates_dropped, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(events_land_in_their_second, setup, teardown),
		cmocka_unit_test_setup_teardown(an_empty_last_second_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(the_last_outage_ends_with_the_load_not_the_drain,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(advance_closes_quiet_seconds_with_the_clients_up,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_long_run_grows_the_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(sqlstates_are_counted_each, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
